"""Which way a flexion axis points: the sign decisions of the calibration, as a table.

One sensor cannot tell its segment's front from its back: a sensor facing backwards sees
the same physics with z (and x) reversed. The sign is chosen by anatomy, one row of
:data:`SIGN_RULES` per segment, taken in table order so that a row's partners are already
decided. Each row is tried in this order and the first test that decides wins:

1. **joint limit (functional window)**: the joint between the segment and a partner,
   approximated by ``partner tilt − own tilt`` (sagittal tilts, heading-free), must not go
   further than ``limit_deg`` the wrong way (the hip does not hyperextend 25°, the knee
   not 15°, the neck not 45°, the trunk does not lean 40° back behind the pelvis);
2. **joint range (whole session)**: over every sample of the session at which both
   segments move in the sagittal plane, that joint stays inside ``session_range_deg``
   (the hip between −30° and 130°, the lumbar spine between −45° and 110°, the ankle
   within ±60°): lying down, sitting or bowing after the calibration decide a pelvis that
   stood still during it, lying down or leaning into the stretch the trunk, and the heel on
   a support or lying down a foot that stood flat;
2b. **where the foot went** (the shank, with a foot and a pelvis sensor, ``reach_with``): the
   two signs put the ankle at different horizontal reaches from the hip, and between still
   poses the foot's and the pelvis's travel shows which (:mod:`analysis.angles.calibration_reach`;
   knee bends with the foot flat and sitting back on a straight leg give the same tilts);
2c. **the knee's centre** (the shank, with its thigh decided, ``centre_with``): the knee is one
   point of the thigh and the shank, so its acceleration from either sensor must agree; the
   two signs ask for earth frames turned 180° apart (:mod:`analysis.angles.calibration_knee`,
   the physics of test 3 on the knee, lever arms fitted: no anatomy assumed). The session
   votes in 10-s stretches, each only where its own knee centre fixes the heading sharply at
   one candidate and the thigh or shank turned about horizontal axes (a turn on the spot
   fits both headings alike); ≥ 2 stretches that do not overlap, all one way and none the
   other, decide with confidence, unless the functional window, judged alike, votes the
   other way (then the stretches' sign is a ``low`` guess);
3. **shared joint centre**: the hip centre is one point of the pelvis and of the thigh, so
   its acceleration computed from either sensor must agree; the two signs ask for earth
   frames turned 180° apart, and the better fit wins (:mod:`analysis.angles.calibration_centre`;
   the knee bends move the centre even when the pelvis stays still; a fit only 2–10 % better
   is weak evidence, used after test 7 and before the fallback); only the partners decided
   with confidence count when there are any: a partner of doubtful sign turns the two
   candidate headings with it, so its evidence may point the wrong way. Where the window's
   fit is not confident, the **whole session** is asked in 10-s stretches: a stretch votes
   when its own centre fixes the heading sharply at one of the two candidates (sitting down,
   standing up, a weight shift), and ≥ 2 stretches that do not overlap, all one way and none
   the other, decide with confidence (:func:`_by_session_centre`);
4. **near neutral**: the joint (the ankle) stays nearer neutral in one sign where the foot
   tipped in the functional window (the candidates differ there by > 10°: a leg swing; knee
   bends with the foot flat read alike both ways), else over the session (a foot kept flat in
   the calibration tips later with its shank; the candidates' 90th percentiles differ by
   > 10°). The two signs read ``shank − foot`` and ``shank + foot``: toes pointed further than
   the shank tips make the right sign read the larger angle, so the test is confident only
   when the rejected sign reads an ankle no ankle plausibly reaches there
   (:data:`SWING_ANKLE_DEG`, :data:`SESSION_ANKLE_DEG`) and the chosen one does not; else the
   sign nearer neutral (where the foot tipped, or over the whole window) is a ``low`` guess;
5. **tips with a partner**: the segment's tilt correlates with an already decided
   partner's (trunk with pelvis in the lean into the stretch, head with trunk), in the
   functional window, then over the session (when both decide, opposite ways, the session
   wins as a ``low`` guess: a pelvis tucking under in a knee bend while the trunk leans
   over the knees reverses the window's); without a trunk sensor the head with the
   pelvis, two joints away (``correlate_without``), over the session only: in the lean into
   the stretch, the bows and lying down the head goes the pelvis's way, while in the small
   rocking of the leg swings it may turn against it (kept level), so the window's
   correlation only vetoes when it points the other way; a head kept still decides nothing;
6. **bows** (the pelvis): the protocol's bows from the hips tip it ≥ 12° forward and
   barely back (≤ a third of that) in the functional window; a pelvis that tips that far
   one way there is bowing, so that way is forward;
7. **a joint one way only** (the thigh): the knee flexes but does not hyperextend 15°;
   reversing thigh and shank together reverses it, so over the session the thigh's sign for
   which some sign of the shank keeps the knee within −15…160° wins (sitting, the stretch,
   lifting the leg onto the support all bend the knee while the thigh tips); a break of the
   other sign shorter than that (:data:`PAIR_WEAK_MIN_S`) is a ``low`` guess, taken only
   where the fallback would not be confident;
8. **fallback**: the direction the segment mostly tips in the functional window, or over
   the session when it tipped less than :data:`CORR_MIN_SPAN_DEG` in the window (a pelvis
   kept still in the calibration tips only in the lean into the stretch); a habit, so the
   session's is never confident (a slump held long tips the pelvis back).

Confidence is ``high`` only when a test decided by a margin: tests 1 and 2 when one
candidate breaks the anatomy and the other does not (≥ 1 % of the window; ≥ 2 s of the
session against at most a tenth of that), test 2b on ≥ 2 movements and none against,
test 2c on ≥ 2 separate stretches and none against (the window not against),
test 3 when the rejected sign's centre mismatch is ≥ 1.3 times the chosen one's (and larger by
more than a vendor fusion's tilt wander could make it, where a sensor's orientation is that
fusion's: :attr:`analysis.angles.calibration_centre.CentreEvidence.floor_m_s2`), test 4
when the candidates differ by > 5° (> 10° over the session) in their 90th-percentile ankle
angle and only the rejected one lies past the plausible bound, test 5 when
|r| ≥ 0.6 (r counts only when both segments tip ≥ 4°), tests 6 and 7 always (7 with the
margins of test 2), and the fallback only for the segment whose own habit it is (the thigh),
only by > 6° mean tilt and only in the window.
A decision is never surer than the partners it used; tests 1 and 2 with two partners (the
pelvis with both thighs) use only the partners of confident sign that decide it alone when
no partner alone points the other way, else both (:func:`_carried_by`).
A confident decision by test 1 or 2 that the centre test confidently contradicts is lowered
to ``low``, and so is any decision of a row with ``min_planarity`` (the trunk, the head)
taken on a flexion axis less planar than that (:data:`AXIS_PLANARITY_MIN`: the data do not
determine the axis, and tilts about a wrong axis still correlate with the partner's) —
unless the session's gravity shows that axis: the segment lay down or bowed ≥ 60° about an
axis within 20° of it for ≥ 2 s (``axis_by_gravity``,
:func:`analysis.angles.calibration_axes.gravity_turn_axis`).
Anything else is ``low``: the angles that depend on it are reported as *uncertain*, never
as violations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from analysis.angles.calibration_centre import SESSION_CHUNK_S, CentreEvidence, CentreVote
from analysis.angles.calibration_knee import KneeCentreEvidence
from analysis.angles.calibration_reach import FIT_M, MISS_M, ReachEvidence

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Confidence = Literal["high", "low"]

LIMIT_SHARE: Final = 0.01
"""Functional-window joint-limit test: the candidates' shares beyond the limit must differ
by more than this."""
SESSION_MIN_S: Final = 2.0
"""Whole-session range test: the wrong candidate must break the range for at least this long…"""
SESSION_RATIO: Final = 0.1
"""…and the chosen one for at most this share of the wrong one's time."""
PAIR_WEAK_MIN_S: Final = 0.5
"""Test 7 as a low-confidence guess before the thigh's fallback: the other sign must break the
knee's range at least this long (five samples of the session's tilts)."""
NEAR_MARGIN_DEG: Final = 5.0
NEAR_TIPPED_MIN_N: Final = 10
"""Near-neutral test where the foot tipped: at least this many functional-window samples."""
NEAR_SESSION_MARGIN_DEG: Final = 10.0
"""Near-neutral test over the session: the candidates' 90th percentiles must differ by more."""
SWING_ANKLE_DEG: Final = 40.0
"""How far an ankle plausibly moves while the foot is off the floor in the calibration (the
toes pointed or pulled up in a leg swing; a pointed foot reaches 40–50° only when pointed
hard). The near-neutral test decides with confidence only when the rejected sign reads the
ankle further than this (90th percentile where the foot tipped) and the chosen one does not:
then no ankle motion within it can make the right sign look the farther from neutral."""
SESSION_ANKLE_DEG: Final = 40.0
"""The same over the session, where the 90th percentile is a pose held a tenth of the time (a
foot pointed in a stretch, relaxed lying or seated: 10–30° of plantar flexion; the ±60° of the
session range test is where an ankle cannot go, this is where it seldom stays)."""
CORR_DECIDE: Final = 0.3
CORR_HIGH: Final = 0.6
CORR_MIN_SPAN_DEG: Final = 4.0
"""Partner correlation: both tilts must span this much (5th to 95th percentile); below it
a slight misalignment of the axis or the wobble of the soft tissue sets the sign of r."""
DOMINANCE_MARGIN_DEG: Final = 6.0
CENTRE_DECIDE: Final = 1.1
"""Shared-centre test: it decides when the rejected sign fits this many times worse…"""
CENTRE_WEAK: Final = 1.02
"""…and, after the partner correlation and before the fallback, from this ratio on…"""
CENTRE_HIGH: Final = 1.3
"""…and decides with confidence from this ratio on."""
SESSION_VOTES_MIN: Final = 2
"""Whole-session centre test: at least this many stretches that do not overlap must vote,
all for the same sign (:func:`analysis.angles.calibration_centre.centre_vote`)."""
BOW_DEG: Final = 12.0
"""Bow test: the segment tips at least this far its habitual way (99th percentile of the
functional window)…"""
BOW_BACK_SHARE: Final = 0.33
"""…and at most this share of that the other way (1st percentile)."""
LUMBAR_EXTENSION_LIMIT_DEG: Final = 40.0
"""The trunk does not lean back more than this behind the pelvis in the functional window."""
LUMBAR_RANGE_DEG: Final = (-45.0, 110.0)
"""Trunk relative to pelvis (flexion positive) over the session: a reversed trunk reads
about 180° when lying down and twice the lean behind the pelvis when hinging at the hips."""
NECK_RANGE_DEG: Final = (-90.0, 100.0)
"""Head relative to trunk (flexion positive) over the session."""
AXIS_PLANARITY_MIN: Final = 0.8
"""Trunk and head: a flexion axis whose rotation energy share (planarity) is below this is not
determined by the data — the rotation about the other horizontal axis is more than half as
large (RMS) as about it, so a bow mixed with a side bend or a twist may have put it anywhere
between them — and no sign decided on it is confident."""


