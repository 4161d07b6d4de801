"""``stretchguard analyse`` on sensor sets the bench did not run: what it says it did not measure.

A lone thigh sensor (``thigh`` set of the population) sees the stretch and judges no limit; the
default strapped to the resting leg (``other-leg``) judges nothing of the exercised leg and
says why; a recording that names no leg is judged on the leg with sensors, with a notice.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

from analysis.envelope.unchecked import NOTHING_JUDGED_TITLE
from analysis.recording.schema import RULE_NAMES
from analysis.recording.streams import Recording
from analysis.simulation.population import PopulationSession, generate_person, generate_session
from cli.main import EXIT_OK, main
from sensors.formats.canonical import write_recording
from stretchguard.analysing import analyse


def test_a_lone_thigh_sensor_exported_and_analysed_says_what_was_not_measured(tmp_path, capsys):
    ses = generate_session(generate_person(200), 0, None, "thigh")  # supine, right leg
    rec = write_recording(tmp_path / "thigh.csv", ses.samples, ses.meta)
    out = tmp_path / "out"
    assert main(["analyse", str(rec), "--out", str(out)]) == EXIT_OK
    text = capsys.readouterr()
    said = text.out + text.err
    assert f"verdict: {NOTHING_JUDGED_TITLE.lower()} [inside]" in said
    assert "a locked-straight knee (needs a sensor on the right shin)" in said
    assert "tucking the pelvis under (needs a sensor on the pelvis (low back))" in said
    doc = json.loads((out / "envelope.json").read_text(encoding="utf-8"))
    assert doc["verdict_complete"] is False
    assert {i["rule"] for i in doc["not_checked"]} == set(RULE_NAMES)
    header = (out / "angles.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "t_s,right_thigh_inclination_deg"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert NOTHING_JUDGED_TITLE in page


@cache
def _other_leg() -> PopulationSession:
    return generate_session(generate_person(201), 0, None, "other-leg")  # standing, right leg


def test_sensors_on_the_resting_leg_are_reported_as_such():
    ses = _other_leg()
    assert ses.side == "right"
    notices: list[str] = []
    out = analyse(ses.recording(), notice=notices.append, progress=False, workers=1)
    assert notices == []  # the sidecar names the exercised leg
    env = out.envelope
    assert env.side == "right"
    assert env.verdict == "not_engaged"
    knee = env.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "not_measured"
    assert "the leg sensors are on the left leg" in str(knee.reason)
    assert "no sensor on the exercised right leg" in str(env.engaged_reason)


def test_a_leg_taken_from_the_sensors_is_said():
    ses = _other_leg()
    rec = ses.recording()
    rec = Recording(streams=rec.streams, meta=dataclasses.replace(rec.meta, side=None))
    notices: list[str] = []
    out = analyse(rec, notice=notices.append, progress=False, workers=1)
    assert out.envelope.side == "left"  # the only leg with sensors
    assert any("names no exercised leg; judging the left leg" in n for n in notices)
    assert out.envelope.verdict == "not_engaged"  # a resting leg shows no stretch
