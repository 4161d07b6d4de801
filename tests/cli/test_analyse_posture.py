"""``analyse`` notices a posture that contradicts the exercise profile (docs/envelope.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.simulation import DEFAULT_SENSORS, SimulationConfig, simulate
from cli.main import main
from sensors.formats.canonical import write_recording


@pytest.fixture(scope="module")
def supine_bare(tmp_path_factory) -> Path:
    """A lying recording without a sidecar: no exercise named."""
    folder = tmp_path_factory.mktemp("posture")
    sim = simulate("supine_correct", config=SimulationConfig(sensors=DEFAULT_SENSORS, seed=7))
    return write_recording(folder / "supine.csv.gz", sim.samples)


def _envelope(out: Path) -> dict:
    return json.loads((out / "envelope.json").read_text(encoding="utf-8"))


def test_a_lying_recording_without_an_exercise_is_judged_as_the_lying_stretch(
    supine_bare, tmp_path, capsys
):
    out = tmp_path / "r"
    main(["analyse", str(supine_bare), "--out", str(out)])
    doc = _envelope(out)
    assert doc["profile"] == "supine_hamstring"
    assert doc["posture"]["seen"] == "lying"
    assert doc["posture"]["switched_from"] == "standing_hamstring"
    text = capsys.readouterr()
    assert "judged as supine_hamstring instead of the default" in text.out
    assert "judged as supine_hamstring" in (out / "report.html").read_text(encoding="utf-8")


def test_a_lying_recording_judged_as_standing_gets_no_confident_verdict(
    supine_bare, tmp_path, capsys
):
    out = tmp_path / "r"
    main(["analyse", str(supine_bare), "--out", str(out), "--exercise", "standing_hamstring"])
    doc = _envelope(out)
    assert doc["profile"] == "standing_hamstring"
    assert doc["posture"]["matches"] is False
    assert doc["posture"]["suggest"][0] == "supine_hamstring"
    judged = [r for r in doc["rules"] if r["status"] not in ("not_measured",)]
    assert judged
    assert all(r["status"] == "uncertain" for r in judged)
    assert doc["verdict"] != "outside"
    said = capsys.readouterr().out
    assert "Posture does not match the exercise" in said
    assert "--exercise supine_hamstring" in said
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Posture does not match the exercise" in html
