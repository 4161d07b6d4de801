"""One chain for offline and live: the live pipeline equals the offline one run causally.

In the spirit of VQF's own test that a filter fed in chunks equals one fed the whole batch:
the live pipeline fed a recording in chunks gives the angles of ``analyse_recording`` run on
the same recording with the offline-only steps switched off (acausal VQF, accelerometer bias
from still poses, stand anchors, centred hinge window) and calibrated from the same data (the
grid up to the moment the live session calibrated), the live pipeline's own stand anchors
off too (they are causal, the offline ones are not; tests/analysis/test_live_anchors.py).
And the size of the chunks does not change the live output.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.chain import (
    CausalHinges,
    add_hinge_turns,
    apply_turns,
    debiased_gyro,
    gyro_bias,
    isb_angles,
    stored_orientation,
)
from analysis.angles.live import LiveAnglePipeline
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.errors import CalibrationError
from analysis.recording.schema import ANGLE_COLUMNS
from analysis.recording.streams import Recording, streams_from_samples
from analysis.simulation import ImuErrorModel, SimulationConfig, simulate
from tests.analysis.builders import feed_live

SENSORS = ("pelvis", "trunk", "right_thigh", "right_shank", "right_foot", "left_thigh")
HINGE_TAU_S = 10.0
TOLERANCE_DEG = 1e-6
"""Live minus offline-causal, any angle, any grid point: the two run the same code on the same
numbers, so only floating-point evaluation order could separate them (float32 columns)."""


def _recording(sim) -> Recording:
    """The simulated session as a Recording: the one place this module builds one."""
    return Recording(streams=streams_from_samples(sim.samples), meta=sim.meta)


def _streams(rec: Recording):
    """Per-sensor samples of a recording, to feed the live pipeline."""
    return rec.streams


@pytest.fixture(scope="module")
def sim():
    # the default error model: gyroscope offsets, noise, soft tissue; both legs' thighs, one
    # full leg (knee and ankle hinges), trunk (lumbar)
    cfg = SimulationConfig(seed=11, sensors=SENSORS, errors=ImuErrorModel())
    return simulate("standing_dorsiflexion", config=cfg)


def _feed_live(
    sim, *, rate_hz: float, t0_s: float, tick_s: float, calibrate_at_s: float, watch=None
):
    """Angles of the live pipeline fed in ``tick_s`` chunks; calibrated once the data up to
    ``calibrate_at_s`` are in (a chunk boundary whatever ``tick_s``). ``watch(now, live,
    out)`` sees every step."""
    streams = _streams(_recording(sim))
    live = LiveAnglePipeline(
        streams,
        rate_hz=rate_hz,
        t0_s=t0_s,
        hinge_tau_s=HINGE_TAU_S,
        stand_anchors=False,
        acc_from_poses=False,
    )
    end = max(s.t_s[-1] for s in streams.values())
    edges = np.union1d(np.arange(t0_s, end + tick_s, tick_s), [calibrate_at_s])
    pos = dict.fromkeys(streams, 0)
    parts, history_end = [], None
    for now in edges:
        feed_live(live, streams, pos, now)
        out = live.step()
        if watch is not None:
            watch(float(now), live, out)
        if out is not None and out.columns:
            parts.append(out)
        elif out is not None:
            history_end = float(out.t_s[-1])
        if not live.calibrated and now >= calibrate_at_s:
            live.calibrate(sim.meta.calibration)
    t = np.concatenate([o.t_s for o in parts])
    cols = {c: np.concatenate([o.columns[c] for o in parts]) for c in parts[0].columns}
    return t, cols, live.calibration, history_end


def _causal(history_end: float | None) -> PipelineOptions:
    """The offline pipeline with its offline-only steps off, calibrated as live was."""
    return PipelineOptions(
        offline_orientation=False,
        acc_bias_from_poses=False,
        stand_anchors=False,
        hinge_tau_s=HINGE_TAU_S,
        calibration_until_s=history_end,
    )


@pytest.fixture(scope="module")
def runs(sim):
    rec = _recording(sim)
    streams = _streams(rec)
    t0 = min(float(s.t_s[0]) for s in streams.values())
    first = analyse_recording(rec)  # only for the session's rate: the grid both must share
    cal_at = sim.meta.calibration.functional_s[1] + 0.5
    live = {
        tick: _feed_live(sim, rate_hz=first.rate_hz, t0_s=t0, tick_s=tick, calibrate_at_s=cal_at)
        for tick in (0.05, 0.137, 1.0)
    }
    _t, _cols, _cal, history_end = live[0.05]
    offline = analyse_recording(rec, options=_causal(history_end))
    return live, offline


def test_live_equals_the_offline_pipeline_run_causally(runs):
    live, offline = runs
    t, cols, cal, _ = live[0.05]
    for p, seg in offline.calibration.segments.items():
        np.testing.assert_array_equal(seg.q_S_B, cal.segments[p].q_S_B, err_msg=p)
    t_off = offline.angles["t_s"].to_numpy()
    common, i_live, i_off = np.intersect1d(np.round(t, 9), np.round(t_off, 9), return_indices=True)
    assert common.size > 0.95 * t.size  # the live output covers the session after calibrating
    assert set(cols) == set(offline.angles.columns[1:])
    for c, v in cols.items():
        ref = offline.angles[c].to_numpy()[i_off]
        assert np.isfinite(ref).all(), c
        diff = np.abs(v[i_live] - ref)
        assert diff.max() <= TOLERANCE_DEG, (c, float(diff.max()))


def test_chunk_size_does_not_change_the_live_output(runs):
    live, _offline = runs
    t_ref, ref, _, _ = live[0.05]
    for tick in (0.137, 1.0):
        t, cols, _, _ = live[tick]
        np.testing.assert_array_equal(t, t_ref)
        for c in ref:
            np.testing.assert_allclose(cols[c], ref[c], rtol=0, atol=1e-9, err_msg=f"{tick} {c}")


def test_the_causal_offline_options_change_the_angles(sim, runs):
    # the options do switch steps: the default (acausal) chain differs from the causal one
    _live, offline = runs
    default = analyse_recording(_recording(sim))
    a = default.angles["right_knee_flexion_deg"].to_numpy()
    b = offline.angles["right_knee_flexion_deg"].to_numpy()
    assert np.nanmax(np.abs(a - b)) > 0.01


def test_gyro_bias_step_is_the_stand_mean_or_zero():
    t = np.arange(200) / 100.0
    gyr = np.tile([0.01, -0.02, 0.03], (200, 1))
    gyr[100:] += 1.0  # moving after the stand
    u = UniformStream(
        placement="pelvis", acc_m_s2=np.zeros((200, 3)), gyr_rad_s=gyr, valid=np.ones(200, bool)
    )
    session = UniformSession(t_s=t, rate_hz=100.0, streams={"pelvis": u}, gaps=())
    np.testing.assert_allclose(gyro_bias(session, (0.0, 1.0))["pelvis"], [0.01, -0.02, 0.03])
    assert not gyro_bias(session, (0.0, 1.0), enabled=False)["pelvis"].any()
    out = debiased_gyro(gyr.astype(np.float32), np.array([0.01, -0.02, 0.03]))
    assert out.dtype == np.float64
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out[:100], 0.0, atol=1e-7)


def test_stored_orientation_rounds_to_float32():
    q = np.array([[1.0, 1e-9, 0.0, 0.0]])
    out = stored_orientation(q)
    assert out.dtype == np.float64
    assert out[0, 1] == np.float32(1e-9)


def _standing(yaw_rad):
    """Upright segments (y along earth z, flexion axis z horizontal) heading ``yaw_rad``."""
    upright = rot.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2)
    return rot.multiply(rot.from_axis_angle([0.0, 0.0, 1.0], yaw_rad), upright)


def _z_azimuth(q):
    z = rot.frame_axis(q, 2)
    return np.arctan2(z[:, 1], z[:, 0])


def test_hinge_turns_are_carried_distally_and_chunk_invariant():
    rng = np.random.default_rng(0)
    placements = ("right_thigh", "right_shank", "right_foot")
    n = 300
    q_B = {p: _standing(rng.uniform(-np.pi, np.pi) + 0.001 * np.arange(n)) for p in placements}

    def run(chunk):
        hinges = CausalHinges(placements, rate_hz=100.0, tau_s=0.2)
        out = {p: [] for p in placements}
        for a in range(0, n, chunk):
            part = {p: v[a : a + chunk] for p, v in q_B.items()}
            turns = dict.fromkeys(placements, 0.0)
            add_hinge_turns(placements, turns, hinges.estimator(part))
            for p, q in apply_turns(part, turns).items():
                out[p].append(q)
        return {p: np.concatenate(v) for p, v in out.items()}

    whole, chunked = run(n), run(7)
    for p in placements:
        np.testing.assert_allclose(chunked[p], whole[p], atol=1e-12)
    # once the trackers settle every flexion axis points the thigh's way (the hinge constraint)
    az = {p: _z_azimuth(whole[p][-50:]) for p in placements}
    for p in ("right_shank", "right_foot"):
        assert np.abs(np.angle(np.exp(1j * (az[p] - az["right_thigh"])))).max() < 0.01, p
    start = {p: _z_azimuth(whole[p][:1]) for p in placements}  # not yet at the first sample
    assert np.abs(np.angle(np.exp(1j * (start["right_shank"] - start["right_thigh"])))) > 0.1


def test_isb_angles_are_in_the_csv_order():
    q = np.tile([1.0, 0.0, 0.0, 0.0], (3, 1))
    ja = isb_angles({"pelvis": q, "right_thigh": q, "right_shank": q})
    assert list(ja.columns) == [c for c in ANGLE_COLUMNS if c in ja.columns]
    assert ja.absent["right_ankle_dorsiflexion_deg"] == "needs a right_foot sensor"


def test_calibration_until_s_limits_what_the_calibration_sees(sim):
    # a live session that calibrated one second into the movements could not have: neither
    # can the offline pipeline asked to calibrate from the same data
    rec = _recording(sim)
    early = sim.meta.calibration.functional_s[0] + 1.0
    with pytest.raises(CalibrationError, match="functional window"):
        analyse_recording(rec, options=PipelineOptions(calibration_until_s=early))


@pytest.fixture(scope="module")
def dropped(sim):
    """The session with two dropouts of the right shank: one inside the calibration
    movements, one after it (1.5 s each, far past the grid's 0.25 s)."""
    from types import SimpleNamespace

    func = sim.meta.calibration.functional_s
    cuts = ((func[0] + 1.0, func[0] + 2.5), (func[1] + 8.0, func[1] + 9.5))
    s = sim.samples
    t = s["t_s"].to_numpy()
    gone = np.zeros(len(s), dtype=bool)
    for a, b in cuts:
        gone |= (s["sensor"].to_numpy() == "right_shank") & (t >= a) & (t < b)
    return SimpleNamespace(samples=s[~gone].reset_index(drop=True), meta=sim.meta), cuts


def test_a_dropout_gives_no_angles_live_as_offline(dropped):
    sim_cut, cuts = dropped
    rec = _recording(sim_cut)
    t0 = min(float(s.t_s[0]) for s in rec.streams.values())
    rate = analyse_recording(rec).rate_hz
    cal_at = sim_cut.meta.calibration.functional_s[1] + 0.5
    t, cols, cal, history_end = _feed_live(
        sim_cut, rate_hz=rate, t0_s=t0, tick_s=0.137, calibrate_at_s=cal_at
    )
    offline = analyse_recording(rec, options=_causal(history_end))
    for p, seg in offline.calibration.segments.items():
        np.testing.assert_array_equal(seg.q_S_B, cal.segments[p].q_S_B, err_msg=p)
    t_off = offline.angles["t_s"].to_numpy()
    _c, i_live, i_off = np.intersect1d(np.round(t, 9), np.round(t_off, 9), return_indices=True)
    a, b = cuts[1]
    inside = (t[i_live] > a + 0.05) & (t[i_live] < b - 0.05)
    assert inside.sum() > 100
    for c in ("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg"):
        v, ref = cols[c][i_live], offline.angles[c].to_numpy()[i_off]
        assert np.isnan(v[inside]).all(), c  # nothing drawn across the dropout
        np.testing.assert_array_equal(np.isnan(v), np.isnan(ref), err_msg=c)
        ok = ~np.isnan(ref)
        assert np.abs(v[ok] - ref[ok]).max() <= TOLERANCE_DEG, c
    # the angles that do not need the shank go on
    assert np.isfinite(cols["right_hip_flexion_deg"][i_live][inside]).all()


def test_a_frozen_sensor_gives_no_angles_live_as_offline(sim):
    """The right shank repeating one sample for 1.5 s after the calibration: the live pipeline
    drops the repeats as offline does (``timebase.FrozenWatch`` / ``without_frozen``), so its
    angles are NaN there and equal offline's everywhere, fed in chunks that cut the run."""
    from types import SimpleNamespace

    func_end = sim.meta.calibration.functional_s[1]
    a, b = func_end + 8.0, func_end + 9.5
    s = sim.samples.copy()
    t = s["t_s"].to_numpy()
    shank = s["sensor"].to_numpy() == "right_shank"
    rows = np.flatnonzero(shank & (t >= a) & (t < b))
    cols = [c for c in s.columns if c.startswith(("acc_", "gyr_"))]
    s.loc[rows[1:], cols] = s.loc[rows[0], cols].to_numpy()
    frozen = SimpleNamespace(samples=s, meta=sim.meta)
    rec = _recording(frozen)
    t0 = min(float(x.t_s[0]) for x in rec.streams.values())
    rate = analyse_recording(rec).rate_hz
    cal_at = sim.meta.calibration.functional_s[1] + 0.5
    outs = []
    t_live, cols_live, _cal, history_end = _feed_live(
        frozen,
        rate_hz=rate,
        t0_s=t0,
        tick_s=0.137,
        calibrate_at_s=cal_at,
        watch=lambda now, live, _out: outs.append((now, live.outages())),
    )
    offline = analyse_recording(rec, options=_causal(history_end))
    assert [g.reason for g in offline.gaps if g.sensor == "right_shank"] == ["frozen"]
    t_off = offline.angles["t_s"].to_numpy()
    _c, i_live, i_off = np.intersect1d(np.round(t_live, 9), np.round(t_off, 9), return_indices=True)
    inside = (t_live[i_live] > a + 0.05) & (t_live[i_live] < b - 0.05)
    assert inside.sum() > 100
    for c in ("right_knee_flexion_deg", "right_ankle_dorsiflexion_deg"):
        v, ref = cols_live[c][i_live], offline.angles[c].to_numpy()[i_off]
        assert np.isnan(v[inside]).all(), c  # nothing built on the frozen sample
        np.testing.assert_array_equal(np.isnan(v), np.isnan(ref), err_msg=c)
        ok = ~np.isnan(ref)
        assert np.abs(v[ok] - ref[ok]).max() <= TOLERANCE_DEG, c
    assert np.isfinite(cols_live["right_hip_flexion_deg"][i_live][inside]).all()
    said = [(now, o) for now, found in outs for o in found if o.placement == "right_shank"]
    assert said
    assert all(o.frozen for _now, o in said)
    assert a + 1.0 <= said[0][0] <= a + 1.0 + 0.3  # from a second of repeats on


# -- one sensor out: the others go on, the catch-up equals offline ------------------------------

GAP_COLUMNS = {
    "right_foot": {"right_ankle_dorsiflexion_deg"},
    "right_thigh": {
        "right_hip_flexion_deg",
        "right_hip_adduction_deg",
        "right_hip_internal_rotation_deg",
        "right_knee_flexion_deg",
    },
    "pelvis": {
        "right_hip_flexion_deg",
        "right_hip_adduction_deg",
        "right_hip_internal_rotation_deg",
        "left_hip_flexion_deg",
        "left_hip_adduction_deg",
        "left_hip_internal_rotation_deg",
        "pelvis_anterior_tilt_deg",
        "lumbar_flexion_deg",
    },
}


PROVISIONAL = {"right_thigh": {"right_ankle_dorsiflexion_deg"}}
"""Angles whose heading live carries with a correction held while a sensor is out: the shank's
and foot's headings come from the thigh through the knee hinge; with the thigh out the knee's
last correction turns both alike, which leaves the ankle unchanged but for the float32 sums of
the turns (offline interpolates the thigh across the dropout instead)."""
PROVISIONAL_TOLERANCE_DEG = 1e-5
"""Live minus offline-causal over those rows: float32 heading sums (about 2e-7 rad each) and
float32 angles (measured: 1.9e-6°)."""


def _cut(sim, placement: str, a: float, b: float):
    """``sim`` without the samples of ``placement`` in ``[a, b)``."""
    from types import SimpleNamespace

    s = sim.samples
    t = s["t_s"].to_numpy()
    gone = (s["sensor"].to_numpy() == placement) & (t >= a) & (t < b)
    return SimpleNamespace(samples=s[~gone].reset_index(drop=True), meta=sim.meta)


@pytest.mark.parametrize("placement", sorted(GAP_COLUMNS))
def test_one_sensor_out_the_others_go_on_and_resume_as_offline(sim, placement):
    from analysis.angles.live import OUT_AFTER_S

    func_end = sim.meta.calibration.functional_s[1]
    a, b = func_end + 10.0, func_end + 14.0
    cut = _cut(sim, placement, a, b)
    rec = _recording(cut)
    last_before = float(rec.streams[placement].t_s[rec.streams[placement].t_s < a][-1])
    t0 = min(float(s.t_s[0]) for s in rec.streams.values())
    rate = analyse_recording(rec).rate_hz
    seen = []  # (now, newest angle row, outages) at every step

    def watch(now, live, out):
        newest = float(out.t_s[-1]) if out is not None and out.columns else None
        seen.append((now, newest, live.outages()))

    tick = 0.137
    t, cols, cal, history_end = _feed_live(
        cut, rate_hz=rate, t0_s=t0, tick_s=tick, calibrate_at_s=func_end + 0.5, watch=watch
    )
    # while the sensor is out the grid goes on with the others, in step with the data
    during = [x for x in seen if a + OUT_AFTER_S + 2 * tick <= x[0] < b]
    assert len(during) > 15
    for now, newest, outages in during:
        assert newest is not None
        assert now - newest < 0.05, (now, newest)
        assert [o.placement for o in outages] == [placement]
        assert outages[0].since_s == last_before
        assert not outages[0].lost
        assert set(outages[0].columns) == GAP_COLUMNS[placement]
    assert seen[-1][2] == ()  # back: no outage any more
    inside = (t > a + 0.05) & (t < b - 0.05)
    for c, v in cols.items():
        if c in GAP_COLUMNS[placement]:
            assert np.isnan(v[inside]).all(), c  # a gap, never drawn across
            assert np.isfinite(v[t > b + 0.05]).all(), c  # resumed without a recalibration
        else:
            assert np.isfinite(v[inside]).all(), c
    # and over every grid point the live angles are the offline pipeline's run causally
    offline = analyse_recording(rec, options=_causal(history_end))
    for p, seg in offline.calibration.segments.items():
        np.testing.assert_array_equal(seg.q_S_B, cal.segments[p].q_S_B, err_msg=p)
    t_off = offline.angles["t_s"].to_numpy()
    _c, i_live, i_off = np.intersect1d(np.round(t, 9), np.round(t_off, 9), return_indices=True)
    assert i_live.size == t.size
    t_common = t[i_live]
    for c, v in cols.items():
        v, ref = v[i_live], offline.angles[c].to_numpy()[i_off]
        np.testing.assert_array_equal(np.isnan(v), np.isnan(ref), err_msg=c)
        diff = np.abs(v - ref)
        held = (t_common > last_before) & (t_common < b)
        if c in PROVISIONAL.get(placement, ()):
            assert np.nanmax(diff[held]) <= PROVISIONAL_TOLERANCE_DEG, c
            diff = diff[~held]
        assert np.nanmax(diff) <= TOLERANCE_DEG, c


LOST = {
    # sensor: (angles without data once it is lost, angles that go on)
    "right_foot": ({"right_ankle_dorsiflexion_deg"}, {"right_knee_flexion_deg"}),
    "right_thigh": (
        {"right_knee_flexion_deg", "right_hip_flexion_deg"},
        {"right_ankle_dorsiflexion_deg", "left_hip_flexion_deg"},
    ),
}


@pytest.mark.parametrize("placement", sorted(LOST))
def test_a_sensor_that_stays_away_is_lost_and_memory_stays_bounded(sim, monkeypatch, placement):
    from analysis.angles import live as live_module

    hold_s = 3.0
    monkeypatch.setattr(live_module, "HOLD_S", hold_s)
    func_end = sim.meta.calibration.functional_s[1]
    a, b = func_end + 10.0, func_end + 30.0  # away far longer than HOLD_S
    cut = _cut(sim, placement, a, b)
    rec = _recording(cut)
    t0 = min(float(s.t_s[0]) for s in rec.streams.values())
    rate = analyse_recording(rec).rate_hz
    seen = []

    def watch(now, live, out):
        seen.append((now, live.held_rows(), live.outages()))

    t, cols, _cal, _h = _feed_live(
        cut, rate_hz=rate, t0_s=t0, tick_s=0.137, calibrate_at_s=func_end + 0.5, watch=watch
    )
    held = np.array([h for now, h, _o in seen if now > func_end + 1.0])
    # its knee/ankle partners' rows (and the knee's corrections), held for the catch-up
    bound = 2 * (hold_s + live_module.OUT_AFTER_S + 0.5) * rate + 100
    assert held.max() <= bound
    assert held.max() > 2 * hold_s * rate * 0.8  # it did hold them while it could catch up
    late = [h for now, h, _o in seen if a + hold_s + 2.0 < now < b]
    assert max(late) < 200  # lost: nothing held for it any more
    outages = seen[-1][2]
    assert [(o.placement, o.lost) for o in outages] == [(placement, True)]
    gone, going_on = LOST[placement]
    after = t > b + 1.0
    for c in gone:
        assert np.isnan(cols[c][after]).all(), c  # back only with a new calibration
    for c in going_on:
        assert np.isfinite(cols[c][(t > a + 2.0) & (t < b)]).all(), c
        assert np.isfinite(cols[c][after]).all(), c


def test_grid_rows_fill_what_is_not_held():
    from analysis.angles.live import GridRows

    rows = GridRows(10, (2,))
    rows.append(np.arange(6.0).reshape(3, 2))  # rows 10, 11, 12
    np.testing.assert_array_equal(
        rows.get(9, 14, np.nan), [[np.nan] * 2, [0, 1], [2, 3], [4, 5], [np.nan] * 2]
    )
    rows.trim(12)
    assert (rows.start, rows.end, len(rows)) == (12, 13, 1)
    np.testing.assert_array_equal(rows.get(11, 13, -1.0), [[-1, -1], [4, 5]])
    rows.trim(99)  # never past what was appended: the next rows still follow on
    rows.append(np.ones((1, 2)))
    assert (rows.start, rows.end) == (13, 14)
