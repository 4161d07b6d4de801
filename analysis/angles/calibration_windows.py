"""Calibration windows: the quiet stand and the functional movements, given or detected.

A sidecar (the live guide's, or one a user wrote) names both windows; without one (a vendor
export, an older recording) they are found in the data: the stand is the first stillness of
every sensor, at least :data:`MIN_STAND_S` long (:data:`MIN_OPENING_STAND_S` when it opens the
recording), that the movements afterwards return to; the movements run from its end to the
last return to the stand's pose before the person settles, still, into another pose (so
leaning into the stretch or lying down for it is not among them, however long the
movements took).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from analysis.angles.timebase import UniformSession, UniformStream
from analysis.errors import CalibrationError
from analysis.recording.runs import true_runs
from analysis.recording.stand import LateStand
from analysis.recording.streams import CalibrationWindows

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

WindowSource = Literal["sidecar", "detected", "fallback"]


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    """Centred moving mean along axis 0 (edges use the available samples)."""
    n = max(1, int(n))
    c = np.cumsum(np.concatenate([np.zeros((1, *x.shape[1:])), x]), axis=0)
    k = np.arange(x.shape[0])
    lo = np.clip(k - n // 2, 0, x.shape[0])
    hi = np.clip(k - n // 2 + n, 0, x.shape[0])
    return (c[hi] - c[lo]) / (hi - lo).reshape(-1, *([1] * (x.ndim - 1)))


STILL_WINDOW_S = 0.5
"""Window of :func:`stillness_mask`; a still run of centres is this much shorter than the
stillness it marks (half a window lost at each end)."""

STILL_GYRO_RAD_S = 0.08
"""Spread (RMS, rad/s) of a still sensor's angular rate in a :data:`STILL_WINDOW_S` window."""

STILL_ACC_M_S2 = 0.25
"""Spread (RMS, m/s²) of a still sensor's acceleration in a :data:`STILL_WINDOW_S` window."""

TREMOR_SMOOTH_S = 0.25
"""Length (s) of the moving mean that :func:`tremor_free` applies twice (a triangle twice as
long): gain 0 at 4, 8, 12 and 16 Hz, under 0.1 from 3.6 Hz up (under 0.05 from 5.4 Hz),
0.81 at 1 Hz and 0.95 at 0.5 Hz. A tremor (3–18 Hz) is left out; a movement of the pose
(knee bends, leg swings, bows: under 1 Hz) is kept."""


def tremor_free(x: FloatArray, n: int) -> FloatArray:
    """``x`` (along axis 0) with a tremor's oscillation taken out; same units and shape.

    A centred moving mean of ``n`` samples applied twice (:data:`TREMOR_SMOOTH_S`).
    """
    return _moving_mean(_moving_mean(x, n), n)


def stillness_mask(
    session: UniformSession,
    *,
    gyro_rms_max_rad_s: float = STILL_GYRO_RAD_S,
    acc_std_max_m_s2: float = STILL_ACC_M_S2,
    window_s: float = STILL_WINDOW_S,
) -> BoolArray:
    """Grid points at which every sensor is still.

    Per sensor and centred window of ``window_s``: the spread (RMS about the window's mean) of
    the angular rate and of the acceleration must be small, and the window's mean rate must lie
    within ``gyro_rms_max_rad_s`` of the sensor's resting rate (the median window mean over its
    quiet windows). A gyroscope's constant offset (consumer parts: up to several °/s) thus
    never reads as movement, while a steady turn still does. The spreads are judged on the
    signals as they are and, where a tremor is seen (:func:`_tremor_only`), again with it
    taken out (:func:`tremor_free`): a window passes when either is small, so an oscillation
    of 3 Hz and faster that leaves the pose where it is (a rest, essential or orthostatic
    tremor) is no movement, while a change of pose is one either way. Marks the centres of
    still windows: a run is ``window_s`` shorter than the stillness itself.
    """
    n = max(1, round(window_s * session.rate_hz))
    k = max(1, round(TREMOR_SMOOTH_S * session.rate_hz))
    still = np.ones(session.t_s.shape[0], dtype=bool)
    for s in session.streams.values():
        gyr = np.asarray(s.gyr_rad_s, dtype=np.float64)
        acc = np.asarray(s.acc_m_s2, dtype=np.float64)
        g_mean, g_sd = _moving_spread(gyr, n)
        _, a_sd = _moving_spread(acc, n)
        raw = (g_sd < gyro_rms_max_rad_s) & (a_sd < acc_std_max_m_s2)
        quiet = (raw | _tremor_only(gyr, acc, n, k, gyro_rms_max_rad_s, acc_std_max_m_s2)) & s.valid
        rest = np.median(g_mean[quiet], axis=0) if quiet.any() else np.zeros(3)
        still &= quiet & (np.linalg.norm(g_mean - rest, axis=1) < gyro_rms_max_rad_s)
    return still


