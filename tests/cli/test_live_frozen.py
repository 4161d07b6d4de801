"""A sensor that freezes during a live session, through the whole BLE path: virtual sensors →
bleak/bumble → session → recorder and LiveAngles (causal pipeline + envelope monitor).

The shank sensor goes on streaming during the locked-knee hold but repeats one sample for 8 s
(a stalled sensor: only its clock advances). Offline such repeats are a gap (reason
"frozen", ``timebase.without_frozen``); live they are the same gap: the screen says the
shank is frozen (which sensor, since when), the knee and ankle are not shown nor judged
while it lasts, the sidecar records the gap, and the recording analysed afterwards finds the
same interval. When the shank measures again its angles come back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.angles.live import OUT_AFTER_S, Outage
from analysis.angles.timebase import FROZEN_MIN_S, to_uniform_grid
from analysis.envelope.profiles import load_builtin_profile
from cli.live_angles import LiveAngles, outage_words
from cli.live_feed import SessionTally, snapshot
from sensors.formats.canonical import read_recording
from sensors.virtual.scenario import record_virtual_session
from sensors.virtual.sensor import Faults

FREEZE_AT_S = 42.0  # scenario seconds: the hold has started
FROZEN_S = 8.0


@pytest.mark.slow
async def test_a_frozen_shank_is_a_gap_live_as_offline(tmp_path: Path):
    ticks = []

    def observe(session, protocol):
        angles = LiveAngles(
            tuple(a.placement for a in session.config.sensors),
            rate_hz=lambda: max((s.rate_hz or 0.0) for s in session.status()) or None,
            profile=load_builtin_profile("standing_hamstring"),
            side="right",
            protocol=protocol,
        )
        session.add_sink(angles)

        def tick() -> None:
            angles.tick(session.now_s())
            st = angles.state
            page = snapshot(
                session, protocol, angles, SessionTally(), seq=1, out=tmp_path / "x.csv"
            )
            ticks.append(
                {
                    "now": session.now_s(),
                    "angles_t_s": angles.angles_t_s,
                    "latest": dict(angles.latest),
                    "outages": angles.outages,
                    "rules": {r.rule: r for r in st.rules} if st is not None else {},
                    "page": page["outages"],
                    "t0": protocol.start_s,
                }
            )

        return tick

    result = await record_virtual_session(
        tmp_path / "live.csv",
        "standing_knee_locked",
        duration_s=FREEZE_AT_S + FROZEN_S + 10.0,
        speed=2.0,
        faults={"right_shank": Faults(frozen_s=((FREEZE_AT_S, FREEZE_AT_S + FROZEN_S),))},
        observe=observe,
    )
    rec = read_recording(result.recording.csv_path)
    shank = rec.stream("right_shank")

    # the recording analysed afterwards: the repeats are one frozen gap (samples all kept)
    offline = [g for g in to_uniform_grid({"right_shank": shank}).gaps if g.reason == "frozen"]
    assert len(offline) == 1
    start_s, end_s = offline[0].start_s, offline[0].end_s
    frozen_for = end_s - start_s
    assert FROZEN_S - 0.5 < frozen_for < FROZEN_S + 0.5
    # the sidecar has the same gap, recorded live (to the µs the recording keeps)
    (live_gap,) = [g for g in rec.meta.gaps if g.reason == "frozen"]
    assert live_gap.sensor == "right_shank"
    assert abs(live_gap.start_s - start_s) < 2e-6
    assert abs(live_gap.end_s - end_s) < 2e-6

    # on the screen: the shank frozen since the repeated sample, its angles not shown
    frozen = [x for x in ticks if [o.placement for o in x["outages"]] == ["right_shank"]]
    assert len(frozen) > 5
    for x in frozen:
        (o,) = x["outages"]
        assert o.frozen
        assert abs(o.since_s - start_s) < 2e-6
        assert "right shank sensor frozen since" in outage_words(o)
        # the page's snapshot says the same (additive field ``frozen``, round 16)
        (shown,) = x["page"]
        assert shown["placement"] == "right_shank"
        assert shown["frozen"] is True
        assert shown["since_t_s"] == round(o.since_s - x["t0"], 2)
    assert "right_knee_flexion_deg" in frozen[0]["outages"][0].columns
    shown = [x for x in frozen if x["angles_t_s"] > start_s + OUT_AFTER_S + 0.5]
    assert shown  # the other sensors' angles go on while the shank is frozen
    for x in shown:
        assert "right_knee_flexion_deg" not in x["latest"]
        assert "right_ankle_dorsiflexion_deg" not in x["latest"]
        assert "right_hip_flexion_deg" in x["latest"]
        knee = x["rules"].get("knee_flexion")
        if knee is not None:  # not judged on a frozen reading
            assert knee.status == "sensor_out"
            assert "frozen" in (knee.reason or "")
    # said from about a second of repeats on, and no longer once the shank measures again
    first_said = frozen[0]["now"]
    assert start_s + FROZEN_MIN_S <= first_said < start_s + FROZEN_MIN_S + 3.0
    after = [x for x in ticks if x["now"] > end_s + 3.0]
    assert after
    assert after[-1]["outages"] == ()
    assert after[-1]["page"] == []
    assert np.isfinite(after[-1]["latest"]["right_knee_flexion_deg"])


def test_a_frozen_sensor_is_said_as_frozen_not_out():
    columns = ("right_knee_flexion_deg",)
    out = Outage(placement="right_shank", since_s=45.02, lost=False, columns=columns)
    frozen = Outage(
        placement="right_shank", since_s=45.02, lost=False, columns=columns, frozen=True
    )
    assert outage_words(out) == "right shank sensor out since 45.0 s"
    assert outage_words(frozen) == (
        "right shank sensor frozen since 45.0 s (the same sample repeated)"
    )
