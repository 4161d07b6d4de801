"""A strap that turned on its segment after the calibration, found from the knee's hinge.

The calibration fixes how each sensor sits on its segment once. If the thigh's or the shank's
strap later turns about the segment's long axis (a knock, or a slow creep), every angle built
on that sensor is read about axes that have turned with it, and nothing else in the pipeline
notices: the hip's flexion then reads as adduction and rotation (a 15° thigh slip at 80° of
hip flexion: ~16° of false adduction).

The knee shows it. Its hinge axis is fixed in the thigh and in the shank, so the axis that
:func:`analysis.angles.calibration_hinge.fit_hinge` finds from the two sensors' rates in any
stretch of knee bending (the transitions into and out of each stretch) is the same in each
sensor's coordinates all session long, unless a sensor turned on its segment: then the axis
seen from that sensor turns by the slip, about the segment's long axis. Here the hinge is
fitted again in windows after the calibration movements, each window's axis is expressed as a
turn about the long axis from the axis the calibration movements themselves give (the same
fit, so the fit's own bias cancels), and a step that stays (seen in two separate stretches
of bending, or past :data:`LARGE_SLIP_DEG` in one) is reported with its time. A step one
stretch shows is dropped where a later knee bend, counted or not, fits no turn clearly better
than that one (:func:`refuting_bend_s`).

Assumes the knee is a hinge up to the sensors' errors and that both sensors are worn; a
pelvis's belt (no hinge to it) is not checked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.calibration import angle_dependencies, tilted_angles
from analysis.angles.calibration_axes import apart_deg
from analysis.angles.calibration_hinge import (
    MIN_KNEE_ROTATION_DEG,
    NEAR_BEST_COST,
    HingeFit,
    fit_hinge,
    knee_rotation_deg,
    turn_cost_ratio,
)
from analysis.recording.doubts import TimedDoubt, UncertainAngle
from analysis.recording.schema import T_S, angle_column, thigh_inclination_column
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]


class Rates(Protocol):
    """A sensor's rates (rad/s, N×3), read a stretch of rows at a time.

    An array, or a view that corrects them per stretch so a long session is never copied whole.
    """

    def __getitem__(self, rows: slice, /) -> FloatArray: ...


@dataclass(frozen=True)
class BiasFreeRates:
    """A sensor's gyroscope rates less its bias (rad/s, sensor frame), NaN where not valid.

    Computed for the rows asked only (float64); the stored rates stay as they are.
    """

    gyr_rad_s: NDArray[np.floating]
    bias_rad_s: FloatArray
    valid: NDArray[np.bool_]

    def __getitem__(self, rows: slice, /) -> FloatArray:
        g = np.asarray(self.gyr_rad_s[rows], dtype=np.float64) - self.bias_rad_s
        return np.where(np.asarray(self.valid[rows])[:, None], g, np.nan)


WINDOW_S = 20.0
"""Length of the windows the hinge is fitted in again."""
STEP_S = 10.0
"""Windows start this far apart (they overlap by half)."""
MIN_WEAKEST_RAD_S = 0.02
"""A window's fit counts only where the data fix the axis at least this well
(``HingeFit.weakest_rad_s``, for the side checked)."""
SLIP_DEG = 5.0
"""A turn of the hinge axis about the segment's long axis (:func:`_steps`) larger than this in
every counted window from one on is a slip. Without a slip the largest such lasting step was
1.8° on the stranger's round-4 sessions 1900–1939 (default set; single windows up to 7.4° from
the movements' fit) and 1.2° on our people 0–14 (default and full sets, 1 and 10 min); the six
thigh and shank slips there (6.4–18.8°) read 6.1–18.2°."""
PREFILTER_SHARE = 0.8
"""Windows whose knee turned less than this share of :data:`MIN_KNEE_ROTATION_DEG` under the
calibration's axes are not fitted (a hold: saves the fit's time; the fitted axes' turn decides
the rest)."""
MIN_APART_WINDOWS = 2
"""Counted windows that do not overlap (starts a window's length apart) a slip must last: two
separate stretches of knee bending must show it, not one bend seen by two overlapping windows.
Three were tried (round 16): they stopped calling a resting left shank of our generator slipped
(held-out person 72000, full set, 1 h: 10.3°, 10.3° and 6.2° in its only three counted windows
after 26 min), but lost two re-strapped sensors of the stranger's round 5 that show their turn in
two stretches of bending only (2109's thigh, 2129's shank: hip adduction 13.6°, knee 5.4° and
ankle 7.6° off and trusted). A false slip makes angles uncertain; a missed one trusts them."""
LARGE_SLIP_DEG = 20.0
"""A step larger than this in every counted window from one on (at least two of them) is a slip
even where they see one stretch of bending only: twice the largest single window read without a
slip (10.3°, the resting left shank of held-out person 72000; 7.4° on the stranger's round-4
sessions without one). The stranger's round-5 seed 2144 turned its shank 37° in a break and
bent its knee past :data:`MIN_KNEE_ROTATION_DEG` only once after it (into the stretch; 16° out
of it): two overlapping windows read 36.4°, and the ankle read 7.9° off, trusted."""
SMALL_SLIP_DEG = 0.5 * min(RMSE_TARGET_DEG[m] for m in ("hip_adduction", "hip_internal_rotation"))
"""A thigh's lasting step past this (2°) but within :data:`SLIP_DEG`, seen in two separate
stretches of bending (:func:`small_slip_onset`), is a turn that may have happened: a thigh
turned by θ about its long axis reads the hip's rotation θ off (one to one) and its adduction
up to θ, so a turn past half their 4° target leaves them untrusted (the other half for their
other errors, as :data:`FLEXION_SHARE`). The stranger's round-4 seed 2728: a thigh strap
knocked −6.5° just after the calibration movements read a lasting step of 4.7° (its six
windows in three stretches 6.7–8.9° from the movements' fit, 4.7–6.9° from the calibration's
axis), and its hip rotation 4.5° RMS off, trusted. A shank's turn this small moves no angle
with a target past a tenth of a degree (:func:`flexion_error_bound_deg`) and is not
reported."""
FLEXION_SHARE = 0.5
"""A turned thigh also takes the hip's and the knee's flexion where the turn may move them by
more than this share of their target (RMS over the samples read from the turn on,
:func:`turned_flexion_rms_deg`): the rest of the target is left for their other errors."""
FIT_SAMPLES = 300
"""A window is first fitted from the calibration's axes alone (one descent), its moving
samples thinned to at most this many (every k-th)."""
SCREEN_DEG = 3.0
"""Where that quick fit leaves either axis farther than this from the calibration's, the
window is fitted again as the calibration fits (nine starts, up to
:data:`analysis.angles.calibration_hinge.MAX_SAMPLES` samples): a window whose axis turned is
read as carefully as before, the still ones cheaply."""


@dataclass(frozen=True, kw_only=True)
class AxisTurn:
    """One window's refitted hinge axis: its start (s) and its turn (°) about the long axis."""

    t0_s: float
    turn_deg: float


@dataclass(frozen=True, kw_only=True)
class Slip:
    """A sensor found turned on its segment: which, from when and by how much.

    ``at_s``: the start of the first window that shows it; ``turn_deg``: the median step of
    the windows from then on; ``since_s``: the start of the last counted window before
    ``at_s`` that shows no turn (the calibration movements' end if none): the turn came after
    it.
    """

    placement: str
    at_s: float
    turn_deg: float
    since_s: float = -np.inf
    steps: tuple[AxisTurn, ...] = ()
    """The counted windows from ``at_s`` on, each with its step (°, :func:`_steps`)."""
    unread: str = ""
    """Why the sensor could not be read again as it sits after the turn (words; empty: not
    tried), added to :func:`slip_reason`."""
    one_stretch: bool = False
    """Seen in one stretch of knee bending only (:func:`one_stretch_onset`): too little to
    call it a slip or to read the sensor again, enough that its angles are not trusted."""
    held: bool = False
    """Seen as the knee's twist off its hinge while the knee was held still
    (:mod:`analysis.angles.held_twist`), not in the hinge's windows: not read again as it sits,
    its angles not trusted."""
    small: bool = False
    """A thigh's lasting step past :data:`SMALL_SLIP_DEG` but within :data:`SLIP_DEG`
    (:func:`small_slip_onset`): too small to read the sensor again as it sits, enough that the
    hip's adduction and rotation are not trusted."""
    reread_within_deg: float | None = None
    """Read again as it sits after the turn (by ``turn_deg``, from ``at_s``: when half the
    gyroscopes' step was made), but that turn is known only to within this (°,
    :func:`analysis.angles.re_anchor.rough_turn`): the angles are doubted as for a turn of
    this size (:func:`flexion_moved_deg`), not of ``turn_deg``. None: not read again so."""


def turn_about_long_axis_deg(j_S: FloatArray, j_ref_S: FloatArray, long_S: FloatArray) -> float:
    """Signed angle (°) from ``j_ref_S`` to ``j_S`` about ``long_S`` (all in one frame).

    Both axes are projected onto the plane across ``long_S``; their arbitrary signs are paired
    first (``j_S`` flipped where it points away from ``j_ref_S``). A turn tilting the axis
    towards the long axis is not counted (no strap turns so).
    """
    u = np.asarray(long_S, dtype=np.float64) / np.linalg.norm(long_S)
    a = np.asarray(j_ref_S, dtype=np.float64)
    b = np.asarray(j_S, dtype=np.float64)
    b = -b if float(a @ b) < 0.0 else b
    a, b = a - (a @ u) * u, b - (b @ u) * u
    return float(np.rad2deg(np.arctan2(float(np.cross(a, b) @ u), float(a @ b))))


def quick_fit(prox: FloatArray, dist: FloatArray, near: HingeFit) -> HingeFit | None:
    """The hinge fitted from ``near``'s axes alone on thinned samples (:data:`FIT_SAMPLES`).

    None where an axis the fit fixes (:data:`MIN_WEAKEST_RAD_S`) comes out farther than
    :data:`SCREEN_DEG` from ``near``'s: such a window is fitted again in full. An axis the
    window leaves free is not counted by the check, and not screened.
    """
    fit = fit_hinge(
        prox, dist, near.j_prox_S, near.j_dist_S, max_samples=FIT_SAMPLES, tilted_starts=False
    )
    moved = [
        apart_deg(j, j_near)
        for j, j_near, weakest in (
            (fit.j_prox_S, near.j_prox_S, fit.weakest_rad_s),
            (fit.j_dist_S, near.j_dist_S, fit.weakest_dist_rad_s or 0.0),
        )
        if weakest >= MIN_WEAKEST_RAD_S
    ]
    return fit if max(moved, default=0.0) <= SCREEN_DEG else None


def window_turns(
    gyr_prox: Rates,
    gyr_dist: Rates,
    t_s: FloatArray,
    *,
    j_prox_S: FloatArray,
    j_dist_S: FloatArray,
    long_S: FloatArray,
    distal: bool,
    from_s: float,
    rate_hz: float,
    fits: dict[float, HingeFit | None] | None = None,
) -> tuple[float | None, list[AxisTurn]]:
    """The hinge refitted before ``from_s`` (the reference) and in windows after it.

    ``gyr_*``: bias-free rates (rad/s, each sensor's frame, NaN where missing) on ``t_s``
    (ascending), read one window's rows at a time; ``j_*_S``: the calibration's hinge axis in
    each sensor; ``long_S``: the checked sensor's segment's long axis in its coordinates;
    ``distal``: check the shank's side, else the thigh's. Each window counts where the knee
    turned at least :data:`MIN_KNEE_ROTATION_DEG` and the checked side's axis is fixed
    (:data:`MIN_WEAKEST_RAD_S`). Returns the reference fit's turn from the calibration's axis
    (None: the movements do not fix it) and the later windows' turns from the reference.
    ``fits``: the windows' fits by start (the reference's at ``-inf``), filled and reused, so
    that the thigh's and the shank's checks fit each window once. The reference is fitted as
    the calibration fits (nine starts); each window first from the reference's axes alone
    (:func:`quick_fit`), and again in full where that moved an axis it fixes.
    """
    cal = HingeFit(
        j_prox_S=j_prox_S,
        j_dist_S=j_dist_S,
        residual_rad_s=0.0,
        spread_rad_s=0.0,
        weakest_rad_s=0.0,
        samples=0,
    )
    fits = {} if fits is None else fits

    def fitted(rows: slice, near: HingeFit | None) -> HingeFit | None:
        prox, dist = gyr_prox[rows], gyr_dist[rows]
        m = np.all(np.isfinite(prox), axis=1) & np.all(np.isfinite(dist), axis=1)
        if m.sum() < rate_hz:
            return None
        prox, dist = prox[m], dist[m]
        # a window the knee barely bent in (under the calibration's axes) is not fitted
        bent = knee_rotation_deg(prox, dist, cal, rate_hz=rate_hz)
        if bent < PREFILTER_SHARE * MIN_KNEE_ROTATION_DEG:
            return None
        fit = None if near is None else quick_fit(prox, dist, near)
        if fit is None:
            fit = fit_hinge(prox, dist, j_prox_S, j_dist_S)
        turned = knee_rotation_deg(prox, dist, fit, rate_hz=rate_hz)
        return fit if turned >= MIN_KNEE_ROTATION_DEG else None

    def axis(key: float, start_s: float, end_s: float) -> FloatArray | None:
        if key not in fits:
            i0, i1 = np.searchsorted(t_s, (start_s, end_s), side="left")
            fits[key] = fitted(
                slice(int(i0), int(i1)), fits.get(-np.inf) if key > -np.inf else None
            )
        fit = fits[key]
        weakest = None if fit is None else fit.weakest_dist_rad_s if distal else fit.weakest_rad_s
        if fit is None or (weakest or 0.0) < MIN_WEAKEST_RAD_S:
            return None
        return fit.j_dist_S if distal else fit.j_prox_S

    j_cal = j_dist_S if distal else j_prox_S
    ref = axis(-np.inf, -np.inf, from_s)
    if ref is None:
        return None, []
    out = []
    for t0 in np.arange(from_s, t_s[-1] - 0.5 * WINDOW_S, STEP_S):
        j = axis(float(t0), float(t0), float(t0) + WINDOW_S)
        if j is not None:
            out.append(AxisTurn(t0_s=float(t0), turn_deg=turn_about_long_axis_deg(j, ref, long_S)))
    return turn_about_long_axis_deg(ref, j_cal, long_S), out


def _steps(turns: list[AxisTurn], k: int, cal_deg: float) -> Iterator[float]:
    """The turns of windows ``k…`` away from where the axis was before them (°, signed).

    Before window ``k`` the axis was at the median of the reference (0) and the earlier
    windows; the calibration's own axis (``cal_deg``, from the reference) may lie a few
    degrees from both (it may come from elsewhere: the movements' dominant axis, the whole
    session's fit). A window counts as turned only by the smaller of its turns from the two,
    and only where both are the same way (else 0). Yielded one window at a time.
    """
    base = float(np.median([0.0, *(w.turn_deg for w in turns[:k])]))
    for w in turns[k:]:
        a, b = w.turn_deg - base, w.turn_deg - cal_deg
        yield float(np.sign(a)) * min(abs(a), abs(b)) if a * b > 0 else 0.0


def apart_count(turns: list[AxisTurn], enough: int | None = None) -> int:
    """How many of the windows do not overlap, counted from the first (starts ascending).

    ``enough``: stop counting there.
    """
    n, last = 0, -np.inf
    for w in turns:
        if w.t0_s - last >= WINDOW_S - 1e-6:
            n, last = n + 1, w.t0_s
            if n == enough:
                break
    return n


def _lasting(steps: Iterator[float], past_deg: float = SLIP_DEG) -> list[float] | None:
    """``steps`` if every one is past ``past_deg`` (°) the same way, else None (read lazily)."""
    out: list[float] = []
    for x in steps:
        if abs(x) <= past_deg or (out and (x > 0) != (out[0] > 0)):
            return None
        out.append(x)
    return out


def onset_steps(turns: list[AxisTurn], at_s: float, cal_deg: float = 0.0) -> tuple[AxisTurn, ...]:
    """The counted windows from ``at_s`` on, each with its step (°).

    The steps are :func:`_steps`' (from the reference and the calibration's axis, ``cal_deg``).
    """
    k = next((i for i, w in enumerate(turns) if w.t0_s >= at_s), len(turns))
    return tuple(
        AxisTurn(t0_s=w.t0_s, turn_deg=x)
        for w, x in zip(turns[k:], _steps(turns, k, cal_deg), strict=True)
    )


def slip_onset(turns: list[AxisTurn], cal_deg: float = 0.0) -> AxisTurn | None:
    """Where a lasting step of the hinge axis starts, as ``AxisTurn(start, median step)``.

    The first window from which every counted window is turned past :data:`SLIP_DEG` the same
    way (:func:`_steps`), at least :data:`MIN_APART_WINDOWS` of them apart (:func:`apart_count`:
    so that separate stretches of bending show it), or at least two of them, overlapping or
    not, where every step is past :data:`LARGE_SLIP_DEG`; None: no such step.
    """
    for k, first in enumerate(turns):
        if len(turns) - k < 2:
            break
        steps = _lasting(_steps(turns, k, cal_deg))
        if not steps:
            continue
        apart = apart_count(turns[k:], enough=MIN_APART_WINDOWS) >= MIN_APART_WINDOWS
        if apart or min(abs(x) for x in steps) > LARGE_SLIP_DEG:
            return AxisTurn(t0_s=first.t0_s, turn_deg=float(np.median(steps)))
    return None


def small_slip_onset(
    turns: list[AxisTurn], cal_deg: float = 0.0, knee_turns: Sequence[AxisTurn] = ()
) -> AxisTurn | None:
    """Where a lasting step too small for :func:`slip_onset` starts, as ``AxisTurn(start, median)``.

    The first window from which every counted window is turned past :data:`SMALL_SLIP_DEG`
    the same way (:func:`_steps`: the smaller of its turns from the earlier windows and from
    the calibration's axis), at least :data:`MIN_APART_WINDOWS` of them apart, and each step
    larger than every turn an earlier window of the knee read (:func:`earlier_scatter_deg`,
    ``knee_turns``: the other sensor's side): a step within the knee's own wander is not
    told from it. None: no such step. Meant for the thigh, where such a turn moves the hip's
    adduction and rotation by about as much (:data:`SMALL_SLIP_DEG`). The stranger's round-4
    seed 1956 (no strap moved): its thigh's windows read −1.3° to −2.3° from the movements'
    fit up to 2:17 and +0.8° to +1.5° after, a lasting step of 2.1° within that wander.
    """
    for k in range(len(turns) - 1):
        steps = _lasting(_steps(turns, k, cal_deg), SMALL_SLIP_DEG)
        if not steps or apart_count(turns[k:], enough=MIN_APART_WINDOWS) < MIN_APART_WINDOWS:
            continue
        if min(abs(x) for x in steps) > earlier_scatter_deg(turns, k, knee_turns):
            return AxisTurn(t0_s=turns[k].t0_s, turn_deg=float(np.median(steps)))
    return None


def earlier_scatter_deg(
    turns: Sequence[AxisTurn], k: int, knee_turns: Sequence[AxisTurn] = ()
) -> float:
    """The largest turn (°, from the reference, unsigned) a window before ``turns[k]`` read.

    The side's own windows ``turns[:k]`` and the other sensor's side's (``knee_turns``) that
    start before it; 0 where there are none.
    """
    at_s = turns[k].t0_s
    earlier = [w.turn_deg for w in (*turns[:k], *knee_turns) if w.t0_s < at_s]
    return max((abs(x) for x in earlier), default=0.0)


def one_stretch_onset(
    turns: list[AxisTurn], cal_deg: float = 0.0, knee_turns: Sequence[AxisTurn] = ()
) -> AxisTurn | None:
    """Where a lasting step of the hinge axis starts that one stretch of bending shows alone.

    As :func:`slip_onset`, but from at least two windows that may overlap (the bending into
    or out of one stretch) and of any size past :data:`SLIP_DEG`: the first window from
    which every counted window to the end is turned past it the same way, as
    ``AxisTurn(start, median step)``; None: no such step. Such a step is too little to call a
    slip (a resting shank read 10.3° so, held-out 72000) and too much to trust the angles the
    sensor measures after it: the stranger's round-4 seed 2013, a thigh strap creeping −14°
    through the session's last stretch, read 13.3° in the two windows of that stretch's end,
    and its hip adduction 4.4° RMS off, trusted.

    One stretch is one reading, so the step counts only as a change from the knee's own
    earlier readings (:func:`stands_out`): after a counted window that read the axis unturned,
    and larger than any turn an earlier window of the knee read (``turns`` and
    ``knee_turns``, the other sensor's side of the same windows' fits).
    """
    for k, first in enumerate(turns):
        if len(turns) - k < 2:
            break
        steps = _lasting(_steps(turns, k, cal_deg))
        if steps:
            if not stands_out(turns, k, cal_deg, steps, knee_turns):
                return None
            return AxisTurn(t0_s=first.t0_s, turn_deg=float(np.median(steps)))
    return None


def stands_out(
    turns: list[AxisTurn],
    k: int,
    cal_deg: float,
    steps: Sequence[float],
    knee_turns: Sequence[AxisTurn] = (),
) -> bool:
    """True when a one-stretch step from window ``k`` (``steps``, °) is a change of this knee.

    A single stretch's bending fixes the hinge only as well as that stretch's movement does,
    and nothing later checks it. So the step must follow a counted window of the same side
    that read the axis unturned (:func:`_steps` within :data:`SLIP_DEG`): a step from the
    first window on is seen only against the calibration movements' fit, from other bends,
    which may read the axis otherwise (the stranger's round-2 seed 1320, a squatting person's
    DOT file: its first stretch's two windows 5.7° and 8.3° from the movements' axis, no strap
    moved). And its smallest step must exceed every turn (°, from
    the reference) a window before it read on either sensor's side (``turns[:k]`` and
    ``knee_turns`` before ``turns[k]``): those stretches were read so far off without a turn
    that lasted (our generator's held-out 1-h person 98050: windows of the knee's single
    stretches 12.4° and 13.1° off on the shank's side, the last stretch's exit 12.7° on the
    thigh's, no strap moved).
    """
    unturned = any(abs(next(_steps(turns, j, cal_deg))) <= SLIP_DEG for j in range(k))
    return unturned and min(abs(x) for x in steps) > earlier_scatter_deg(turns, k, knee_turns)


def unslipped(ref: float | None, turns: list[AxisTurn]) -> list[AxisTurn]:
    """The windows of a side before its slip (:func:`slip_onset`; all of them without one).

    ``ref``: the reference fit's turn from the calibration's axis (:func:`window_turns`);
    None: the side is not read, no windows.
    """
    if ref is None:
        return []
    onset = slip_onset(turns, -ref)
    return turns if onset is None else [w for w in turns if w.t0_s < onset.t0_s]


def unturned_before_s(turns: list[AxisTurn], at_s: float, cal_deg: float, from_s: float) -> float:
    """The start (s) of the last window before ``at_s`` turned by at most :data:`SLIP_DEG`.

    Its step is taken as :func:`_steps` takes it (from the reference and the calibration's
    axis, ``cal_deg``); ``from_s`` (the calibration movements' end) where no window before
    ``at_s`` is so still. A slip found at ``at_s`` happened after this time.
    """
    out = from_s
    for k, w in enumerate(turns):
        if w.t0_s >= at_s:
            break
        if abs(next(_steps(turns, k, cal_deg))) <= SLIP_DEG:
            out = w.t0_s
    return out


def seen_once(turns: list[AxisTurn], at_s: float) -> bool:
    """True when the counted windows from ``at_s`` on see one stretch of bending only.

    They hold no two that do not overlap (:func:`apart_count`, :data:`MIN_APART_WINDOWS`).
    """
    later = [w for w in turns if w.t0_s >= at_s]
    return apart_count(later, enough=MIN_APART_WINDOWS) < MIN_APART_WINDOWS


def refuting_bend_s(
    gyr_prox: Rates,
    gyr_dist: Rates,
    t_s: FloatArray,
    fits: Mapping[float, HingeFit | None],
    *,
    after_s: float,
    j_ref_S: FloatArray,
    long_S: FloatArray,
    turn_deg: float,
    distal: bool,
) -> float | None:
    """The start (s) of the first later bend that reads the axis unturned and not turned.

    A turn one stretch of bending shows is read from that stretch's fit alone; a later bend
    the check does not count (its weakest direction under :data:`MIN_WEAKEST_RAD_S`, which
    measures how the fit holds small changes) may still tell a large turn from none. Each
    window starting at ``after_s`` or later that the knee bent in (a fit in ``fits``, keyed by
    start as :func:`window_turns` fills it) is fitted with the checked side (``distal``: the
    shank's) held turned by ``turn_deg`` (°) from the reference axis ``j_ref_S`` about
    ``long_S`` (:func:`analysis.angles.calibration_hinge.turn_cost_ratio`), and held unturned:
    it refutes the turn where the unturned axis costs at most :data:`NEAR_BEST_COST` times the
    window's own fit and the turned one more than that times both (the cost tells them apart,
    for no turn). ``gyr_*``: bias-free rates (rad/s) on
    ``t_s``. None: no such window. Our generator's held-out 1-h person 98050 (full set): the
    right shank read +27.6° in the entry into its last stretch (one fit, two windows), then
    the exit's two windows (weakest 0.009 and 0.011 rad/s) cost 3.2 and 2.5 times their fit
    turned so, 1.03 and 1.10 unturned: no strap had moved. The stranger's round-5 re-straps
    (2104–2159, 31–85° turns) cost 1.2 up to 7·10⁵ times unturned in every later bend.
    """
    for t0 in sorted(k for k in fits if k >= after_s):
        fit = fits[t0]
        if fit is None:
            continue
        i0, i1 = np.searchsorted(t_s, (t0, t0 + WINDOW_S), side="left")
        rows = slice(int(i0), int(i1))
        prox, dist = gyr_prox[rows], gyr_dist[rows]
        m = np.all(np.isfinite(prox), axis=1) & np.all(np.isfinite(dist), axis=1)
        ratio = (
            turn_cost_ratio(prox[m], dist[m], fit, j_ref_S, long_S, x, distal=distal)
            for x in (turn_deg, 0.0)
        )
        turned = next(ratio)
        if turned <= NEAR_BEST_COST:
            continue
        unturned = next(ratio)
        if unturned <= NEAR_BEST_COST and turned > NEAR_BEST_COST * unturned:
            return float(t0)
    return None


def long_axis_in_sensor(q_S_B: FloatArray) -> FloatArray:
    """The segment's long (ISB y) axis in the sensor's coordinates."""
    return rot.rotate(q_S_B, np.array([0.0, 1.0, 0.0]))


def hinge_axis_in_sensor(q_S_B: FloatArray) -> FloatArray:
    """The segment's flexion (ISB z) axis in the sensor's coordinates."""
    return rot.rotate(q_S_B, np.array([0.0, 0.0, 1.0]))


def clock_words(t_s: float) -> str:
    """``t_s`` as minutes:seconds ("2:10")."""
    m, s = divmod(round(t_s), 60)
    return f"{m}:{s:02d}"


def slip_reason(slip: Slip) -> str:
    """The words a patient reads for an angle made uncertain by ``slip``."""
    side, _, segment = slip.placement.partition("_")
    if slip.reread_within_deg is not None:
        moved = "the hip adduction and rotation" if segment == "thigh" else "the angles it measures"
        return (
            f"the {side} {segment} sensor seems to have turned on its strap at about "
            f"{clock_words(slip.at_s)} (by about {abs(slip.turn_deg):.0f}°); it is read from then "
            "on as it sits now, found from the knee's bending, but how far it turned is known only "
            f"to within about {slip.reread_within_deg:.0f}°, which could move {moved} by as much, "
            "so those are not trusted from then on"
        )
    if slip.small:
        return (
            f"the {side} {segment} sensor may have turned a little on its strap between "
            f"{clock_words(slip.since_s)} and {clock_words(slip.at_s)} (by about "
            f"{abs(slip.turn_deg):.0f}°, seen in every knee bend from then on), which moves the "
            "hip rotation and adduction by about as much, so those are not trusted from then on"
        )
    seems, seen = "seems to have", ""
    if slip.one_stretch:
        seems, seen = "may have", ", seen in one stretch of knee bending only"
    if slip.held:
        seems, seen = "may have", ", seen as a twist of the knee while it was held still"
    return (
        f"the {side} {segment} sensor {seems} turned on its strap at about "
        f"{clock_words(slip.at_s)} (by about {abs(slip.turn_deg):.0f}°{seen}), so the angles it "
        "measures are not trusted from then on" + (f" ({slip.unread})" if slip.unread else "")
    )


SLIP_REDO = "fasten the strap firmly and redo the calibration movements before the stretches"


def _onset(
    turns: list[AxisTurn], ref: float, knee_turns: list[AxisTurn], *, thigh: bool
) -> tuple[AxisTurn | None, bool, bool]:
    """Where a sensor's windows (``turns`` against ``-ref``) first show it turned, and how.

    :func:`slip_onset`; else a step one stretch of bending shows (:func:`one_stretch_onset`
    against ``knee_turns``, the other sensor's unslipped windows: ``one`` set); else, on a
    ``thigh``, a small turn (:func:`small_slip_onset`: ``small`` set). ``(onset, one, small)``.
    """
    onset = slip_onset(turns, -ref)
    if onset is not None:
        return onset, False, False
    onset = one_stretch_onset(turns, -ref, knee_turns=knee_turns)
    if onset is not None or not thigh:
        return onset, True, False
    onset = small_slip_onset(turns, -ref, knee_turns=knee_turns)
    return onset, False, onset is not None


def find_slips(
    t_s: FloatArray,
    gyr_rad_s: Mapping[str, Rates],
    q_S_B: dict[str, FloatArray],
    *,
    from_s: float,
    rate_hz: float,
) -> list[Slip]:
    """Every thigh or shank found turned on its segment after ``from_s``.

    ``from_s`` is the calibration movements' end; the knee's hinge is refitted in later
    windows (:func:`window_turns`). A sensor with no slip (:func:`slip_onset`) but a step one
    stretch of bending shows (:func:`one_stretch_onset`, read against both sides' earlier
    windows, the other's up to its own slip) is listed with ``one_stretch`` set. Either, where
    the windows from its start see one stretch of bending only (:func:`seen_once`), is dropped
    where a later bend refutes it (:func:`refuting_bend_s`, from the first window not
    overlapping its first).

    ``gyr_rad_s``: bias-free rates per placement on ``t_s`` (NaN where missing); ``q_S_B``:
    the calibration's segment-to-sensor rotations. Only knees with both sensors are checked.
    """
    out = []
    for side in ("left", "right"):
        thigh, shank = f"{side}_thigh", f"{side}_shank"
        if not all(p in gyr_rad_s and p in q_S_B for p in (thigh, shank)):
            continue
        fits: dict[float, HingeFit | None] = {}
        read = {
            p: window_turns(
                gyr_rad_s[thigh],
                gyr_rad_s[shank],
                t_s,
                j_prox_S=hinge_axis_in_sensor(q_S_B[thigh]),
                j_dist_S=hinge_axis_in_sensor(q_S_B[shank]),
                long_S=long_axis_in_sensor(q_S_B[p]),
                distal=distal,
                from_s=from_s,
                rate_hz=rate_hz,
                fits=fits,
            )
            for p, distal in ((thigh, False), (shank, True))
        }
        for p, other in ((thigh, shank), (shank, thigh)):
            ref, turns = read[p]
            if ref is None:
                continue
            onset, one, small = _onset(turns, ref, unslipped(*read[other]), thigh=p == thigh)
            if onset is not None and seen_once(turns, onset.t0_s):
                reference = fits[-np.inf]
                assert reference is not None  # ``ref`` is read from it
                refuted = refuting_bend_s(
                    gyr_rad_s[thigh],
                    gyr_rad_s[shank],
                    t_s,
                    fits,
                    after_s=onset.t0_s + WINDOW_S,
                    j_ref_S=reference.j_dist_S if p == shank else reference.j_prox_S,
                    long_S=long_axis_in_sensor(q_S_B[p]),
                    turn_deg=float(np.median([w.turn_deg for w in turns if w.t0_s >= onset.t0_s])),
                    distal=p == shank,
                )
                if refuted is not None:
                    onset = None
            if onset is not None:
                since = unturned_before_s(turns, onset.t0_s, -ref, from_s)
                out.append(
                    Slip(
                        placement=p,
                        at_s=onset.t0_s,
                        turn_deg=onset.turn_deg,
                        since_s=since,
                        steps=onset_steps(turns, onset.t0_s, -ref),
                        one_stretch=one,
                        small=small,
                    )
                )
    return out


def flexion_error_bound_deg(turn_deg: float) -> float:
    """The most a turn about a segment's long axis moves a flexion read about its flexion axis (°).

    A joint flexed by φ about an axis that turned by θ about the long axis (``turn_deg``) reads,
    as the first of the Z-X'-Y'' angles, ``atan(tan φ · cos θ)`` (the turned axis's rotation
    ``R_y(−θ)·R_z(φ)``): off by at most ``asin(tan²(θ/2))`` over all φ (near φ = 45°–75°):
    1.0° for 15°, 4.7° for 32°, 21° for 62°, 57° for 85°. The knee seen from a turned thigh
    reads so, and the hip too once the legs' heading is held to the pelvis's in the stands (the
    turn then also comes in about the vertical, ``R_y(−θ)`` in the pelvis).
    """
    half = np.deg2rad(abs(turn_deg)) / 2.0
    return float(np.rad2deg(np.arcsin(min(np.tan(half) ** 2, 1.0))))


def turned_flexion_rms_deg(read_deg: FloatArray, turn_deg: float) -> float:
    """RMS (°) of how far a turn ``turn_deg`` moved the flexions read as ``read_deg``.

    Each read flexion φ' is taken back to the flexion that reads so through the turned axis,
    ``atan(tan φ' / cos θ)`` (:func:`flexion_error_bound_deg`), and the differences' RMS is
    returned; NaN samples are left out (none left: :func:`flexion_error_bound_deg`, the worst
    case). Read angles beyond ±90° are taken as ±90° (the formula's range).
    """
    x = np.asarray(read_deg, dtype=np.float64)
    moved = unturned_shift_deg(x[np.isfinite(x)], turn_deg)
    if moved.size == 0:
        return flexion_error_bound_deg(turn_deg)
    return float(np.sqrt(np.mean(moved**2)))


def unturned_shift_deg(read_deg: FloatArray, turn_deg: float) -> FloatArray:
    """Per sample, how far (°, ≥ 0) a flexion read through a turned axis lies from the true one.

    A flexion φ read through an axis turned by θ (``turn_deg``) about the segment's long axis
    reads φ' = ``atan(tan φ · cos θ)`` (:func:`flexion_error_bound_deg`); the flexion that
    reads as ``read_deg`` is ``atan(tan φ' / cos θ)``, of the same sign and at least as large,
    and this is the difference's size. Read angles beyond ±90° are taken as ±90°; NaN stays
    NaN. 0 where nothing is read (φ' = 0) or nothing turned (θ = 0).
    """
    x = np.deg2rad(np.clip(np.asarray(read_deg, dtype=np.float64), -90.0, 90.0))
    cos = max(float(np.cos(np.deg2rad(turn_deg))), 1e-9)
    true = np.arctan2(np.sin(x), np.cos(x) * cos)
    return np.rad2deg(np.abs(true - x))


def flexion_moved_deg(
    slip: Slip, column: str, flexions_deg: Mapping[str, FloatArray] | None = None
) -> float:
    """How far (° RMS) ``slip``'s turn moved the flexion ``column`` as read from the turn on.

    :func:`turned_flexion_rms_deg` on ``flexions_deg[column]`` (the column from
    ``slip.since_s`` on); a column not given: the worst case (:func:`flexion_error_bound_deg`).
    A sensor read again as it sits (``slip.reread_within_deg``): by the turn it may still be
    off by.
    """
    turn = slip.turn_deg if slip.reread_within_deg is None else slip.reread_within_deg
    read = (flexions_deg or {}).get(column)
    if read is None:
        return flexion_error_bound_deg(turn)
    return turned_flexion_rms_deg(read, turn)


def slip_columns(
    slip: Slip, columns: list[str], flexions_deg: Mapping[str, FloatArray] | None = None
) -> list[str]:
    """The angle columns (of ``columns``) a slip of ``slip.placement`` falsifies.

    A thigh's: hip adduction and internal rotation (its flexion axis tipped about the long
    axis reads the hip's flexion as those, :func:`tilted_angles`), and the hip's and the
    knee's flexion where the turn moved them by more than :data:`FLEXION_SHARE` of their
    target (:func:`flexion_moved_deg` on ``flexions_deg``, the columns as read from
    ``slip.since_s`` on); a shank's: every angle that needs the shank (its knee and ankle).
    """
    if slip.placement.endswith("_thigh"):
        hit = {c for c, p in tilted_angles().items() if p == slip.placement}
        side = slip.placement.removesuffix("_thigh")
        for joint in ("hip", "knee"):
            column = angle_column(side, joint, "flexion")
            moved = flexion_moved_deg(slip, column, flexions_deg)
            if moved > FLEXION_SHARE * RMSE_TARGET_DEG[f"{joint}_flexion"]:
                hit.add(column)
    else:
        hit = {c for c, needs in angle_dependencies().items() if slip.placement in needs}
    return [c for c in columns if c in hit]


def stretch_lost_reason(
    slip: Slip,
    flexions_deg: Mapping[str, FloatArray] | None = None,
    columns: Collection[str] | None = None,
) -> str | None:
    """Why no angle can be judged after a thigh's turn, or None where it still can.

    The stretch, and so where every rule is judged, is found from the hip's flexion, or from
    the thigh's inclination where the set has no hip flexion (``columns``, the table's; None:
    the hip's, :func:`criterion_column`). A turn that moved that angle past the hip flexion's
    whole target (:func:`flexion_moved_deg`; the stranger's 2149: an 85° thigh turn read the hip
    41° off) leaves when the stretch was held unknown from then on, and a rule on an angle the
    turn did not touch is then judged in the wrong stretch (2149's ankle break, read right, was
    missed). The words name the angle that finds the stretch in the set worn. A shank's turn
    leaves the thigh alone: None.
    """
    if not slip.placement.endswith("_thigh"):
        return None
    side = slip.placement.removesuffix("_thigh")
    column = criterion_column(side, columns)
    moved = flexion_moved_deg(slip, column, flexions_deg)
    if moved <= RMSE_TARGET_DEG["hip_flexion"]:
        return None
    angle = (
        f"{side} thigh's inclination"
        if column == thigh_inclination_column(side)
        else f"{side} hip flexion"
    )
    return (
        f"{slip_reason(slip)}; the stretch is found from the {angle}, which that "
        f"turn moved by about {moved:.0f}°, so when the stretch was held is not known from then on"
    )


def criterion_column(side: str, columns: Collection[str] | None = None) -> str:
    """The column that finds the stretch on ``side``.

    The hip flexion, or the thigh's inclination where ``columns`` (the table's) has it and no
    hip flexion (no pelvis worn).
    """
    hip = angle_column(side, "hip", "flexion")
    thigh = thigh_inclination_column(side)
    if columns is not None and hip not in columns and thigh in columns:
        return thigh
    return hip


def slip_criterion_timed(
    slips: Sequence[Slip], t_s: FloatArray, angles_deg: Mapping[str, FloatArray]
) -> dict[str, TimedDoubt]:
    """``{column: TimedDoubt}``: how far a thigh's turn may have moved the stretch's angle.

    For each thigh slip that leaves the stretch unknown (:func:`stretch_lost_reason`), the
    side's hip flexion and thigh inclination of ``angles_deg`` (on ``t_s``, degrees), per
    sample: 0 before ``slip.since_s``, from then on the size of the turn's effect on the
    reading (:func:`unturned_shift_deg`, by the turn or, read again, by what it is known to);
    several slips of one column: the largest. The envelope checker reads it to say where a
    stretch the turn hid may have been (its criterion read toward met by it), e.g. a 78° turn
    reading a 72° thigh inclination as 32°.
    """
    t = np.asarray(t_s, dtype=np.float64)
    out: dict[str, TimedDoubt] = {}
    for slip in slips:
        if not slip.placement.endswith("_thigh"):
            continue
        lost = stretch_lost_reason(slip, read_since(slip, t, angles_deg), list(angles_deg))
        if lost is None:
            continue
        side = slip.placement.removesuffix("_thigh")
        turn = slip.turn_deg if slip.reread_within_deg is None else slip.reread_within_deg
        for column in (angle_column(side, "hip", "flexion"), thigh_inclination_column(side)):
            x = angles_deg.get(column)
            if x is None:
                continue
            bound = np.where(t >= slip.since_s, unturned_shift_deg(np.asarray(x), turn), 0.0)
            bound = np.nan_to_num(bound, nan=0.0).astype(np.float32)
            was = out.get(column)
            if was is not None:
                bound = np.maximum(np.asarray(was.bound_deg), bound)
                lost = was.reason if lost in was.reason else f"{was.reason}; {lost}"
            out[column] = TimedDoubt(bound_deg=bound, reason=lost, redo=SLIP_REDO)
    return out


def read_since(
    slip: Slip, t_s: FloatArray, angles_deg: Mapping[str, FloatArray]
) -> dict[str, FloatArray]:
    """Each of ``angles_deg``'s columns (on ``t_s``) from ``slip.since_s`` on."""
    keep = np.asarray(t_s) >= slip.since_s
    return {c: np.asarray(x)[keep] for c, x in angles_deg.items()}


def slip_uncertain(
    slips: list[Slip],
    columns: list[str],
    t_s: FloatArray | None = None,
    flexions_deg: Mapping[str, FloatArray] | None = None,
) -> dict[str, UncertainAngle]:
    """``{column: UncertainAngle}`` for every column a found slip falsifies.

    ``flexions_deg``: the hip and knee flexion columns as read on ``t_s`` (:func:`slip_columns`);
    without them a thigh's turn is judged by its worst case. Where a thigh's turn leaves the
    stretch unknown (:func:`stretch_lost_reason`), every other column is uncertain too.
    """
    out: dict[str, UncertainAngle] = {}

    def add(c: str, why: str) -> None:
        was = out.get(c)
        out[c] = UncertainAngle(reason=f"{was.reason}; {why}" if was else why, redo=SLIP_REDO)

    for slip in slips:
        read = None if t_s is None or flexions_deg is None else read_since(slip, t_s, flexions_deg)
        taken = slip_columns(slip, columns, read)
        for c in taken:
            add(c, slip_reason(slip))
        lost = stretch_lost_reason(slip, read, columns)
        if lost is not None:
            for c in columns:
                if c not in taken and c != T_S:
                    add(c, lost)
    return out