@dataclass(frozen=True, kw_only=True)
class SignRule:
    """One row of the sign table.

    ``segment`` may contain ``{side}`` (expanded to ``left`` and ``right``, as may
    ``partners``). ``relation`` names the joint between the segment and its partners whose
    angle is ``partner tilt − own tilt``; ``shared_centre`` marks a ball joint whose centre
    both segments carry (the hip: :mod:`analysis.angles.calibration_centre`). ``fallback_sign`` is
    +1 when the segment mostly tips positive (tilt about its own +z), −1 when mostly
    negative, 0 when there is no fallback (the sign is then not determinable without a
    partner). ``bow_deg``: the protocol's bows tip the segment this far its habitual way
    (``fallback_sign``) in the functional window, and barely the other way (test 6).
    ``pair_with``: a segment not yet decided whose joint with this one (``own tilt − pair
    tilt``) stays inside ``pair_range_deg`` whichever sign the pair turns out to have
    (test 7: the knee flexes one way only, so it decides the thigh). ``min_planarity``: a
    flexion axis less planar than this is not determined, and no sign on it is confident.
    ``correlate_without``: the partner two joints away whose tilt the segment follows, used
    when ``correlate_with`` is not worn (test 5 across the missing segment). ``reach_with``:
    the foot and pelvis sensors whose travel between still poses shows where the foot went
    (test 2b, :mod:`analysis.angles.calibration_reach`). ``centre_with``: the decided partner
    that shares a hinge's centre with the segment (the thigh, at the knee: test 2c,
    :mod:`analysis.angles.calibration_knee`).
    """

    segment: str
    relation: str | None = None
    partners: tuple[str, ...] = ()
    limit_deg: float | None = None
    session_range_deg: tuple[float, float] | None = None
    near_deg: bool = False
    correlate_with: str | None = None
    shared_centre: bool = False
    fallback_sign: float = 0.0
    fallback_rule: str = "sign not determinable"
    fallback_trusted: bool = False
    bow_deg: float | None = None
    pair_with: str | None = None
    pair_range_deg: tuple[float, float] | None = None
    min_planarity: float | None = None
    correlate_without: str | None = None
    reach_with: tuple[str, str] | None = None
    centre_with: str | None = None

    def expand(self, side: str) -> SignRule:
        """The row for one leg (``{side}`` filled in)."""
        return replace(
            self,
            segment=self.segment.format(side=side),
            partners=tuple(p.format(side=side) for p in self.partners),
            pair_with=self.pair_with.format(side=side) if self.pair_with else None,
            centre_with=self.centre_with.format(side=side) if self.centre_with else None,
            reach_with=(
                (self.reach_with[0].format(side=side), self.reach_with[1])
                if self.reach_with
                else None
            ),
        )


