"""The live calibration re-decided on the session so far (``analysis.angles.live_redecide``):
a switch gives, from its row on, exactly the angles of a live pipeline calibrated at its
data's end; before it, the calibration in force; however the samples were chunked; and
nothing changes where the re-decision decides as the calibration did."""

from __future__ import annotations

import dataclasses
import itertools
import threading

import numpy as np
import pytest

from analysis.angles import accbias
from analysis.angles import live_redecide as lr
from analysis.angles import rotations as rot
from analysis.angles.live import LiveAnglePipeline
from analysis.angles.rate_mixing import rate_mixing_columns
from analysis.recording.streams import CalibrationWindows
from analysis.simulation.population import generate_person, generate_session
from tests.analysis.builders import feed_live, run_live

RATE_HZ = 100.0
MIX = "rate_mixing:"
"""Prefix of :func:`_run`'s ``rate_mixing`` series among its columns."""


@pytest.fixture(scope="module")
def session():
    """Person 158, one minute, default set: its pelvis sign is left low by the movements."""
    ses = generate_session(generate_person(158), 0, None, "default")
    windows = CalibrationWindows(static_s=ses.static_s, functional_s=ses.functional_s)
    return ses.recording().streams, windows


def _run(live, streams, windows, tick_s: float):
    """Feed ``live`` in ``tick_s`` steps, waiting for each re-decision; times and columns."""
    end = max(float(s.t_s[-1]) for s in streams.values())
    cal_at = windows.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    parts = []
    for now in np.union1d(np.arange(0.0, end, tick_s), [cal_at, end + 1e-6]):
        feed_live(live, streams, pos, now)
        out = live.step(wait=True)
        if out is not None and out.columns:
            parts.append(out)
        if not live.calibrated and now >= cal_at:
            live.calibrate(windows)
    live.close()
    t = np.concatenate([o.t_s for o in parts])
    cols = {c: np.concatenate([o.columns[c] for o in parts]) for c in parts[0].columns}
    # the rate the pelvis axis's error may add, for the monitor's holds (rate_mixing)
    mixing = {
        MIX + c: np.concatenate([o.rate_mixing[c] for o in parts]) for c in parts[0].rate_mixing
    }
    return t, {**cols, **mixing}


def _plain(streams, windows, *, calibrate_at_s: float | None = None):
    """The live pipeline calibrated at the movements' end, or at ``calibrate_at_s``."""
    live = LiveAnglePipeline(streams, rate_hz=RATE_HZ)
    if calibrate_at_s is None:
        return run_live(live, streams, windows, tick_s=1.0)
    pos = dict.fromkeys(streams, 0)
    feed_live(live, streams, pos, calibrate_at_s)
    live.step()
    live.calibrate(windows)
    return run_live(live, streams, windows, tick_s=1.0)


def test_without_a_changed_decision_the_angles_are_the_live_pipelines(session):
    streams, windows = session
    live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ)
    t, cols = _run(live, streams, windows, tick_s=1.0)
    t0, cols0 = _plain(streams, windows)
    assert live.switches == []  # this minute does not settle the pelvis any better
    np.testing.assert_array_equal(t, t0)
    for c in cols0:
        np.testing.assert_array_equal(cols[c], cols0[c])


@pytest.fixture(scope="module")
def forced(session):
    """Every re-decision taken (as if each changed a decision), fed in two chunkings."""
    streams, windows = session
    mp = pytest.MonkeyPatch()
    mp.setattr(lr, "changed_segments", lambda old, new: {"pelvis": "forced"})
    try:
        runs = []
        for tick in (1.0, 0.37):
            live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ)
            runs.append((live, *_run(live, streams, windows, tick_s=tick)))
    finally:
        mp.undo()
    return runs