TREMOR_MIN_SHARE = 0.5
"""A window is judged with its tremor taken out only when the tremor band's own spread
reaches this share of a stillness limit: sensor noise and the slow edges of a movement
never are, so where there is no tremor the stillness is the raw signals' as before."""


def _tremor_only(
    gyr_rad_s: FloatArray,
    acc_m_s2: FloatArray,
    n: int,
    k: int,
    gyro_max_rad_s: float,
    acc_max_m_s2: float,
) -> BoolArray:
    """Windows (centres, ``n`` samples) whose spread is a tremor's, not a movement's.

    With the tremor taken out (:func:`tremor_free` of ``k`` samples) both spreads are under
    their limits, and the tremor band (the signal less that) spreads by at least
    :data:`TREMOR_MIN_SHARE` of a limit, rate (rad/s) or acceleration (m/s²).
    """
    out = np.ones(gyr_rad_s.shape[0], dtype=bool)
    band = np.zeros_like(out)
    for x, limit in ((gyr_rad_s, gyro_max_rad_s), (acc_m_s2, acc_max_m_s2)):
        smooth = tremor_free(x, k)
        out &= _moving_spread(smooth, n)[1] < limit
        band |= _moving_spread(x - smooth, n)[1] >= TREMOR_MIN_SHARE * limit
    return out & band


TREMOR_CHUNK_ROWS = 1 << 18
"""Rows :func:`turning_slower_than` smooths at a time (a 10-h session's rates never whole in
float64); each chunk is read with a margin past the smoothing's reach, so the mask is the one
the whole series gives."""


def turning_slower_than(
    gyr_rad_s: FloatArray, bias_rad_s: FloatArray, rate_hz: float, limit_rad_s: float
) -> BoolArray:
    """Per row, whether the sensor turns slower than ``limit_rad_s``, a tremor apart.

    ``gyr_rad_s``: angular rates ``(N, 3)`` (sensor frame, rad/s, any float dtype);
    ``bias_rad_s``: the offset taken out first (rad/s). A row passes on its rate's length as
    it is, or where a tremor is seen: the rate with the tremor taken out (:func:`tremor_free`,
    :data:`TREMOR_SMOOTH_S`) is under the limit while the band taken out spreads by at least
    :data:`TREMOR_MIN_SHARE` of it (RMS over :data:`STILL_WINDOW_S`). A 4–7 Hz shaking of the
    knee of 0.1–0.3° turns the shank at up to 0.2 rad/s with the pose unchanged; a movement of
    the pose (under 1 Hz) is kept by the smoothing, and without a tremor the band never
    reaches the share, so the mask is the raw rate's as before. Rows with a rate not finite
    (not sent) never pass.
    """
    rows = np.shape(gyr_rad_s)[0]
    out = np.zeros(rows, dtype=bool)
    k = max(1, round(TREMOR_SMOOTH_S * rate_hz))
    n = max(1, round(STILL_WINDOW_S * rate_hz))
    margin = 2 * k + n
    bias = np.asarray(bias_rad_s, dtype=np.float64)
    for a in range(0, rows, TREMOR_CHUNK_ROWS):
        b = min(rows, a + TREMOR_CHUNK_ROWS)
        lo, hi = max(0, a - margin), min(rows, b + margin)
        g = np.asarray(gyr_rad_s[lo:hi], dtype=np.float64) - bias
        seen = np.all(np.isfinite(g), axis=1)
        g = np.where(seen[:, None], g, 0.0)  # a row not sent spreads nothing into the means
        smooth = tremor_free(g, k)
        band = np.sqrt(_moving_mean(np.sum((g - smooth) ** 2, axis=1), n))
        calm = (np.linalg.norm(smooth, axis=1) < limit_rad_s) & (
            band >= TREMOR_MIN_SHARE * limit_rad_s
        )
        ok = seen & ((np.linalg.norm(g, axis=1) < limit_rad_s) | calm)
        out[a:b] = ok[a - lo : b - lo]
    return out


