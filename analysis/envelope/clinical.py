"""Two informal tests read from marks: the straight-leg raise and "nerve or muscle?".

**Straight-leg raise (SLR).** Lying on the back, the leg is raised with the knee straight; the
person marks P1 (the first symptom) and P2 (the most they tolerate), once with the ankle
relaxed or pointed and once with the toes pulled up (dorsiflexion, the sensitising movement).
:func:`slr_result` gives the hip flexion at each mark, the mean per condition and the
difference; in healthy people dorsiflexion lowers the hip angle at P1 by ≈ 5.5° and at P2 by
≈ 10° (Boyd et al. 2009, JOSPT 39:780; anchors.md §2.1).

**Structural differentiation.** While the stretch is felt, one movement far from the hamstring
is made — toes up then away, or look down then up — while hip and knee stay put. A sensation
that changes with it suggests the nerve is involved; one that does not points to the muscle
(seeds/002). The sensors check that hip and knee stayed within :data:`STILL_TOLERANCE_DEG`
and that the remote joint really moved (:data:`MIN_REMOTE_CHANGE_DEG`); otherwise the test does
not count. Marks: ``kind="diff_start"`` (label ``ankle`` or ``neck``) and ``kind="diff_end"``
with ``answer`` ``more``/``less``/``same``.

This informs and does not diagnose. Angles in degrees (docs/conventions.md), times in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from analysis.envelope.profiles import angle_column_for, measured_column_for

FloatArray = NDArray[np.float64]

STILL_TOLERANCE_DEG: Final = 5.0
"""Hip and knee may move at most this much during a differentiation movement: a few degrees,
above the sagittal IMU error (≈ 3°, anchors.md §1), well below a change of hamstring length."""

MIN_REMOTE_CHANGE_DEG: Final = 10.0
"""The ankle or neck must move at least this much (range within the test) to count."""

TEST_RULES: Final = {"ankle": "ankle_dorsiflexion", "neck": "neck_flexion"}
"""The envelope rule whose angle each differentiation movement moves on purpose."""

TEST_GRACE_S: Final = 1.0
"""An episode counts as a test's movement when it lies within the marked window widened by
this much before and by this plus the rule's dwell after (the marks are pressed by hand)."""

DF_SENSITISED_DEG: Final = 5.0
"""Ankle dorsiflexion at a mark from which the raise counts as "with dorsiflexion"."""

DF_RELAXED_DEG: Final = 0.0
"""Ankle dorsiflexion at a mark up to which the raise counts as "without" (neutral/pointed)."""

HEALTHY_DF_EFFECT: Final = "healthy: dorsiflexion lowers P1 by ≈ 5.5° and P2 by ≈ 10° (Boyd 2009)"

DIFFERENTIATION_ADVICE: Final = (
    "This informs and does not diagnose. A sensation that changes with a movement far from the "
    "hamstring (ankle or neck) while the hamstring's length stays the same suggests the nerve "
    "is involved; one that does not change points to the muscle. If it seems to be the nerve: "
    "ease the stretch, keep a slight bend in the knee, point the toes away and look ahead, and "
    "see a professional if it persists — at once for numbness, tingling or weakness in the foot "
    "or a sudden sharp pain with a pop."
)


# --- straight-leg raise ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SlrReading:
    """One P1/P2 mark: the hip flexion and ankle dorsiflexion there (None: not measured)."""

    point: str
    t_s: float
    hip_flexion_deg: float | None
    ankle_dorsiflexion_deg: float | None
    condition: str
    """``"with_dorsiflexion"``, ``"without_dorsiflexion"`` or ``"unclear"`` (ankle between
    the two limits or not measured)."""


