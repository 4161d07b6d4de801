"""Exercise profiles: the built-in defaults of DESIGN §5 and every kind of bad profile."""

from __future__ import annotations

import os

import pytest

from analysis.envelope.profiles import (
    MIN_HYSTERESIS_DEG,
    angle_column_for,
    builtin_profile_names,
    load_builtin_profile,
    parse_profile,
    profile_for_exercise,
    read_profile_text,
)
from analysis.errors import ConfigError
from analysis.recording.inputs import PROFILE_MAX_BYTES
from analysis.recording.schema import ANGLE_COLUMNS, RULE_NAMES

EXPECTED = {"standing_hamstring", "supine_hamstring", "seated_slider", "runners_active"}
EXPECTED |= {"standing_l", "slr_test"}

MINIMAL = """
name = "mine"
[engaged]
[[engaged.when]]
angle = "hip_flexion"
min_deg = 40
[rules.knee_flexion]
min_deg = 10
cue = "bend the knee ({peak:.0f}°)"
"""


def test_the_builtin_profiles_ship_and_load():
    assert set(builtin_profile_names()) == EXPECTED
    for name in EXPECTED:
        prof = load_builtin_profile(name)
        assert prof.name == name
        assert prof.rules, name
        for rule in prof.rules:
            assert rule.name in RULE_NAMES
            assert rule.basis, f"{name}: rule {rule.name} has no basis"
            assert rule.hysteresis_deg >= MIN_HYSTERESIS_DEG[rule.plane]
            assert rule.format_cue(rule.limit_deg + (3 if rule.upper else -3))
        assert not prof.warnings


def test_looking_down_is_judged_where_the_seeds_advice_applies():
    for name in ("standing_hamstring", "supine_hamstring", "slr_test"):
        neck = load_builtin_profile(name).rule("neck_flexion")
        assert neck is not None, name
        assert not neck.advisory
        assert (neck.max_deg, neck.warn_deg, neck.hysteresis_deg) == (15.0, 25.0, 3.0)
        assert "Johnson & Chiarello 1997" in neck.basis
    slider = load_builtin_profile("seated_slider").rule("neck_flexion")
    assert slider is not None
    assert slider.advisory
    cue = load_builtin_profile("standing_hamstring").rule("neck_flexion").format_cue(31.4)  # type: ignore[union-attr]
    assert cue == "looking down (31°) — keep your chin level, eyes ahead"
    assert load_builtin_profile("slr_test").kind == "test"


def test_standing_defaults_are_design_section_5():
    prof = load_builtin_profile("standing_hamstring")
    ankle = prof.rule("ankle_dorsiflexion")
    knee = prof.rule("knee_flexion")
    ir = prof.rule("hip_internal_rotation")
    add = prof.rule("hip_adduction")
    lumbar = prof.rule("lumbar_flexion")
    pelvis = prof.rule("pelvis_anterior_tilt")
    assert ankle is not None
    assert (ankle.max_deg, ankle.warn_deg) == (0.0, 5.0)
    assert knee is not None
    assert (knee.min_deg, knee.warn_deg) == (10.0, 5.0)
    assert ir is not None
    assert ir.max_deg == 10.0
    assert ir.advisory
    assert add is not None
    assert add.max_deg == 5.0
    assert add.advisory
    assert lumbar is not None
    assert lumbar.max_deg == 10.0
    assert not lumbar.advisory
    assert pelvis is not None
    assert pelvis.min_deg == -3.0  # neutral within the 3° sagittal IMU error
    assert (prof.hold.target_s, prof.hold.short_s) == (30.0, 15.0)
    assert ankle.hysteresis_deg >= 3
    assert add.hysteresis_deg >= 5
    assert ir.hysteresis_deg >= 5
    assert all(0.5 <= r.dwell_s <= 2.0 for r in prof.rules)
    assert ankle.format_cue(8.0) == "ankle dorsiflexed 8° — point your toes away"
    assert "slight bend" in knee.format_cue(1.0)


