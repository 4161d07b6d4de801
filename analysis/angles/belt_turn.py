"""A pelvis sensor that turned on its belt after the calibration, found from the hip anchors.

The pelvis has no hinge to refit (:mod:`analysis.angles.strap_slip` reads the knee's), but a
belt that turns round the waist turns the pelvis sensor about the pelvis's long axis, which
is vertical while the person stands. Two things in the data then agree:

* the hip's heading anchors (:class:`analysis.angles.heading.AnchorRuns`: the pelvis–thigh
  heading difference measured at each quiet upright stand) step between two stands by the
  turn, and stay there;
* somewhere between those stands the pelvis–thigh heading difference steps by about as much
  in under a second (:data:`KNOCK_S`), while the knee's (thigh–shank) does not and the
  pelvis sensor's own heading carries the step (:data:`PELVIS_SHARE`): the pelvis sensor
  turned, not the thigh's strap, and not the hip.

A person turning the pelvis quickly turns it back before standing again (the anchors do not
step), and a filter's heading drift is slow (the anchors step with no quick step between
them): neither is read as a turn. A belt creeping round over tens of seconds is not found
here (the orientation filter takes much of a slow turn at rest for gyroscope bias, so the
anchors barely step: 1.4° and 1.0° for the stranger's 9.5° and 10.8° creeps).

Between the two stands the anchors' correction is interpolated, so the turn is spread over
the time between them instead of taken at once: the hip angles read in that time (a hold,
usually) are off by up to the turn (adduction as far as the thigh is horizontal, rotation as
far as it is upright), and after the next stand a tilted pelvis is still misread (the
anchors turn about the vertical, the belt turned about the pelvis's long axis). A turn found
is taken out of the pelvis's orientation from its time on (:func:`without_belt_turns`): the
knock shows when, the stands how much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from analysis.angles import rotations as rot
from analysis.angles.heading import AnchorRuns, axis_azimuth, turn_about_vertical, wrap_rad
from analysis.angles.strap_slip import clock_words

FloatArray = NDArray[np.float64]

MIN_TURN_DEG = 5.0
"""A step between two consecutive hip anchors smaller than this is not read as a belt turn
(our people's consecutive stands differ by 0.1–2.7°, docs/accuracy.md round 16)."""
KNOCK_S = 0.5
"""The quick step is looked for over this long (a knock turns a strap in 0.2–0.4 s)."""
KNOCK_SHARE = (0.7, 1.3)
"""The quick step must be this share of the anchors' step (same sign): the turn the stands
measured happened at once, there."""
KNEE_SHARE = 0.3
"""At the same time the knee's heading difference may step by at most this share of the
hip's: more, and it is the thigh's sensor that turned (:mod:`analysis.angles.strap_slip`)."""
PELVIS_SHARE = 0.5
"""Over the knock the pelvis sensor itself must turn about the vertical by at least this share
of the pelvis–thigh step (same sign): a belt knocked round turns the pelvis sensor and leaves
the thigh, a quick turn of the hip turns the thigh and leaves the pelvis. In-sample person 57
(a hip turned out between two stands, no belt): pelvis −0.16°, thigh +8.07° of a −8.23° step;
the stranger's belt knocks (1638, 1643): the pelvis carried 0.99 and 1.07 of theirs."""
SAME_KNOCK_S = 1.0
"""Two thighs' quick steps this close in time are the same knock."""


@dataclass(frozen=True, kw_only=True)
class BeltTurn:
    """The pelvis sensor found turned on its belt: when (s) and by how much (°, signed).

    ``turn_deg``: the step of the pelvis–thigh heading difference (pelvis less thigh, about
    the vertical) between the stands before and after (mean over the thighs), which is the
    sensor's turn about the pelvis's long axis; ``before_s``, ``after_s``: where the hip
    anchors' correction is placed for those two stands (their middles,
    :attr:`AnchorRuns.mid_s`), between which it is interpolated.
    """

    at_s: float
    turn_deg: float
    before_s: float
    after_s: float


def relative_heading_deg(q_E_prox: FloatArray, q_E_dist: FloatArray) -> FloatArray:
    """Heading of the proximal segment's z axis less the distal's (°, about earth z, unwrapped).

    ``q_E_*``: ``(n, 4)`` segment orientations in one earth frame (headings reconciled or not:
    only its steps are read).
    """
    az_p, _ = axis_azimuth(np.asarray(q_E_prox, dtype=np.float64))
    az_d, _ = axis_azimuth(np.asarray(q_E_dist, dtype=np.float64))
    return np.rad2deg(np.unwrap(wrap_rad(az_p - az_d)))


def heading_step_deg(q_E_B: FloatArray) -> float:
    """How far (°) a segment's heading turned from the first row to the last (0 for one row).

    The heading is its z axis's azimuth about earth z (:func:`axis_azimuth`), wrapped to ±180°.
    """
    q = np.asarray(q_E_B, dtype=np.float64)
    if q.shape[0] < 2:
        return 0.0
    az, _ = axis_azimuth(q[[0, -1]])
    return float(np.rad2deg(wrap_rad(az[-1] - az[0])))


def fastest_step(d_deg: FloatArray, rows: int) -> tuple[int, float]:
    """The row ``i`` where ``d_deg[i + rows] - d_deg[i]`` is largest in size, and that step (°).

    ``(0, 0.0)`` when ``d_deg`` has no more than ``rows`` finite rows.
    """
    d = np.asarray(d_deg, dtype=np.float64)
    if d.size <= rows:
        return 0, 0.0
    step = d[rows:] - d[:-rows]
    step = np.where(np.isfinite(step), step, 0.0)
    i = int(np.argmax(np.abs(step)))
    return i, float(step[i])


def knock_in_gap(
    t_s: FloatArray,
    q_E_B: Mapping[str, FloatArray],
    thigh: str,
    runs: AnchorRuns,
    *,
    rate_hz: float,
) -> list[BeltTurn]:
    """Every gap between ``thigh``'s hip anchors that a belt turn explains (see module doc).

    ``q_E_B``: segment orientations (the pelvis, ``thigh`` and its shank) on ``t_s``;
    ``runs``: the hip's anchor runs (pelvis → ``thigh``). Without the shank nothing is
    found: a knock of the thigh's own strap would look the same at the hip.
    """
    shank = thigh.replace("_thigh", "_shank")
    rows = max(1, round(KNOCK_S * rate_hz))
    out = []
    steps = np.rad2deg(np.diff(runs.values_rad))
    for k, anchor_step in enumerate(steps):
        if abs(anchor_step) < MIN_TURN_DEG:
            continue
        i0, i1 = np.searchsorted(t_s, (runs.end_s[k] - KNOCK_S, runs.start_s[k + 1]))
        hip = relative_heading_deg(q_E_B["pelvis"][i0:i1], q_E_B[thigh][i0:i1])
        i, knock = fastest_step(hip, rows)
        share = knock / anchor_step
        if not KNOCK_SHARE[0] <= share <= KNOCK_SHARE[1]:
            continue
        if shank not in q_E_B:
            continue  # no knee to tell the belt from the thigh's own strap: not taken out
        j0, j1 = i0 + i, min(i0 + i + rows + 1, i1)
        knee = relative_heading_deg(q_E_B[thigh][j0:j1], q_E_B[shank][j0:j1])
        if knee.size > 1 and abs(knee[-1] - knee[0]) > KNEE_SHARE * abs(knock):
            continue
        if not heading_step_deg(q_E_B["pelvis"][j0:j1]) / knock >= PELVIS_SHARE:
            continue  # the thigh turned, not the pelvis sensor: a hip turning, not the belt
        mid = runs.mid_s
        out.append(
            BeltTurn(
                at_s=float(t_s[i0 + i + rows // 2]),
                turn_deg=float(anchor_step),
                before_s=float(mid[k]),
                after_s=float(mid[k + 1]),
            )
        )
    return out


def find_belt_turns(
    t_s: FloatArray,
    q_E_B: Mapping[str, FloatArray],
    hip_runs: Mapping[str, AnchorRuns],
    *,
    rate_hz: float,
) -> list[BeltTurn]:
    """The times the pelvis sensor turned on its belt (:func:`knock_in_gap`, every thigh).

    ``hip_runs``: per thigh, its hip's anchor runs. With two thighs, a turn must show on both
    at the same knock (:data:`SAME_KNOCK_S`): one thigh alone is that thigh's strap or its
    hip. Needs the pelvis's orientation; none without it.
    """
    if "pelvis" not in q_E_B:
        return []
    found = {
        th: knock_in_gap(t_s, q_E_B, th, runs, rate_hz=rate_hz)
        for th, runs in hip_runs.items()
        if th in q_E_B and runs.values_rad.size > 1
    }
    if not found:
        return []
    first, *others = found.values()
    out = []
    for turn in first:
        same = [
            next((o for o in other if abs(o.at_s - turn.at_s) <= SAME_KNOCK_S), None)
            for other in others
        ]
        if all(s is not None for s in same):
            sizes = [turn.turn_deg, *(s.turn_deg for s in same if s is not None)]
            out.append(replace(turn, turn_deg=float(np.mean(sizes))))
    return out


def anchor_share(t_s: FloatArray, turn: BeltTurn) -> FloatArray:
    """How much of ``turn`` the hip anchors' interpolated correction gave the thighs (0…1).

    Linear from the stand before it (``before_s``) to the one after (``after_s``), as
    :meth:`AnchorRuns.offsets` interpolates.
    """
    span = max(turn.after_s - turn.before_s, 1e-9)
    return np.clip((np.asarray(t_s, dtype=np.float64) - turn.before_s) / span, 0.0, 1.0)


def rereferenced_pelvis(t_s: FloatArray, q_E_pelvis: FloatArray, turn: BeltTurn) -> FloatArray:
    """The pelvis's orientations ``(n, 4)`` with the belt's turn taken out (a new array).

    From ``turn.at_s`` on, the segment is turned back about its own long axis
    (``q ⊗ Ry(−θ)``: the calibration's sensor-to-segment rotation read the turned sensor as
    a pelvis turned by ``θ``). Every row is then turned by ``θ`` × :func:`anchor_share` about
    the vertical: the hip anchors turned the thighs (and the trunk) by that share of ``θ`` to
    follow the turned pelvis, and turning the pelvis with them is, for every joint angle, the
    same as turning them back. After the next stand both terms cancel where the pelvis
    stands upright and leave what the anchors' turn about the vertical misread while it
    tilts. Keeps the dtype.
    """
    q = np.asarray(q_E_pelvis)
    theta = np.deg2rad(turn.turn_deg)
    t = np.asarray(t_s, dtype=np.float64)
    out = np.array(q, dtype=np.float64)
    after = t >= turn.at_s
    out[after] = rot.multiply(out[after], rot.from_axis_angle([0.0, 1.0, 0.0], -theta))
    share = anchor_share(t, turn)
    moved = share > 0.0
    out[moved] = turn_about_vertical(out[moved], theta * share[moved])
    return out.astype(q.dtype, copy=False)


def runs_without_turn(runs: AnchorRuns, turn: BeltTurn) -> AnchorRuns:
    """``runs`` with ``turn`` taken out of the stands after it (their values less ``θ``)."""
    later = runs.mid_s > turn.at_s
    return AnchorRuns(runs.start_s, runs.end_s, runs.values_rad - np.deg2rad(turn.turn_deg) * later)


def without_belt_turns(
    t_s: FloatArray,
    q_E_B: dict[str, FloatArray],
    hip_runs: dict[str, AnchorRuns],
    turns: list[BeltTurn],
) -> tuple[dict[str, FloatArray], dict[str, AnchorRuns]]:
    """``q_E_B`` and the hips' anchor runs with every found turn taken out (new dicts).

    Only the pelvis's orientation changes (:func:`rereferenced_pelvis`); the runs as
    :func:`runs_without_turn`, so that the heading drift read from them
    (:meth:`AnchorRuns.gap_rate_rad_s`) is not the turn.
    """
    if not turns:
        return q_E_B, hip_runs
    q, runs = dict(q_E_B), dict(hip_runs)
    for turn in turns:
        q["pelvis"] = rereferenced_pelvis(t_s, q["pelvis"], turn)
        runs = {th: runs_without_turn(r, turn) for th, r in runs.items()}
    return q, runs


def belt_words(turn: BeltTurn) -> str:
    """The words a patient reads for a turn that was found and taken out."""
    return (
        f"the pelvis sensor seems to have turned on its belt at about {clock_words(turn.at_s)} "
        f"(by about {abs(turn.turn_deg):.0f}°); the angles from then on are read with that turn "
        "taken out: fasten the belt firmly next time"
    )