SIGN_RULES: Final[tuple[SignRule, ...]] = (
    SignRule(
        segment="{side}_thigh",
        relation="knee",
        pair_with="{side}_shank",
        pair_range_deg=(-15.0, 160.0),
        fallback_sign=+1.0,
        fallback_rule="thigh flexes more than it extends",
        fallback_trusted=True,
    ),
    SignRule(
        segment="pelvis",
        relation="hip",
        partners=("left_thigh", "right_thigh"),
        limit_deg=25.0,
        session_range_deg=(-30.0, 130.0),
        shared_centre=True,
        bow_deg=BOW_DEG,
        fallback_sign=-1.0,
        fallback_rule="pelvis tips forward more than back",
    ),
    SignRule(
        segment="trunk",
        relation="lumbar spine",
        partners=("pelvis",),
        limit_deg=LUMBAR_EXTENSION_LIMIT_DEG,
        session_range_deg=LUMBAR_RANGE_DEG,
        correlate_with="pelvis",
        min_planarity=AXIS_PLANARITY_MIN,
        fallback_sign=-1.0,
        fallback_rule="trunk leans forward more than back",
    ),
    SignRule(
        segment="head",
        relation="neck",
        partners=("trunk",),
        limit_deg=45.0,
        session_range_deg=NECK_RANGE_DEG,
        correlate_with="trunk",
        correlate_without="pelvis",
        min_planarity=AXIS_PLANARITY_MIN,
        fallback_sign=-1.0,
        fallback_rule="head nods forward more than back",
    ),
    SignRule(
        segment="{side}_shank",
        relation="knee",
        partners=("{side}_thigh",),
        limit_deg=15.0,
        session_range_deg=(-15.0, 160.0),
        reach_with=("{side}_foot", "pelvis"),
        centre_with="{side}_thigh",
        fallback_sign=-1.0,
        fallback_rule="shank tips forward (knee over toes) in knee bends",
    ),
    SignRule(
        segment="{side}_foot",
        relation="ankle",
        partners=("{side}_shank",),
        session_range_deg=(-60.0, 60.0),
        near_deg=True,
        fallback_rule="no shank sensor: sign not determinable",
    ),
)
"""The sign table, in decision order (partners before the segments that use them)."""


def rules_for(placements: list[str] | tuple[str, ...]) -> list[SignRule]:
    """The rows that apply to the worn placements, in decision order, sides expanded."""
    out = []
    for row in SIGN_RULES:
        sides = ("left", "right") if "{side}" in row.segment else ("",)
        for side in sides:
            r = row.expand(side) if side else row
            if r.segment in placements:
                out.append(r)
    return out


@dataclass(frozen=True, kw_only=True)
class Tilts:
    """Sagittal tilts (rad) of one candidate frame.

    Tilts in the functional window and over the session (decimated), with the session
    samples at which the segment moves sagittally.
    """

    move: FloatArray
    session: FloatArray
    sagittal: BoolArray


@dataclass(frozen=True, kw_only=True)
class SignDecision:
    """The chosen sign candidate (0: z as estimated, 1: reversed), why and how sure.

    Also the partners the decision relied on (a doubt about one of them is a doubt about
    this).
    """

    choice: int
    rule: str
    confidence: Confidence
    based_on: tuple[str, ...] = ()
    others_sure: tuple[bool, ...] = ()
    """Per other discrete estimate of a doubted flexion axis (in the order of
    :func:`analysis.angles.calibration_axes.candidate_axes`, after the used one): True where
    the sign decided again on that estimate is ``high`` and the one carried over. Empty: not
    decided again (a sign not ``high``, or no such doubt)."""


def _wrap(x: FloatArray) -> FloatArray:
    return (x + np.pi) % (2 * np.pi) - np.pi


