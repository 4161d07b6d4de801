"""``stretchguard analyse`` says what it did not check, in envelope.json and on the terminal."""

from __future__ import annotations

import json

from analysis.simulation import DEFAULT_SENSORS, SimulationConfig, simulate
from cli.main import EXIT_OK, main
from sensors.formats.canonical import write_recording

SENTENCE = (
    "Not checked: rounding the back (needs a sensor on the upper back), "
    "looking down (needs a sensor on the head)."
)


def test_default_sensors_name_what_was_not_checked(tmp_path, capsys):
    sim = simulate("standing_correct", config=SimulationConfig(sensors=DEFAULT_SENSORS, seed=8))
    rec = write_recording(tmp_path / "s.csv.gz", sim.samples, sim.meta)
    out = tmp_path / "out"
    assert main(["analyse", str(rec), "--out", str(out)]) == EXIT_OK
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == "inside"
    assert doc["verdict_complete"] is False
    assert doc["not_checked"] == [
        {
            "rule": "lumbar_flexion",
            "what": "rounding the back",
            "needs": ["trunk"],
            "needs_text": "needs a sensor on the upper back",
            "advisory": False,
        },
        {
            "rule": "neck_flexion",
            "what": "looking down",
            "needs": ["head"],
            "needs_text": "needs a sensor on the head",
            "advisory": False,
        },
    ]
    text = capsys.readouterr()
    assert SENTENCE in text.out + text.err
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Stayed inside for what was measured" in page
