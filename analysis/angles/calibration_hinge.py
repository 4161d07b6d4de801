"""The knee's hinge axis in the thigh and shank sensors' coordinates, from their rates alone.

A hinge lets the distal segment turn relative to the proximal one about one axis only, so the
part of each segment's angular rate *across* that axis is the same seen from both sensors:
``|ω_p × j_p| = |ω_d × j_d|`` at every instant, whatever the heading of either sensor
(Seel, Schauer & Raisch 2012, "Joint axis and position estimation from inertial measurement
data by exploiting kinematic constraints"). The unit axes ``j_p`` (proximal sensor
coordinates) and ``j_d`` (distal) that best satisfy it are found here by damped Gauss-Newton
from a starting guess; the signs of both are arbitrary (the sign table decides them).

Why: a thigh's own dominant rotation axis is tilted by whatever abduction and rotation the
person adds to the leg swings; the knee bends through its own axis whatever the hip does.

Assumes the rates come from a true hinge up to the sensors' errors. Where thigh and shank
turn as one (the knee still) the constraint holds for a whole family of axes and only those
errors choose among them; a turn on the spot is the common case, and with the vertical known
in both sensors it is weighted out (:func:`across_vertical_share`).

The ankle uses the same constraint the other way round (:func:`hinge_axis`): with the shank's
axis known, the foot's is searched among the directions orthogonal to its superior axis, for
a foot that stood flat through the calibration movements and so has no axis of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.angles.axis_bias import HINGE_DOUBT_TURN_DEG, level_turn_deg
from analysis.angles.calibration_axes import SensorAxes, apart_deg

FloatArray = NDArray[np.float64]

MIN_RATE_RAD_S = 0.1
"""Samples at which either sensor turns slower than this carry mostly noise and are dropped."""


@dataclass(frozen=True, kw_only=True)
class HingeFit:
    """The fitted hinge axes and how well the data define them.

    ``j_prox_S``/``j_dist_S``: unit axes in the proximal/distal sensor's coordinates (signs
    arbitrary). ``residual_rad_s``: RMS of ``|ω_p × j_p| − |ω_d × j_d|`` at the solution.
    ``spread_rad_s``: RMS of the rates across the axes, the scale of the constraint.
    ``weakest_rad_s``: how well the data fix the proximal axis when the distal one is free to
    follow: the square root of the smallest eigenvalue, per sample, of the Gauss-Newton
    normal matrix reduced to the proximal axis's two angles (its Schur complement). 0 when
    some change of the proximal axis can be matched by the distal one at no cost: the knee
    not bending (the two turn as one), or thigh and shank turning in one plane at a fixed
    ratio of rates. ``samples``: how many were used. ``weakest_dist_rad_s``: the same for
    the distal axis with the proximal one free to follow (None: not measured). Knee bends
    that keep the shank near upright (hip and knee flexing together) turn the shank little,
    and its small rates may leave its axis free while the thigh's is fixed (held-out person
    22082: bends to 72°, the shank turning 46° in all against the thigh's 223°; 0.002 rad/s
    against the thigh's 0.010, the shank's side 42° from the truth).
    """

    j_prox_S: FloatArray
    j_dist_S: FloatArray
    residual_rad_s: float
    spread_rad_s: float
    weakest_rad_s: float
    samples: int
    weakest_dist_rad_s: float | None = None
    rival_prox_deg: float = 0.0
    """How far (°, sign-free) the farthest other solution the cost cannot tell from the kept one
    lies from it on the proximal side (:func:`rival_deg`): the data's two (or more) readings of
    the axis, which :attr:`weakest_rad_s`, measured at the kept one alone, does not see. 0: the
    descents found no other."""
    rival_dist_deg: float = 0.0
    """The same on the distal side."""
    rivals_prox_S: tuple[FloatArray, ...] = ()
    """The proximal axes of those other solutions (:func:`rival_deg`'s), for
    :func:`rival_in_level_plane`."""


def _cross3(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a × b`` of two 3-vectors, with ``np.cross``'s arithmetic (identical values).

    Without its axis handling, which dominated the fit's time (it runs ~2,000 times).
    """
    return np.array(
        (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    )


def _tangent_basis(j: FloatArray) -> FloatArray:
    """Two unit vectors orthogonal to unit ``j`` and to each other, as rows ``(2, 3)``."""
    helper = np.eye(3)[int(np.argmin(np.abs(j)))]
    u = _cross3(j, helper)
    u /= np.linalg.norm(u)
    return np.stack((u, _cross3(j, u)))


def _across(w: FloatArray, j: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``|ω × j|`` per sample and its gradient with respect to ``j`` (``(n,)``, ``(n, 3)``)."""
    f, along = _across_norm(w, np.sum(w * w, axis=1), j)
    return f, _across_gradient(w, f, along)


def _across_norm(w: FloatArray, w_sq: FloatArray, j: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``|ω × j|`` per sample and ``ω · j``, given ``w_sq = |ω|²`` per sample (``(n,)`` each).

    The arithmetic of :func:`_across` (identical values) without recomputing ``|ω|²``.
    """
    along = w @ j
    return np.sqrt(np.maximum(w_sq - along * along, 1e-12)), along


def _across_gradient(w: FloatArray, f: FloatArray, along: FloatArray) -> FloatArray:
    """The gradient of ``|ω × j|`` with respect to ``j`` (``(n, 3)``), from :func:`_across_norm`."""
    return -(along / f)[:, None] * w


MAX_SAMPLES = 1000
"""The moving samples are thinned to at most this many (every k-th) before the fit."""
NEAR_BEST_COST = 1.25
"""Solutions whose cost is within this factor of the least count as equally good."""
START_TILT_DEG = 15.0
"""Besides the guesses themselves, the fit starts from each guess tilted this far four ways."""


def fit_hinge(
    gyr_prox_rad_s: FloatArray,
    gyr_dist_rad_s: FloatArray,
    j_prox0_S: FloatArray,
    j_dist0_S: FloatArray,
    *,
    up_prox_S: FloatArray | None = None,
    up_dist_S: FloatArray | None = None,
    iterations: int = 40,
    max_samples: int = MAX_SAMPLES,
    tilted_starts: bool = True,
) -> HingeFit:
    """Hinge axes from simultaneous ``(n, 3)`` angular rates (rad/s, each sensor's frame).

    ``j_prox0_S``/``j_dist0_S`` are the starting guesses (e.g. each segment's own dominant
    rotation axis). The cost has local minima (``|ω × j|`` has a kink where ``j`` meets
    ``ω``), so the fit also starts from each guess tilted by :data:`START_TILT_DEG` in four
    directions, one axis at a time (9 pairs of starts); of the solutions whose cost is within
    :data:`NEAR_BEST_COST` of the least it keeps the one nearest the guesses. The rates should
    have their biases removed; samples at which both sensors turn slower than :data:`MIN_RATE_RAD_S`
    are not used, the others thinned to at most ``max_samples`` (:data:`MAX_SAMPLES`).
    ``tilted_starts=False`` descends from the guesses alone (one descent instead of nine: for
    guesses known to lie near the answer, e.g. the calibration's axes refitted later in the
    session, :mod:`analysis.angles.strap_slip`).

    ``up_prox_S``/``up_dist_S`` (``(n, 3)``, the vertical in each sensor's coordinates per
    sample; both or neither) weight each sample by :func:`across_vertical_share`: thigh and
    shank turning together about the vertical (a turn on the spot) meet the constraint at any
    pair of axes equally inclined to it, so only the sensors' errors would steer the axes
    there (a 1 % difference in the two gyroscopes' scale tilts them by ~8°, at a residual that
    still looks excellent). The knee's own axis lies near level whenever the leg stands, so
    its turning is never about the vertical and keeps its weight. ``residual_rad_s``,
    ``spread_rad_s`` and ``weakest_rad_s`` are those of the used samples, unweighted, at the
    fitted axes.
    """
    w1 = np.asarray(gyr_prox_rad_s, dtype=np.float64)
    w2 = np.asarray(gyr_dist_rad_s, dtype=np.float64)
    keep = (np.linalg.norm(w1, axis=1) > MIN_RATE_RAD_S) | (
        np.linalg.norm(w2, axis=1) > MIN_RATE_RAD_S
    )
    step = max(1, int(np.ceil(int(keep.sum()) / max_samples)))
    w1, w2 = w1[keep][::step], w2[keep][::step]
    j1 = np.asarray(j_prox0_S, dtype=np.float64) / np.linalg.norm(j_prox0_S)
    j2 = np.asarray(j_dist0_S, dtype=np.float64) / np.linalg.norm(j_dist0_S)
    w1s, w2s = w1, w2
    if up_prox_S is not None and up_dist_S is not None:
        share = across_vertical_share(
            w1, w2, np.asarray(up_prox_S)[keep][::step], np.asarray(up_dist_S)[keep][::step]
        )
        # scaling both rates of a sample by s ≥ 0 scales its residual by s
        w1s, w2s = w1 * share[:, None], w2 * share[:, None]
    guess1, guess2 = j1, j2
    near = _near_best(w1s, w2s, j1, j2, iterations, tilted_starts=tilted_starts)
    _, j1, j2 = max(near, key=lambda f: abs(f[1] @ guess1) + abs(f[2] @ guess2))
    cost = _cost(w1, w2, j1, j2)
    n = max(1, w1.shape[0])
    jac = _jacobian(w1, w2, j1, j2)
    f1, f2 = _across(w1, j1)[0], _across(w2, j2)[0]
    h = jac.T @ jac / n
    weakest = _proximal_weakest(h) if w1.shape[0] else 0.0
    # the same reduction with the roles swapped: the distal axis's two angles first
    swap = np.array([2, 3, 0, 1])
    weakest_dist = _proximal_weakest(h[np.ix_(swap, swap)]) if w1.shape[0] else 0.0
    return HingeFit(
        j_prox_S=j1,
        j_dist_S=j2,
        residual_rad_s=float(np.sqrt(cost / n)) if np.isfinite(cost) else np.inf,
        spread_rad_s=float(np.sqrt(np.mean(0.5 * (f1 * f1 + f2 * f2)))) if w1.shape[0] else 0.0,
        weakest_rad_s=float(np.sqrt(max(weakest, 0.0))),
        samples=int(w1.shape[0]),
        weakest_dist_rad_s=float(np.sqrt(max(weakest_dist, 0.0))),
        rival_prox_deg=rival_deg(j1, [f[1] for f in near], guess1),
        rival_dist_deg=rival_deg(j2, [f[2] for f in near], guess2),
        rivals_prox_S=tuple(f[1] for f in near if apart_deg(f[1], guess1) <= MAX_AXIS_CHANGE_DEG),
    )


def across_vertical_share(
    w1: FloatArray, w2: FloatArray, up1: FloatArray, up2: FloatArray
) -> FloatArray:
    """Per sample, the smaller of the two sensors' shares of rate across the vertical, 0…1.

    ``|ω × û| / |ω|`` with ``û`` the unit vertical in that sensor's coordinates (``(n, 3)``
    each): 0 for a turn about the vertical, 1 for one about a level axis. A sensor at rest
    (rate below :data:`MIN_RATE_RAD_S`) does not count; 1 where neither turns (or no vertical
    is known).
    """
    out = np.ones(w1.shape[0])
    for w, up in ((w1, up1), (w2, up2)):
        u = np.asarray(up, dtype=np.float64)
        u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
        rate = np.linalg.norm(w, axis=1)
        across = np.linalg.norm(np.cross(w, u), axis=1)
        moving = (rate > MIN_RATE_RAD_S) & np.all(np.isfinite(u), axis=1)
        share = np.where(moving, across / np.maximum(rate, 1e-12), 1.0)
        out = np.minimum(out, share)
    return out


def _near_best(
    w1: FloatArray,
    w2: FloatArray,
    j1: FloatArray,
    j2: FloatArray,
    iterations: int,
    *,
    tilted_starts: bool = True,
) -> list[tuple[float, FloatArray, FloatArray]]:
    """The descents from the 9 pairs of starts around the guesses that the cost cannot choose.

    ``(cost, j_p, j_d)`` of each descent whose cost is within :data:`NEAR_BEST_COST` of the
    least; ``tilted_starts=False``: the one descent from the guesses themselves. The fit keeps
    the one nearest the guesses ``j1``/``j2`` (:func:`fit_hinge`): along a direction the data
    leave free (e.g. knee bends alone) the cost cannot choose, the guesses can. Where they
    are separate minima rather than one free direction, the guesses choose between readings
    the data hold alike (:func:`rival_deg`).
    """
    if not tilted_starts:
        return [_descend(w1, w2, j1, j2, iterations)]
    starts = [(s1, j2) for s1 in _starts(j1)] + [(j1, s2) for s2 in _starts(j2)[1:]]
    found = [_descend(w1, w2, s1, s2, iterations) for s1, s2 in starts]
    least = min(f[0] for f in found)
    return [f for f in found if f[0] <= NEAR_BEST_COST * least + 1e-12]


def rival_deg(
    kept: FloatArray,
    others: Iterable[FloatArray],
    guess: FloatArray,
    *,
    max_from_guess_deg: float | None = None,
) -> float:
    """The farthest (°, sign-free) of ``others`` from ``kept``, among those near ``guess``.

    ``others``: one side's axes of the solutions the cost cannot tell apart
    (:func:`_near_best`, the kept one among them), unit vectors in one sensor's coordinates;
    only those within ``max_from_guess_deg`` (default :data:`MAX_AXIS_CHANGE_DEG`) of
    ``guess`` count, the segment's own axis: farther, a solution would be taken for a failed
    fit (:func:`hinge_axis_usable`), not for a reading. 0 when none lies apart. Our
    generator's held-out person 85016 (1 min, one knee bend to 73° with the hip rotated
    4° with it, no leg swings): two minima 9.6° apart in the thigh's level plane, one's cost
    1.08 times the other's; the one kept for its nearness to the thigh's own axis 9.5° off,
    the other 0.1°.
    """
    limit = MAX_AXIS_CHANGE_DEG if max_from_guess_deg is None else max_from_guess_deg
    g = np.asarray(guess, dtype=np.float64)
    g = g / np.linalg.norm(g)
    farthest = 0.0
    for j in others:
        if apart_deg(j, g) <= limit:
            farthest = max(farthest, apart_deg(j, kept))
    return farthest


def rival_in_level_plane(fit: HingeFit, y_prox_S: FloatArray) -> HingeFit:
    """``fit`` with its proximal rival measured in the plane ⟂ ``y_prox_S`` only.

    ``y_prox_S``: the thigh's superior axis (unit, sensor frame). A turn of the thigh's axis
    in that plane, about the thigh's long axis, reads as hip adduction
    (``turn · sin`` of the thigh's inclination); a lean out of it is taken for the
    accelerometer's bias and bounded there (:mod:`analysis.angles.hinge_lean`), and the
    frame drops it. Our generator's person 29 (full, 10 min), its resting left thigh: a
    rival 5.9° away but 0.7° in the level plane, the kept axis 0.7° off.
    """
    turns = [level_turn_deg(fit.j_prox_S, j, y_prox_S) for j in fit.rivals_prox_S]
    return dataclasses.replace(fit, rival_prox_deg=max(turns, default=0.0))


def _starts(j: FloatArray) -> list[FloatArray]:
    """``j`` and ``j`` tilted by :data:`START_TILT_DEG` towards ± each tangent direction."""
    c, s = np.cos(np.deg2rad(START_TILT_DEG)), np.sin(np.deg2rad(START_TILT_DEG))
    b = _tangent_basis(j)
    return [j] + [c * j + sign * s * t for t in b for sign in (1.0, -1.0)]


def _jacobian(w1: FloatArray, w2: FloatArray, j1: FloatArray, j2: FloatArray) -> FloatArray:
    """``∂(|ω_p × j_p| − |ω_d × j_d|)/∂(tangent angles of j_p, j_d)``, ``(n, 4)``."""
    jac = np.empty((w1.shape[0], 4))
    jac[:, :2] = _across(w1, j1)[1] @ _tangent_basis(j1).T
    jac[:, 2:] = -(_across(w2, j2)[1] @ _tangent_basis(j2).T)
    return jac


def _damped_step(jac: FloatArray, e: FloatArray, damping: float) -> FloatArray:
    """The Levenberg-Marquardt step for residuals ``e`` and their Jacobian ``jac`` ``(n, k)``.

    ``(JᵀJ + λ·(tr(JᵀJ)/k)·I) δ = −Jᵀe``: the damping ``λ`` scaled by the mean curvature.
    """
    h = jac.T @ jac
    k = jac.shape[1]
    return np.linalg.solve(h + damping * (np.trace(h) / k + 1e-12) * np.eye(k), -(jac.T @ e))


def _next_damping(accepted: bool, damping: float, step: FloatArray) -> tuple[float, bool]:
    """The next step's damping, and whether the descent stops there.

    An accepted step lowers it threefold (stop once the step is under 1e-7); a rejected one
    raises it tenfold (stop past 1e6).
    """
    if accepted:
        return max(damping / 3.0, 1e-6), bool(np.linalg.norm(step) < 1e-7)
    return damping * 10.0, damping * 10.0 > 1e6


def _descend(
    w1: FloatArray, w2: FloatArray, j1: FloatArray, j2: FloatArray, iterations: int
) -> tuple[float, FloatArray, FloatArray]:
    """Damped Gauss-Newton (Levenberg-Marquardt) from one start: ``(cost, j_p, j_d)``.

    Each sample's ``|ω|²`` is taken once and ``|ω × j|`` once per trial axis pair, kept for the
    next step's Jacobian when the trial is accepted (the same values as evaluating
    :func:`_cost` and :func:`_jacobian` afresh, with a third of the evaluations).
    """
    damping = 1e-3
    sq1, sq2 = np.sum(w1 * w1, axis=1), np.sum(w2 * w2, axis=1)
    (f1, along1), (f2, along2) = _across_norm(w1, sq1, j1), _across_norm(w2, sq2, j2)
    e = f1 - f2
    cost = float(e @ e)
    b1, b2 = _tangent_basis(j1), _tangent_basis(j2)
    for _ in range(iterations):
        jac = np.empty((w1.shape[0], 4))
        jac[:, :2] = _across_gradient(w1, f1, along1) @ b1.T
        jac[:, 2:] = -(_across_gradient(w2, f2, along2) @ b2.T)
        step = _damped_step(jac, e, damping)
        t1 = j1 + step[:2] @ b1
        t2 = j2 + step[2:] @ b2
        t1, t2 = t1 / np.linalg.norm(t1), t2 / np.linalg.norm(t2)
        (g1, a1), (g2, a2) = _across_norm(w1, sq1, t1), _across_norm(w2, sq2, t2)
        e_new = g1 - g2
        new = float(e_new @ e_new)
        accepted = new <= cost
        if accepted:
            j1, j2, cost, e = t1, t2, new, e_new
            f1, along1, f2, along2 = g1, a1, g2, a2
            b1, b2 = _tangent_basis(j1), _tangent_basis(j2)
        damping, done = _next_damping(accepted, damping, step)
        if done:
            break
    return cost, j1, j2


def _moving_samples(
    gyr_prox_rad_s: FloatArray, gyr_dist_rad_s: FloatArray, max_samples: int
) -> tuple[FloatArray, FloatArray]:
    """The samples :func:`fit_hinge` uses: either sensor past :data:`MIN_RATE_RAD_S`, thinned."""
    w1 = np.asarray(gyr_prox_rad_s, dtype=np.float64)
    w2 = np.asarray(gyr_dist_rad_s, dtype=np.float64)
    keep = (np.linalg.norm(w1, axis=1) > MIN_RATE_RAD_S) | (
        np.linalg.norm(w2, axis=1) > MIN_RATE_RAD_S
    )
    step = max(1, int(np.ceil(int(keep.sum()) / max_samples)))
    return w1[keep][::step], w2[keep][::step]


def _turned_axis(j_ref: FloatArray, long_u: FloatArray, turn_rad: float) -> FloatArray:
    """``j_ref`` turned by ``turn_rad`` about unit ``long_u``, its part along ``long_u`` removed."""
    c, s = np.cos(turn_rad), np.sin(turn_rad)
    j = j_ref * c + _cross3(long_u, j_ref) * s + long_u * float(long_u @ j_ref) * (1.0 - c)
    j = j - float(j @ long_u) * long_u
    return j / np.linalg.norm(j)


def _descend_at_turn(
    w_chk: FloatArray,
    w_oth: FloatArray,
    base: FloatArray,
    long_u: FloatArray,
    j_oth: FloatArray,
    iterations: int,
    phi: float = 0.0,
) -> float:
    """Least cost (rad²/s², summed) with the checked axis in the half-plane of ``base``.

    The checked axis is ``cos φ · base + sin φ · long_u`` (``base`` ⟂ ``long_u``, both unit):
    its turn about the long axis held, its lean towards it free (from ``phi``, rad); the other
    side's axis free (two tangent angles from ``j_oth``). Damped Gauss-Newton over the three;
    the cost is symmetric in the two sides, so which is proximal does not matter.
    """
    sq_c, sq_o = np.sum(w_chk * w_chk, axis=1), np.sum(w_oth * w_oth, axis=1)
    damping = 1e-3
    f_c, a_c = _across_norm(w_chk, sq_c, np.cos(phi) * base + np.sin(phi) * long_u)
    f_o, a_o = _across_norm(w_oth, sq_o, j_oth)
    e = f_c - f_o
    cost = float(e @ e)
    b = _tangent_basis(j_oth)
    for _ in range(iterations):
        d_c = -np.sin(phi) * base + np.cos(phi) * long_u
        jac = np.empty((w_chk.shape[0], 3))
        jac[:, 0] = _across_gradient(w_chk, f_c, a_c) @ d_c
        jac[:, 1:] = -(_across_gradient(w_oth, f_o, a_o) @ b.T)
        step = _damped_step(jac, e, damping)
        phi_t = phi + float(step[0])
        j_t = j_oth + step[1:] @ b
        j_t = j_t / np.linalg.norm(j_t)
        g_c, ga_c = _across_norm(w_chk, sq_c, np.cos(phi_t) * base + np.sin(phi_t) * long_u)
        g_o, ga_o = _across_norm(w_oth, sq_o, j_t)
        e_new = g_c - g_o
        new = float(e_new @ e_new)
        accepted = new <= cost
        if accepted:
            phi, j_oth, cost, e = phi_t, j_t, new, e_new
            f_c, a_c, f_o, a_o = g_c, ga_c, g_o, ga_o
            b = _tangent_basis(j_oth)
        damping, done = _next_damping(accepted, damping, step)
        if done:
            break
    return cost


def turn_cost_ratio(
    gyr_prox_rad_s: FloatArray,
    gyr_dist_rad_s: FloatArray,
    fit: HingeFit,
    j_ref_S: FloatArray,
    long_S: FloatArray,
    turn_deg: float,
    *,
    distal: bool,
    iterations: int = 40,
    max_samples: int = MAX_SAMPLES,
) -> float:
    """How much worse the hinge fits with one side's axis turned ``turn_deg`` from ``j_ref_S``.

    The checked side (``distal``: the shank's, else the thigh's) is held at ``j_ref_S`` turned
    by ``turn_deg`` (°, right-handed) about ``long_S`` (its segment's long axis, both in that
    sensor's coordinates), free to lean towards ``long_S``; the other side is free. Returned:
    that least cost over ``fit``'s, on the samples ``fit`` was fitted from (``gyr_*``: its
    rates, rad/s, biases removed; :func:`fit_hinge`'s selection). Within
    :data:`NEAR_BEST_COST` the data cannot tell that turn from the fitted axis. Three
    descents, from no lean and from :data:`START_TILT_DEG` either way, the other side from
    ``fit``'s. 1 where no samples are left; infinite where the fit costs nothing and the held
    turn does.
    """
    w1, w2 = _moving_samples(gyr_prox_rad_s, gyr_dist_rad_s, max_samples)
    if w1.shape[0] == 0:
        return 1.0
    fitted = _cost(w1, w2, fit.j_prox_S, fit.j_dist_S)
    u = np.asarray(long_S, dtype=np.float64) / np.linalg.norm(long_S)
    j_ref = np.asarray(j_ref_S, dtype=np.float64) / np.linalg.norm(j_ref_S)
    base = _turned_axis(j_ref, u, float(np.deg2rad(turn_deg)))
    w_chk, w_oth, other = (w2, w1, fit.j_prox_S) if distal else (w1, w2, fit.j_dist_S)
    tilt = float(np.deg2rad(START_TILT_DEG))
    least = min(
        _descend_at_turn(
            w_chk, w_oth, base, u, np.asarray(other, dtype=np.float64), iterations, phi
        )
        for phi in (0.0, -tilt, tilt)
    )
    if fitted <= 0.0:
        return 1.0 if least <= 0.0 else float("inf")
    return float(least / fitted)


def _proximal_weakest(h: FloatArray) -> float:
    """Smallest eigenvalue of ``h``'s Schur complement onto its first two parameters."""
    h22 = h[2:, 2:] + 1e-12 * np.eye(2)
    s = h[:2, :2] - h[:2, 2:] @ np.linalg.solve(h22, h[2:, :2])
    return float(np.linalg.eigvalsh(0.5 * (s + s.T))[0])


def _cost(w1: FloatArray, w2: FloatArray, j1: FloatArray, j2: FloatArray) -> float:
    e = _across(w1, j1)[0] - _across(w2, j2)[0]
    return float(e @ e)


MIN_KNEE_ROTATION_DEG = 20.0
"""The knee must turn at least this much (about the fitted axis) for the fit to count."""
MIN_WEAKEST_RAD_S = 0.01
"""The fit's worst-determined direction (:attr:`HingeFit.weakest_rad_s`) must be this firm:
one shallow knee bend and nothing else leaves the axes free to wander (≈ 0.003 rad/s)."""
RATE_MISFIT_SHARE = 0.01
"""The share of the rate across the axes by which the hinge constraint may be off for reasons
no axis removes (soft tissue moving a sensor, a gyroscope's scale or axes off by ~1 %)."""
LOOSE_AXIS_SLACK_DEG = 2.5
"""A thigh side fixed by the functional window's knee fit (its weakest direction at least
:data:`MIN_WEAKEST_RAD_S`) whose slack (:func:`axis_slack_deg`) exceeds this is *loose*
(:func:`thigh_side_loose`): the knee is fitted again over the session, and that fit is
taken where it fixes the thigh's side with less slack (our generator's people 0–39 and
14000–14099: 9 of 418 window fits over it, 14033's resting thigh 8.2° off at 3.1°)."""
MAX_AXIS_SLACK_DEG = 5.0
"""…and past this, with no firmer fit over the session, the thigh's tilt is doubted (the
synthetic knee bends of ``tests/analysis/test_thigh_tilt_doubt.py``, noise alone, reach
4.1° at 0.1–0.6° off; person 14048's window fit 6.2° at 5.8° off)."""
MAX_AXIS_CHANGE_DEG = 25.0
"""A fitted axis farther than this from the segment's own is taken as a failed fit."""
MAX_RESIDUAL_SHARE = 0.5
"""The constraint's residual must stay below this share of the rate across the axes."""


MIN_ELEVATION_RMS = np.sin(np.deg2rad(0.5))
"""The axis must tilt this much (RMS sine) over the window for gravity to pair its signs."""
MIN_ELEVATION_CORRELATION = 0.7
"""…and the two sensors' views of its tilt must agree this well (in magnitude)."""


def knee_rotation_deg(
    gyr_prox_rad_s: FloatArray,
    gyr_dist_rad_s: FloatArray,
    fit: HingeFit,
    *,
    rate_hz: float,
    up_prox_S: FloatArray | None = None,
    up_dist_S: FloatArray | None = None,
) -> float:
    """How far the hinge turned (deg, accumulated).

    The hinge's rate is the difference of the two segments' rates about the axis once the
    axes' arbitrary signs are paired. Gravity pairs them: the axis's elevation is the same
    seen from either segment, ``j_p·up_p = j_d·up_d``, so the signs agree when those two
    series correlate and are opposite when they anti-correlate (``up_*_S``: the vertical in
    each sensor's coordinates per sample). When the axis stayed level (no tilt to compare)
    or no vertical is given, the smaller of the two pairings is returned (conservative).
    """
    a = np.asarray(gyr_prox_rad_s, dtype=np.float64) @ fit.j_prox_S
    b = np.asarray(gyr_dist_rad_s, dtype=np.float64) @ fit.j_dist_S
    same, flipped = float(np.abs(b - a).sum()), float(np.abs(b + a).sum())
    turned = min(same, flipped)
    if up_prox_S is not None and up_dist_S is not None:
        e1 = np.asarray(up_prox_S, dtype=np.float64) @ fit.j_prox_S
        e2 = np.asarray(up_dist_S, dtype=np.float64) @ fit.j_dist_S
        e1, e2 = e1 - e1.mean(), e2 - e2.mean()
        r1, r2 = float(np.sqrt(np.mean(e1 * e1))), float(np.sqrt(np.mean(e2 * e2)))
        if min(r1, r2) >= MIN_ELEVATION_RMS:
            c = float(np.mean(e1 * e2)) / (r1 * r2)
            if abs(c) >= MIN_ELEVATION_CORRELATION:
                turned = same if c > 0 else flipped
    return float(np.rad2deg(turned / rate_hz))


def axis_slack_deg(fit: HingeFit, *, distal: bool = False) -> float:
    """How far (°) a misfit of :data:`RATE_MISFIT_SHARE` of the rate could turn one side's axis.

    The fit's weakest direction for that side (:attr:`HingeFit.weakest_rad_s`, the other side
    free to follow; ``distal``: :attr:`HingeFit.weakest_dist_rad_s`) is the RMS rate by which
    the constraint changes per radian the axis turns that way; a misfit of ``ε`` times the rate
    across the axes (:attr:`HingeFit.spread_rad_s`) that lines up with it is absorbed by
    turning the axis up to ``ε · spread / weakest`` rad. Noise alone turns it far less (by
    ``√n`` less), but a misfit that follows the movements does not average out: our
    generator's person 14048 (default, 1 min) fixed the thigh's side at 0.0104 rad/s with a
    spread of 0.113 rad/s (slack 6.2°) and lay 5.8° off in the level plane, at a residual
    (0.0016 rad/s) that looked like noise. Infinite where the side is free or not measured.
    That is the slack about the kept solution; where the cost cannot tell another minimum
    from it (:attr:`HingeFit.rival_prox_deg`, :attr:`HingeFit.rival_dist_deg`), the slack is
    at least as far as that one lies.
    """
    local = _local_slack_deg(fit, distal=distal)
    return max(local, fit.rival_dist_deg if distal else fit.rival_prox_deg)


def _local_slack_deg(fit: HingeFit, *, distal: bool = False) -> float:
    """The slack about the kept solution alone (:func:`axis_slack_deg` without a rival)."""
    weakest = fit.weakest_dist_rad_s if distal else fit.weakest_rad_s
    if weakest is None or not weakest > 0.0:
        return float("inf")
    return float(np.rad2deg(RATE_MISFIT_SHARE * fit.spread_rad_s / weakest))


def rival_apart(fit: HingeFit) -> bool:
    """True when the thigh's slack (:func:`axis_slack_deg`) is that of another minimum.

    The fit's two readings of the thigh's axis lie farther apart than its slack about the
    kept one: what to say when the slack is too large (the words differ, the handling not).
    """
    return fit.rival_prox_deg > _local_slack_deg(fit)


def session_keeps_reading(window: HingeFit, session: HingeFit, y_prox_S: FloatArray) -> bool:
    """True when the session's knee fit chooses the window's kept reading of the thigh's axis.

    Only for a window fit made loose by its rival alone (:func:`rival_apart`, its slack about
    the kept one at most :data:`LOOSE_AXIS_SLACK_DEG`): the session's thigh axis then lies
    within that of the kept one in the plane ⟂ ``y_prox_S`` (the thigh's superior axis), and
    the window's axis stays. The session's movements choose between the window's readings;
    their own axis is not taken in its place, for deeper bends turn it by a tibia's coupling
    (the stranger's round-2 seed 1742: the session's axis 0.5° from the kept reading, 3.7°
    from the rival; taken, hip adduction 4.02 → 4.52° RMSE).
    """
    if not rival_apart(window) or _local_slack_deg(window) > LOOSE_AXIS_SLACK_DEG:
        return False
    return level_turn_deg(session.j_prox_S, window.j_prox_S, y_prox_S) <= LOOSE_AXIS_SLACK_DEG


def thigh_side_loose(fit: HingeFit) -> bool:
    """True when the fit fixes the thigh's axis only loosely.

    Its weakest direction passes :data:`MIN_WEAKEST_RAD_S` (the fit is used) but its slack
    (:func:`axis_slack_deg`) exceeds :data:`LOOSE_AXIS_SLACK_DEG`: a misfit of ~1 % of the
    knee's rate could turn the thigh's axis, and the hip's adduction with it, by more than that,
    or another minimum the cost cannot tell from the kept one lies that far from it.
    """
    if fit.samples < 10 or fit.weakest_rad_s < MIN_WEAKEST_RAD_S:
        return False
    return axis_slack_deg(fit) > LOOSE_AXIS_SLACK_DEG


def hinge_axis_usable(
    j_S: FloatArray,
    own_z_S: FloatArray,
    y_S: FloatArray,
    *,
    fit: HingeFit,
    knee_rotation_deg: float,
    max_change_deg: float | None = MAX_AXIS_CHANGE_DEG,
) -> FloatArray | None:
    """One segment's fitted axis ``j_S`` as its flexion axis (unit, ⟂ ``y_S``, sign of ``own_z_S``).

    ``j_S`` is ``fit.j_prox_S`` or ``fit.j_dist_S``. None when the fit is not to be used:
    the knee turned less than :data:`MIN_KNEE_ROTATION_DEG`, the data leave the proximal axis
    free (:attr:`HingeFit.weakest_rad_s` below :data:`MIN_WEAKEST_RAD_S`), the constraint
    does not hold
    (residual above :data:`MAX_RESIDUAL_SHARE` of the spread: not a hinge, or a bad
    solution), the axis is near the segment's long axis, or it lies more than
    ``max_change_deg`` (default :data:`MAX_AXIS_CHANGE_DEG`) from the segment's own axis
    ``own_z_S`` (a different minimum, not a refinement; None: no such check, for a fit whose
    other side already showed it is the expected minimum).
    """
    if knee_rotation_deg < MIN_KNEE_ROTATION_DEG or fit.samples < 10:
        return None
    if fit.weakest_rad_s < MIN_WEAKEST_RAD_S:
        return None
    if fit.residual_rad_s > MAX_RESIDUAL_SHARE * fit.spread_rad_s and fit.spread_rad_s > 0.05:
        return None
    z = j_S - (j_S @ y_S) * y_S
    nz = float(np.linalg.norm(z))
    if nz < 0.5:
        return None
    z = z / nz
    if float(z @ own_z_S) < 0.0:
        z = -z
    if max_change_deg is None:
        return z
    if np.rad2deg(np.arccos(min(1.0, float(z @ own_z_S)))) > max_change_deg:
        return None
    return z


# --- the ankle: the foot's axis given its shank's -------------------------------------------


HINGE_AXIS_STEPS = 180
"""Candidate directions (over 180°, the sign being irrelevant) of :func:`hinge_axis`."""


def _hinge_costs(
    gyr_child_rad_s: FloatArray,
    gyr_parent_rad_s: FloatArray,
    z_parent_S: FloatArray,
    basis: FloatArray,
    phi_rad: FloatArray,
) -> FloatArray:
    """Mean squared hinge residual for every candidate angle ``phi_rad`` (see hinge_axis)."""
    ref = _across(gyr_parent_rad_s, z_parent_S)[0]
    sq = np.sum(gyr_child_rad_s * gyr_child_rad_s, axis=1)
    w = gyr_child_rad_s @ basis.T  # (n, 2): components along the two horizontal directions
    cost = np.zeros(phi_rad.shape[0])
    for i in range(0, w.shape[0], 8192):
        dots = w[i : i + 8192] @ np.vstack([np.cos(phi_rad), np.sin(phi_rad)])
        perp = np.sqrt(np.maximum(sq[i : i + 8192, None] - dots * dots, 0.0))
        cost += np.sum((perp - ref[i : i + 8192, None]) ** 2, axis=0)
    return cost / max(1, w.shape[0])


def hinge_axis(
    gyr_child_rad_s: FloatArray,
    gyr_parent_rad_s: FloatArray,
    z_parent_S: FloatArray,
    y_child_S: FloatArray,
) -> tuple[FloatArray, float, float]:
    """The child's flexion axis that makes a hinge with its parent's, and how sharply.

    A hinge turns both segments about one shared axis ``j`` relative to each other, so
    whatever else they do the angular velocity *across* the axis is the same in both:
    ``|ω_child × j_child| = |ω_parent × j_parent|`` at every sample (Seel, Schauer & Raisch
    2012). That holds in each sensor's own coordinates, so it needs neither a common heading
    nor the axis's sign. With the parent's axis known, the child's is searched among the
    directions orthogonal to its superior axis.

    Parameters
    ----------
    gyr_child_rad_s, gyr_parent_rad_s
        ``(n, 3)`` angular rates (rad/s) of the two sensors at the same instants, each in its
        own sensor frame, stand bias removed.
    z_parent_S
        The parent's flexion axis (unit, parent sensor frame; sign irrelevant).
    y_child_S
        The child's superior axis (unit, child sensor frame).

    Returns
    -------
    z_S, residual_rad_s, sharpness
        Unit axis (child sensor frame, sign arbitrary), the RMS hinge residual there (rad/s)
        and the ratio of the mean squared residual 90° away to that at the axis (how well the
        data pin the axis down; ≈ 1: not at all).
    """
    e1 = np.cross(y_child_S, [1.0, 0.0, 0.0])
    if np.linalg.norm(e1) < 0.5:
        e1 = np.cross(y_child_S, [0.0, 1.0, 0.0])
    e1 = e1 / np.linalg.norm(e1)
    basis = np.vstack([e1, np.cross(y_child_S, e1)])
    phi = np.linspace(0.0, np.pi, HINGE_AXIS_STEPS, endpoint=False)
    cost = _hinge_costs(gyr_child_rad_s, gyr_parent_rad_s, z_parent_S, basis, phi)
    k = int(np.argmin(cost))
    across = float(cost[(k + HINGE_AXIS_STEPS // 2) % HINGE_AXIS_STEPS])
    z = np.cos(phi[k]) * basis[0] + np.sin(phi[k]) * basis[1]
    return z, float(np.sqrt(cost[k])), across / max(float(cost[k]), 1e-12)


def hinge_residual(
    gyr_child_rad_s: FloatArray,
    gyr_parent_rad_s: FloatArray,
    z_parent_S: FloatArray,
    z_child_S: FloatArray,
) -> float:
    """RMS hinge residual (rad/s) of a given child axis (see :func:`hinge_axis`)."""
    if not gyr_parent_rad_s.shape[0]:
        return float("nan")
    cost = _cost(gyr_child_rad_s, gyr_parent_rad_s, z_child_S, z_parent_S)
    return float(np.sqrt(cost / gyr_parent_rad_s.shape[0]))


HINGE_SHARPNESS = 2.0
"""The hinge constraint must pin the child's axis down this sharply (:func:`hinge_axis`)…"""
HINGE_CLASH_DEG = 20.0
"""…and the child's own axis lie this far from it, for the hinge's axis to replace it."""


def with_hinge_axis(
    axes: SensorAxes,
    gyr_child_rad_s: FloatArray,
    gyr_parent_rad_s: FloatArray,
    z_parent_S: FloatArray,
    *,
    rate_hz: float,
) -> SensorAxes:
    """A child's flexion axis from its parent's through a hinge between them.

    A foot that stood flat through the knee bends turns only by the sway and roll of the
    whole leg there, about its long axis as much as about its flexion axis; an axis found
    from that may lie near 90° off. The ankle is close to a hinge parallel to the knee, so
    over the session (rates of both sensors at the same instants, stand bias removed) the
    axis that makes it one (:func:`hinge_axis`) replaces the foot's own when the data pin it
    down (sharpness ≥ :data:`HINGE_SHARPNESS`) and the own axis lies
    ≥ :data:`HINGE_CLASH_DEG` from it (``axis_source = "shank hinge"``; ``rotation_deg``
    becomes the child's session rotation about the new axis); otherwise ``axes`` is returned
    unchanged.
    """
    if gyr_child_rad_s.shape[0] < 10:
        return axes
    z_S, _residual, sharpness = hinge_axis(gyr_child_rad_s, gyr_parent_rad_s, z_parent_S, axes.y_S)
    if sharpness < HINGE_SHARPNESS or apart_deg(z_S, axes.z_S) < HINGE_CLASH_DEG:
        return axes
    turned = np.abs(gyr_child_rad_s @ z_S).sum() / rate_hz
    return dataclasses.replace(
        axes, z_S=z_S, rotation_deg=float(np.rad2deg(turned)), axis_source="shank hinge"
    )


# --- a tibia that turns as the knee bends ----------------------------------------------------


SMALL_BEND_DEG = 15.0
"""The knee's axis is fitted again over the samples bent at most this much (:func:`bent_at_most`).

A tibia that turns about its long axis by ``c`` × the knee's flexion θ (the screw-home
coupling, ``c`` up to ≈ 0.1) makes the knee turn, seen from the thigh, about
``z + c·s(θ)``: ``s(θ)`` the tibia's long axis, which swings forward with the bend,
``(sin θ, cos θ, 0)`` in the thigh's (x forward, y up, z the flexion axis). The fit over the
bends takes their average: a lean toward y by ``c·mean(cos θ)`` and a turn toward x — in the
level plane, about the thigh's long axis — by ``c·mean(sin θ)``: 3–5° over bends to 60°,
which the thigh's frame takes whole and reads as ``turn · sin(hip flexion)`` of hip
adduction. Bent at most 15°, the turn is ``c·sin θ`` ≤ 1.5° at its largest (stranger
sessions: 0.5–1.6° left, against 3–5° over the whole window; 1.9–2.2° at 25°); the bends'
beginnings and ends still fix the axis."""
COUPLED_TURN_DEG = 1.0
"""The small bends' fit replaces the whole window's only when the two turn the thigh's axis
more than this apart in the level plane…"""
COUPLED_RESIDUAL_RATIO = 2.0
"""… the deep bends leave the fit a residual no axis removes: the whole window's is more than
this many times the small bends' (rad/s; stranger sessions with a coupling 3.9–10; on the
population's exact hinges, people 0–39 and 22000–22049, at most 2.0, and at most 1.3 where
their two axes lay more than 1° apart — up to 7.6°, where the small bends barely fix it)…"""
SMALL_BENDS_MIN_WEAKEST_RAD_S = 0.05
"""… the small bends pin the thigh's axis this firmly (:attr:`HingeFit.weakest_rad_s`: the
bends' beginnings and ends, not swings with the knee still, which leave a family of axes;
stranger sessions 0.07–0.16)…"""
SMALL_BENDS_MIN_ROTATION_DEG = 60.0
"""… and the knee turned this much over them (accumulated; stranger sessions 76–166°)."""


def bent_at_most(
    up_prox_S: FloatArray,
    up_dist_S: FloatArray,
    y_prox_S: FloatArray,
    y_dist_S: FloatArray,
    *,
    limit_deg: float = SMALL_BEND_DEG,
) -> NDArray[np.bool_]:
    """Samples at which the knee is bent at most ``limit_deg``, from the two tilts alone.

    ``up_*_S`` ``(n, 3)`` are the vertical per sample in each sensor's coordinates, ``y_*_S``
    the segments' superior axes (unit, from the quiet stand). The knee's flexion is the angle
    between the two long axes (the tibia's own turn does not move its long axis), and that is
    at most the sum of their angles from the vertical (the triangle inequality on the
    sphere): no heading enters, so neither sensor's drift nor the axes' signs. Samples with
    no vertical are False.
    """
    out = np.zeros(np.asarray(up_prox_S).shape[0], dtype=bool)
    total = np.zeros(out.shape[0])
    for up, y in ((up_prox_S, y_prox_S), (up_dist_S, y_dist_S)):
        u = np.asarray(up, dtype=np.float64)
        u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
        total += np.rad2deg(np.arccos(np.clip(u @ np.asarray(y, dtype=np.float64), -1.0, 1.0)))
    with np.errstate(invalid="ignore"):
        out[:] = total <= limit_deg
    return out


def coupling_shown(
    whole: HingeFit, small: HingeFit, y_prox_S: FloatArray, *, small_turned_deg: float
) -> bool:
    """True when the knee's fit over small bends shows the whole window's turned by a coupling.

    ``whole`` is the fit over every moving sample, ``small`` over those bent at most
    :data:`SMALL_BEND_DEG` (:func:`bent_at_most`), ``y_prox_S`` the thigh's superior axis. A
    tibia turning with the knee turns the thigh's view of the axis more the deeper the bend
    and leaves the deep bends a residual no axis removes: the two fits' thigh axes point more
    than :data:`COUPLED_TURN_DEG` apart in the plane ⟂ ``y_prox_S``, and the small bends fit
    the hinge much better (a residual, rad/s, :data:`COUPLED_RESIDUAL_RATIO` times smaller:
    not its share of the rate across the axes, which is smaller over small bends too). The
    small bends must fix the axis on their own: :data:`SMALL_BENDS_MIN_WEAKEST_RAD_S`, and
    the knee turned ``small_turned_deg`` ≥ :data:`SMALL_BENDS_MIN_ROTATION_DEG` over them.
    """
    if (
        small.samples < 10
        or small.weakest_rad_s < SMALL_BENDS_MIN_WEAKEST_RAD_S
        or small_turned_deg < SMALL_BENDS_MIN_ROTATION_DEG
    ):
        return False
    return level_turn_deg(
        whole.j_prox_S, small.j_prox_S, y_prox_S
    ) > COUPLED_TURN_DEG and _deep_bends_misfit(whole, small)


def coupling_fixed(
    whole: HingeFit,
    small: HingeFit,
    y_prox_S: FloatArray,
    *,
    small_turned_deg: float,
    derived_rates: bool = False,
) -> bool:
    """True when the small bends' axis may replace the whole window's (:func:`coupling_shown`).

    ``derived_rates``: the thigh's or shank's angular rate is derived from its maker's own
    orientation (a Movella DOT export), not measured. The maker's heading, which the file
    cannot check, then turns each sensor about the vertical on its own, a turn of the thigh
    against the shank that is not the knee's, and the small bends' fit (the knee's smallest
    rates) takes it in: its weakest direction and its axis move by as much as the floors'
    margins. The floors :func:`coupling_shown` asks were set on measured rates (stranger
    sessions 0.07–0.16 rad/s); on derived ones they do not show that the small bends fix the
    axis (stranger round 5 seed 2203's DOT file: weakest 0.047 rad/s and the two axes 8.1°
    apart without the maker's heading error, 0.074 and 11.5° with it as drawn, 0.044 and 6.9°
    with another draw of it; the thigh's frame turned about its long axis 2.5°, 5.0° and 1.6°
    from the truth), so False.
    """
    if derived_rates:
        return False
    return coupling_shown(whole, small, y_prox_S, small_turned_deg=small_turned_deg)


def _deep_bends_misfit(whole: HingeFit, small: HingeFit) -> bool:
    """True when the deep bends leave a residual no axis removes (ratio: see constant)."""
    return small.residual_rad_s * COUPLED_RESIDUAL_RATIO < whole.residual_rad_s


COUPLED_DOUBT_TURN_DEG = HINGE_DOUBT_TURN_DEG
"""A coupling the small bends show but do not fix (:func:`loose_coupling_deg`) doubts the
thigh's tilt when the two fits' thigh axes lie more than this apart: the level turn the
hinge-turn doubt asks for (:data:`analysis.angles.axis_bias.HINGE_DOUBT_TURN_DEG`)."""


def loose_coupling_deg(whole: HingeFit, small: HingeFit, y_prox_S: FloatArray) -> float | None:
    """The turn (°) of a coupling the small bends show but cannot fix; None otherwise.

    As :func:`coupling_shown` (arguments alike), but where the small bends do not fix the
    axis on their own: the deep bends misfit the hinge (:func:`_deep_bends_misfit`) and the
    two fits' thigh axes lie more than :data:`COUPLED_DOUBT_TURN_DEG` apart in the level
    plane. Neither axis is then established: the whole window's carries the coupling's turn,
    the small bends' is loose (stranger's round 2, seeds 944 and 956: 9.3 and 7.8° apart, the
    residual 6.4 and 10.9 times smaller over the small bends; their weakest directions 0.015
    and 0.046 rad/s, or 56° of knee turn). On exact hinges two axes more than 1° apart come
    with a residual ratio of at most 1.3 (:data:`COUPLED_RESIDUAL_RATIO`'s population).
    """
    if small.samples < 10 or not _deep_bends_misfit(whole, small):
        return None
    turned = level_turn_deg(whole.j_prox_S, small.j_prox_S, y_prox_S)
    return turned if turned > COUPLED_DOUBT_TURN_DEG else None


FIRM_BEND_LIMITS_DEG = (SMALL_BEND_DEG, 20.0, 25.0)
"""Bend limits (:func:`bent_at_most`) tried in turn by :func:`smallest_firm_bends`."""
STRAIGHT_BEND_DEG = 10.0
"""Where the bends at most :data:`SMALL_BEND_DEG` do not show the deep bends' misfit
(:func:`deep_bends_misfit`), the bends at most this much are asked too; the coupling's
residual grows with the bend, so it shows more clearly against the straighter knee (the
stranger's round-1 seed 1313, ``c`` = 0.10: residual ratio 2.40 over the bends at most 10°,
1.90 at 15°, 1.33 at 15° with the coupling set to 0). Their axis is not taken (it carries
what the tissue under the sensor turns: a synthetic knee with 4 % of tissue read 5.3° off
on it), only the thigh's tilt doubted."""


def firm_bends(fit: HingeFit, turned_deg: float) -> bool:
    """True when a knee fit over some bends fixes the thigh's axis.

    At least :data:`MIN_KNEE_ROTATION_DEG` of knee turn (``turned_deg``), its weakest
    direction at least :data:`MIN_WEAKEST_RAD_S` and its thigh side not loose
    (:func:`thigh_side_loose`): the floors a window's fit meets to give the thigh its axis.
    """
    return (
        fit.samples >= 10
        and turned_deg >= MIN_KNEE_ROTATION_DEG
        and fit.weakest_rad_s >= MIN_WEAKEST_RAD_S
        and not thigh_side_loose(fit)
    )


def smallest_firm_bends(
    whole: HingeFit, fits: Iterable[tuple[HingeFit, float]], y_prox_S: FloatArray
) -> tuple[HingeFit, float] | None:
    """Of the knee's fits over the bends at most 15, 20, 25° (in that order), the first firm one.

    ``fits``: ``(fit, knee's turn over it °)`` per limit of :data:`FIRM_BEND_LIMITS_DEG`
    (consumed only as far as needed), ``whole`` the fit over every moving sample. For a knee
    whose deep bends misfit the hinge (:func:`deep_bends_misfit`: a tibia turning with the
    knee) but whose bends at most 15° do not fix the axis as firmly as :func:`coupling_shown`
    asks: the smallest bends that fix it by the floors a window's fit meets
    (:func:`firm_bends`) carry the least of the coupling's turn ``c·mean(sin θ)`` (the
    stranger's round-2 seed 1344: whole window 3.1° off, the bends at most 15° loose, at most
    20° firm and 0.9° off). None when none is firm, or when the first firm one's thigh axis
    lies within :data:`COUPLED_TURN_DEG` of the whole window's in the plane ⟂ ``y_prox_S``
    (no coupling's turn to remove).
    """
    for fit, turned in fits:
        if firm_bends(fit, turned):
            apart = level_turn_deg(whole.j_prox_S, fit.j_prox_S, y_prox_S)
            return (fit, turned) if apart > COUPLED_TURN_DEG else None
    return None


def deep_bends_misfit(whole: HingeFit, small: HingeFit) -> bool:
    """:func:`coupling_shown`'s residual test alone (arguments alike).

    The deep bends leave the whole window's fit a residual more than
    :data:`COUPLED_RESIDUAL_RATIO` times the small bends' (a tibia turning with the knee),
    however loosely the small bends fix the axis.
    """
    return small.samples >= 10 and _deep_bends_misfit(whole, small)