def _by_limit(row: SignRule, cands: tuple[Tilts, Tilts], partners: list[Tilts]):
    if row.limit_deg is None or not partners:
        return None
    lim = -np.deg2rad(row.limit_deg)
    beyond = [
        float(np.mean(np.concatenate([_wrap(p.move - c.move) for p in partners]) < lim))
        for c in cands
    ]
    if abs(beyond[0] - beyond[1]) > LIMIT_SHARE:
        text = f"{row.relation} does not go beyond −{row.limit_deg:g}°"
        return SignDecision(choice=int(beyond[1] < beyond[0]), rule=text, confidence="high")
    return None


def _outside_n(first: Tilts, second: Tilts, range_deg: tuple[float, float]) -> int:
    """Session samples (both sagittal) at which ``first − second`` lies outside ``range_deg``."""
    both = first.sagittal & second.sagittal
    joint = _wrap(first.session[both] - second.session[both])
    lo, hi = np.deg2rad(range_deg[0]), np.deg2rad(range_deg[1])
    return int(np.sum((joint < lo) | (joint > hi)))


def _decisive(bad_s: list[float], least_s: float = SESSION_MIN_S) -> int | None:
    """The candidate whose joint stays in range, when the other breaks it clearly (else None).

    The worse must be outside for ≥ ``least_s`` (default :data:`SESSION_MIN_S`) and the
    better for at most :data:`SESSION_RATIO` of that.
    """
    worst, best = max(bad_s), min(bad_s)
    if worst >= least_s and best <= SESSION_RATIO * worst:
        return int(bad_s[1] < bad_s[0])
    return None


def _by_session_range(
    row: SignRule, cands: tuple[Tilts, Tilts], partners: list[Tilts], rate_hz: float
):
    if row.session_range_deg is None or not partners:
        return None
    rng = row.session_range_deg
    bad_s = [sum(_outside_n(p, c, rng) for p in partners) / rate_hz for c in cands]
    choice = _decisive(bad_s)
    if choice is None:
        return None
    text = (
        f"{row.relation} stays within {rng[0]:g}…{rng[1]:g}° over the session "
        f"(the other sign breaks it for {max(bad_s):.0f} s)"
    )
    return SignDecision(choice=choice, rule=text, confidence="high")


def _by_reach(row: SignRule, reach: ReachEvidence | None) -> SignDecision | None:
    """Test 2b: the foot travelled from the hip as one sign says and not as the other."""
    if row.reach_with is None or reach is None or reach.choice is None:
        return None
    text = (
        f"the {row.reach_with[0]} moved from the hip as this sign predicts in "
        f"{reach.votes[reach.choice]} movements between still poses (within {FIT_M:g} m; "
        f"the other sign misses by ≥ {MISS_M:g} m; segment length {reach.segment_m:.2f} m)"
    )
    return SignDecision(choice=reach.choice, rule=text, confidence="high")


KneeFor = Callable[[], KneeCentreEvidence | None]
"""Gives test 2c's evidence when asked (:func:`_by_knee_centre`); None: not applicable."""


def _by_knee_centre(
    row: SignRule, knee: KneeFor | None
) -> tuple[SignDecision | None, tuple[str, ...]]:
    """Test 2c: the session's stretches agree on one sign through the knee centre.

    ``high`` when :data:`SESSION_VOTES_MIN` stretches that do not overlap vote and none votes
    the other way, unless the functional window, judged by the same criteria, votes the other
    way: the same physics then says two things, and the stretches' sign is a ``low`` guess.
    No decision otherwise. Returns the decision and the partner it
    relied on (the thigh: its sign sets both candidate headings).
    """
    if row.centre_with is None or knee is None:
        return None, ()
    ev = knee()
    if ev is None or not ev.votes or len({v.choice for v in ev.votes}) != 1:
        return None, ()
    n = _distinct_votes(ev.votes)
    if n < SESSION_VOTES_MIN:
        return None, ()
    choice, worst = ev.votes[0].choice, min(v.ratio for v in ev.votes)
    text = (
        f"the knee centre moves alike in the {row.centre_with} and {row.segment} sensors in "
        f"{n} separate stretches of the session (the other sign fits ≥ {worst:.2f}× worse "
        f"in each)"
    )
    w = ev.window
    if w is not None and w.choice != choice:
        text += f", but in the calibration movements the other sign fits {w.ratio:.2f}× better"
        return SignDecision(choice=choice, rule=text, confidence="low"), (row.centre_with,)
    return SignDecision(choice=choice, rule=text, confidence="high"), (row.centre_with,)


def _by_near(
    row: SignRule, cands: tuple[Tilts, Tilts], partners: list[Tilts], rate_hz: float
) -> SignDecision | None:
    """Test 4: the ankle stays nearer neutral in one sign, by more than an ankle moves.

    The two signs read the joint ``shank − foot`` and ``shank + foot``: they differ by twice
    the foot's tilt, so only the samples at which the foot tipped carry evidence
    (:func:`_near_where_tipped`, then :func:`_near_over_session`), and each decides with
    confidence only when the rejected sign reads an ankle angle no ankle plausibly reaches
    there (:data:`SWING_ANKLE_DEG`, :data:`SESSION_ANKLE_DEG`) while the chosen one stays
    inside it: a person who points the toes while the leg swings tips the foot against the
    shank, and the right sign then reads the larger angle, but never one past the bound.
    Otherwise the sign nearer neutral is a ``low`` guess: where the foot tipped when it
    tipped often enough, else over the whole functional window (90th percentiles).
    """
    if not row.near_deg or not partners:
        return None
    tipped = _near_where_tipped(row, cands, partners[0])
    if tipped is not None and tipped.confidence == "high":
        return tipped
    session = _near_over_session(row, cands, partners[0], rate_hz)
    if session is not None:
        return session
    if tipped is not None:
        return tipped
    spread = [float(np.percentile(np.abs(_wrap(c.move - partners[0].move)), 90)) for c in cands]
    text = f"{row.relation} stays near neutral while the leg swings"
    return SignDecision(choice=int(spread[1] < spread[0]), rule=text, confidence="low")