def test_a_switch_gives_the_angles_of_a_calibration_made_at_its_data_end(session, forced):
    streams, windows = session
    live, t, cols = forced[0]
    delays = [s.at_s - s.data_to_s for s in live.switches]
    assert delays == [lr.switch_delay_s(s.data_to_s, live.calibrated_at_s) for s in live.switches]
    assert delays[0] == lr.SWITCH_AFTER_S
    assert np.all(np.abs(np.diff(t) - 1 / RATE_HZ) < 1e-6)  # no row lost or returned twice
    first, second = live.switches
    t0, cols0 = _plain(streams, windows)
    before = t < first.at_s - 0.005
    np.testing.assert_array_equal(t[before], t0[: before.sum()])
    t1, cols1 = _plain(streams, windows, calibrate_at_s=first.data_to_s)
    between = (t >= first.at_s - 0.005) & (t < second.at_s - 0.005)
    i = int(np.searchsorted(t1, first.at_s - 0.005))
    for c in cols0:
        np.testing.assert_array_equal(cols[c][before], cols0[c][: before.sum()])
        np.testing.assert_array_equal(cols[c][between], cols1[c][i : i + between.sum()])


def test_switches_do_not_depend_on_the_chunking(forced):
    (a, t_a, cols_a), (b, t_b, cols_b) = forced
    assert a.switches == b.switches
    np.testing.assert_array_equal(t_a, t_b)
    for c in cols_a:
        np.testing.assert_array_equal(cols_a[c], cols_b[c])


def test_every_row_carries_the_pelvis_axis_rate_error_of_the_angles_turned_about_it(forced):
    """Across the switches too: one value per row, finite, for the pelvis's angles only."""
    live, t, cols = forced[0]
    assert live.switches
    mixed = {c.removeprefix(MIX) for c in cols if c.startswith(MIX)}
    assert mixed == set(rate_mixing_columns({"pelvis": np.zeros((0, 4))}, RATE_HZ, cols))
    assert "pelvis_anterior_tilt_deg" in mixed
    assert "right_knee_flexion_deg" not in mixed
    for c in mixed:
        m = cols[MIX + c]
        assert m.shape == t.shape
        assert np.isfinite(m).all()
        assert (m >= 0).all()
        assert m.max() > 0.1  # the pelvis tips sideways somewhere in the minute


def test_the_first_redecision_is_15_s_after_the_calibration_then_doubling():
    assert lr.redecision_times(40.0) == [
        55.0,
        70.0,
        100.0,
        160.0,
        280.0,
        520.0,
        1000.0,
        1960.0,
        3880.0,
    ]


def test_the_last_redecision_is_at_most_last_after_s_after_the_calibration():
    assert lr.redecision_times(40.0, 60.0) == [55.0, 70.0, 100.0]
    assert lr.redecision_times(40.0, 1920.0)[-1] == 1960.0


def test_the_raw_history_is_dropped_once_the_last_redecision_is_settled(session):
    streams, windows = session
    live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ, last_after_s=15.0)
    end = max(float(s.t_s[-1]) for s in streams.values())
    cal_at = windows.functional_s[1] + 0.5
    pos = dict.fromkeys(streams, 0)
    held = []
    for now in np.union1d(np.arange(0.0, end, 1.0), [cal_at, end + 1e-6]):
        feed_live(live, streams, pos, now)
        live.step(wait=True)
        if not live.calibrated and now >= cal_at:
            live.calibrate(windows)
        held.append((now, live.history_bytes()))
    live.close()
    settled = cal_at + 15.0 + lr.switch_delay_s(cal_at + 15.0, cal_at) + 2.0
    assert max(b for t, b in held if t < cal_at) > 0  # kept for the re-decision
    assert all(b == 0 for t, b in held if t > settled)