@dataclass(frozen=True, kw_only=True)
class SlrResult:
    """Every P1/P2 reading of a straight-leg raise, with per-point means and differences.

    Per point: the mean hip flexion per condition and the difference without − with
    dorsiflexion (None where a condition has no reading).
    """

    readings: tuple[SlrReading, ...]
    mean_deg: Mapping[str, Mapping[str, float | None]]
    difference_deg: Mapping[str, float | None]
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``envelope.json`` ``slr``)."""
        return {
            "readings": [
                {
                    "point": r.point,
                    "t_s": round(r.t_s, 3),
                    "hip_flexion_deg": _rnd(r.hip_flexion_deg),
                    "ankle_dorsiflexion_deg": _rnd(r.ankle_dorsiflexion_deg),
                    "condition": r.condition,
                }
                for r in self.readings
            ],
            "hip_flexion_mean_deg": {
                p: {c: _rnd(v) for c, v in by.items()} for p, by in self.mean_deg.items()
            },
            "dorsiflexion_effect_deg": {p: _rnd(v) for p, v in self.difference_deg.items()},
            "healthy_reference": HEALTHY_DF_EFFECT,
            **({"reason": self.reason} if self.reason else {}),
        }


def _rnd(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(float(x), nd)


def _at(t_s: FloatArray, x: FloatArray | None, t: float) -> float | None:
    """``x`` linearly interpolated at ``t`` (None outside the data or on missing samples)."""
    if x is None or not t_s[0] <= t <= t_s[-1]:
        return None
    i = int(np.clip(np.searchsorted(t_s, t) - 1, 0, t_s.size - 2))
    pair = x[i : i + 2]
    if not np.isfinite(pair).all():
        return None
    return float(np.interp(t, t_s[i : i + 2], pair))


def _condition(df: float | None) -> str:
    if df is None:
        return "unclear"
    if df >= DF_SENSITISED_DEG:
        return "with_dorsiflexion"
    if df <= DF_RELAXED_DEG:
        return "without_dorsiflexion"
    return "unclear"


def slr_result(
    t_s: FloatArray, data: Mapping[str, FloatArray], marks: Sequence[Any], *, side: str
) -> SlrResult | None:
    """Hip flexion at the P1/P2 marks (``kind`` ``P1``/``P2``, any case); None without any."""
    points = [m for m in marks if str(getattr(m, "kind", "")).upper() in ("P1", "P2")]
    if not points:
        return None
    hip = data.get(angle_column_for("hip_flexion", side))
    ankle = data.get(angle_column_for("ankle_dorsiflexion", side))
    readings = []
    for m in sorted(points, key=lambda m: float(m.t_s)):
        df = _at(t_s, ankle, float(m.t_s))
        readings.append(
            SlrReading(
                point=str(m.kind).upper(),
                t_s=float(m.t_s),
                hip_flexion_deg=_at(t_s, hip, float(m.t_s)),
                ankle_dorsiflexion_deg=df,
                condition=_condition(df),
            )
        )
    means: dict[str, dict[str, float | None]] = {}
    diff: dict[str, float | None] = {}
    for p in ("P1", "P2"):
        means[p] = {}
        for c in ("without_dorsiflexion", "with_dorsiflexion"):
            vals = [
                r.hip_flexion_deg
                for r in readings
                if r.point == p and r.condition == c and r.hip_flexion_deg is not None
            ]
            means[p][c] = float(np.mean(vals)) if vals else None
        a, b = means[p]["without_dorsiflexion"], means[p]["with_dorsiflexion"]
        diff[p] = None if a is None or b is None else a - b
    reason = None if hip is not None else "hip flexion not measured (needs a pelvis sensor)"
    return SlrResult(readings=tuple(readings), mean_deg=means, difference_deg=diff, reason=reason)


# --- structural differentiation -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DifferentiationTest:
    """One remote movement ``[start_s, end_s)`` and what the sensors and the person said."""

    movement: str
    start_s: float
    end_s: float
    remote_change_deg: float | None
    hip_shift_deg: float | None
    knee_shift_deg: float | None
    angles_before: Mapping[str, float]
    angles_after: Mapping[str, float]
    valid: bool
    why: str
    answer: str | None
    reading: str

    @property
    def performed(self) -> bool:
        """True when the remote joint's movement was made, whether or not the test counts.

        The remote joint was measured and moved at least :data:`MIN_REMOTE_CHANGE_DEG`
        within the marks.
        """
        return self.remote_change_deg is not None and (
            self.remote_change_deg >= MIN_REMOTE_CHANGE_DEG
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``envelope.json`` ``differentiation`` items)."""
        return {
            "movement": self.movement,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "remote_change_deg": _rnd(self.remote_change_deg),
            "hip_shift_deg": _rnd(self.hip_shift_deg),
            "knee_shift_deg": _rnd(self.knee_shift_deg),
            "angles_before_deg": {k: round(v, 2) for k, v in self.angles_before.items()},
            "angles_after_deg": {k: round(v, 2) for k, v in self.angles_after.items()},
            "valid": self.valid,
            "why": self.why,
            "answer": self.answer,
            "reading": self.reading,
        }


def _window_shift(t_s: FloatArray, x: FloatArray | None, a: float, b: float) -> float | None:
    """Largest departure of ``x`` over ``[a, b]`` from its value at ``a`` (None: no data)."""
    if x is None:
        return None
    sel = (t_s >= a) & (t_s <= b) & np.isfinite(x)
    x0 = _at(t_s, x, a)
    if x0 is None or not sel.any():
        return None
    return float(np.max(np.abs(x[sel] - x0)))