def _near_decision(
    spread: list[float], margin_deg: float, plausible_deg: float
) -> tuple[int, Confidence] | None:
    """The sign whose 90th-percentile joint angle (``spread``, rad) is nearer neutral.

    None unless the two differ by more than ``margin_deg``; ``high`` when the rejected sign's
    lies beyond ``plausible_deg`` and the chosen one's within it, else ``low``.
    """
    if abs(spread[0] - spread[1]) <= np.deg2rad(margin_deg):
        return None
    near, far = min(spread), max(spread)
    bound = np.deg2rad(plausible_deg)
    conf: Confidence = "high" if far > bound >= near else "low"
    return int(spread[1] < spread[0]), conf


def _near_where_tipped(
    row: SignRule, cands: tuple[Tilts, Tilts], partner: Tilts
) -> SignDecision | None:
    """The near-neutral test on the functional-window samples at which the foot tipped.

    Where the foot stays flat (the knee bends) both candidates read the same joint angle, and
    when that is most of the window its 90th percentile hides a short leg swing in which the
    wrong sign reads twice the shank's swing. Only the samples at which the candidates' joint
    angles differ by more than twice :data:`NEAR_MARGIN_DEG` (the segment tipped more than
    that) carry evidence; on at least :data:`NEAR_TIPPED_MIN_N` of them the candidates' 90th
    percentiles must differ by more than :data:`NEAR_MARGIN_DEG` to decide, confidently when
    the rejected one lies beyond :data:`SWING_ANKLE_DEG` and the chosen one within it
    (:func:`_near_decision`). A foot that tips only as far as its ankle moves (the shank
    still) reads alike both ways and decides nothing.
    """
    joints = [_wrap(c.move - partner.move) for c in cands]
    differ = np.abs(_wrap(joints[0] - joints[1])) > 2 * np.deg2rad(NEAR_MARGIN_DEG)
    differ &= np.isfinite(joints[0]) & np.isfinite(joints[1])
    if differ.sum() < NEAR_TIPPED_MIN_N:
        return None
    spread = [float(np.percentile(np.abs(j[differ]), 90)) for j in joints]
    found = _near_decision(spread, NEAR_MARGIN_DEG, SWING_ANKLE_DEG)
    if found is None:
        return None
    near, far = np.rad2deg(min(spread)), np.rad2deg(max(spread))
    text = (
        f"{row.relation} stays near neutral where the foot tips in the calibration movements "
        f"(90th percentile {near:.0f}°, the other sign {far:.0f}°"
    )
    text += ")" if found[1] == "high" else f"; an ankle may move {SWING_ANKLE_DEG:g}° there)"
    return SignDecision(choice=found[0], rule=text, confidence=found[1])


def _near_over_session(
    row: SignRule, cands: tuple[Tilts, Tilts], partner: Tilts, rate_hz: float
) -> SignDecision | None:
    """The near-neutral test over the session, for a segment the leg swings did not move.

    A foot kept flat through the calibration tips only later, with its shank (the heel on a
    support, lying down): then the joint of the right sign stays near neutral while the
    other's goes by twice the foot's tilt. Decides (confidently) only when the candidates'
    90th-percentile joint angles differ by more than :data:`NEAR_SESSION_MARGIN_DEG` over at
    least :data:`SESSION_MIN_S` of sagittal samples, the rejected one beyond
    :data:`SESSION_ANKLE_DEG` and the chosen one within it (a foot pointed while seated with
    the shank a little forward tips against the shank, and the right sign reads the larger
    angle, but not past the bound).
    """
    both = cands[0].sagittal & partner.sagittal
    if both.sum() < SESSION_MIN_S * rate_hz:
        return None
    spread = [
        float(np.percentile(np.abs(_wrap(c.session[both] - partner.session[both])), 90))
        for c in cands
    ]
    found = _near_decision(spread, NEAR_SESSION_MARGIN_DEG, SESSION_ANKLE_DEG)
    if found is None or found[1] != "high":
        return None
    near, far = np.rad2deg(min(spread)), np.rad2deg(max(spread))
    text = (
        f"{row.relation} stays nearer neutral over the session "
        f"(90th percentile {near:.0f}°, the other sign {far:.0f}°)"
    )
    return SignDecision(choice=found[0], rule=text, confidence="high")


def _by_centre(row: SignRule, centre: CentreEvidence | None, least: float = CENTRE_DECIDE):
    if not row.shared_centre or centre is None or centre.ratio < least:
        return None
    sure = centre.ratio >= CENTRE_HIGH and centre.beyond_floor
    conf: Confidence = "high" if sure else "low"
    text = (
        f"the {row.relation} centre moves alike in both sensors (the other sign fits "
        f"{centre.ratio:.2f}× worse)"
    )
    if centre.ratio >= CENTRE_HIGH and not centre.beyond_floor:
        text += (
            f", by less than the sensors' own tilt wander could make it "
            f"({abs(centre.reversed - centre.as_estimated):.3f} ≤ {centre.floor_m_s2:.3f} m/s²)"
        )
    return SignDecision(choice=centre.choice, rule=text, confidence=conf)


def _distinct_votes(votes: Sequence[CentreVote]) -> int:
    """How many of ``votes`` come from stretches that do not overlap (greedy by start)."""
    n, end = 0, -np.inf
    for v in sorted(votes, key=lambda v: v.start_s):
        if v.start_s >= end:
            n, end = n + 1, v.start_s + SESSION_CHUNK_S
    return n


def _by_session_centre(row: SignRule, votes: Sequence[CentreVote] | None):
    """Test 3 over the whole session: every stretch that decides, the same way.

    ``votes`` are the stretches whose own centre fixes the heading at one candidate
    (:func:`analysis.angles.calibration_centre.centre_vote`); sitting down, standing up,
    stepping or shifting the weight move the hip centre far more than the calibration's
    knee bends. ``high`` when :data:`SESSION_VOTES_MIN` stretches that do not overlap vote
    and none votes the other way; otherwise the test does not decide.
    """
    if not row.shared_centre or not votes or len({v.choice for v in votes}) != 1:
        return None
    n = _distinct_votes(votes)
    if n < SESSION_VOTES_MIN:
        return None
    worst = min(v.ratio for v in votes)
    text = (
        f"the {row.relation} centre moves alike in both sensors in {n} separate stretches "
        f"of the session (the other sign fits ≥ {worst:.2f}× worse in each)"
    )
    return SignDecision(choice=votes[0].choice, rule=text, confidence="high")


