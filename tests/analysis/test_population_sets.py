"""Sensor sets people wear that the regular bench does not run, and what the report says of them.

The population's named sets (``analysis.simulation.population.SENSOR_SETS``) now include
partial kits (no pelvis, no foot, ankle only, one thigh sensor), the default plus the head,
both legs without the pelvis and the default strapped to the resting leg. The existing sets
keep their placements in their order (the strapping draws follow that order). A lone thigh
sensor sees the stretch and no limit: its verdict says so, and the "not checked" list does not
ask for the thigh that was worn.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.isb import joint_angles_deg
from analysis.angles.pipeline import AngleResult, PipelineOptions, analyse_recording
from analysis.envelope.checker import EnvelopeResult, check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.unchecked import (
    NOTHING_JUDGED_TITLE,
    not_checked,
    partial_verdict_title,
    unworn_leg_reasons,
)
from analysis.errors import ConfigError
from analysis.report.page import summary_text
from analysis.simulation.population import (
    SENSOR_SETS,
    PopulationSession,
    generate_person,
    generate_session,
    sensor_set,
)
from tests.bench_scripts import load_bench_script


def test_the_first_sets_keep_their_placements_in_their_order():
    assert sensor_set("default", "right") == ("pelvis", "right_thigh", "right_shank", "right_foot")
    assert sensor_set("default+trunk", "left") == (
        "pelvis",
        "trunk",
        "left_thigh",
        "left_shank",
        "left_foot",
    )
    assert sensor_set("pair", "right") == ("right_thigh", "right_shank")
    assert len(sensor_set("full", "right")) == 9


@pytest.mark.parametrize(
    ("name", "left"),
    [
        ("thigh+shank+foot", ("left_thigh", "left_shank", "left_foot")),
        ("pelvis+thigh+shank", ("pelvis", "left_thigh", "left_shank")),
        ("shank+foot", ("left_shank", "left_foot")),
        ("default+head", ("pelvis", "head", "left_thigh", "left_shank", "left_foot")),
        ("other-leg", ("pelvis", "right_thigh", "right_shank", "right_foot")),
        ("thigh", ("left_thigh",)),
    ],
)
def test_new_sets_are_placed_on_the_stretched_or_the_resting_leg(name, left):
    assert name in SENSOR_SETS
    assert sensor_set(name, "left") == left


def test_both_legs_set_has_no_pelvis_and_does_not_depend_on_the_side():
    legs = sensor_set("legs", "right")
    assert set(legs) == {f"{s}_{g}" for s in ("left", "right") for g in ("thigh", "shank", "foot")}
    assert sensor_set("legs", "left") == legs


def test_an_unknown_set_names_the_known_ones():
    with pytest.raises(ConfigError, match="other-leg"):
        sensor_set("ankle", "right")


def test_the_bench_takes_every_named_set():
    bench = load_bench_script("population", module_name="population_bench_sets")
    assert set(SENSOR_SETS) <= set(bench.SETS)
    assert bench.SETS[:3] == ("default", "full", "pair")  # the tables' order is kept
    # the argument check accepts a new set (it stops at --from-json's missing file, not --sets)
    with pytest.raises(FileNotFoundError):
        bench.main(["--sets", "thigh,other-leg", "--from-json", "/nonexistent/stretchguard.json"])
    with pytest.raises(SystemExit):
        bench.main(["--sets", "ankle"])


# --- what the verdict claims --------------------------------------------------------------------


def _rule(name: str, status: str, column: str | None, advisory: bool = False):
    return SimpleNamespace(
        rule=name, status=status, column=column, spec=SimpleNamespace(advisory=advisory)
    )


def test_a_measured_engagement_angle_counts_its_sensor_as_worn():
    rules = [
        _rule("knee_flexion", "not_measured", "right_knee_flexion_deg"),
        _rule("hip_adduction", "not_measured", "right_hip_adduction_deg", advisory=True),
    ]
    blind = not_checked(rules, side="right")
    assert blind[0].needs == ("right_thigh", "right_shank")
    seen = not_checked(rules, side="right", measured=("right_thigh_inclination_deg",))
    assert [i.needs for i in seen] == [("right_shank",), ("pelvis",)]


def test_inside_with_no_gating_rule_judged_says_no_limit_was_checked():
    items = not_checked([_rule("knee_flexion", "not_measured", None)], side="left")
    assert partial_verdict_title("inside", items, gating_judged=0) == NOTHING_JUDGED_TITLE
    assert partial_verdict_title("inside", items, gating_judged=1) == (
        "Stayed inside for what was measured"
    )
    assert partial_verdict_title("inside", items) == "Stayed inside for what was measured"
    assert partial_verdict_title("outside", items, gating_judged=0) is None
    assert partial_verdict_title("inside", (), gating_judged=2) is None


@cache
def _thigh_only() -> tuple[PopulationSession, AngleResult, EnvelopeResult]:
    ses = generate_session(generate_person(200), 0, None, "thigh")  # supine, right leg
    res = analyse_recording(ses.recording(), options=PipelineOptions(keep_orientations=False))
    env = check_envelope(
        res.angles,
        load_builtin_profile(ses.profile_name),
        side=ses.side,
        absent=res.absent,
        uncertain=res.uncertain,
    )
    return ses, res, env


def test_a_lone_thigh_sensor_reports_only_the_thigh_and_judges_no_limit():
    ses, res, env = _thigh_only()
    assert ses.sensors == (f"{ses.side}_thigh",)
    assert list(res.angles.columns) == ["t_s", f"{ses.side}_thigh_inclination_deg"]
    assert env.verdict == "inside"  # the stretch was seen (engaged by the thigh's inclination)
    assert all(r.status == "not_measured" for r in env.rules)
    text = summary_text(env, source_name="s.csv")
    assert f"verdict: {NOTHING_JUDGED_TITLE.lower()} [inside]" in text
    assert f"a sensor on the {ses.side} thigh" not in text
    assert f"a locked-straight knee (needs a sensor on the {ses.side} shin)" in text
    doc = env.to_dict()
    assert doc["verdict_complete"] is False
    assert {i["rule"]: i["needs"] for i in doc["not_checked"]}["knee_flexion"] == [
        f"{ses.side}_shank"
    ]


# --- the default strapped to the resting leg -----------------------------------------------------


def test_no_sensor_on_the_exercised_leg_is_the_reason_given():
    why = unworn_leg_reasons(("pelvis", "left_thigh", "left_shank", "left_foot"), "right")
    assert set(why) == {
        "right_hip_flexion_deg",
        "right_hip_adduction_deg",
        "right_hip_internal_rotation_deg",
        "right_knee_flexion_deg",
        "right_ankle_dorsiflexion_deg",
        "right_thigh_inclination_deg",
    }
    assert set(why.values()) == {
        "no sensor on the exercised right leg; the leg sensors are on the left leg, which is "
        "not judged"
    }
    assert unworn_leg_reasons(("pelvis", "trunk"), "left")["left_knee_flexion_deg"] == (
        "no sensor on the exercised left leg"
    )
    assert unworn_leg_reasons(("pelvis", "right_foot"), "right") == {}


def test_without_a_thigh_the_thigh_inclination_names_its_sensor():
    q = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(10.0))[None]
    ja = joint_angles_deg({"right_shank": q, "right_foot": q}, q_G_E=Q_G_E, sides=("right",))
    assert "right_ankle_dorsiflexion_deg" in ja.columns
    assert ja.absent["right_thigh_inclination_deg"] == "needs a right_thigh sensor"
    assert "left_thigh_inclination_deg" not in ja.absent  # a leg with no sensor stays silent
    with_thigh = joint_angles_deg({"right_thigh": q}, q_G_E=Q_G_E, sides=("right",))
    assert "right_thigh_inclination_deg" in with_thigh.columns
    assert "right_thigh_inclination_deg" not in with_thigh.absent
