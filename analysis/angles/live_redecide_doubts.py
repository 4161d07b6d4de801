"""The file analysis's session doubts, taken live on the rows so far (causal).

The offline analysis doubts two hip readings from the whole session that the calibration in
force alone does not show; live, the same doubts are taken on the rows since the calibration,
with the same bounds and words, so that a rule the report will call uncertain is not cued as a
confident break:

* **a thigh's hinge lean taken for its accelerometer's offset**
  (:mod:`analysis.angles.hinge_lean`): known at the calibration (the thigh's
  ``acc_axis_bias_g``); per row, hip adduction and rotation may be off by
  :func:`~analysis.angles.hinge_lean.lean_error_deg` of the thigh's vertical share — a timed
  doubt where that passes the 4° target (a rule is decided there only beyond it), and the
  angle uncertain once the bound's RMS over the rows so far passes it;
* **a pelvis axis taken from the leans into the stretch** (:mod:`analysis.angles.lean_axis`):
  where the trusted pelvis's flexion axis came from the session (a re-decision, or a
  calibration without the bows) and the pelvis never lay ≥ 60° from its stand's vertical for
  ≥ 1 s, the leans' typical tilt so far bounds the axis's precision, and a hip adduction or
  rotation whose hidden share's RMS so far passes its target is uncertain with that share's
  95th percentile as its ± (the envelope decides a rule beyond it).

Both are running sums over the rows (no history kept): the RMS, the leans' median and the
95th percentile are read from fixed-width histograms (:data:`BIN_DEG`).

What cannot be causal is left to the report (docs/live-web.md, docs/accuracy.md round 18): a
pelvis belt turned round the waist is found between two quiet stands, the next still to come;
a strap that slips is found from two later stretches of knee bending over the whole session.

A knee held bent for much of the session is approximate as a reading, its rules judged as
read (:class:`KneeTissueSoFar`: the report's soft-tissue entry on the rows so far).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import NDArray

from analysis.angles.calibration import CalibrationResult
from analysis.angles.hinge_lean import (
    HIP_LEAN_TARGET_DEG,
    MOTIONS,
    lean_cause_words,
    lean_deg,
    lean_error_deg,
    lean_redo_words,
)
from analysis.angles.lean_axis import (
    HITCH_MIXED_MOTIONS,
    LEAN_AXIS_REDO,
    LEAN_MIN_DEG,
    bound_words,
    hip_share,
    lean_axis_precision_deg,
    tilt_from_stand_deg,
    witness_precision_deg,
)
from analysis.angles.tissue import tissue_precision_entry, tissue_sd_deg
from analysis.recording.doubts import UncertainAngle, bounded
from analysis.recording.schema import SIDES, angle_column, split_placement
from analysis.recording.targets import RMSE_TARGET_DEG

FloatArray = NDArray[np.float64]

BIN_DEG = 0.1
"""Width (deg) of the histograms the leans' median and the shares' 95th percentile are read
from (0–180°): the readings are at most this much off the sorted samples'."""

_N_BINS = round(180.0 / BIN_DEG)

LYING_DEG = 60.0
"""A pelvis this far (deg) from its stand's vertical for :data:`LYING_S` lies (as
``lean_axis.lay_far``)."""

LYING_S = 1.0


def hinge_leans(cal: CalibrationResult | None) -> dict[str, float]:
    """Per thigh whose hinge lean was taken for its accelerometer's offset: the lean (deg).

    Only leans the hips may take past their target (``2 · lean`` above it, as
    :func:`~analysis.angles.hinge_lean.hip_lean_doubts`).
    """
    out: dict[str, float] = {}
    for p, seg in ({} if cal is None else cal.segments).items():
        if split_placement(p)[1] != "thigh" or not seg.axis_source.startswith("knee hinge"):
            continue
        lean = lean_deg(seg.acc_axis_bias_g)
        if 2.0 * lean > HIP_LEAN_TARGET_DEG:
            out[p] = lean
    return out


def pelvis_from_leans(cal: CalibrationResult | None) -> bool:
    """True when the trusted pelvis's flexion axis came from the session (its leans)."""
    seg = None if cal is None else cal.segments.get("pelvis")
    return seg is not None and seg.trusted and seg.axis_source == "session"


def _bins(values_deg: FloatArray) -> NDArray[np.int64]:
    """Counts of ``values_deg`` (finite, ≥ 0) in the :data:`BIN_DEG` bins (the last open)."""
    k = np.clip((np.asarray(values_deg) / BIN_DEG).astype(np.int64), 0, _N_BINS - 1)
    return np.bincount(k, minlength=_N_BINS)


def binned_percentile_deg(counts: NDArray[np.int64], q: float) -> float:
    """The ``q``-th percentile (0–100) of the samples counted in ``counts``: its bin's centre."""
    n = int(counts.sum())
    if n == 0:
        return 0.0
    k = int(np.searchsorted(np.cumsum(counts), max(1, int(np.ceil(q / 100.0 * n)))))
    return (k + 0.5) * BIN_DEG