def _contradicted(found: SignDecision, by_centre: SignDecision | None) -> bool:
    """A confident decision that the shared-centre test confidently contradicts."""
    return (
        by_centre is not None
        and found is not by_centre
        and found.confidence == "high"
        and by_centre.confidence == "high"
        and by_centre.choice != found.choice
    )


def _span_rad(x: FloatArray) -> float:
    lo, hi = np.percentile(x, [5, 95])
    return float(hi - lo)


def _corr(a: FloatArray, b: FloatArray) -> float:
    """Correlation of two tilts; NaN unless both tip at least :data:`CORR_MIN_SPAN_DEG`."""
    ok = np.isfinite(a) & np.isfinite(b)
    least = np.deg2rad(CORR_MIN_SPAN_DEG)
    if ok.sum() < 10 or _span_rad(a[ok]) < least or _span_rad(b[ok]) < least:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _by_partner(row: SignRule, cand: Tilts, partner: Tilts | None):
    if partner is None:
        return None
    r_move, r_session = _corr(cand.move, partner.move), _corr(cand.session, partner.session)
    if _opposed(r_move, r_session):
        return _window_against_session(row, r_move, r_session)
    for where, r in (("", r_move), (" over the session", r_session)):
        if np.isfinite(r) and abs(r) >= CORR_DECIDE:
            conf: Confidence = "high" if abs(r) >= CORR_HIGH else "low"
            text = f"tips the same way as the {row.correlate_with}{where} (r = {abs(r):.2f})"
            return SignDecision(choice=int(r < 0), rule=text, confidence=conf)
    return None


def _opposed(r_move: float, r_session: float) -> bool:
    """True when the window's and the session's correlations both decide, opposite ways."""
    both = np.isfinite(r_move) and np.isfinite(r_session)
    decisive = both and min(abs(r_move), abs(r_session)) >= CORR_DECIDE
    return bool(decisive and np.sign(r_move) != np.sign(r_session))


def _window_against_session(row: SignRule, r_move: float, r_session: float) -> SignDecision:
    """Test 5 when the calibration window and the session disagree: the session, as a guess.

    The trunk goes the pelvis's way (and the head the trunk's) where the person hinges at
    the hips: the bows, the lean into the stretch, lying down; those large tilts dominate
    the session's correlation. In the small movements of the calibration it need not: in a
    knee bend the pelvis may tuck under while the trunk leans forward over the knees to keep
    the balance, which reverses the window's correlation. The data contradict each other,
    so the decision is ``low``: its angles are reported as uncertain.
    """
    text = (
        f"tips the same way as the {row.correlate_with} over the session (r = "
        f"{abs(r_session):.2f}), against it in the calibration movements "
        f"(r = −{abs(r_move):.2f})"
    )
    return SignDecision(choice=int(r_session < 0), rule=text, confidence="low")


def _by_far_partner(
    row: SignRule, cand: Tilts, decided: Mapping[str, Tilts]
) -> tuple[SignDecision | None, tuple[str, ...]]:
    """Test 5 past a segment not worn: the head with the pelvis when there is no trunk.

    In the lean into the stretch, the bows and lying down the head goes the pelvis's way,
    further (its tilt is the pelvis's plus the lumbar spine's and the neck's flexion, which
    go the same way there); the correlation over the session, which those large tilts
    dominate, decides, with the thresholds of :func:`_by_partner`. Small movements need not
    follow: a head kept level while the pelvis rocks in the leg swings turns against it, so
    the functional window's correlation alone decides nothing, and when it reaches
    :data:`CORR_DECIDE` the other way it vetoes. Returns the decision and the partner it
    relied on (none when the step does not apply or decide).
    """
    far = row.correlate_without
    if far is None or far not in decided or row.correlate_with in decided:
        return None, ()
    partner = decided[far]
    r = _corr(cand.session, partner.session)
    r_move = _corr(cand.move, partner.move)
    if not np.isfinite(r) or abs(r) < CORR_DECIDE:
        return None, ()
    if np.isfinite(r_move) and abs(r_move) >= CORR_DECIDE and np.sign(r_move) != np.sign(r):
        return None, ()
    conf: Confidence = "high" if abs(r) >= CORR_HIGH else "low"
    text = (
        f"tips the same way as the {far} over the session (r = {abs(r):.2f}; "
        f"no {row.correlate_with} sensor)"
    )
    return SignDecision(choice=int(r < 0), rule=text, confidence=conf), (far,)


def _by_bow(row: SignRule, cands: tuple[Tilts, Tilts]) -> SignDecision | None:
    """The protocol's bows: far one way (``row.bow_deg``), barely the other, in the window."""
    if row.bow_deg is None or row.fallback_sign == 0.0:
        return None
    lean_deg = np.rad2deg(row.fallback_sign * cands[0].move)  # candidate 0, habitual way > 0
    lean_deg = lean_deg[np.isfinite(lean_deg)]  # orientation unknown: no evidence
    if lean_deg.size < 10:
        return None
    ahead, behind = float(np.percentile(lean_deg, 99)), float(-np.percentile(lean_deg, 1))
    far, near = max(ahead, behind), min(ahead, behind)
    if far < row.bow_deg or near > BOW_BACK_SHARE * far:
        return None
    text = (
        f"{row.segment} tips {far:.0f}° one way and {max(near, 0.0):.0f}° the other in the "
        f"calibration: the bows go forward"
    )
    return SignDecision(choice=int(behind > ahead), rule=text, confidence="high")