def test_a_redecision_makes_no_accelerometer_fit_already_made(session, monkeypatch):
    streams, windows = session
    made = []
    fit = accbias.fit_pose_clusters

    def counted(*args, **kwargs):
        made.append(1)
        return fit(*args, **kwargs)

    monkeypatch.setattr(accbias, "fit_pose_clusters", counted)
    _run(lr.RedecidingPipeline(streams, rate_hz=RATE_HZ, redecide=False), streams, windows, 1.0)
    once = len(made)
    made.clear()
    live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ, last_after_s=30.0)
    _run(live, streams, windows, 1.0)
    assert once > 0
    assert len(made) == once  # the re-decisions replayed the session: every fit looked up
    assert len(live._fits) == 0  # no re-decision to come: the memo is emptied and closed
    live._fits[b"x"] = None
    assert len(live._fits) == 0


def test_a_late_redecision_switches_a_tenth_of_its_session_later():
    assert lr.switch_delay_s(55.0, 40.0) == lr.SWITCH_AFTER_S
    assert lr.switch_delay_s(1000.0, 40.0) == pytest.approx(96.0)


def test_changed_segments_names_a_sign_an_axis_and_a_trust_changed(session):
    streams, windows = session
    live = LiveAnglePipeline(streams, rate_hz=RATE_HZ)
    run_live(live, streams, windows, tick_s=5.0, until_s=windows.functional_s[1] + 2.0)
    cal = live.calibration
    assert cal is not None
    seg = cal.segments

    def turned(p: str, deg: float):
        q = rot.multiply(
            rot.from_axis_angle(np.array([0.0, 0.0, 1.0]), np.radians(deg)), seg[p].q_S_B
        )
        return dataclasses.replace(cal, segments={**seg, p: dataclasses.replace(seg[p], q_S_B=q)})

    assert lr.changed_segments(cal, cal) == {}
    assert lr.changed_segments(cal, turned("right_thigh", 1.0)) == {}
    assert (
        "flexion axis re-decided"
        in lr.changed_segments(cal, turned("right_thigh", 6.0))["right_thigh"]
    )
    assert "sign re-decided" in lr.changed_segments(cal, turned("right_foot", 180.0))["right_foot"]
    assert not seg["pelvis"].trusted  # the movements left its sign low
    sure = dataclasses.replace(seg["pelvis"], sign_confidence="high", rotation_deg=40.0)
    trusted = dataclasses.replace(cal, segments={**seg, "pelvis": sure})
    assert lr.changed_segments(cal, trusted) == {"pelvis": "now trusted"}
    assert lr.changed_segments(trusted, cal)["pelvis"].startswith("now uncertain (")


def test_without_waiting_the_rows_past_a_pending_switch_are_held_not_lost(session, forced):
    """The live screen does not wait: while the re-decision runs, no row from its switch row
    on goes out; once it is done, the rows go on exactly as when it was waited for."""
    streams, windows = session
    _live, t_waited, cols_waited = forced[0]
    gate = threading.Event()
    mp = pytest.MonkeyPatch()
    mp.setattr(lr, "changed_segments", lambda old, new: {"pelvis": "forced"})
    slow = lr.RedecidingPipeline._redecided

    def gated(self, parts, at):
        gate.wait(timeout=60.0)
        return slow(self, parts, at)

    mp.setattr(lr.RedecidingPipeline, "_redecided", gated)
    try:
        live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ)
        end = max(float(s.t_s[-1]) for s in streams.values())
        cal_at = windows.functional_s[1] + 0.5
        pos = dict.fromkeys(streams, 0)
        parts, first_switch = [], None
        for now in np.union1d(np.arange(0.0, end, 1.0), [cal_at, end + 1e-6]):
            feed_live(live, streams, pos, now)
            out = live.step()
            if out is not None and out.columns:
                parts.append(out)
            if not live.calibrated and now >= cal_at:
                live.calibrate(windows)
            if live._pending is not None and first_switch is None:
                first_switch = live._pending[0] + lr.SWITCH_AFTER_S
            if first_switch is not None and now > first_switch + 10.0 and not gate.is_set():
                assert parts[-1].t_s[-1] < first_switch  # held while the work runs
                gate.set()
                live._pending[1].result()  # done: the next step releases the rows
        out = live.step(wait=True)
        if out is not None and out.columns:
            parts.append(out)
        live.close()
    finally:
        gate.set()
        mp.undo()
    t = np.concatenate([o.t_s for o in parts])
    np.testing.assert_array_equal(t, t_waited)
    for c in cols_waited:
        got = (
            np.concatenate([o.rate_mixing[c.removeprefix(MIX)] for o in parts])
            if c.startswith(MIX)
            else np.concatenate([o.columns[c] for o in parts])
        )
        np.testing.assert_array_equal(got, cols_waited[c])