def _moving_spread(x: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """Centred moving mean ``(K, 3)`` and RMS distance from it ``(K,)`` of 3-vectors."""
    mean = _moving_mean(x, n)
    sq = _moving_mean(np.sum(x * x, axis=1), n)
    return mean, np.sqrt(np.maximum(sq - np.sum(mean * mean, axis=1), 0.0))


@dataclass(frozen=True, kw_only=True)
class Tremor:
    """The tremor band (what :func:`tremor_free` takes out) of one sensor over a run."""

    gyro_rms_rad_s: float
    """RMS norm of the angular rate's tremor band (rad/s)."""
    acc_rms_m_s2: float
    """RMS norm of the acceleration's tremor band (m/s²)."""
    period_s: float
    """Mean period (s) of the acceleration's tremor band along its largest axis
    (:func:`oscillation_period_s`); NaN when it does not oscillate."""


def oscillation_period_s(x: FloatArray, rate_hz: float) -> float:
    """Mean period (s) of the oscillation ``x`` (1-D, one per grid step of ``1/rate_hz``).

    From its first to its last upward crossing of its mean (each placed between its two
    samples by linear interpolation), over the cycles between them; NaN with fewer than
    three crossings.
    """
    x = np.asarray(x, dtype=np.float64) - float(np.mean(x))
    i = np.flatnonzero((x[:-1] < 0.0) & (x[1:] >= 0.0))
    if i.size < 3:
        return math.nan
    at = i + x[i] / (x[i] - x[i + 1])
    return float((at[-1] - at[0]) / (i.size - 1) / rate_hz)


def tremor_band(session: UniformSession, run: tuple[int, int]) -> dict[str, Tremor]:
    """Per sensor, the tremor band of its rate and acceleration over the index run ``run``.

    The band is the signal less :func:`tremor_free` of it; valid samples only; sensors
    without any in ``run`` are left out.
    """
    k = max(1, round(TREMOR_SMOOTH_S * session.rate_hz))
    out: dict[str, Tremor] = {}
    for p, s in session.streams.items():
        ok = s.valid[run[0] : run[1]]
        if not ok.any():
            continue
        lo = max(0, run[0] - 2 * k)  # the filter's reach: the run's ends filtered as inside
        bands = []
        for x in (s.gyr_rad_s, s.acc_m_s2):
            x = np.asarray(x[lo : run[1] + 2 * k], dtype=np.float64)
            bands.append((x - tremor_free(x, k))[run[0] - lo : run[1] - lo])
        g, a = bands[0][ok], bands[1]
        # the largest axis of the acceleration's band (invalid samples zeroed, not dropped:
        # the crossings keep their times)
        a = np.where(ok[:, None], a, 0.0)
        axis = np.linalg.svd(a, full_matrices=False)[2][0] if a.shape[0] > 2 else np.zeros(3)
        out[p] = Tremor(
            gyro_rms_rad_s=float(np.sqrt(np.mean(np.sum(g * g, axis=1)))),
            acc_rms_m_s2=float(np.sqrt(np.mean(np.sum(a[ok] ** 2, axis=1)))),
            period_s=oscillation_period_s(a @ axis, session.rate_hz),
        )
    return out


def whole_cycles(window_s: tuple[float, float], period_s: float) -> tuple[float, float]:
    """``window_s`` (s) shortened at its end to a whole number of ``period_s`` cycles.

    A mean over whole cycles of an oscillation holds none of it; over a part cycle more,
    up to its amplitude over π × the cycles. Unchanged when ``period_s`` is not finite and
    positive or the window is shorter than a cycle.
    """
    a, b = window_s
    if not (math.isfinite(period_s) and period_s > 0.0) or b - a < period_s:
        return window_s
    return a, a + math.floor((b - a) / period_s) * period_s


def head_of(session: UniformSession, n: int) -> UniformSession:
    """The first ``n`` grid points of a session (views, no copies)."""
    if n >= session.t_s.shape[0]:
        return session
    streams = {
        p: UniformStream(
            placement=p,
            acc_m_s2=u.acc_m_s2[:n],
            gyr_rad_s=u.gyr_rad_s[:n],
            valid=u.valid[:n],
            mag_ut=None if u.mag_ut is None else u.mag_ut[:n],
            quat=None if u.quat is None else u.quat[:n],
        )
        for p, u in session.streams.items()
    }
    return UniformSession(t_s=session.t_s[:n], rate_hz=session.rate_hz, streams=streams, gaps=())


MIN_STAND_S = 3.0
"""The quiet stand the protocol asks for (s)."""

MIN_OPENING_STAND_S = 2.0
"""A stillness that opens the recording is taken for the quiet stand from this length on (s);
the protocol asks for ≥ 3 s, and a stillness later in the session must last that long."""

POSE_MATCH_DEG = 10.0
"""The body is back in the stand's pose when every sensor's gravity direction lies within
this angle (deg) of its direction during the stand."""

POSE_RETURN_S = 0.3
"""...and stays there at least this long (s): a swing passing through neutral is no return."""


def stand_pose_distance_deg(session: UniformSession, stand: tuple[int, int]) -> FloatArray:
    """Per grid point, how far (deg) the body is from the pose held over ``stand``.

    ``stand`` is a half-open index run of the grid. Per sensor: the angle between its
    gravity direction (centred ``STILL_WINDOW_S`` mean of the acceleration, sensor frame) and
    the mean acceleration's direction over ``stand``; the largest over the sensors. Invalid
    samples and sensors without data in ``stand`` are left out; NaN where no sensor counts.
    """
    n = max(1, round(STILL_WINDOW_S * session.rate_hz))
    worst = np.full(session.t_s.shape[0], np.nan)
    for s in session.streams.values():
        acc = np.asarray(s.acc_m_s2, dtype=np.float64)
        ok = s.valid[stand[0] : stand[1]]
        g = acc[stand[0] : stand[1]][ok].mean(axis=0) if ok.any() else np.zeros(3)
        if not np.linalg.norm(g) > 0.0:
            continue
        mean = _moving_mean(acc, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = (mean @ g) / (np.linalg.norm(mean, axis=1) * np.linalg.norm(g))
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        worst = np.fmax(worst, np.where(s.valid, angle, np.nan))
    return worst


def last_return_run(
    distance_deg: FloatArray, start: int, stop: int, rate_hz: float
) -> tuple[int, int] | None:
    """Index run ``[i, j)`` of the last return to the stand's pose in ``[start, stop)``.

    A return counts once the body has left the pose (``distance_deg`` above
    :data:`POSE_MATCH_DEG`, see :func:`stand_pose_distance_deg`) and then holds it again
    within that angle for :data:`POSE_RETURN_S`; the run lasts from the moment the body is
    back to when it leaves again (or ``stop``). None when there is none.
    """
    away = np.flatnonzero(distance_deg[start:stop] > POSE_MATCH_DEG)
    if away.size == 0:
        return None
    first = start + int(away[0])
    need = max(1, round(POSE_RETURN_S * rate_hz))
    with np.errstate(invalid="ignore"):
        back = distance_deg[first:stop] < POSE_MATCH_DEG
    runs = [(first + i, first + j) for i, j in true_runs(back, need)]
    return runs[-1] if runs else None


def first_return_start(
    distance_deg: FloatArray, start: int, stop: int, rate_hz: float
) -> int | None:
    """Index of the first return to the stand's pose in ``[start, stop)``, or None.

    As :func:`last_return_run` counts a return (the body has left the pose by more than
    :data:`POSE_MATCH_DEG` and holds it again for :data:`POSE_RETURN_S`), the first one.
    """
    away = np.flatnonzero(distance_deg[start:stop] > POSE_MATCH_DEG)
    if away.size == 0:
        return None
    first = start + int(away[0])
    with np.errstate(invalid="ignore"):
        back = distance_deg[first:stop] < POSE_MATCH_DEG
    runs = true_runs(back, max(1, round(POSE_RETURN_S * rate_hz)))
    return first + runs[0][0] if runs else None


STAND_BREAK_S = 0.25
"""A break in the stand's stillness at most this long (s) does not end the stand: a head or
trunk that sways once (half a stillness window) leaves the pose on either side the same."""


def bridge_short_breaks(mask: BoolArray, max_len: int) -> BoolArray:
    """``mask`` with every False run of ≤ ``max_len`` samples between two True runs set True.

    Runs at either end of ``mask`` are left as they are (nothing is known beyond them).
    """
    out = mask.copy()
    for i, j in true_runs(~mask):
        if i > 0 and j < mask.shape[0] and j - i <= max_len:
            out[i:j] = True
    return out


def _stand_candidates(
    still: BoolArray, t: FloatArray, rate: float, min_stand_s: float, search_s: float
) -> list[tuple[int, int]]:
    """Still runs that may be the quiet stand, in order: long enough, early enough.

    A run of window centres is ``STILL_WINDOW_S`` shorter than the stillness it marks (half
    of that at the recording's start). The first run, when it opens the recording (within
    1 s of its start), may be as short as :data:`MIN_OPENING_STAND_S`.
    """
    out = []
    for k, (i, j) in enumerate(true_runs(still)):
        if t[i] > t[0] + search_s:
            break
        # half a window is lost at each end, but not at the recording's start
        stillness_s = (j - i) / rate + STILL_WINDOW_S * (0.5 if i == 0 else 1.0)
        opening = k == 0 and t[i] - t[0] <= 1.0
        if stillness_s >= min_stand_s or (opening and stillness_s >= MIN_OPENING_STAND_S):
            out.append((i, j))
    return out


SETTLE_S = 2.5
"""A stillness this long (s) after the movements is the person settling into the exercise
(or a pause, when it is in the stand's pose)."""

MIN_MOVING_S = 5.0
"""The movements last at least this long (s) before a stillness may end them."""

MAX_PAUSE_WINDOW_S = 40.0
"""When the person never settles in another pose, the movements end at the first stillness
within this long (s) after the stand, as before the exercise could be seen."""


def _settled(
    still: BoolArray, distance_deg: FloatArray, start: int, stop: int, rate: float
) -> tuple[int | None, int | None]:
    """Starts of the first stillness away from the stand's pose and of the first in any pose.

    Both in ``[start, stop)``, each ≥ :data:`SETTLE_S` long and ≥ :data:`MIN_MOVING_S` after
    ``start``; None where there is none. Away: the median :func:`stand_pose_distance_deg`
    over the stillness exceeds :data:`POSE_MATCH_DEG` (leaning into a standing stretch,
    lying, sitting).
    """
    anywhere = None
    for i, j in true_runs(still[start:stop]):
        if i / rate < MIN_MOVING_S or (j - i) / rate < SETTLE_S:
            continue
        anywhere = start + i if anywhere is None else anywhere
        with np.errstate(invalid="ignore"):
            if np.nanmedian(distance_deg[start + i : start + j]) > POSE_MATCH_DEG:
                return start + i, anywhere
    return None, anywhere


MAX_RETURN_TAIL_S = 5.0
"""Back in the stand's pose, the movements end once the person comes to rest there (a
stillness of ≥ :data:`SETTLE_S`), at most this long (s) after the return: what follows
(turning on the spot, shifting weight, a pause before the exercise) is no calibration
movement."""


def _came_to_rest(still: BoolArray, run: tuple[int, int], rate: float) -> int:
    """End index of the movements within the last return ``run`` to the stand's pose.

    The start of the first stillness of ≥ :data:`SETTLE_S` in the run, at most
    :data:`MAX_RETURN_TAIL_S` after its start, and not past its end.
    """
    i, j = run
    latest = min(j, i + round(MAX_RETURN_TAIL_S * rate))
    rests = [i + a for a, b in true_runs(still[i:j]) if (b - a) / rate >= SETTLE_S]
    return min([latest, *rests])


MIN_MOVEMENTS_S = 3.0
"""Movements after a stand last at least this long (s) up to their last return to its pose."""

MIN_OPENING_MOVEMENTS_S = 1.0
"""...or this long (s) after a stand that opens the recording: that stillness is the
protocol's quiet stand, and one quick knee bend down and back up to it is a calibration
(however poor), while a later stillness the body leaves and regains in under
:data:`MIN_MOVEMENTS_S` is as likely a hold with a twitch in it."""


def _movements_after(
    session: UniformSession,
    still: BoolArray,
    stand: tuple[int, int],
    max_functional_s: float,
    least_s: float = MIN_MOVEMENTS_S,
) -> tuple[int, int] | str:
    """The functional window ``[start, end)`` (indices) after ``stand``, or why there is none.

    From the stand's end to where the person first settles into the exercise: a stillness of
    ≥ :data:`SETTLE_S` in a pose away from the stand's (within ``max_functional_s``), then
    cut where the person comes to rest after the last return to the stand's pose
    (:func:`last_return_run`, :func:`_came_to_rest`). A stillness in
    the stand's pose is a pause (or the other leg swinging where it wears no sensor) and does
    not end the movements, however slowly they are done. When the person never settles in
    another pose in that time, the first stillness of any pose within
    :data:`MAX_PAUSE_WINDOW_S` ends them (else that limit). Movements that never come back
    to the stand's pose mean it was no stand (e.g. the stretch hold of a session whose own
    stand was too short); what follows the last return (lying or sitting down, leaning into
    the stretch) is no calibration movement.
    """
    t, rate, n = session.t_s, session.rate_hz, session.t_s.shape[0]
    start = stand[1]
    distance = stand_pose_distance_deg(session, stand)
    away, anywhere = _settled(
        still, distance, start, min(n, start + int(max_functional_s * rate)), rate
    )
    fallback = min(n, start + int(min(max_functional_s, MAX_PAUSE_WINDOW_S) * rate))
    if away is not None:
        end = away
    elif anywhere is not None and anywhere < fallback:
        end = anywhere
    else:
        end = fallback
    if (end - start) / rate < 3.0:
        return (
            f"after the quiet stand ending at {t[stand[1] - 1]:.1f} s there are no functional "
            "movements (slow knee bends and leg swings); the flexion axes cannot be found"
        )
    run = last_return_run(distance, start, min(n, end + round(SETTLE_S * rate)), rate)
    back = None if run is None else _came_to_rest(still, run, rate)
    if back is None or (min(end, back) - start) / rate < least_s:
        return (
            f"no quiet stand found: the stillness at [{t[stand[0]]:.1f}, {t[stand[1] - 1]:.1f}]"
            " s is no quiet stand, the movements after it never return to its pose; start "
            "each session standing still, upright, or give the windows (sidecar "
            "'calibration', or --stand/--movements)"
        )
    return start, min(end, back)


UPPER_BODY = ("trunk", "head")
"""Placements whose movement does not end (or hide the end of) the calibration movements."""


def _lower_body_still(session: UniformSession, still: BoolArray) -> BoolArray:
    """Where the pelvis and leg sensors are still (``still`` when no other sensor is worn).

    The calibration movements are the legs' and pelvis's (knee bends, leg swings, bows); the
    person settles into the exercise when those stop. A trunk or head that sways or looks
    about the whole time (never still for the :data:`SETTLE_S` a settle takes) must not hide
    that, or a set with them would cut the movements where a set without them does not
    (the stranger's round 2, seed 5: the full set's movements ended at the 40-s fallback,
    before the exercised thigh's, and its axis was not established).
    """
    lower = {p: u for p, u in session.streams.items() if p not in UPPER_BODY}
    if not lower or len(lower) == len(session.streams):
        return still
    return stillness_mask(replace(session, streams=lower))


def _opening_stillness(
    session: UniformSession, search_s: float, max_functional_s: float
) -> tuple[UniformSession, BoolArray, BoolArray]:
    """The session's opening and where it is still, as the stand searches read it.

    Only the opening can hold the protocol: ``search_s`` + ``max_functional_s`` + 10 s of
    it. Returns that opening, its stillness with breaks of ≤ :data:`STAND_BREAK_S` bridged
    (where a stand may be), and where its pelvis and leg sensors are still
    (:func:`_lower_body_still`, where the movements settle).
    """
    session = head_of(session, int((search_s + max_functional_s + 10.0) * session.rate_hz))
    still = stillness_mask(session)
    steady = bridge_short_breaks(still, round(STAND_BREAK_S * session.rate_hz))
    return session, steady, _lower_body_still(session, still)


def detect_windows(
    session: UniformSession,
    *,
    min_stand_s: float = MIN_STAND_S,
    search_s: float = 30.0,
    max_functional_s: float = 120.0,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The quiet stand and the functional window (s) of :func:`detect_windows_passed`."""
    static_s, functional_s, _ = detect_windows_passed(
        session, min_stand_s=min_stand_s, search_s=search_s, max_functional_s=max_functional_s
    )
    return static_s, functional_s


def detect_windows_passed(
    session: UniformSession,
    *,
    min_stand_s: float = MIN_STAND_S,
    search_s: float = 30.0,
    max_functional_s: float = 120.0,
) -> tuple[tuple[float, float], tuple[float, float], float | None]:
    """Find the quiet stand and the functional movements that follow it.

    The stand is the first stillness (:func:`stillness_mask`, every sensor still; breaks of
    ≤ :data:`STAND_BREAK_S` bridged) within the first ``search_s`` that lasts ≥
    ``min_stand_s`` — or ≥ :data:`MIN_OPENING_STAND_S` when it opens the recording — and
    that the movements after it return to (:func:`_movements_after`); 0.25 s are trimmed
    from each end of its run of still window centres. The functional window runs from the
    end of the stand to the last return to the stand's pose before the person settles into
    the exercise (:func:`_movements_after`), looking at most ``max_functional_s`` past the
    stand. Also the start (s) of the first stillness passed over (long enough, but the
    movements after it did not return to it, or too briefly), None when the stand is the
    first candidate.
    CalibrationError when no stillness qualifies.
    """
    session, steady, settling = _opening_stillness(session, search_s, max_functional_s)
    t, rate = session.t_s, session.rate_hz
    why = (
        f"no quiet stand of ≥ {min_stand_s:g} s (all sensors still) in the first "
        f"{search_s:g} s; start each session standing still, upright, knees straight, feet "
        "flat, or give the windows (sidecar 'calibration', or --stand/--movements)"
    )
    passed: float | None = None
    for k, stand in enumerate(_stand_candidates(steady, t, rate, min_stand_s, search_s)):
        opening = k == 0 and t[stand[0]] - t[0] <= 1.0
        least = MIN_OPENING_MOVEMENTS_S if opening else MIN_MOVEMENTS_S
        found = _movements_after(session, settling, stand, max_functional_s, least)
        if isinstance(found, str):
            why = found if k == 0 else why
            passed = float(t[stand[0]]) if passed is None else passed
            continue
        trim = round(0.25 * rate)
        static_s = (float(t[stand[0] + trim]), float(t[stand[1] - trim]))
        functional_s = (float(t[found[0]]), float(t[min(found[1], t.shape[0] - 1)]))
        return static_s, functional_s, passed
    raise CalibrationError(why)


MIN_LATE_STAND_S = 1.2
"""A session that opens still in a pose the movements never return to (calibrated seated)
may take a standing stillness this short (s) later on for its quiet stand: a stand that is
still for under 3 s (the sit-to-stand and the first bend on either side) is better than
none, and the report says how short it was."""


def _stand_trim(i: int, j: int, rate: float) -> int:
    """Samples trimmed from each end of a still run ``[i, j)`` taken for the stand.

    0.25 s, less where that would leave under 0.5 s (the least the calibration accepts) in
    the stand ``[t[i + trim], t[j - 1 - trim])``, which holds ``j - i - 1 - 2 trim`` samples.
    """
    least = math.ceil(0.5 * rate)  # the calibration counts ≥ 0.5 × rate samples
    return max(0, min(round(0.25 * rate), (j - i - 1 - least) // 2))


def detect_stand_after_opening(
    session: UniformSession,
    *,
    search_s: float = 30.0,
    max_functional_s: float = 120.0,
    home_first: bool = False,
) -> tuple[tuple[float, float], tuple[float, float], float, float | None] | None:
    """A shorter stand after an opening stillness that was no stand (a seated calibration).

    Only when the recording opens with a stillness (every sensor still, ≥
    :data:`MIN_OPENING_STAND_S`, within 1 s of its start) that the movements never return to:
    the later stillnesses (bridged as in :func:`detect_windows_passed`) of ≥
    :data:`MIN_LATE_STAND_S`, within ``search_s``, in a pose more than :data:`POSE_MATCH_DEG`
    from the opening one, and followed by movements that return to them
    (:func:`_movements_after`, ≥ :data:`MIN_MOVEMENTS_S`). Of those, the first within
    :data:`POSE_MATCH_DEG` of the pose farthest from the opening one (upright, not the
    bottom of a knee bend, when the opening was a seat). Returns the stand and movements (s),
    the opening stillness's start (s) and None; None when there is no such stand.

    ``home_first``: also where the movements do return to the opening stillness, a later
    stillness the movements return to *before* they first return to the opening's pose is
    their home, and the opening was no stand (a seat the person sat back on only to lie down
    for the exercise); the last item is then that first return to the opening's pose (s).
    """
    session, steady, settling = _opening_stillness(session, search_s, max_functional_s)
    t, rate = session.t_s, session.rate_hz
    runs = true_runs(steady)
    if not runs:
        return None
    first = runs[0]
    opening_s = (first[1] - first[0]) / rate + 0.5 * STILL_WINDOW_S * (1 + (first[0] > 0))
    if t[first[0]] - t[0] > 1.0 or opening_s < MIN_OPENING_STAND_S:
        return None
    from_opening = stand_pose_distance_deg(session, first)
    back_to_opening = None
    if not isinstance(
        _movements_after(session, settling, first, max_functional_s, MIN_OPENING_MOVEMENTS_S),
        str,
    ):
        back_to_opening = first_return_start(from_opening, first[1], t.shape[0], rate)
        if not home_first or back_to_opening is None:
            return None
    found: list[tuple[float, tuple[int, int], tuple[int, int]]] = []
    for i, j in runs[1:]:
        if t[i] > t[0] + search_s:
            break
        if (j - i) / rate + STILL_WINDOW_S < MIN_LATE_STAND_S:
            continue
        with np.errstate(invalid="ignore"):
            away_deg = float(np.nanmedian(from_opening[i:j]))
        if not away_deg > POSE_MATCH_DEG:
            continue
        moved = _movements_after(session, settling, (i, j), max_functional_s, MIN_MOVEMENTS_S)
        if isinstance(moved, str):
            continue
        if back_to_opening is not None:  # home first: back here before back to the opening
            mine = first_return_start(stand_pose_distance_deg(session, (i, j)), j, t.shape[0], rate)
            if mine is None or mine >= back_to_opening:
                continue
        found.append((away_deg, (i, j), moved))
    if not found:
        return None
    farthest = max(d for d, _, _ in found)
    _, (i, j), moved = next(f for f in found if f[0] >= farthest - POSE_MATCH_DEG)
    trim = _stand_trim(i, j, rate)
    static_s = (float(t[i + trim]), float(t[j - 1 - trim]))
    functional_s = (float(t[moved[0]]), float(t[min(moved[1], t.shape[0] - 1)]))
    returned_s = None if back_to_opening is None else float(t[back_to_opening])
    return static_s, functional_s, float(t[first[0]]), returned_s


@dataclass(frozen=True, kw_only=True)
class Windows:
    """The calibration windows in use, where they came from, and notes for the report."""

    static_s: tuple[float, float]
    functional_s: tuple[float, float]
    source: WindowSource
    notes: tuple[str, ...] = ()
    late_stand: LateStand | None = None
    """The stand taken after an opening stillness in another pose (a calibration done
    sitting, :func:`detect_stand_after_opening`); None for every other stand."""


def resolve_windows(session: UniformSession, windows: CalibrationWindows | None) -> Windows:
    """The sidecar's windows when complete, else windows detected in the data."""
    if windows is not None and windows.static_s and windows.functional_s:
        return Windows(
            static_s=windows.static_s, functional_s=windows.functional_s, source="sidecar"
        )
    try:
        static_s, functional_s, passed = detect_windows_passed(session)
    except CalibrationError:
        late = detect_stand_after_opening(session)
        if late is None:
            raise
        return _late_stand_windows(*late)
    if passed is None and static_s[0] - session.t_s[0] <= 1.0 + STILL_WINDOW_S:
        # the opening stillness taken: was it a seat the movements came home to only late?
        home = detect_stand_after_opening(session, home_first=True)
        if home is not None:
            return _late_stand_windows(*home)
    shaking = _stand_tremor(session, static_s)
    if shaking:  # the stand's mean pose taken over whole cycles of the largest tremor
        largest = max(shaking.values(), key=lambda b: b.acc_rms_m_s2)
        static_s = whole_cycles(static_s, largest.period_s)
    notes = [_detected_note(static_s, functional_s)]
    if shaking:
        notes.append(_tremor_note(shaking))
    if passed is not None:
        notes.append(
            f"an earlier stillness (from {passed:.1f} s) was not taken for the quiet stand: "
            "the movements after it did not come back to its pose, or too briefly; if that "
            "was the stand, every angle here is zeroed in the wrong pose (give the windows "
            "with --stand/--movements)"
        )
    # 0.25 s are trimmed at each end of the detected stand
    stood_s = static_s[1] - static_s[0] + 0.5
    if stood_s < MIN_STAND_S:
        notes.append(
            f"the quiet stand lasted only about {stood_s:.1f} s (the protocol asks for "
            f"≥ {MIN_STAND_S:g} s); it was taken because the movements return to its pose"
        )
    moved_s = functional_s[1] - functional_s[0]
    if moved_s < MIN_MOVEMENTS_S:
        notes.append(
            f"the calibration movements lasted only about {moved_s:.1f} s (one quick movement "
            "back to the stand); the flexion axes rest on that alone"
        )
    return Windows(
        static_s=static_s, functional_s=functional_s, source="detected", notes=tuple(notes)
    )


def _stand_tremor(session: UniformSession, static_s: tuple[float, float]) -> dict[str, Tremor]:
    """The sensors with a tremor past the stillness limits over the stand ``static_s`` (s).

    Their tremor band (:func:`tremor_band`) reaches :data:`STILL_GYRO_RAD_S` or
    :data:`STILL_ACC_M_S2`: a stand taken only because the stillness test leaves it out.
    """
    i, j = (int(x) for x in np.searchsorted(session.t_s, static_s))
    return {
        p: b
        for p, b in tremor_band(session, (i, max(j, i + 1))).items()
        if b.gyro_rms_rad_s >= STILL_GYRO_RAD_S or b.acc_rms_m_s2 >= STILL_ACC_M_S2
    }


def _tremor_note(shaking: dict[str, Tremor]) -> str:
    """The report's note on a tremor in the detected stand (:func:`_stand_tremor`)."""
    told = [
        f"{p} {np.degrees(b.gyro_rms_rad_s):.1f} °/s, {b.acc_rms_m_s2:.2f} m/s²"
        + (f" at about {1.0 / b.period_s:.1f} Hz" if b.period_s > 0.0 else "")
        for p, b in shaking.items()
    ]
    return (
        "a tremor was seen during the quiet stand (RMS: " + "; ".join(told) + "); the stand "
        "was taken as still because its pose did not move, and its pose was averaged over "
        "whole cycles of the tremor"
    )


def _detected_note(static_s: tuple[float, float], functional_s: tuple[float, float]) -> str:
    """The report's note naming the detected stand and movements (s)."""
    return (
        f"calibration windows detected: stand [{static_s[0]:.1f}, {static_s[1]:.1f}) s, "
        f"movements [{functional_s[0]:.1f}, {functional_s[1]:.1f}) s"
    )


def _late_stand_windows(
    static_s: tuple[float, float],
    functional_s: tuple[float, float],
    opening_s: float,
    returned_s: float | None,
) -> Windows:
    """Detected windows of :func:`detect_stand_after_opening`, with notes saying so."""
    stood_s = static_s[1] - static_s[0]
    came_back = (
        "the movements never came back to"
        if returned_s is None
        else f"the movements came back to only at {returned_s:.1f} s, after they had come back "
        "to a later stillness"
    )
    late = LateStand(
        opening_s=opening_s,
        stand_s=static_s,
        protocol_s=MIN_STAND_S,
        text=f"the session opened still in another pose (from {opening_s:.1f} s; sitting?) that "
        f"{came_back}, so it was not taken for the quiet stand; the "
        f"stand taken is a later stillness of only about {stood_s:.1f} s (the protocol asks "
        f"for ≥ {MIN_STAND_S:g} s still, upright): hip, knee, ankle and pelvis zero rest on "
        "it; start each session standing still, upright, for a surer zero",
    )
    return Windows(
        static_s=static_s,
        functional_s=functional_s,
        source="detected",
        notes=(_detected_note(static_s, functional_s), late.text),
        late_stand=late,
    )
