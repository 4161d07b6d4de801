"""Which way the shank faces, from the knee centre it shares with the thigh.

The tilts alone cannot always tell the shank's front from its back: in a knee bend with the
foot flat the shank tips its knee forward while the thigh flexes, in a leg swing it follows
the thigh, and either sign of the shank reads a knee inside its range in both as long as the
shank tips less than the thigh. Physics can: the knee is one point of the thigh and of the
shank, so its acceleration computed from either sensor is the same vector (Seel, Schauer &
Raisch 2012), the constraint test 3 asks of the hip (:mod:`analysis.angles.calibration_centre`).

Each sensor's 6-D orientation has its own heading. At the quiet stand the knee is straight,
so the shank's flexion axis lies along the thigh's (whose sign is decided first); the two
signs of the shank's axis therefore ask for earth frames turned 180° apart about the
vertical, and only the right one lets the two sensors agree on how the knee moves. The
lever arms from each sensor to the knee are fitted, not assumed: nothing anatomical enters
(where the sensors sit, which way the knee bends, whether the foot stays planted).

Comparing the two candidate headings alone is not enough: in slow knee bends, the thigh and
the shank turning in nearly fixed proportion, the motion is close to one rigid movement
whose accelerations the free lever arms fit almost as well at the wrong heading, and the
ratio of the two fits may then point either way. So the session is judged in stretches
(:data:`SESSION_CHUNK_S` every :data:`SESSION_STEP_S`), and a stretch votes only when its own
knee centre fixes the heading sharply, at one candidate, which fits clearly better
(:func:`analysis.angles.calibration_centre.centre_vote`), and only when its thigh or shank
turned about horizontal axes enough to read the knee by (:func:`tilted_enough`): a turn on
the spot gives both headings the same fit, up to the sensors' own errors. The functional
window is judged by the centre's criteria (not by that one: its vote only ever takes a sign's
confidence away); where it votes, it must not vote against the stretches.

Frames: each sensor's own earth frame (z up) and sensor frame; specific force m/s², rates
rad/s, both less their biases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.angles.calibration_centre import (
    SESSION_CHUNK_S,
    SESSION_STEP_S,
    SMOOTH_S,
    CentreTerms,
    CentreVote,
    _moving_mean,
    centre_vote,
    rotated_centre_terms,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MIN_SAMPLES: Final = 10
"""A stretch (or the window) with fewer usable samples than this is not judged."""
TILT_ERROR_DEG: Final = 0.5
"""How far our own fusion's tilt may be off for some seconds after a turn on the spot (its
gyroscopes' gain and cross-axis errors; the true heading of held-out 84003 leaves 0.04–0.17
m/s² of horizontal mismatch on a still leg, gravity turned by 0.25–1°)…"""
LEVER_M: Final = 0.2
"""…and a lever arm from a thigh or shank sensor to the knee: a stretch's turns about
horizontal axes must move the sensors by more than that tilt error moves gravity, ``LEVER_M ·
|ω̇ₕ| ≥ g · sin(TILT_ERROR_DEG)`` (:data:`TILT_ACC_MIN_RAD_S2`)."""
TILT_ACC_MIN_RAD_S2: Final = float(9.81 * np.sin(np.deg2rad(TILT_ERROR_DEG)) / LEVER_M)
"""The RMS angular acceleration about horizontal axes (rad/s², the livelier of the two
sensors) a stretch needs before it may vote (:func:`tilted_enough`)."""


@dataclass(frozen=True)
class SensorSeries:
    """One sensor's whole-session inputs, per sample.

    ``acc_m_s2`` and ``gyr_rad_s`` (n, 3, sensor frame) less their biases, orientation
    matrices ``r_E_S`` (n, 3, 3) and ``ok`` (n,): valid with a known orientation. Only
    slices of rows are taken (``s.r_E_S[a:b]``), so the first three may be anything that
    makes those (the calibration's make them a stretch at a time).
    """

    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    r_E_S: FloatArray
    ok: BoolArray


@dataclass(frozen=True)
class KneeCentreEvidence:
    """The knee centre's say on the shank's sign.

    ``window``: the functional window's vote by the stretches' criteria (None: it does not
    decide); ``votes``: the session's stretches that decide (:func:`stretch_votes`).
    """

    window: CentreVote | None
    votes: tuple[CentreVote, ...]


def _terms(
    sensors: tuple[SensorSeries, SensorSeries], span: slice, rate_hz: float
) -> tuple[CentreTerms, CentreTerms] | None:
    """Both sensors' centre terms over ``span``, on the samples usable in both (None: < 10)."""
    if span.stop - span.start < MIN_SAMPLES:
        return None
    ok = sensors[0].ok[span] & sensors[1].ok[span]
    if ok.sum() < MIN_SAMPLES:
        return None
    out = []
    for s in sensors:
        t = rotated_centre_terms(
            s.acc_m_s2[span], s.gyr_rad_s[span], s.r_E_S[span], rate_hz=rate_hz
        )
        out.append(CentreTerms(t.acc_E[ok], t.lever_E[ok]))
    return out[0], out[1]


def horizontal_turn_rad_s2(gyr_rad_s: FloatArray, r_E_S: FloatArray, rate_hz: float) -> FloatArray:
    """Per sample, the angular acceleration about horizontal axes (rad/s², earth frame).

    ``gyr_rad_s`` (n, 3, sensor frame) is smoothed as the centre fit smooths it; the earth
    frame's angular acceleration is ``R ω̇`` (``Ṙ ω = R [ω]× ω = 0``), so the orientation is
    not differentiated. Its horizontal length is returned: a turn about the vertical, which
    the knee centre cannot tell the two headings apart by, adds nothing.
    """
    n = max(1, round(SMOOTH_S * rate_hz))
    gyr = _moving_mean(np.asarray(gyr_rad_s, dtype=np.float64), n)
    dw_E = np.einsum("nij,nj->ni", r_E_S, np.gradient(gyr, 1.0 / rate_hz, axis=0))
    return np.hypot(dw_E[:, 0], dw_E[:, 1])


def tilted_enough(sensors: tuple[SensorSeries, SensorSeries], span: slice, rate_hz: float) -> bool:
    """Whether either sensor turned about horizontal axes enough for ``span`` to vote.

    Only such turns (and the knee's own acceleration, which comes with them) tell the two
    headings apart. A turn on the spot moves a straight standing leg as one about the
    vertical: both headings then fit its accelerations alike, and what is left to tell
    them apart is each sensor's error turned with it (an offset fixed in the sensor frame,
    a tilt the fusion lost in the turn), which lines up at one heading as well as at the
    other: held-out 84003's resting leg voted 3 stretches the wrong way at ≥ 2.69× from two
    turns on the spot and a weight shift. RMS of :func:`horizontal_turn_rad_s2` over the
    samples usable in both, for the livelier sensor, ≥ :data:`TILT_ACC_MIN_RAD_S2`.
    """
    ok = sensors[0].ok[span] & sensors[1].ok[span]
    if ok.sum() < MIN_SAMPLES:
        return False
    rms = [
        float(
            np.sqrt(
                np.nanmean(
                    horizontal_turn_rad_s2(s.gyr_rad_s[span], s.r_E_S[span], rate_hz)[ok] ** 2
                )
            )
        )
        for s in sensors
    ]
    return max(rms) >= TILT_ACC_MIN_RAD_S2


def window_vote(
    shank: SensorSeries,
    thigh: SensorSeries,
    axes_E: tuple[FloatArray, FloatArray],
    window: slice,
    rate_hz: float,
) -> CentreVote | None:
    """The functional window's vote on the shank's sign (None: it does not decide).

    ``axes_E``: the shank's flexion axis as estimated and the thigh's (sign decided), each
    in its own sensor's earth frame at the quiet stand.
    """
    terms = _terms((shank, thigh), window, rate_hz)
    if terms is None:
        return None
    return centre_vote(terms[0], terms[1], axes_E[0], axes_E[1])


def stretch_votes(
    shank: SensorSeries,
    thigh: SensorSeries,
    axes_E: tuple[FloatArray, FloatArray],
    t_s: FloatArray,
    rate_hz: float,
) -> list[CentreVote]:
    """The votes of the session's stretches on the shank's sign (see the module docstring).

    ``t_s``: the session's grid (s); ``axes_E`` as for :func:`window_evidence`.
    """
    out: list[CentreVote] = []
    first, last = float(t_s[0]), float(t_s[-1])
    for t0 in np.arange(first, max(last - 0.5 * SESSION_CHUNK_S, first) + 1e-9, SESSION_STEP_S):
        lo, hi = np.searchsorted(t_s, [t0, t0 + SESSION_CHUNK_S], side="left")
        span = slice(int(lo), int(hi))
        terms = _terms((shank, thigh), span, rate_hz)
        if terms is None or not tilted_enough((shank, thigh), span, rate_hz):
            continue
        v = centre_vote(terms[0], terms[1], axes_E[0], axes_E[1], start_s=float(t0))
        if v is not None:
            out.append(v)
    return out


def knee_centre_evidence(
    shank: SensorSeries,
    thigh: SensorSeries,
    axes_E: tuple[FloatArray, FloatArray],
    *,
    window: slice,
    t_s: FloatArray,
    rate_hz: float,
) -> KneeCentreEvidence | None:
    """The window's and the session's votes on the shank's sign (None: axes unknown)."""
    if not all(np.all(np.isfinite(z)) for z in axes_E):
        return None
    return KneeCentreEvidence(
        window=window_vote(shank, thigh, axes_E, window, rate_hz),
        votes=tuple(stretch_votes(shank, thigh, axes_E, t_s, rate_hz)),
    )
