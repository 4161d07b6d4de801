"""One sensor drops out during a live session, through the whole BLE path: virtual sensors →
bleak/bumble → session → recorder and LiveAngles (causal pipeline + envelope monitor).

The foot sensor ends its connection during a locked-knee hold and stays away for 12 s. While
it is out the knee and hip keep updating and the knee's cue is still given; the ankle is a
gap on the screen (which sensor, since when) and its rule is not judged; when the foot is
back the ankle resumes with the same calibration; the recording keeps every sample and the
gap. No timing is asserted tighter than the dropout itself (12 s) allows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.angles.live import OUT_AFTER_S, Outage
from analysis.envelope.profiles import load_builtin_profile
from cli.live_angles import LiveAngles, judge_outages, outage_words
from cli.live_feed import STATE_WORDS, SessionTally, display_state, snapshot, worst
from sensors.formats.canonical import read_recording
from sensors.virtual.scenario import record_virtual_session
from sensors.virtual.sensor import Faults
from tests.analysis.builders import monitor_state

DROP_AT_S = 42.0  # scenario seconds: the hold has started, the knee locks at 46 s
AWAY_S = 12.0


@pytest.mark.slow
async def test_the_foot_out_leaves_the_knee_and_hip_live(tmp_path: Path):
    ticks = []  # what the screen had at every tick
    cues: list[tuple[float, str, tuple[str, ...]]] = []
    holder: dict[str, object] = {}

    def observe(session, protocol):
        def on_cue(cue: str) -> None:
            out = tuple(o.placement for o in angles.outages)
            cues.append((session.now_s(), cue, out))

        angles = LiveAngles(
            tuple(a.placement for a in session.config.sensors),
            rate_hz=lambda: max((s.rate_hz or 0.0) for s in session.status()) or None,
            profile=load_builtin_profile("standing_hamstring"),
            side="right",
            protocol=protocol,
            on_cue=on_cue,
        )
        session.add_sink(angles)
        holder.update(angles=angles, session=session, protocol=protocol)

        def tick() -> None:
            angles.tick(session.now_s())
            st = angles.state
            ticks.append(
                {
                    "now": session.now_s(),
                    "angles_t_s": angles.angles_t_s,
                    "latest": dict(angles.latest),
                    "outages": angles.outages,
                    "rules": {r.rule: r for r in st.rules} if st is not None else {},
                    "calibration": angles.pipeline.calibration if angles.pipeline else None,
                }
            )

        return tick

    result = await record_virtual_session(
        tmp_path / "live.csv",
        "standing_knee_locked",
        duration_s=DROP_AT_S + AWAY_S + 12.0,
        speed=2.0,
        faults={"right_foot": Faults(drop_at_s=(DROP_AT_S,), offline_s=AWAY_S)},
        observe=observe,
    )
    angles = holder["angles"]
    assert isinstance(angles, LiveAngles)
    out = [x for x in ticks if [o.placement for o in x["outages"]] == ["right_foot"]]
    assert len(out) > 10
    since = out[0]["outages"][0].since_s
    assert all(x["outages"][0].since_s == since for x in out)
    assert all(not x["outages"][0].lost for x in out)
    # the foot's last sample before the drop, as recorded
    rec = read_recording(result.recording.csv_path)
    foot = rec.stream("right_foot").t_s
    assert np.abs(foot - since).min() < 1e-5  # (the CSV keeps microseconds)
    after = foot[foot > since + 1e-5]
    assert after.size > 0  # it came back
    assert after[0] - since > AWAY_S / 2  # (a dropout, not jitter)

    # while the foot is out the knee and hip go on, seconds past its last sample
    newest = max(x["angles_t_s"] for x in out)
    assert newest > since + OUT_AFTER_S + 3.0
    for x in out:
        assert "right_ankle_dorsiflexion_deg" not in x["latest"]
    late = [x for x in out if x["angles_t_s"] > since + OUT_AFTER_S + 0.5]
    assert late
    for x in late:
        assert "right_knee_flexion_deg" in x["latest"]
        assert "right_hip_flexion_deg" in x["latest"]
        ankle = x["rules"].get("ankle_dorsiflexion")
        if ankle is not None:  # not judged: never inside, never outside
            assert ankle.status == "sensor_out"
            assert "right foot sensor out since" in (ankle.reason or "")
        knee = x["rules"].get("knee_flexion")
        assert knee is not None
        assert knee.status != "sensor_out"
    # the knee's cue is given while the foot is out (the knee locks at 46 s)
    assert [c for c in cues if c[2] == ("right_foot",) and c[1].startswith("knee")]

    # back: the ankle resumes with the same calibration (none was redone)
    back = [x for x in ticks if x["now"] > out[-1]["now"]]
    assert back
    assert back[-1]["outages"] == ()
    assert "right_ankle_dorsiflexion_deg" in back[-1]["latest"]
    assert back[-1]["calibration"] is out[0]["calibration"] is not None

    # the page's snapshot says the same
    session, protocol = holder["session"], holder["protocol"]
    snap = snapshot(session, protocol, angles, SessionTally(), seq=1, out=tmp_path / "x.csv")
    assert snap["outages"] == []

    # the recording lost nothing and records the gap
    gaps = [g for g in rec.meta.gaps if g.sensor == "right_foot"]
    assert len(gaps) == 1
    assert gaps[0].start_s <= after[0]
    assert gaps[0].end_s >= since
    assert not np.any((foot > gaps[0].start_s) & (foot < gaps[0].end_s))


def _state(ankle: str, knee: str):
    from analysis.envelope.monitor import RuleNow

    def rule(name: str, status: str, angle: float) -> RuleNow:
        cue = f"{name} cue" if status == "outside" else None
        return RuleNow(rule=name, status=status, angle_deg=angle, advisory=False, cue=cue)

    rules = (rule("ankle_dorsiflexion", ankle, 8.0), rule("knee_flexion", knee, 2.0))
    return monitor_state(
        outside="outside" in (ankle, knee),
        rules=rules,
        new_cues=tuple(r.cue for r in rules if r.cue),
    )


FOOT_OUT = (
    Outage(
        placement="right_foot",
        since_s=42.25,
        lost=False,
        columns=("right_ankle_dorsiflexion_deg",),
    ),
)
COLUMNS = ("right_ankle_dorsiflexion_deg", "right_knee_flexion_deg", "right_hip_flexion_deg")


def test_a_rule_without_data_is_not_judged_and_the_others_are():
    st = judge_outages(_state("ok", "outside"), FOOT_OUT, side="right", available=COLUMNS)
    ankle, knee = st.rules
    assert ankle.status == "sensor_out"  # not "ok" (inside)
    assert ankle.angle_deg is None
    assert ankle.reason == "right foot sensor out since 42.2 s"
    assert (knee.status, knee.cue) == ("outside", "knee_flexion cue")
    assert st.outside
    assert st.new_cues == ("knee_flexion cue",)
    # an ankle outside when the foot went out is not outside any more, nor cued
    st = judge_outages(_state("outside", "ok"), FOOT_OUT, side="right", available=COLUMNS)
    assert [r.status for r in st.rules] == ["sensor_out", "ok"]
    assert not st.outside
    assert st.new_cues == ()
    # nothing out: the state as the monitor gave it
    same = _state("ok", "ok")
    assert judge_outages(same, (), side="right", available=COLUMNS) is same


def test_the_shown_state_of_a_rule_without_data():
    assert display_state("sensor_out", None, None) == "sensor_out"
    assert STATE_WORDS["sensor_out"] == "sensor out"
    assert worst(["inside", "sensor_out", "uncertain"]) == "sensor_out"
    assert worst(["outside", "sensor_out"]) == "outside"
    lost = Outage(placement="pelvis", since_s=3.0, lost=True, columns=())
    assert "restart the session" in outage_words(lost)


def test_the_page_lists_the_sensors_out():
    from types import SimpleNamespace

    from cli.live_feed import _outages

    angles = SimpleNamespace(outages=FOOT_OUT)
    assert _outages(angles, 10.0) == [
        {
            "placement": "right_foot",
            "since_t_s": 32.25,
            "lost": False,
            "angles": ["right_ankle_dorsiflexion_deg"],
            "frozen": False,  # silent, not repeating one sample (round 16's field)
        }
    ]
    assert _outages(SimpleNamespace(), 0.0) == []