def _window_range(t_s: FloatArray, x: FloatArray | None, a: float, b: float) -> float | None:
    if x is None:
        return None
    sel = (t_s >= a) & (t_s <= b) & np.isfinite(x)
    return float(np.ptp(x[sel])) if sel.any() else None


def _reading(valid: bool, answer: str | None) -> str:
    if not valid:
        return "does not count"
    if answer in ("more", "less"):
        return f"sensation {answer} with the remote movement: suggests the nerve is involved"
    if answer == "same":
        return "no change with the remote movement: points to the muscle"
    return "no answer recorded"


def _judge(
    movement: str, remote: float | None, hip: float | None, knee: float | None
) -> tuple[bool, str]:
    """Valid or not, and why, in words a person can act on."""
    if remote is None:
        return False, f"the {movement} was not measured, so the movement cannot be checked"
    if remote < MIN_REMOTE_CHANGE_DEG:
        return False, (
            f"the {movement} moved only {remote:.0f}° (at least {MIN_REMOTE_CHANGE_DEG:g}° "
            "needed): the test does not count; try again"
        )
    for name, shift in (("hip", hip), ("knee", knee)):
        if shift is not None and shift > STILL_TOLERANCE_DEG:
            return False, f"your {name} moved {shift:.0f}°, the test does not count; try again"
    if hip is None and knee is None:
        return False, "hip and knee were not measured, so their stillness cannot be checked"
    return (
        True,
        f"{movement} moved {remote:.0f}° while hip and knee stayed within {STILL_TOLERANCE_DEG:g}°",
    )


def differentiation_tests(
    t_s: FloatArray, data: Mapping[str, FloatArray], marks: Sequence[Any], *, side: str
) -> tuple[DifferentiationTest, ...]:
    """Pair ``diff_start``/``diff_end`` marks into tests and judge each."""
    ordered = sorted(marks, key=lambda m: float(m.t_s))
    out = []
    start = None
    for m in ordered:
        kind = str(getattr(m, "kind", ""))
        if kind == "diff_start":
            start = m
        elif kind == "diff_end" and start is not None:
            out.append(_one_test(t_s, data, start, m, side=side))
            start = None
    return tuple(out)


def _one_test(
    t_s: FloatArray, data: Mapping[str, FloatArray], start: Any, end: Any, *, side: str
) -> DifferentiationTest:
    movement = "neck" if "neck" in str(start.label).lower() else "ankle"
    a, b = float(start.t_s), float(end.t_s)
    remote_col = (
        measured_column_for("neck_flexion", side, data)
        if movement == "neck"
        else angle_column_for("ankle_dorsiflexion", side)
    )
    hip_col = measured_column_for("hip_flexion", side, data)
    if hip_col not in data:
        hip_col = angle_column_for("thigh_inclination", side)
    knee_col = angle_column_for("knee_flexion", side)
    remote = _window_range(t_s, data.get(remote_col), a, b)
    hip = _window_shift(t_s, data.get(hip_col), a, b)
    knee = _window_shift(t_s, data.get(knee_col), a, b)
    valid, why = _judge(movement, remote, hip, knee)
    answer = getattr(end, "answer", None)
    before, after = {}, {}
    for col in (hip_col, knee_col, remote_col):
        x = data.get(col)
        va, vb = _at(t_s, x, a), _at(t_s, x, b)
        if va is not None and vb is not None and math.isfinite(va) and math.isfinite(vb):
            before[col], after[col] = va, vb
    return DifferentiationTest(
        movement=movement,
        start_s=a,
        end_s=b,
        remote_change_deg=remote,
        hip_shift_deg=hip,
        knee_shift_deg=knee,
        angles_before=before,
        angles_after=after,
        valid=valid,
        why=why,
        answer=answer if isinstance(answer, str) else None,
        reading=_reading(valid, answer),
    )


def test_movement_windows(
    tests: Sequence[DifferentiationTest], rule: str, dwell_s: float
) -> list[tuple[float, float]]:
    """``[start, end]`` (s) within which an episode of ``rule`` is a performed test's movement.

    Only tests whose movement moves ``rule``'s angle (:data:`TEST_RULES`) and that were
    :attr:`~DifferentiationTest.performed` count; the marked window is widened by
    :data:`TEST_GRACE_S` before and by it plus ``dwell_s`` after.
    """
    return [
        (d.start_s - TEST_GRACE_S, d.end_s + TEST_GRACE_S + dwell_s)
        for d in tests
        if d.performed and TEST_RULES.get(d.movement) == rule
    ]