def test_dynamic_profiles_have_their_criteria():
    slider = load_builtin_profile("seated_slider")
    assert slider.kind == "slider"
    assert slider.slider is not None
    assert slider.slider.angle == "ankle_dorsiflexion"
    assert slider.slider.min_amplitude_deg >= 10
    assert (slider.slider.min_rate_hz, slider.slider.max_rate_hz) == (0.2, 1.0)
    assert slider.rule("knee_flexion") is not None
    for name in ("runners_active", "standing_l"):
        prof = load_builtin_profile(name)
        assert prof.kind == "eccentric"
        assert prof.repetitions is not None
        assert prof.repetitions.angle == "knee_flexion"


def test_angle_columns_follow_the_schema():
    for side in ("left", "right"):
        for name in (
            "hip_flexion",
            "knee_flexion",
            "ankle_dorsiflexion",
            "hip_adduction",
            "hip_internal_rotation",
            "thigh_inclination",
            "lumbar_flexion",
            "pelvis_anterior_tilt",
        ):
            assert angle_column_for(name, side) in ANGLE_COLUMNS
    assert angle_column_for("knee_flexion", "left") == "left_knee_flexion_deg"
    assert angle_column_for("lumbar_flexion", "left") == "lumbar_flexion_deg"


def test_exercise_names_select_profiles():
    assert profile_for_exercise("Standing hamstring stretch").name == "standing_hamstring"
    assert profile_for_exercise("seated-slider").name == "seated_slider"
    with pytest.raises(ConfigError, match="no exercise profile"):
        profile_for_exercise("handstand")
    with pytest.raises(ConfigError, match="unknown exercise profile"):
        load_builtin_profile("nope")


def test_minimal_profile_and_defaults():
    prof = parse_profile(MINIMAL, source="mine.toml")
    assert prof.kind == "hold"
    knee = prof.rule("knee_flexion")
    assert knee is not None
    assert knee.hysteresis_deg == 3.0
    assert knee.dwell_s == 1.0
    assert prof.engaged.criteria[0].hysteresis_deg == 3.0


def test_extends_changes_one_value_and_keeps_the_rest():
    text = 'extends = "standing_hamstring"\n[rules.knee_flexion]\nmin_deg = 15\nwarn_deg = 8\n'
    prof = parse_profile(text, source="my.toml")
    knee = prof.rule("knee_flexion")
    assert knee is not None
    assert knee.min_deg == 15
    assert knee.warn_deg == 8
    base = load_builtin_profile("standing_hamstring")
    assert prof.rule("ankle_dorsiflexion") == base.rule("ankle_dorsiflexion")
    off = parse_profile(
        'extends = "standing_hamstring"\n[rules.hip_adduction]\nenabled = false\n', source="x"
    )
    assert off.rule("hip_adduction") is None
    assert off.rule("knee_flexion") is not None


def test_nameless_file_modifies_the_given_base():
    base = load_builtin_profile("supine_hamstring")
    prof = parse_profile("[hold]\ntarget_s = 45\n", source="tweak.toml", base=base)
    assert prof.name == "supine_hamstring"
    assert prof.hold.target_s == 45
    alone = parse_profile(MINIMAL, source="mine.toml", base=base)
    assert alone.name == "mine"
    assert alone.rule("ankle_dorsiflexion") is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = 'x'\n[rules\n", "not valid TOML"),
        (MINIMAL + "[rules.ankle_flexion]\nmax_deg = 0\ncue = 'c'\n", "rules.ankle_flexion"),
        (MINIMAL.replace('"hip_flexion"', '"hip_flex"'), "unknown angle 'hip_flex'"),
        (MINIMAL.replace("min_deg = 10", "min_deg = 'ten'"), "expected a number"),
        (MINIMAL.replace("min_deg = 10", "min_dg = 10"), "rules.knee_flexion.min_dg"),
        (MINIMAL.replace("min_deg = 10", "min_deg = 10\nmax_deg = 20"), "exactly one"),
        (MINIMAL.replace("min_deg = 10", "min_deg = 10\nwarn_deg = 12"), "warn_deg"),
        (MINIMAL.replace("min_deg = 10", "min_deg = 400"), "≤ 180"),
        (MINIMAL + "[hold]\ntarget_s = 10\nshort_s = 20\n", "hold.short_s"),
        (MINIMAL + "[hold]\ntarget_s = 0\n", "hold.target_s"),
        (MINIMAL + "[gates]\ndwell_s = -1\n", "gates.dwell_s"),
        (MINIMAL.replace("min_deg = 10", "min_deg = 10\nhysteresis_deg = -2"), "hysteresis"),
        (MINIMAL.replace("({peak:.0f}°)", "{angle}"), "unknown placeholder {angle}"),
        (MINIMAL.replace("({peak:.0f}°)", "{peak"), "not a valid template"),
        ("colour = 'red'\n" + MINIMAL, "key 'colour'"),
        (MINIMAL.replace('name = "mine"', 'name = "mine"\nkind = "yoga"'), "key 'kind'"),
        (MINIMAL.replace('name = "mine"', 'name = "mine"\nkind = "slider"'), "[slider]"),
        (MINIMAL.replace('name = "mine"', 'name = "mine"\nextends = "nope"'), "extends"),
        (MINIMAL + "advisory = 'yes'\n", "true or false"),
        ("name = 'x'\n[engaged]\nwhen = []\n[rules.knee_flexion]\nmin_deg=1\ncue='c'\n", "when"),
        (
            MINIMAL
            + "[slider]\nangle='ankle_dorsiflexion'\nmin_amplitude_deg=10\n"
            + "min_rate_hz=1\nmax_rate_hz=0.5\n",
            "slider.max_rate_hz",
        ),
    ],
)
def test_bad_profiles_name_the_file_and_the_key(text, fragment):
    with pytest.raises(ConfigError) as info:
        parse_profile(text, source="user/profile.toml")
    message = str(info.value)
    assert message.startswith("user/profile.toml: ")
    assert fragment in message


