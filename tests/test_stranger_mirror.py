"""The stranger's left leg is the mirror image of its right leg (bench/stranger).

Reflecting through the sagittal plane (G's z, to the right, negated: ``M = diag(1, 1, −1)``)
takes a right-legged session to a left-legged one. The script's channels swap legs, the
pelvis's heading and obliquity and the trunk's and head's side bends and turns change sign,
the weight on the right foot becomes the weight on the left; every segment orientation ``R``
becomes ``M R M`` and every position ``p`` becomes ``M p``; the anatomical truth angles are
the same numbers on the other side (docs/conventions.md: left X and Y are negated, so left
adduction and internal rotation are positive toward the midline, as the right's); a sensor
strapped as the mirror image of another (its z axis flipped so it stays right-handed) reads
``a → M a`` and ``ω → −M ω``, as tests/test_left_right_mirror.py feeds the analyser.

Which way a person turns when walking is their own draw, the same number whichever leg
they exercise, so the script is compared without the heading.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from bench.stranger import body, daily, imu, session
from bench.stranger.person import draw_person
from bench.stranger.run import round3_plan
from bench.stranger.script import CHANNELS

SEED = 844  # strapped by habit on the side of the leg, sloppy, a walk turning both ways
M = np.diag([1.0, 1.0, -1.0])
#: channels that turn or shift about the axes the sagittal plane reverses
NEGATED = ("yaw", "obliq", "lumbar_lat", "lumbar_rot", "neck_lat", "neck_rot", "anc_z")


def _other(name: str) -> str:
    """The other leg's channel, segment or truth column (``w_r`` is the body's, not a leg's)."""
    if name == "w_r":
        return name
    if name.endswith(("_r", "_l")):
        return name[:-1] + ("l" if name.endswith("_r") else "r")
    if name.startswith(("right_", "left_")):
        side, rest = name.split("_", 1)
        return ("left_" if side == "right" else "right_") + rest
    return name


def _mirrored_channels(ch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for name, v in ch.items():
        out[_other(name)] = -v if name in NEGATED else (1.0 - v if name == "w_r" else v)
    return out


def _mirror(rot: Rotation) -> Rotation:
    return Rotation.from_matrix(M @ rot.as_matrix() @ M)


def _script(side: str, **changes: float):
    plan = round3_plan(SEED, None)
    person = dataclasses.replace(draw_person(SEED), side=side, **changes)
    sc = daily.build_day(
        person,
        duration_s=plan["duration_s"],
        breaks=plan["breaks"],
        seed=SEED,
        variants=tuple(plan["variants"]),
    )
    return person, sc


@pytest.fixture(scope="module")
def right_session():
    """The right-legged script of a round-3 person with a tibia turning 0.1° per degree of
    knee flexion, sampled at 100 Hz, with its segments, positions and truth."""
    person, sc = _script("right", tibial_rot_per_deg=0.1)
    t = np.arange(0.0, sc.t_s, 0.01)
    ch = sc.sample(t)
    rots = body.segment_rotations(ch, person)
    return person, t, ch, rots


def test_the_left_script_is_the_right_one_mirrored_but_for_the_turns():
    # no fidgeting and no sloppiness: those are random draws, not mirrored by design
    calm = {"fidget": 0.0, "sloppiness": 0.0}
    (_, right), (_, left) = _script("right", **calm), _script("left", **calm)
    assert right.t_s == left.t_s
    t = np.arange(0.0, right.t_s, 0.01)
    mirrored, lft = _mirrored_channels(right.sample(t)), left.sample(t)
    assert np.ptp(lft["knee_l"]) > 30.0
    assert np.ptp(lft["incl_l"]) > 50.0
    for name in lft:
        if name != "yaw":
            np.testing.assert_allclose(lft[name], mirrored[name], atol=1e-9, err_msg=name)


def test_segments_positions_and_truth_mirror_with_the_channels(right_session):
    person, _t, ch, rots = right_session
    left_person = dataclasses.replace(person, side="left")
    mirrored = _mirrored_channels(ch)
    left_rots = body.segment_rotations(mirrored, left_person)
    for seg, rot in rots.items():
        err = (left_rots[_other(seg)].inv() * _mirror(rot)).magnitude()
        assert np.degrees(err.max()) < 1e-9, seg
    origins = body.segment_origins(rots, ch, person)
    left_origins = body.segment_origins(left_rots, mirrored, left_person)
    for seg, p in origins.items():
        np.testing.assert_allclose(left_origins[_other(seg)], p @ M, atol=1e-12, err_msg=seg)
    truth, left_truth = body.truth_angles(rots), body.truth_angles(left_rots)
    assert np.abs(truth["right_hip_internal_rotation_deg"]).max() > 3.0
    assert np.abs(truth["right_hip_adduction_deg"]).max() > 3.0
    for col, v in truth.items():
        np.testing.assert_allclose(left_truth[_other(col)], v, atol=1e-9, err_msg=col)


def test_left_adduction_and_internal_rotation_are_positive_toward_the_midline():
    person = dataclasses.replace(draw_person(SEED), side="left")
    zero = {c: np.zeros(2) for c in CHANNELS}
    zero["flat_r"] = zero["flat_l"] = np.ones(2)
    for chan, col, axis in (
        ("add_l", "left_hip_adduction_deg", [0.0, -1.0, 0.0]),  # the knee
        ("rot_l", "left_hip_internal_rotation_deg", [1.0, 0.0, 0.0]),  # the thigh's front
    ):
        ch = {**zero, chan: np.array([0.0, 5.0])}
        rots = body.segment_rotations(ch, person)
        moved = rots["left_thigh"].apply(axis)[1] - rots["left_thigh"].apply(axis)[0]
        assert moved[2] > 0.05, chan  # toward +z, the right: the left leg's midline side
        np.testing.assert_allclose(body.truth_angles(rots)[col], [0.0, 5.0], atol=1e-9)


def test_a_mirrored_strap_reads_the_mirrored_signals(right_session):
    person, t, ch, rots = right_session
    left_person = dataclasses.replace(person, side="left")
    mirrored = _mirrored_channels(ch)
    left_rots = body.segment_rotations(mirrored, left_person)
    r_e_g = imu.heading_rotation(137.0)
    readings = {}
    for seg, ch_, rots_, p_ in (
        ("right_shank", ch, rots, person),
        ("left_shank", mirrored, left_rots, left_person),
    ):
        strap = imu.habit_strap("right_shank", p_.shank_m, "lateral", np.random.default_rng(3))
        if seg.startswith("left"):  # its mirror image, z flipped to stay right-handed
            strap = imu.Strap(strap.site_m @ M, _mirror(strap.r_seg_s), -(M @ strap.tissue_axis))
        truth = body.truth_angles(rots_)
        r_g_s = session._tissue(rots_, truth, seg, strap, 0.03)
        origin = body.segment_origins(rots_, ch_, p_)[seg] + rots_[seg].apply(strap.site_m)
        readings[seg] = imu.ideal_signals(t, r_e_g * r_g_s, r_e_g.apply(origin))
    (gyr_r, acc_r), (gyr_l, acc_l) = readings["right_shank"], readings["left_shank"]
    assert np.abs(gyr_r).max() > 1.0
    assert np.abs(acc_r[:, 2]).max() > 2.0
    np.testing.assert_allclose(acc_l, acc_r @ M, atol=1e-6)
    np.testing.assert_allclose(gyr_l, -(gyr_r @ M), atol=1e-9)
