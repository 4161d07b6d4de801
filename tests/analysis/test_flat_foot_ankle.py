"""The resting leg's ankle over a foot that stayed flat: its foot's doubt cannot move it.

In the full set the leg that is not exercised stands on its foot the whole session; a foot
that never tips gives its sign rule nothing to decide by, and its ankle used to be uncertain
for that alone. The ankle's flexion reads the foot's superior axis only, and the foot's
flexion axis enters through its heading, so the doubt moves the ankle by at most twice the
foot's tilt (``plausibility.flat_foot_doubt_deg``); below ``FLAT_FOOT_DOUBT_DEG`` RMS the
pipeline trusts that ankle (``pipeline._ankle_over_flat_foot``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.pipeline import _ankle_over_flat_foot
from analysis.angles.plausibility import FLAT_FOOT_DOUBT_DEG, flat_foot_doubt_deg

FOOT_DOUBT = "the left foot sensor's forward direction is not established"
ANKLE = "left_ankle_dorsiflexion_deg"


def _tilted(deg: np.ndarray, about: str = "z") -> np.ndarray:
    """Segment orientations tilted by ``deg`` about a horizontal axis (x or z, earth z up).

    The segment's y axis is the earth's z at zero tilt (a segment frame y up, mapped to the
    earth frame with z up by a +90° turn about x).
    """
    up = rot.from_axis_angle([1.0, 0.0, 0.0], np.pi / 2)
    axis = [0.0, 0.0, 1.0] if about == "z" else [1.0, 0.0, 0.0]
    tilt = rot.from_axis_angle(axis, np.radians(deg))
    return rot.multiply(np.broadcast_to(up, tilt.shape), tilt)


def test_a_flat_foot_cannot_move_its_ankle_and_a_tipping_one_can():
    flat = _tilted(np.zeros(500))
    assert flat_foot_doubt_deg(flat) == pytest.approx(0.0, abs=1e-6)
    steady = _tilted(np.full(500, 3.0))
    assert flat_foot_doubt_deg(steady) == pytest.approx(6.0, abs=1e-6)
    steady[:100] = np.nan  # dropouts are left out, not counted as flat
    assert flat_foot_doubt_deg(steady) == pytest.approx(6.0, abs=1e-6)
    assert np.isnan(flat_foot_doubt_deg(np.full((10, 4), np.nan)))


@pytest.mark.parametrize("heading_deg", [180.0, 90.0, 37.0])
def test_the_bound_holds_for_any_heading_the_foot_s_axis_gives_it(heading_deg):
    # the shank upright; the foot tipped 4° forward (about its flexion axis z), then read with
    # its heading off by ``heading_deg`` (what a reversed or misplaced axis does to it)
    n = 50
    shank = _tilted(np.zeros(n))
    foot = _tilted(np.linspace(0.0, 4.0, n))
    turned = rot.multiply(rot.from_axis_angle([0.0, 0.0, 1.0], np.radians(heading_deg)), foot)
    true = rot.joint_angles_rad(shank, foot, joint="ankle", side="right")["dorsiflexion"]
    read = rot.joint_angles_rad(shank, turned, joint="ankle", side="right")["dorsiflexion"]
    err = np.degrees(np.abs(read - true))
    tilt = np.linspace(0.0, 4.0, n)
    assert np.all(err <= 2.0 * tilt + 1e-6)
    assert np.sqrt(np.mean(err**2)) <= flat_foot_doubt_deg(foot) + 1e-6
    if heading_deg == 180.0:
        assert err[-1] == pytest.approx(8.0, abs=0.05)  # the bound is reached


def _cal(foot_doubt: str | None = FOOT_DOUBT):
    foot = SimpleNamespace(placement="left_foot", doubt=foot_doubt)
    shank = SimpleNamespace(placement="left_shank", doubt=None)
    return SimpleNamespace(segments={"left_foot": foot, "left_shank": shank})


def _uncertain(reason: str = FOOT_DOUBT) -> dict[str, dict[str, str]]:
    return {ANKLE: {"reason": reason, "redo": "x"}, "neck_flexion_deg": {"reason": "y"}}


def test_the_resting_ankle_over_a_flat_foot_is_trusted_with_a_note():
    unc, notes = _ankle_over_flat_foot(
        _cal(), {"left_foot": FOOT_DOUBT}, _uncertain(), {"left_foot": 0.4}, "right"
    )
    assert ANKLE not in unc
    assert "neck_flexion_deg" in unc  # nothing else moves
    (note,) = notes
    assert note.startswith("The left ankle (not the exercised leg) is trusted although")
    assert "0.4° RMS" in note


@pytest.mark.parametrize(
    ("bound", "doubts", "reason", "exercised"),
    [
        (FLAT_FOOT_DOUBT_DEG + 0.1, {"left_foot": FOOT_DOUBT}, FOOT_DOUBT, "right"),  # tipped
        (float("nan"), {"left_foot": FOOT_DOUBT}, FOOT_DOUBT, "right"),  # no samples
        (0.4, {"left_foot": FOOT_DOUBT, "left_shank": "s"}, FOOT_DOUBT, "right"),  # shank too
        (0.4, {"left_foot": "left ankle reads −80°"}, FOOT_DOUBT, "right"),  # beyond range
        (0.4, {"left_foot": FOOT_DOUBT}, "measured to about ±2.4°", "right"),  # precision
        (0.4, {"left_foot": FOOT_DOUBT}, FOOT_DOUBT, "left"),  # the exercised leg's ankle
        (0.4, {"left_foot": FOOT_DOUBT}, FOOT_DOUBT, None),  # no leg named
    ],
)
def test_the_ankle_stays_uncertain_unless_only_its_flat_foot_is_in_doubt(
    bound, doubts, reason, exercised
):
    unc, notes = _ankle_over_flat_foot(
        _cal(), doubts, _uncertain(reason), {"left_foot": bound}, exercised
    )
    assert ANKLE in unc
    assert notes == ()
