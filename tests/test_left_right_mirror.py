"""Left/right symmetry of the analyser on the stranger's generator, tibial rotation included.

A session on the left leg is reflected through the sagittal plane into the right leg: every
sensor is reflected with its own z axis flipped so its frame stays right-handed (specific force
a → diag(1, 1, −1)·a, angular rate ω → −diag(1, 1, −1)·ω, a pseudovector), and the left
placements become right ones. The mirrored person is a right-legged person with the same body,
the same movement and the same knee (the tibia still turns inward as the knee bends), so every
anatomical angle, every doubt and every verdict must be the same. A left/right sign wrong
anywhere (calibration, the shared lean axis, the thigh's own gyro axis, the hinge-turn doubt,
the heading, the ISB angles) breaks the equality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.angles.pipeline import analyse_recording
from analysis.recording.streams import Recording, SessionMeta, streams_from_samples
from bench.stranger.session import generate

SEED = 844
LEFT = ("pelvis", "left_thigh", "left_shank", "left_foot")
ANGLES = (
    "hip_flexion_deg",
    "hip_adduction_deg",
    "hip_internal_rotation_deg",
    "knee_flexion_deg",
    "ankle_dorsiflexion_deg",
)


def _samples(session, placements) -> pd.DataFrame:
    frames = []
    for name in placements:
        s = session.sensors[name]
        acc, gyr = s.acc_m_s2, s.gyr_rad_s
        frames.append(
            pd.DataFrame(
                {
                    "t_s": s.t_s,
                    "sensor": name,
                    **{f"acc_{a}_m_s2": acc[:, i] for i, a in enumerate("xyz")},
                    **{f"gyr_{a}_rad_s": gyr[:, i] for i, a in enumerate("xyz")},
                }
            )
        )
    return pd.concat(frames).sort_values("t_s", kind="stable").reset_index(drop=True)


def _mirror(samples: pd.DataFrame) -> pd.DataFrame:
    out = samples.copy()
    out["acc_z_m_s2"] = -out["acc_z_m_s2"]
    out["gyr_x_rad_s"] = -out["gyr_x_rad_s"]
    out["gyr_y_rad_s"] = -out["gyr_y_rad_s"]
    out["sensor"] = out["sensor"].str.replace("left_", "right_", regex=False)
    return out


def _as_right(doubts: dict) -> dict[str, str]:
    """Doubted columns and their words with the left side named as the right."""
    named = {c.replace("left_", "right_"): str(w) for c, w in doubts.items()}
    return {c: w.replace("left", "right") for c, w in named.items()}


def _analyse(samples: pd.DataFrame, side: str):
    rec = Recording(streams=streams_from_samples(samples), meta=SessionMeta(side=side))
    return analyse_recording(rec)


@pytest.fixture(scope="module")
def left_and_mirrored():
    # strapped by habit on the side of the thigh and shank, sensor errors on, a knee whose
    # tibia turns 0.12° inward per degree of flexion
    session = generate(
        SEED,
        duration_s=60.0,
        placements=LEFT,
        person_changes={"side": "left", "tibial_rot_per_deg": 0.12},
        devices={"family_of": {}, "rate_hz": None, "mount": {"thigh": "lateral"}},
    )
    samples = _samples(session, LEFT)
    return session, _analyse(samples, "left"), _analyse(_mirror(samples), "right")


def test_the_session_turns_the_tibia_and_moves_out_of_the_sagittal_plane(left_and_mirrored):
    session, left, _right = left_and_mirrored
    knee = session.truth["left_knee_flexion_deg"]
    assert np.nanmax(knee) > 30.0
    est = left.angles
    for c in ("left_hip_adduction_deg", "left_hip_internal_rotation_deg"):
        assert np.nanmax(np.abs(est[c].to_numpy())) > 2.0, c


def test_every_angle_matches_its_mirror_image(left_and_mirrored):
    _session, left, right = left_and_mirrored
    for a in (*ANGLES, "thigh_inclination_deg"):
        lc, rc = f"left_{a}", f"right_{a}"
        if lc not in left.angles:
            assert rc not in right.angles, a
            continue
        d = np.nanmax(np.abs(left.angles[lc].to_numpy() - right.angles[rc].to_numpy()))
        assert d < 0.01, (a, d)
    tilt = "pelvis_anterior_tilt_deg"
    assert np.nanmax(np.abs(left.angles[tilt] - right.angles[tilt])) < 0.01


def test_the_same_angles_are_doubted_on_either_side(left_and_mirrored):
    _session, left, right = left_and_mirrored
    assert _as_right(left.calibration.uncertain_angles()) == _as_right(
        right.calibration.uncertain_angles()
    )