def _bow_over_weak_centre(
    row: SignRule, cands: tuple[Tilts, Tilts], by_centre: SignDecision | None
) -> SignDecision | None:
    """The protocol's bows where the hip centre decides only with ``low`` confidence.

    A ratio of 1.1–1.3 barely tells the two headings apart, while bows that tip the
    segment far one way and barely the other (:func:`_by_bow`) show which way is forward.
    Agreeing, the two decide with the bows' confidence; disagreeing, the bows' sign is
    taken with ``low`` confidence (two tests that differ leave the sign open). None when
    the centre decides confidently or not at all, or the window shows no bows.
    """
    if by_centre is None or by_centre.confidence == "high":
        return None
    bow = _by_bow(row, cands)
    if bow is None:
        return None
    if bow.choice == by_centre.choice:
        return replace(bow, rule=bow.rule + " (the hip centre agrees)")
    return replace(
        bow, rule=bow.rule + " (the hip centre weakly says the other sign)", confidence="low"
    )


def _by_pair(
    row: SignRule,
    cands: tuple[Tilts, Tilts],
    pair: tuple[Tilts, Tilts] | None,
    rate_hz: float,
    *,
    least_s: float,
) -> SignDecision | None:
    """Test 7: the joint with a segment of unknown sign stays in range for one sign only.

    Each own candidate is scored by its better pairing (seconds of the session outside
    ``row.pair_range_deg``); reversing both reverses the joint, so a joint that flexes one
    way only (the knee) decides the own sign whenever it flexed while the segment tipped.
    ``least_s``: the other sign must break the range this long; a break shorter than
    :data:`SESSION_MIN_S` gives a ``low`` decision.
    """
    if pair is None or row.pair_range_deg is None:
        return None
    rng = row.pair_range_deg
    bad_s = [min(_outside_n(c, p, rng) for p in pair) / rate_hz for c in cands]
    choice = _decisive(bad_s, least_s)
    if choice is None:
        return None
    conf: Confidence = "high" if max(bad_s) >= SESSION_MIN_S else "low"
    took = f"{max(bad_s):.0f}" if conf == "high" else f"{max(bad_s):.1f}"
    text = (
        f"{row.relation} stays within {rng[0]:g}…{rng[1]:g}° over the session whichever way "
        f"the {row.pair_with} points (the other sign breaks it for {took} s)"
    )
    return SignDecision(choice=choice, rule=text, confidence=conf)


def _dominance(tilt: FloatArray) -> float:
    """Positive if the tilt goes further positive than negative (mean of each part)."""
    return float(np.mean(np.clip(tilt, 0, None)) - np.mean(np.clip(-tilt, 0, None)))


def _habit_tilts(cands: tuple[Tilts, Tilts]) -> tuple[list[FloatArray], bool]:
    """The tilts the fallback reads and whether they are the session's.

    The functional window's, unless the segment tipped less than :data:`CORR_MIN_SPAN_DEG`
    there (then the sign of its wobble is noise) and more than that over the session's
    sagittal samples: then the session's (a pelvis kept still in the calibration leans only
    into the stretch).
    """
    move = [c.move for c in cands]
    known = move[0][np.isfinite(move[0])]
    least = np.deg2rad(CORR_MIN_SPAN_DEG)
    if known.size >= 10 and _span_rad(known) >= least:
        return move, False
    session = [c.session[c.sagittal] for c in cands]
    if session[0].size >= 10 and _span_rad(session[0]) >= least:
        return session, True
    return move, False


def _by_fallback(row: SignRule, cands: tuple[Tilts, Tilts]) -> SignDecision:
    """Test 8: the way the segment mostly tips; over the session only as a low guess."""
    if row.fallback_sign == 0.0:
        return SignDecision(choice=0, rule=row.fallback_rule, confidence="low")
    tilts, over_session = _habit_tilts(cands)
    if not tilts[0].size:
        return SignDecision(choice=0, rule=row.fallback_rule, confidence="low")
    dom = [_dominance(t) * row.fallback_sign for t in tilts]
    strong = abs(dom[0] - dom[1]) > np.deg2rad(DOMINANCE_MARGIN_DEG)
    conf: Confidence = "high" if strong and row.fallback_trusted and not over_session else "low"
    rule = row.fallback_rule + (" over the session" if over_session else "")
    return SignDecision(choice=int(dom[1] > dom[0]), rule=rule, confidence=conf)


def _undetermined(row: SignRule, planarity: float) -> bool:
    """True when the row asks for a planar axis and ``planarity`` falls short of it."""
    return row.min_planarity is not None and planarity < row.min_planarity


def decide_sign(
    row: SignRule,
    cands: tuple[Tilts, Tilts],
    decided: Mapping[str, Tilts],
    *,
    session_rate_hz: float,
    confidence: Mapping[str, Confidence] | None = None,
    centre: CentreEvidence | None = None,
    centre_from: tuple[str, ...] | None = None,
    pair: tuple[Tilts, Tilts] | None = None,
    planarity: float = 1.0,
    axis_by_gravity: bool = False,
    reach: ReachEvidence | None = None,
    votes: Sequence[CentreVote] | None = None,
    knee: KneeFor | None = None,
) -> SignDecision:
    """Pick between the two candidate frames of ``row.segment`` (see the module docstring).

    ``cands`` are the tilts of z as estimated (0) and reversed (1); ``decided`` holds the
    chosen tilts of the segments decided before (partners absent from it are not worn);
    ``session_rate_hz`` is the rate of the decimated session tilts; ``confidence`` the
    confidence of each decided segment (default high): a decision that relied on a partner
    is never surer than that partner. ``centre`` is the shared-centre evidence against the
    worn ``partners`` (none: the test is skipped), taken from the partners ``centre_from``
    (default: every worn partner; the decision relies on those only). ``pair`` holds both
    candidates' tilts of ``row.pair_with`` when it is worn. ``planarity`` is the planarity
    ratio of the flexion axis the candidates were built on: below ``row.min_planarity`` the
    decision is ``low``, unless ``axis_by_gravity``: the session showed that axis by gravity
    (the segment lay down or bowed deeply about it,
    :func:`analysis.angles.calibration_axes.gravity_turn_axis`), so the data do determine it.
    ``reach``: where the foot travelled between still poses (``row.reach_with`` worn,
    :func:`analysis.angles.calibration_reach.reach_evidence`). ``votes``: the whole
    session's stretches that decide through the shared centre (:func:`_by_session_centre`),
    weighed where the functional window's centre test is not confident. ``knee``: gives the
    knee centre's evidence (test 2c, ``row.centre_with`` decided), called only when the
    tests before it do not decide.
    """
    worn = tuple(p for p in row.partners if p in decided)
    d = _decide(
        row,
        cands,
        decided,
        session_rate_hz,
        conf=confidence or {},
        centre=(centre, worn if centre_from is None else centre_from),
        pair=pair,
        reach=reach,
        votes=votes,
        knee=knee,
    )
    if d.confidence == "high" and _undetermined(row, planarity) and not axis_by_gravity:
        why = f" (its flexion axis is not determined: planarity {planarity:.2f})"
        return replace(d, rule=d.rule + why, confidence="low")
    return d