def test_malformed_toml_reports_the_line():
    with pytest.raises(ConfigError, match=r"line 3"):
        parse_profile('name = "x"\n\nmin_deg = = 3\n', source="p.toml")


def test_low_hysteresis_is_allowed_with_a_warning():
    text = MINIMAL.replace("min_deg = 10", "min_deg = 10\nhysteresis_deg = 1")
    prof = parse_profile(text, source="p.toml")
    assert any("hysteresis 1°" in w for w in prof.warnings)


def test_engagement_requirements_parse_and_validate():
    prof = load_builtin_profile("supine_hamstring")
    (req,) = prof.engaged.require
    assert (req.angle, req.max_deg) == ("pelvis_anterior_tilt", -60.0)
    assert req.describe() == "pelvis anterior tilt ≤ -60°"
    bad = MINIMAL.replace("min_deg = 40", "min_deg = 40\nmax_deg = 50")
    with pytest.raises(ConfigError, match=r"engaged\.when\[0\]\.min_deg.*exactly one"):
        parse_profile(bad, source="p.toml")


@pytest.mark.parametrize(
    ("cue", "fragment"),
    [
        ("x {peak:>99999999}", "format spec {peak:>99999999}"),
        ("x {peak:.99999f}", "format spec {peak:.99999f}"),
        ("x {peak:>{limit}}", "format spec {peak:>{limit}}"),
        ("y" * 501, "501 characters"),
    ],
)
def test_cue_templates_are_bounded(cue, fragment):
    text = f'extends = "standing_hamstring"\n[rules.knee_flexion]\ncue = "{cue}"\n'
    with pytest.raises(ConfigError, match=r"rules\.knee_flexion\.cue") as info:
        parse_profile(text, source="p.toml")
    assert fragment in str(info.value)


def test_a_bounded_cue_formats_short_even_for_extreme_angles():
    text = 'extends = "standing_hamstring"\n[rules.knee_flexion]\ncue = "bend {peak:>8.1f}°"\n'
    rule = parse_profile(text, source="p.toml").rule("knee_flexion")
    assert len(rule.format_cue(-1e308)) < 400


def test_profile_files_follow_the_input_policy(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('extends = "standing_hamstring"\n', encoding="utf-8")
    assert read_profile_text(good).startswith("extends")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (PROFILE_MAX_BYTES + 1))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    for path, words in ((fifo, "named pipe"), (big, "too large"), (latin, "not a UTF-8")):
        with pytest.raises(ConfigError, match=words):
            read_profile_text(path)
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_profile("a = " + "[" * 50_000 + "]" * 50_000, source="deep.toml")