class SessionDoubts:
    """The hip doubts of the rows since the calibration (module docstring).

    :meth:`update` each batch of rows (the calibration in force for them, their
    ``vertical_share`` and angle columns); it returns the rows' timed bounds per column, and
    :attr:`uncertain` holds the angles uncertain on the rows so far, :attr:`timed_words` the
    words of the timed doubts.
    """

    def __init__(self, placements: Iterable[str], *, rate_hz: float) -> None:
        self.placements = tuple(placements)
        self.rate_hz = float(rate_hz)
        self.uncertain: dict[str, UncertainAngle] = {}
        """``{column: entry}`` uncertain on the rows so far (hinge lean, pelvis axis)."""
        self.timed_words: dict[str, UncertainAngle] = {}
        """``{column: {"reason", "redo"}}`` of the timed doubts (:meth:`update`'s bounds)."""
        self._up_n = dict.fromkeys(self.placements, 0)
        self._up_sq = dict.fromkeys(self.placements, 0.0)  # Σ (1 − cos φ)², thighs
        self._up_one = dict.fromkeys(self.placements, 0.0)  # Σ 2 (1 − cos φ), thighs
        self._tilt_n = 0
        self._lying = 0  # rows of the pelvis ≥ LYING_DEG from its stand's vertical
        self._leans = np.zeros(_N_BINS, dtype=np.int64)  # tilts ≥ LEAN_MIN_DEG
        self._hid_sq: dict[tuple[str, str], float] = {}  # Σ (tilt · share)² per side, motion
        self._hid: dict[tuple[str, str], NDArray[np.int64]] = {}  # their histograms

    def update(
        self,
        cal: CalibrationResult | None,
        vertical_share: Mapping[str, FloatArray],
        columns: Mapping[str, FloatArray],
    ) -> dict[str, FloatArray]:
        """Add rows; their timed bounds (deg) per hip column, 0 where trusted as read."""
        self._add_thighs(vertical_share)
        self._add_pelvis(vertical_share, columns)
        bounds = self._hinge_bounds(cal, vertical_share)
        self.uncertain = {**self._lean_axis(cal), **self._hinge_uncertain(cal)}
        return bounds

    # -- the thighs' hinge lean -------------------------------------------------------------

    def _add_thighs(self, vertical_share: Mapping[str, FloatArray]) -> None:
        for p, up in vertical_share.items():
            if p not in self._up_n or not p.endswith("_thigh"):
                continue
            u = np.asarray(up, dtype=np.float64)
            u = np.clip(u[np.isfinite(u)], -1.0, 1.0)
            self._up_n[p] += int(u.size)
            self._up_sq[p] += float(np.sum((1.0 - u) ** 2))
            self._up_one[p] += float(np.sum(2.0 * (1.0 - u)))

    def _hinge_bounds(
        self, cal: CalibrationResult | None, vertical_share: Mapping[str, FloatArray]
    ) -> dict[str, FloatArray]:
        """The rows' timed bounds of the hips whose thigh's lean may put them past target."""
        out: dict[str, FloatArray] = {}
        self.timed_words = {}
        for thigh, lean in hinge_leans(cal).items():
            if thigh not in vertical_share:
                continue
            side = split_placement(thigh)[0]
            for motion, off in lean_error_deg(lean, vertical_share[thigh]).items():
                column = angle_column(side, "hip", motion)
                out[column] = np.where(off > HIP_LEAN_TARGET_DEG, off, 0.0)
                name = f"hip {motion.replace('_', ' ')}"
                self.timed_words[column] = UncertainAngle(
                    reason=(
                        f"{lean_cause_words(side, lean)}: with the thigh turned far from its "
                        f"stand, {name} may be off by up to {2.0 * lean:.0f}°, more than the "
                        f"{HIP_LEAN_TARGET_DEG:.0f}° this tool trusts; a rule on it is decided "
                        "there only beyond that"
                    ),
                    redo=lean_redo_words(side),
                )
        return out

    def _hinge_uncertain(self, cal: CalibrationResult | None) -> dict[str, UncertainAngle]:
        """The hips whose lean bound's RMS over the rows so far passes the target."""
        out: dict[str, UncertainAngle] = {}
        for thigh, lean in hinge_leans(cal).items():
            n = self._up_n.get(thigh, 0)
            if not n:
                continue
            side = split_placement(thigh)[0]
            rms = {
                "adduction": lean * np.sqrt(self._up_sq[thigh] / n),
                "internal_rotation": lean * np.sqrt(self._up_one[thigh] / n),
            }
            for motion in MOTIONS:
                if rms[motion] <= HIP_LEAN_TARGET_DEG:
                    continue
                out[angle_column(side, "hip", motion)] = UncertainAngle(
                    reason=(
                        f"{lean_cause_words(side, lean)}: hip {motion.replace('_', ' ')} may be "
                        f"off by {rms[motion]:.0f}° RMS so far, more than the "
                        f"{HIP_LEAN_TARGET_DEG:.0f}° this tool trusts"
                    ),
                    redo=lean_redo_words(side),
                )
        return out

    # -- the pelvis axis from leans ---------------------------------------------------------

    def _add_pelvis(
        self, vertical_share: Mapping[str, FloatArray], columns: Mapping[str, FloatArray]
    ) -> None:
        up = vertical_share.get("pelvis")
        if up is None:
            return
        tilt = tilt_from_stand_deg(up)
        seen = np.isfinite(tilt)
        self._tilt_n += int(tilt.size)
        self._lying += int(np.count_nonzero(tilt[seen] >= LYING_DEG))
        self._leans += _bins(tilt[seen & (tilt >= LEAN_MIN_DEG)])
        tilt0 = np.where(seen, tilt, 0.0)
        for side in SIDES:
            flexion = columns.get(angle_column(side, "hip", "flexion"))
            if flexion is None:
                continue
            for motion in HITCH_MIXED_MOTIONS:
                x = tilt0 * hip_share(motion, flexion)
                key = (side, motion)
                self._hid_sq[key] = self._hid_sq.get(key, 0.0) + float(np.sum(x * x))
                self._hid[key] = self._hid.get(key, np.zeros(_N_BINS, np.int64)) + _bins(x)

    def _lean_axis(self, cal: CalibrationResult | None) -> dict[str, UncertainAngle]:
        """The hips a pelvis axis from the leans so far cannot pin (``lean_axis_doubts``)."""
        if cal is None or not pelvis_from_leans(cal) or not self._tilt_n:
            return {}
        if self._lying >= max(1, round(LYING_S * self.rate_hz)) or not self._leans.any():
            return {}
        lean = binned_percentile_deg(self._leans, 50.0)
        seg = cal.segments["pelvis"]  # worn and trusted: pelvis_from_leans
        witnessed = witness_precision_deg(seg.witness_apart_deg, seg.witness_spread_deg)
        precision = lean_axis_precision_deg(lean)
        if witnessed is not None and witnessed < precision:
            precision = witnessed
        why = bound_words(lean, precision, witnessed is not None and precision == witnessed)
        scale = float(np.sin(np.radians(precision)))
        out: dict[str, UncertainAngle] = {}
        for (side, motion), sq in self._hid_sq.items():
            rms = scale * float(np.sqrt(sq / self._tilt_n))
            if rms <= RMSE_TARGET_DEG[f"hip_{motion}"]:
                continue
            bound = scale * binned_percentile_deg(self._hid[(side, motion)], 95.0)
            reason = (
                f"{why}, which would put the {side} hip's {motion.replace('_', ' ')} off by "
                f"{rms:.1f}° RMS so far, up to ±{bound:.1f}°"
            )
            out[angle_column(side, "hip", motion)] = bounded(reason, LEAN_AXIS_REDO, bound)
        return out