def _decide(
    row: SignRule,
    cands: tuple[Tilts, Tilts],
    decided: Mapping[str, Tilts],
    session_rate_hz: float,
    *,
    conf: Mapping[str, Confidence],
    centre: tuple[CentreEvidence | None, tuple[str, ...]],
    pair: tuple[Tilts, Tilts] | None,
    reach: ReachEvidence | None = None,
    votes: Sequence[CentreVote] | None = None,
    knee: KneeFor | None = None,
) -> SignDecision:
    """:func:`decide_sign` before the axis's determinacy is weighed.

    ``centre``: the shared-centre evidence and the partners it was taken from.
    """
    worn = tuple(p for p in row.partners if p in decided)
    partners = [decided[p] for p in worn]
    corr = row.correlate_with if row.correlate_with in decided else None
    evidence, centre_from = centre
    by_centre = _by_centre(row, evidence)
    if by_centre is None or by_centre.confidence != "high":
        by_centre = _by_session_centre(row, votes) or by_centre
    # test 7 once, on the shorter break: ``high`` past SESSION_MIN_S, else a ``low`` guess
    by_pair = _by_pair(row, cands, pair, session_rate_hz, least_s=PAIR_WEAK_MIN_S)
    by_limit = _by_limit(row, cands, partners)
    by_range = _by_session_range(row, cands, partners, session_rate_hz)
    early = (
        (
            by_limit,
            _carried_by(lambda ps: _by_limit(row, cands, ps), by_limit, worn, decided, conf),
        ),
        (
            by_range,
            _carried_by(
                lambda ps: _by_session_range(row, cands, ps, session_rate_hz),
                by_range,
                worn,
                decided,
                conf,
            ),
        ),
        (_by_reach(row, reach), worn),
    )
    decided_early = any(found is not None for found, _ in early)
    tests = (
        *early,
        (None, ()) if decided_early else _by_knee_centre(row, knee),
        (_bow_over_weak_centre(row, cands, by_centre), ()),
        (by_centre, centre_from),
        (_by_near(row, cands, partners, session_rate_hz), worn),
        (_by_partner(row, cands[0], decided[corr] if corr else None), (corr,) if corr else ()),
        _by_far_partner(row, cands[0], decided),
        (_by_bow(row, cands), ()),
        (by_pair if by_pair is not None and by_pair.confidence == "high" else None, ()),
        (_by_centre(row, evidence, CENTRE_WEAK), centre_from),
    )
    for found, used in (*tests, (_weak_pair_unless_habit(row, cands, by_pair), ())):
        if found is not None:
            weak = any(conf.get(p, "high") != "high" for p in used)
            clash = _contradicted(found, by_centre)
            note = " (partner itself uncertain)" if weak else ""
            note += " (the hip centre test says the other sign)" if clash else ""
            return SignDecision(
                choice=found.choice,
                rule=found.rule + note,
                confidence="low" if weak or clash else found.confidence,
                based_on=tuple(used),
            )
    return _by_fallback(row, cands)


def _carried_by(
    test: Callable[[list[Tilts]], SignDecision | None],
    found: SignDecision | None,
    worn: tuple[str, ...],
    decided: Mapping[str, Tilts],
    conf: Mapping[str, Confidence],
) -> tuple[str, ...]:
    """The partners whose evidence carries ``found``, a decision of ``test`` over all ``worn``.

    ``test`` (test 1 or 2) is run again on each partner's tilts alone. When one or more
    partners of confident sign decide the same way by themselves and no partner alone points
    the other way, the decision rests on those partners only: the other partners' tilts
    (which a doubted sign may have reversed) are not needed for the break, so a doubt about
    them is no doubt about it (the pelvis with the exercised thigh, whose hip the other sign
    breaks, and a resting thigh of doubtful sign). Otherwise it rests on every worn partner.
    """
    if found is None or len(worn) < 2:
        return worn
    alone = {p: test([decided[p]]) for p in worn}
    if any(d is not None and d.choice != found.choice for d in alone.values()):
        return worn
    sure = tuple(
        p
        for p, d in alone.items()
        if d is not None and d.confidence == "high" and conf.get(p, "high") == "high"
    )
    return sure or worn


def _weak_pair_unless_habit(
    row: SignRule, cands: tuple[Tilts, Tilts], by_pair: SignDecision | None
) -> SignDecision | None:
    """Test 7's ``low`` decision (a break under :data:`SESSION_MIN_S`), before a weak habit.

    ``by_pair`` is test 7 run on a break of :data:`PAIR_WEAK_MIN_S`. Tried only where the
    fallback would guess too. A knee read beyond −15° for a second in one sign and never in
    the other is weak evidence, but better than a habit that tips barely more one way than
    the other (leg swings as far forward as back); a confident habit keeps its say.
    """
    if by_pair is None or by_pair.confidence == "high":
        return None
    return None if _by_fallback(row, cands).confidence == "high" else by_pair