class _Collect:
    """Stands in for a live pipeline: keeps what a replay pushes, per sensor."""

    def __init__(self) -> None:
        self.got: dict[str, list[np.ndarray]] = {}

    def push(self, p, t, acc, gyr) -> None:
        self.got.setdefault(p, []).append(np.column_stack([t, acc, gyr]))

    def rows(self, p: str) -> np.ndarray:
        return np.concatenate(self.got[p])


def _stream(seconds: float, rate_hz: float = 100.0):
    rng = np.random.default_rng(3)
    t = np.arange(0.0, seconds, 1.0 / rate_hz) + 0.0013
    return t, rng.normal(size=(t.size, 3)), rng.normal(size=(t.size, 3))


def _fill(history, t, acc, gyr, *, cal_at: float, step_s: float = 0.7):
    """Add the stream in ``step_s`` chunks, the calibration at ``cal_at``."""
    edges = np.searchsorted(t, np.arange(0.0, t[-1] + step_s, step_s))
    for i, j in itertools.pairwise(edges):
        if t[i] > cal_at and history._exact_to == np.inf:
            history.calibrated(cal_at)
        history.add("x", t[i:j], acc[i:j], gyr[i:j])


def test_the_compact_history_keeps_the_early_and_the_recent_samples_exact_and_bins_the_rest():
    t, acc, gyr = _stream(900.0)
    history = lr._CompactHistory(["x"])
    _fill(history, t, acc, gyr, cal_at=50.0)
    got = _Collect()
    history.replay(got, -np.inf, np.inf)
    rows = got.rows("x")
    assert np.all(np.diff(rows[:, 0]) > 0)
    exact_to, recent_from = 50.0 + lr.EXACT_AFTER_S, t[-1] - lr.RECENT_S
    head, tail = t <= exact_to, t >= recent_from + 1.0  # chunks are cut at 0.7-s steps
    raw = np.column_stack([t, acc, gyr])
    np.testing.assert_array_equal(rows[rows[:, 0] <= exact_to], raw[head])
    np.testing.assert_array_equal(rows[rows[:, 0] >= recent_from + 1.0], raw[tail])
    mid = (rows[:, 0] > exact_to + lr.COARSE_S) & (rows[:, 0] < recent_from - 1.0)
    # in between: one row per bin, the mean of its samples (float32 values)
    bins = np.floor(t / lr.COARSE_S)
    for r in rows[mid][::97]:
        inside = bins == np.floor(r[0] / lr.COARSE_S)
        np.testing.assert_allclose(r[0], t[inside].mean(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(r[1:4], acc[inside].mean(axis=0), rtol=0, atol=1e-6)
        np.testing.assert_allclose(r[4:], gyr[inside].mean(axis=0), rtol=0, atol=1e-6)
    assert np.max(np.diff(rows[:, 0])) < 0.25  # no dropout where the bins meet the exact rows


def test_the_compact_history_grows_by_its_bins_only():
    t, acc, gyr = _stream(1800.0)
    sizes = {}
    for seconds in (900.0, 1800.0):
        history = lr._CompactHistory(["x"])
        k = t < seconds
        _fill(history, t[k], acc[k], gyr[k], cal_at=50.0)
        sizes[seconds] = history.nbytes()
    per_s = (sizes[1800.0] - sizes[900.0]) / 900.0
    assert per_s == pytest.approx(32.0 / lr.COARSE_S, rel=0.02)  # 20 bins of 32 bytes a second
    assert sizes[900.0] < 56 * 100 * (50.0 + lr.EXACT_AFTER_S + lr.RECENT_S) + 900 * per_s + 1e5


def test_a_pinned_history_keeps_every_sample_after_the_pin_exact():
    t, acc, gyr = _stream(600.0)
    history = lr._CompactHistory(["x"])
    k = t < 300.0
    _fill(history, t[k], acc[k], gyr[k], cal_at=20.0)
    history.pin(250.0)
    k = t >= 300.0
    edges = np.searchsorted(t[k], np.arange(300.0, 600.0, 0.7))
    for i, j in itertools.pairwise(edges):
        history.add("x", t[k][i:j], acc[k][i:j], gyr[k][i:j])
    got = _Collect()
    history.replay(got, 250.0, np.inf)
    after = (t > 250.0) & (t <= t[k][edges[-1] - 1])
    np.testing.assert_array_equal(got.rows("x"), np.column_stack([t, acc, gyr])[after])


def test_a_frozen_fit_memo_keeps_its_fits_and_takes_no_more():
    memo = lr._FitMemo()
    memo[b"a"] = accbias.NO_CORRECTION
    memo.freeze()
    memo[b"b"] = accbias.NO_CORRECTION
    assert list(memo) == [b"a"]
    memo.close()
    assert len(memo) == 0


def test_a_pelvis_axis_from_the_bows_alone_is_provisional(session):
    """Trusted, from the movements, on less than BOWS_ONLY_DEG of turn: its angles are marked."""
    streams, windows = session
    live = LiveAnglePipeline(streams, rate_hz=RATE_HZ)
    run_live(live, streams, windows, tick_s=5.0, until_s=windows.functional_s[1] + 2.0)
    cal = live.calibration
    assert cal is not None
    seg = cal.segments["pelvis"]

    def pelvis(**changes):
        sure = dataclasses.replace(seg, sign_confidence="high", **changes)
        return dataclasses.replace(cal, segments={**cal.segments, "pelvis": sure})

    bows = pelvis(rotation_deg=29.0, axis_source="movements")
    assert bows.segments["pelvis"].trusted
    marked = lr.provisional_pelvis(bows, streams)
    assert set(marked) == {
        f"{side}_hip_{m}_deg"
        for side in ("left", "right")
        for m in ("adduction", "internal_rotation")
        if f"{side}_thigh" in streams
    }
    assert marked
    assert "29° of turn" in next(iter(marked.values()))["reason"]
    enough = pelvis(rotation_deg=lr.BOWS_ONLY_DEG, axis_source="movements")
    assert lr.provisional_pelvis(enough, streams) == {}
    assert lr.provisional_pelvis(pelvis(rotation_deg=29.0, axis_source="session"), streams) == {}
    assert lr.provisional_pelvis(cal, streams) == {}  # not trusted: uncertain for its own reason


def test_person_151s_bows_only_pelvis_is_provisional_until_the_lean_confirms_it():
    """Round 12: its pelvis axis from 29° of bows, 23° off, turned the tilt into hip rotation
    and adduction at 44 and 52 s; the re-decision on the data to 50 s (the lean) switched."""
    ses = generate_session(generate_person(151), 0, None, "default")
    streams = ses.recording().streams
    windows = CalibrationWindows(static_s=ses.static_s, functional_s=ses.functional_s)
    live = lr.RedecidingPipeline(streams, rate_hz=RATE_HZ)
    _run(live, streams, windows, tick_s=1.0)
    (start, marked), (lifted_at, after) = live.provisional_log
    assert start == -np.inf
    assert set(marked) == {"left_hip_adduction_deg", "left_hip_internal_rotation_deg"}
    assert after == {}
    (switch,) = live.switches
    assert lifted_at == switch.at_s
    assert 44.0 < lifted_at < 60.0
