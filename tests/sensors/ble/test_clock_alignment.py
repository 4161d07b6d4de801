"""Per-sensor clock alignment onto the session clock (pure: synthetic receipt times).

Receipt = true sample time + a fixed minimum latency + exponential jitter (BLE delivers late,
never early). Alignment is judged against true time + minimum latency.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensors.session.clock import (
    CATCH_UP_SPACING,
    MIN_STEP_S,
    AlignerConfig,
    ClockAligner,
    SessionClock,
    catch_up,
)

LATENCY_S = 0.005


def _run(
    rng: np.random.Generator,
    *,
    device_time: bool,
    rate_hz: float = 100.0,
    true_rate_hz: float | None = None,
    per_packet: int = 1,
    duration_s: float = 90.0,
    drift_ppm: float = 0.0,
    jitter_s: float = 0.010,
    lose: tuple[float, float] | None = None,
    device_jump_at_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray, ClockAligner]:
    true_rate = true_rate_hz or rate_hz
    n = int(duration_s * true_rate)
    t_true = 2.0 + np.arange(n) / true_rate
    d = 1234.5 + (1 + drift_ppm * 1e-6) * t_true
    if device_jump_at_s is not None:
        d = np.where(t_true >= device_jump_at_s, d - 1234.0, d)  # device clock restarts
    aligner = ClockAligner(nominal_rate_hz=rate_hz, uses_device_time=device_time)
    out, kept = [], []
    for i in range(0, n, per_packet):
        j = min(i + per_packet, n)
        if lose is not None and lose[0] <= t_true[i] < lose[1]:
            continue
        host = t_true[j - 1] + LATENCY_S + rng.exponential(jitter_s)
        out.append(aligner.align(host, j - i, d[i:j] if device_time else None))
        kept.append(np.arange(i, j))
    t = np.concatenate(out)
    k = np.concatenate(kept)
    return t, t_true[k] + LATENCY_S, aligner


@pytest.mark.parametrize("drift_ppm", [-45.0, 0.0, 60.0])
def test_device_time_is_dejittered_and_its_drift_estimated(rng, drift_ppm):
    t, truth, aligner = _run(
        rng, device_time=True, rate_hz=104.0, per_packet=8, drift_ppm=drift_ppm
    )
    err = t - truth
    settled = truth > 40.0
    assert np.all(np.diff(t) > 0)
    # 10 ms mean jitter in, about a millisecond out once the envelope is known
    assert np.abs(err[settled]).max() < 2e-3
    assert aligner.state.drift_ppm == pytest.approx(drift_ppm, abs=15.0)
    assert aligner.state.segments == 1


def test_without_the_envelope_fit_jitter_would_remain(rng):
    # the naive alternative (receipt time) has the full jitter: the fit must beat it 5x
    t, truth, _ = _run(rng, device_time=True, per_packet=1)
    naive_err = np.std(np.diff(truth) - 0.01) + 0.010
    assert np.std(np.diff(t)) < naive_err / 5


@pytest.mark.parametrize(("true_rate", "per_packet"), [(100.0, 1), (98.0, 3), (101.5, 1)])
def test_host_time_counts_samples_and_learns_the_real_rate(rng, true_rate, per_packet):
    t, truth, aligner = _run(
        rng, device_time=False, rate_hz=100.0, true_rate_hz=true_rate, per_packet=per_packet
    )
    settled = truth > 25.0
    assert np.abs(t - truth)[settled].max() < 2e-3
    expected_ppm = (true_rate / 100.0 - 1.0) * 1e6  # the sample count runs slow with the sensor
    assert aligner.state.drift_ppm == pytest.approx(expected_ppm, rel=0.02, abs=30.0)


def test_host_time_infers_samples_lost_without_a_trace(rng):
    t, truth, aligner = _run(rng, device_time=False, lose=(40.0, 41.5), duration_s=70.0)
    assert aligner.inferred_lost == 150
    # confirm_s (1 s) of samples after the loss keep their count times; then all is right
    assert np.abs(t - truth)[truth > 42.6].max() < 5e-3
    step = np.diff(t).max()
    assert step == pytest.approx(1.51, abs=0.02)  # the gap shows in the times


def test_device_clock_jump_starts_a_new_segment(rng):
    t, truth, aligner = _run(rng, device_time=True, device_jump_at_s=50.0, duration_s=80.0)
    assert aligner.state.segments == 2
    assert np.all(np.diff(t) > 0)
    after = truth > 53.0
    assert np.abs(t - truth)[after].max() < 0.03


def test_late_deliveries_of_a_stalled_link_leave_the_fit_alone(rng):
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True)
    for k in range(3000):
        aligner.align(k / 100 + LATENCY_S + rng.exponential(0.005), 1, np.array([k / 100]))
    before = aligner.state
    # 2 s stall: one notification arrives 2 s late, then normal again
    out = aligner.align(30.0 + 2.0, 1, np.array([30.0]))
    assert out[0] == pytest.approx(30.0 + LATENCY_S, abs=5e-3)
    assert aligner.state.segments == before.segments == 1


def test_output_is_strictly_increasing_even_when_the_envelope_drops():
    aligner = ClockAligner(
        nominal_rate_hz=100.0, uses_device_time=True, config=AlignerConfig(refit_every=1)
    )
    a = aligner.align(10.0, 3, np.array([0.0, 0.01, 0.02]))
    b = aligner.align(10.0, 1, np.array([0.03]))  # much tighter: the line moves 20 ms down
    assert b[0] > a[-1]
    assert b[0] - a[-1] >= MIN_STEP_S - 1e-12
    assert np.all(np.diff(a) >= MIN_STEP_S - 1e-12)


def test_samples_on_the_line_are_placed_on_it():
    line = 5.0 + np.arange(50) / 100.0
    assert np.array_equal(catch_up(line, 4.99, 0.01, CATCH_UP_SPACING), line)
    assert np.array_equal(catch_up(line, -np.inf, np.nan, CATCH_UP_SPACING), line)


def test_samples_behind_a_dropped_line_keep_most_of_their_spacing_and_catch_up():
    """A line 0.3 s below what was placed: no 10 µs squeeze; each period shortened by a
    fifth until the samples meet the line, then on it."""
    rate_hz, lag_s = 100.0, 0.3
    line = 10.0 + np.arange(300) / rate_hz
    # the sample before was placed lag_s after its own line time
    t = catch_up(line, line[0] - 1.0 / rate_hz + lag_s, 1.0 / rate_hz, CATCH_UP_SPACING)
    steps = np.diff(t)
    assert steps.min() == pytest.approx(CATCH_UP_SPACING / rate_hz)
    assert np.all(t >= line - 1e-12)
    met = int(np.argmax(np.isclose(t, line, atol=1e-9, rtol=0.0)))
    # the lag closes at (1 − CATCH_UP_SPACING) of a period per sample
    expected = lag_s * rate_hz / (1.0 - CATCH_UP_SPACING)
    assert abs(met - expected) <= 2
    assert np.array_equal(t[met + 1 :], line[met + 1 :])
    # across a clock jump the samples step to the line instead
    jumped = catch_up(line, line[0] + lag_s, np.nan, 0.0)
    assert np.diff(jumped).min() == pytest.approx(MIN_STEP_S)


def test_a_dropped_line_never_squeezes_an_aligners_output():
    """A link that delivers its first second 0.3 s late, then on time: the line drops by
    0.3 s within one segment. No sample is squeezed (10 µs steps); all meet the line."""
    aligner = ClockAligner(
        nominal_rate_hz=100.0, uses_device_time=True, config=AlignerConfig(refit_every=1)
    )
    late = [aligner.align(10.3 + k / 100, 1, np.array([k / 100])) for k in range(100)]
    on_time = [aligner.align(10.005 + k / 100, 1, np.array([k / 100])) for k in range(100, 400)]
    t = np.concatenate(late + on_time)
    assert aligner.state.segments == 1
    assert np.diff(t).min() > 0.5 / 100.0
    assert t[-1] == pytest.approx(10.005 + 3.99, abs=2e-3)


def test_align_checks_its_input():
    aligner = ClockAligner(nominal_rate_hz=50.0, uses_device_time=True)
    with pytest.raises(ValueError, match="one time per sample"):
        aligner.align(1.0, 2, np.array([0.0]))
    assert aligner.align(1.0, 0).size == 0
    with pytest.raises(ValueError, match="positive"):
        ClockAligner(nominal_rate_hz=0.0, uses_device_time=False)


def test_session_clock_scale_and_inverse():
    clock = SessionClock(start_ns=1_000_000_000, scale=5.0)
    assert clock.t_s(3_000_000_000) == pytest.approx(10.0)
    assert clock.host_ns(10.0) == 3_000_000_000
    with pytest.raises(ValueError, match="positive"):
        SessionClock(scale=0.0)


def test_a_delay_that_catches_up_is_not_taken_for_lost_samples(rng):
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=False)
    out = []
    for k in range(6000):
        true = k / 100
        host = true + LATENCY_S + rng.exponential(0.002)
        if 30.0 <= true < 30.8:
            host = 30.8 + LATENCY_S + (true - 30.0) * 1e-3  # held back, then a burst
        out.append(aligner.align(host, 1)[0])
    t = np.asarray(out)
    truth = np.arange(6000) / 100 + LATENCY_S
    assert aligner.inferred_lost == 0
    assert np.abs(t - truth)[truth > 32.0].max() < 3e-3


def test_envelope_slope_rests_on_the_lowest_points_around_the_middle():
    from sensors.session.clock import envelope_slope

    x = np.linspace(0.0, 60.0, 25)
    y = 1e-4 * x + 0.002 * (np.arange(25) % 3)  # a 100 ppm floor, lifted points above it
    assert envelope_slope(x, y) == pytest.approx(1e-4, rel=1e-9)
    # a congested stretch lifts many points: a regression through them tilts, the hull not
    lifted = y + np.where((x > 35.0) & (x < 55.0), 0.3, 0.0)
    assert envelope_slope(x, lifted) == pytest.approx(1e-4, rel=1e-9)
    assert np.polyfit(x, lifted, 1)[0] > 3e-3


@pytest.mark.parametrize("device_time", [True, False])
def test_a_congested_host_neither_lifts_nor_tilts_the_line(rng, device_time):
    """20 s during which every notification arrives 0.2–0.4 s late (a loaded host that still
    keeps up on average), then normal again: samples stay on their true times."""
    n = int(90.0 * 100)
    t_true = 2.0 + np.arange(n) / 100.0
    d = 1234.5 + (1 + 30e-6) * t_true
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=device_time)
    out = []
    for i in range(n):
        late = rng.uniform(0.2, 0.4) if 35.0 <= t_true[i] < 55.0 else 0.0
        host = t_true[i] + LATENCY_S + rng.exponential(0.010) + late
        out.append(aligner.align(host, 1, d[i : i + 1] if device_time else None))
    err = np.concatenate(out) - (t_true + LATENCY_S)
    after = t_true > 60.0
    assert np.abs(err[after]).max() < 5e-3
    if device_time:  # the device clock places even the late samples right
        assert np.abs(err[t_true > 5.0]).max() < 5e-3
        assert aligner.state.drift_ppm == pytest.approx(30.0, abs=50.0)
        assert aligner.state.segments == 1


def test_a_stalled_host_is_no_clock_jump_but_a_steady_lateness_is():
    cfg = AlignerConfig()
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True, config=cfg)
    t = 0.0
    for k in range(1000):  # 10 s, normal
        t = k / 100.0
        aligner.align(t + 0.005, 1, np.array([t]))
    # a 6 s stall: the backlog arrives in a burst, its lateness shrinking fast
    for k in range(1000, 1600):
        aligner.align(16.0 + (k - 1000) * 1e-4, 1, np.array([k / 100.0]))
    assert aligner.state.segments == 1
    # a device clock that jumps back 20 s stays 20 s late: a new segment after confirm_s
    for k in range(1600, 2000):
        aligner.align(k / 100.0 + 0.005, 1, np.array([k / 100.0 - 20.0]))
    assert aligner.state.segments == 2


def _late_start(
    aligner: ClockAligner, *, late_s: float, jump_at: int | None = None, place: bool = False
):
    """Device time at 100 Hz, 4 samples per notification, for 4 s; the host runs no callback
    for the first ``late_s`` (busy connecting other sensors), then delivers that backlog in a
    burst, in order, and the rest on time. Returns (sample clock, true time, segment) per
    notification (``place``: the times placed at once instead of the sample clock); from
    notification ``jump_at`` on the device clock is 100 s ahead."""
    out = []
    for k in range(100):
        d = 10.0 + np.arange(4 * k, 4 * k + 4) / 100.0
        true_s = float(d[-1] - 10.0) + LATENCY_S
        if jump_at is not None and k >= jump_at:
            d = d + 100.0
        host_s = max(true_s, late_s + LATENCY_S)
        sample_clock = aligner.observe(host_s, 4, d)
        if place:
            sample_clock = aligner.place(sample_clock)
        out.append((sample_clock, true_s, aligner.segments))
    return out


@pytest.mark.parametrize("late_s", [0.3, 0.7])
def test_a_held_start_times_late_first_samples_with_the_settled_line(late_s):
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True)
    aligner.hold()
    held = _late_start(aligner, late_s=late_s)
    assert aligner.settled()  # on-time receipts for 3 s and no new low since
    aligner.commit()
    assert not aligner.holding
    t = np.concatenate([aligner.place(d, seg) for d, _true, seg in held])
    truth = np.concatenate([d - 10.0 + LATENCY_S for d, _t, _s in held])
    assert np.abs(t - truth).max() < 1e-6  # the late first second placed as measured
    assert aligner.state.segments == 1
    # without the hold the first second is placed late, then squeezed into 10 µs steps
    naive = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True)
    t_naive = np.concatenate([t for t, _t, _s in _late_start(naive, late_s=late_s, place=True)])
    assert np.abs(t_naive - truth).max() > late_s - 0.05


def test_a_held_start_is_not_settled_while_the_line_still_drops():
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True)
    aligner.hold()
    assert not aligner.settled()  # nothing received
    for k in range(20):  # ever less late: each receipt lowers the line
        aligner.observe(1.0 + 0.01 * k, 1, np.array([0.5 + 0.03 * k]))
    assert not aligner.settled()


def test_a_real_clock_jump_during_a_held_start_keeps_each_segment_its_own_line():
    aligner = ClockAligner(nominal_rate_hz=100.0, uses_device_time=True)
    aligner.hold()
    held = _late_start(aligner, late_s=0.0, jump_at=50)
    aligner.commit()
    assert aligner.state.segments == 2
    t = np.concatenate([aligner.place(d, seg) for d, _true, seg in held])
    truth = np.concatenate([np.full(4, true) for _d, true, _s in held])
    truth += np.tile(np.arange(-3, 1) / 100.0, len(held))
    assert np.abs(t - truth).max() < 1e-6
