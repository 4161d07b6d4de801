"""The terminal live screen at the default 80×24: the cue and every rule state visible, the
sensors in one line when they are fine, the right words after the stretch.

The screen is rendered by rich exactly as ``stretchguard live`` draws it (prompt, sensors,
angles panel, footer) from real :class:`~analysis.envelope.monitor.MonitorState` values; the session
and the angle pipeline are stood in by their display-facing attributes only (status, clock,
"calibrated"), since what is checked is the layout.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from analysis.envelope.monitor import MonitorState, RuleNow
from analysis.envelope.profiles import angle_column_for, load_builtin_profile
from cli.live_angles import LiveAngles
from cli.live_view import LiveView
from sensors.session.protocol import GuidedProtocol
from sensors.session.types import LinkState, SensorStatus
from tests.analysis.builders import monitor_state

PROFILE = load_builtin_profile("standing_hamstring")
CUE = "ankle dorsiflexed 12° — point your toes away"
ANGLES = {
    "ankle_dorsiflexion": 12.0,
    "knee_flexion": 16.0,
    "hip_adduction": -1.0,
    "hip_internal_rotation": 1.0,
    "pelvis_anterior_tilt": 15.0,
}


def _sensor(placement: str, *, state=LinkState.STREAMING, reconnects=0) -> SensorStatus:
    return SensorStatus(
        placement=placement,
        family="metawear",
        name="MetaWear",
        address="C0:5E:00:00:00:01",
        state=state,
        rate_hz=100.0,
        measured_rate_hz=99.8,
        samples=5000,
        last_t_s=50.0,
        reconnects=reconnects,
        gaps=reconnects,
    )


def _screen(sensors: list[SensorStatus], state: MonitorState | None, *, tally=None) -> str:
    protocol = GuidedProtocol()
    protocol.start(0.0)
    session = SimpleNamespace(now_s=lambda: 60.0, status=lambda: sensors)
    view = LiveView(session, protocol, out_name="s1.csv")
    angles = LiveAngles(
        ("pelvis", "right_thigh", "right_shank", "right_foot"),
        rate_hz=lambda: 100.0,
        profile=PROFILE,
        side="right",
        protocol=protocol,
    )
    angles.pipeline = SimpleNamespace(calibrated=True)
    angles.latest = {angle_column_for(a, "right"): v for a, v in ANGLES.items()}
    angles.state = state
    if tally is not None:
        angles.tally = tally
    view.panels.append(angles.panel)
    with Path(os.devnull).open("w") as sink:
        console = Console(width=80, height=24, record=True, file=sink)
        console.print(view.render())
    return console.export_text()


def _state(*, engaged: bool, outside: bool) -> MonitorState:
    rules = []
    for spec in PROFILE.rules:
        if spec.name == "lumbar_flexion":
            rules.append(
                RuleNow(rule=spec.name, status="not_measured", angle_deg=None, advisory=False)
            )
            continue
        broken = outside and spec.name == "ankle_dorsiflexion"
        rules.append(
            RuleNow(
                rule=spec.name,
                status="outside" if broken else ("ok" if engaged else "not_engaged"),
                angle_deg=ANGLES.get(spec.name),
                advisory=spec.advisory,
                cue=CUE if broken else None,
            )
        )
    return monitor_state(t_s=60.0, engaged=engaged, outside=outside, rules=tuple(rules))


def test_the_cue_and_every_rule_fit_80x24():
    sensors = [_sensor(p) for p in ("pelvis", "right_thigh", "right_shank", "right_foot")]
    text = _screen(sensors, _state(engaged=True, outside=True))
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= 24, text
    assert any(CUE in line for line in lines), text  # whole, on one line
    for spec in PROFILE.rules:
        assert spec.name.replace("_", " ") in text, spec.name
    assert "OUTSIDE" in text
    assert "near the edge" not in text.split("OUTSIDE")[0]
    sensor_lines = [line for line in lines if "streaming" in line]
    assert len(sensor_lines) == 1, text
    assert sensor_lines[0].startswith("sensors: all 4 streaming")
    assert "..." not in text


def test_a_sensor_in_trouble_gets_a_row_each_and_the_rules_still_fit():
    sensors = [_sensor(p) for p in ("pelvis", "right_thigh", "right_shank")]
    sensors.append(_sensor("right_foot", state=LinkState.RECONNECTING, reconnects=2))
    text = _screen(sensors, _state(engaged=True, outside=True))
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= 24, text
    assert any("right_foot" in line and "reconnecting" in line for line in lines)
    assert any(CUE in line for line in lines)
    assert "pelvis anterior tilt" in text


def test_after_the_stretch_it_says_the_stretch_ended():
    state = _state(engaged=True, outside=False)
    angles_tally = LiveAngles(
        ("pelvis",), rate_hz=lambda: 100.0, profile=PROFILE, side="right", protocol=None
    ).tally
    angles_tally.update(
        SimpleNamespace(engaged=True, hold_s=36.0, hold_target_s=30.0, rules=(), new_cues=())
    )
    angles_tally.update(_state(engaged=False, outside=False))
    text = _screen([_sensor("pelvis")], _state(engaged=False, outside=False), tally=angles_tally)
    assert "stretch ended — hold 36 s" in text
    assert "not in the stretch yet" not in text
    during = _screen([_sensor("pelvis")], state)
    assert "inside the envelope" in during


def test_a_running_hold_says_it_is_in_progress_and_fits():
    holding = dataclasses.replace(_state(engaged=True, outside=False), hold_s=12.0, hold_open=True)
    text = _screen([_sensor("pelvis")], holding)
    assert len(text.rstrip("\n").splitlines()) <= 24, text
    line = next(x for x in text.splitlines() if "hold  12.0 s / 30 s" in x)
    assert "░ in progress" in line, text
    ended = dataclasses.replace(holding, hold_open=False)
    assert "in progress" not in _screen([_sensor("pelvis")], ended)