class KneeTissueSoFar:
    """A knee's soft-tissue precision on the rows so far (the report's, taken live).

    The file analysis gives a knee held bent for much of the session a trace-only entry
    (:func:`~analysis.angles.tissue.knee_tissue_precision`: its reading approximate, its rule
    verdicts standing). Live, :meth:`add` each batch of the knee's flexion rows (degrees, NaN:
    no reading); :meth:`entry` is that entry on the rows added so far, from running sums: the
    mean square of the bend (the tissue's RMSE) and a :data:`BIN_DEG` histogram of ``|bend|``
    (its 90th percentile for the words). The poses' predicted RMSE is offline only, so the
    live ± is the tissue's alone.
    """

    def __init__(self) -> None:
        self._n = 0
        self._sq = 0.0  # Σ knee², deg²
        self._bent = np.zeros(_N_BINS, dtype=np.int64)

    def add(self, knee_deg: FloatArray) -> None:
        """Add rows of the knee's flexion (degrees); NaN rows are left out."""
        knee = np.asarray(knee_deg, dtype=np.float64)
        knee = np.abs(knee[np.isfinite(knee)])
        self._n += int(knee.size)
        self._sq += float(np.sum(knee**2))
        self._bent += _bins(knee)

    def tissue_rmse_deg(self) -> float:
        """:func:`~analysis.angles.tissue.tissue_rmse_deg` of the rows so far (0 with none)."""
        if not self._n:
            return 0.0
        return float(tissue_sd_deg(np.array([np.sqrt(self._sq / self._n)]))[0])

    def entry(self, side: str) -> UncertainAngle | None:
        """The trace-only entry of the rows so far for the ``side`` knee (None: none)."""
        if not self._n:
            return None
        bent = binned_percentile_deg(self._bent, 90.0)
        return tissue_precision_entry(self.tissue_rmse_deg(), None, bent, side)
