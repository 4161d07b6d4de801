"""``stretchguard analyse`` and ``stretchguard demo`` end to end, on simulated recordings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import RecordingFormatError
from analysis.recording.schema import ANGLE_COLUMNS, RULE_NAMES
from analysis.simulation import DEFAULT_SENSORS, SimulationConfig, simulate
from cli.cmd_demo import DEFAULT_STEM, free_folder
from cli.common import DEMO_SESSION, fixture_path
from cli.main import EXIT_CONFIG, EXIT_DATA, EXIT_OK, EXIT_VIOLATION, main
from sensors.formats.canonical import write_recording

SENSORS = (*DEFAULT_SENSORS, "trunk")


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, Path]:
    """Canonical recordings (with sidecars) of a few scenarios, written once."""
    folder = tmp_path_factory.mktemp("recordings")
    out = {}
    for name in ("standing_dorsiflexion", "standing_correct"):
        sim = simulate(name, config=SimulationConfig(sensors=SENSORS, seed=3))
        out[name] = write_recording(folder / f"{name}.csv.gz", sim.samples, sim.meta)
    sim = simulate("standing_correct", config=SimulationConfig(seed=4))
    out["no_sidecar"] = write_recording(folder / "bare.csv.gz", sim.samples)
    both = (*DEFAULT_SENSORS, "left_thigh", "left_shank")
    sim = simulate("standing_correct", config=SimulationConfig(sensors=both, seed=5))
    out["both_legs_bare"] = write_recording(folder / "both.csv.gz", sim.samples)
    return out


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_analyse_writes_the_three_files(recordings, tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["analyse", str(recordings["standing_dorsiflexion"]), "--out", str(out)])
    assert code == EXIT_OK
    assert _files(out) == {"angles.csv", "envelope.json", "report.html"}
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["profile"] == "standing_hamstring"
    assert doc["verdict"] == "outside"
    assert [r["rule"] for r in doc["rules"]] == list(RULE_NAMES)
    ankle = doc["rules"][0]
    assert ankle["status"] == "violated"
    assert len(ankle["episodes"]) == 1
    assert ankle["episodes"][0]["cue"].startswith("ankle dorsiflexed")
    (mark,) = doc["markers"]
    assert mark["label"] == "tingling in the heel"
    assert mark["inside"] is False
    angles = pd.read_csv(out / "angles.csv")
    assert angles.columns[0] == "t_s"
    assert set(angles.columns[1:]) <= set(ANGLE_COLUMNS)
    assert "lumbar_flexion_deg" in angles.columns
    assert angles["t_s"].is_monotonic_increasing
    assert len(angles) > 5000
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Left the nerve-friendly envelope" in html
    panels = html.count("class='panel'")
    assert panels >= 8  # each judged angle drawn for a desktop column and for a phone
    assert html.count("<svg") == panels
    captured = capsys.readouterr()
    assert "ankle dorsiflexed" in captured.out  # the summary goes to stdout
    assert "[outside]" in captured.out
    assert "report.html" in captured.err  # messages go to stderr


def test_fail_on_violation_sets_the_exit_code(recordings, tmp_path):
    bad = main(
        [
            "analyse",
            str(recordings["standing_dorsiflexion"]),
            "--out",
            str(tmp_path / "a"),
            "--fail-on-violation",
        ]
    )
    assert bad == EXIT_VIOLATION
    good = main(
        [
            "analyse",
            str(recordings["standing_correct"]),
            "--out",
            str(tmp_path / "b"),
            "--fail-on-violation",
        ]
    )
    assert good == EXIT_OK


def test_existing_output_is_never_overwritten(recordings, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "report.html").write_text("mine", encoding="utf-8")
    code = main(["analyse", str(recordings["standing_correct"]), "--out", str(out)])
    assert code == EXIT_DATA
    assert (out / "report.html").read_text(encoding="utf-8") == "mine"
    assert _files(out) == {"report.html"}
    assert "refusing to overwrite" in capsys.readouterr().err


def test_profile_file_extends_a_builtin(recordings, tmp_path):
    prof = tmp_path / "strict.toml"
    prof.write_text(
        'extends = "standing_hamstring"\n[rules.knee_flexion]\nmin_deg = 25\nwarn_deg = 20\n',
        encoding="utf-8",
    )
    out = tmp_path / "r"
    code = main(
        ["analyse", str(recordings["standing_correct"]), "--out", str(out), "--profile", str(prof)]
    )
    assert code == EXIT_OK
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    knee = next(r for r in doc["rules"] if r["rule"] == "knee_flexion")
    assert knee["status"] == "violated"  # the scripted 18° bend is below the stricter 25°
    assert doc["verdict"] == "outside"


def test_nameless_profile_file_modifies_the_sessions_exercise(recordings, tmp_path):
    prof = tmp_path / "tweak.toml"
    prof.write_text("[hold]\ntarget_s = 60\nshort_s = 20\n", encoding="utf-8")
    out = tmp_path / "r"
    args = ["analyse", str(recordings["standing_correct"]), "--out", str(out)]
    assert main([*args, "--profile", str(prof)]) == EXIT_OK
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["profile"] == "standing_hamstring"
    assert doc["hold_target_s"] == 60
    assert doc["holds"][0]["rating"] == "under_target"


def test_bad_profile_exits_5_naming_file_and_key(recordings, tmp_path, capsys):
    prof = tmp_path / "bad.toml"
    prof.write_text(
        'extends = "standing_hamstring"\n[rules.knee_flexion]\nmin_deg = "ten"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r"
    args = ["analyse", str(recordings["standing_correct"]), "--out", str(out)]
    assert main([*args, "--profile", str(prof)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert str(prof) in err
    assert "rules.knee_flexion.min_deg" in err
    assert not out.exists()
    assert main([*args, "--profile", str(tmp_path / "missing.toml")]) == EXIT_CONFIG
    assert main([*args, "--exercise", "handstand"]) == EXIT_CONFIG


def test_exercise_option_overrides_the_sidecar(recordings, tmp_path, capsys):
    out = tmp_path / "r"
    code = main(
        [
            "analyse",
            str(recordings["standing_correct"]),
            "--out",
            str(out),
            "--exercise",
            "supine_hamstring",
        ]
    )
    assert code == EXIT_OK
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["profile"] == "supine_hamstring"
    assert doc["verdict"] == "not_engaged"  # never lying down
    assert "[not_engaged]" in capsys.readouterr().out


def test_without_sidecar_exercise_and_side_default_sensibly(recordings, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["analyse", str(recordings["no_sidecar"]), "--out", str(out)]) == EXIT_OK
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["profile"] == "standing_hamstring"
    assert doc["side"] == "right"  # the only leg with sensors
    assert "names no exercise" in capsys.readouterr().err
    both = ["analyse", str(recordings["both_legs_bare"]), "--out", str(tmp_path / "s")]
    assert main(both) == EXIT_CONFIG
    assert "--side" in capsys.readouterr().err
    assert main([*both, "--side", "right"]) == EXIT_OK


def test_malformed_recording_exits_4(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,sensor,acc_x_m_s2\n0,pelvis,1\n", encoding="utf-8")
    assert main(["analyse", str(bad), "--out", str(tmp_path / "r")]) == EXIT_DATA
    assert "bad.csv" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_help_teaches_the_protocol_and_the_exercises(capsys):
    with pytest.raises(SystemExit) as info:
        main(["analyse", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "stand still" in text
    assert "knee bends and leg swings" in text
    for name in ("standing_hamstring", "supine_hamstring", "seated_slider", "runners_active"):
        assert name in text
    assert "--fail-on-violation" in text


def test_demo_folder_names_never_collide(tmp_path):
    assert free_folder(tmp_path) == tmp_path / DEFAULT_STEM
    (tmp_path / DEFAULT_STEM).mkdir()
    (tmp_path / f"{DEFAULT_STEM}-2").mkdir()
    assert free_folder(tmp_path) == tmp_path / f"{DEFAULT_STEM}-3"


def test_demo_analyses_the_embedded_session(tmp_path, monkeypatch, capsys):
    try:
        fixture_path(DEMO_SESSION)
    except RecordingFormatError:
        pytest.skip(f"embedded demo fixture {DEMO_SESSION} not built yet")
    except ModuleNotFoundError:
        pytest.skip("package stretchguard_fixtures is not installed (pyproject packaging)")
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == EXIT_OK
    first = tmp_path / DEFAULT_STEM
    assert _files(first) == {"angles.csv", "envelope.json", "report.html"}
    assert str(first) in capsys.readouterr().out
    assert main(["demo"]) == EXIT_OK
    assert (tmp_path / f"{DEFAULT_STEM}-2" / "report.html").exists()
    doc = json.loads((first / "envelope.json").read_text(encoding="utf-8"))
    assert doc["verdict"] in ("inside", "outside")


def test_demo_writes_a_new_named_folder_each_time(recordings, tmp_path, monkeypatch, capsys):
    """The demo's own flow on a simulated session standing in for the embedded fixture."""
    monkeypatch.setattr(
        "cli.cmd_demo.fixture_path", lambda name: recordings["standing_dorsiflexion"]
    )
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    first = tmp_path / DEFAULT_STEM
    assert f"report folder: {first}" in out
    assert "ankle dorsiflexed" in out
    assert _files(first) == {"angles.csv", "envelope.json", "report.html"}
    assert main(["demo"]) == EXIT_OK
    assert (tmp_path / f"{DEFAULT_STEM}-2" / "envelope.json").exists()
    assert main(["demo", "--out", str(first)]) == EXIT_DATA  # an explicit folder is never reused


def test_calibration_windows_from_the_command_line(recordings, tmp_path, capsys):
    out = tmp_path / "r"
    args = ["analyse", str(recordings["no_sidecar"]), "--out", str(out)]
    assert main([*args, "--stand", "0.5,3.5", "--movements", "4,34"]) == EXIT_OK
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "quiet stand [0.5, 3.5)" in html
    assert "functional movements [4.0, 34.0)" in html
    for bad in ("3,1", "x,2", "1"):
        with pytest.raises(SystemExit) as info:
            main([*args, "--stand", bad])
        assert info.value.code == 2
    assert "START,END" in capsys.readouterr().err
