"""From movement channels to segment orientations, positions and the truth angles.

Frames (docs/conventions.md): G = level frame of the subject, x forward, y up, z right;
segment frames are ISB (x anterior, y superior, z right) and equal G in the quiet stand.
Joint angles are the distal segment relative to the proximal one, intrinsic Z-X'-Y''; left
X and Y are negated; knee, lumbar and neck flexion are −Z; pelvis tilt is −Z of Y-X'-Z'' of
G → pelvis. Rotations are SciPy ``Rotation`` objects (scalar-last inside SciPy only).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from bench.stranger.person import Person

SEGMENTS = (
    "pelvis",
    "trunk",
    "head",
    "right_thigh",
    "left_thigh",
    "right_shank",
    "left_shank",
    "right_foot",
    "left_foot",
)


def _zxy(z: np.ndarray, x: np.ndarray, y: np.ndarray) -> Rotation:
    return Rotation.from_euler("ZXY", np.column_stack([z, x, y]), degrees=True)


def segment_rotations(ch: dict[str, np.ndarray], p: Person) -> dict[str, Rotation]:
    """Each segment's orientation in G (``R_G_seg``) from the channels (degrees)."""
    pelvis = Rotation.from_euler(
        "YXZ", np.column_stack([ch["yaw"], ch["obliq"], -ch["tilt"]]), degrees=True
    )
    out = {"pelvis": pelvis}
    for s, sign in (("r", 1.0), ("l", -1.0)):
        side = "right" if s == "r" else "left"
        flex = ch[f"incl_{s}"] + ch["tilt"]
        thigh = pelvis * _zxy(flex, sign * ch[f"add_{s}"], sign * ch[f"rot_{s}"])
        knee = ch[f"knee_{s}"]
        shank = thigh * _zxy(-knee, 0 * knee, sign * p.tibial_rot_per_deg * knee)
        flat = np.clip(ch[f"flat_{s}"], 0.0, 1.0)
        ankle = flat * (knee - ch[f"incl_{s}"]) + (1.0 - flat) * ch[f"ankle_{s}"]
        out[f"{side}_thigh"] = thigh
        out[f"{side}_shank"] = shank
        out[f"{side}_foot"] = shank * _zxy(ankle, 0 * ankle, 0 * ankle)
    out["trunk"] = pelvis * _zxy(-ch["lumbar"], ch["lumbar_lat"], ch["lumbar_rot"])
    out["head"] = out["trunk"] * _zxy(-ch["neck"], ch["neck_lat"], ch["neck_rot"])
    return out


def _apply(rot: Rotation, v: tuple[float, float, float]) -> np.ndarray:
    return rot.apply(np.asarray(v, dtype=float))


def segment_origins(
    rots: dict[str, Rotation], ch: dict[str, np.ndarray], p: Person
) -> dict[str, np.ndarray]:
    """Segment origins in G (metres): pelvis = mid-hip, thigh = hip, shank = knee, foot = ankle.

    The pelvis is placed so that the feet bearing weight stay where they stood
    (weights ``w_r`` and 1 − ``w_r``): a body that moves over planted feet; sitting or lying
    (channel ``anc``) it rests at (``anc_x``, ``anc_y``) instead.
    """
    half_w = p.hip_width_m / 2.0
    rel: dict[str, np.ndarray] = {}
    for side, sz in (("right", 1.0), ("left", -1.0)):
        hip = _apply(rots["pelvis"], (0.0, 0.0, sz * half_w))
        knee = hip + _apply(rots[f"{side}_thigh"], (0.0, -p.thigh_m, 0.0))
        ankle = knee + _apply(rots[f"{side}_shank"], (0.0, -p.shank_m, 0.0))
        rel[f"{side}_thigh"], rel[f"{side}_shank"], rel[f"{side}_foot"] = hip, knee, ankle
    w_r = np.clip(ch["w_r"], 0.0, 1.0)[:, None]
    planted_r, planted_l = footprints(rel["right_foot"], rel["left_foot"], w_r[:, 0], ch["step"])
    pelvis = w_r * (planted_r - rel["right_foot"]) + (1.0 - w_r) * (planted_l - rel["left_foot"])
    pelvis = pelvis + np.array([0.0, p.thigh_m + p.shank_m + 0.08, 0.0])
    anc = np.clip(ch["anc"], 0.0, 1.0)[:, None]
    # a seat is placed relative to where the feet now stand (they move only when walking)
    moved = 0.5 * ((planted_r - rel["right_foot"][0]) + (planted_l - rel["left_foot"][0]))
    seat = np.column_stack([ch["anc_x"], ch["anc_y"], ch["anc_z"]]) + moved * [1.0, 0.0, 1.0]
    pelvis = (1.0 - anc) * pelvis + anc * seat
    out = {"pelvis": pelvis}
    for name, v in rel.items():
        out[name] = pelvis + v
    out["trunk"] = pelvis + _apply(rots["pelvis"], (-0.04, 0.12, 0.0))
    out["head"] = out["trunk"] + _apply(rots["trunk"], (0.0, p.trunk_m + 0.12, 0.0))
    return out


def footprints(
    rel_r: np.ndarray, rel_l: np.ndarray, w_r: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where each foot stands on the floor (relative to the pelvis formula's origin), per sample.

    Standing, the footprints are where the feet stood at the start. Walking (``step`` > 0.5),
    a foot that bears no weight moves its footprint along with it (horizontally; the floor's
    height stays), and the footprint stays where the foot is when it takes weight again.
    ``rel_*``: ankle positions relative to the mid-hip; ``w_r``: weight on the right foot.
    """
    n = len(w_r)
    fr = np.repeat(rel_r[:1], n, axis=0)
    fl = np.repeat(rel_l[:1], n, axis=0)
    walking = step > 0.5
    if not walking.any():
        return fr, fl
    label = np.where(walking & (w_r <= 1e-9), 1, np.where(walking & (w_r >= 1.0 - 1e-9), 2, 0))
    edges = np.flatnonzero(np.diff(label)) + 1
    cur_r, cur_l = rel_r[0].copy(), rel_l[0].copy()
    for a, b in zip(np.r_[0, edges], np.r_[edges, n], strict=True):
        fr[a:b], fl[a:b] = cur_r, cur_l
        if label[a] == 1:  # the right foot swings: its footprint follows it
            fr[a:b] = cur_l - rel_l[a:b] + rel_r[a:b]
            cur_r = _landed(fr[b - 1], rel_r[0, 1])
        elif label[a] == 2:
            fl[a:b] = cur_r - rel_r[a:b] + rel_l[a:b]
            cur_l = _landed(fl[b - 1], rel_l[0, 1])
    return fr, fl


def _landed(foot: np.ndarray, floor_y: float) -> np.ndarray:
    """The footprint a swinging foot leaves: on the floor when it lands within 1 cm of it (a
    heel strike), else where it is (a bout fading out mid-swing: no jump of the pelvis)."""
    return np.array([foot[0], floor_y if abs(foot[1] - floor_y) < 0.01 else foot[1], foot[2]])


def _rel_zxy(prox: Rotation, dist: Rotation) -> np.ndarray:
    return (prox.inv() * dist).as_euler("ZXY", degrees=True)


def truth_angles(rots: dict[str, Rotation]) -> dict[str, np.ndarray]:
    """The documented joint angles (degrees) from segment orientations in G."""
    out: dict[str, np.ndarray] = {}
    for side, sign in (("right", 1.0), ("left", -1.0)):
        hip = _rel_zxy(rots["pelvis"], rots[f"{side}_thigh"])
        out[f"{side}_hip_flexion_deg"] = hip[:, 0]
        out[f"{side}_hip_adduction_deg"] = sign * hip[:, 1]
        out[f"{side}_hip_internal_rotation_deg"] = sign * hip[:, 2]
        out[f"{side}_knee_flexion_deg"] = -_rel_zxy(rots[f"{side}_thigh"], rots[f"{side}_shank"])[
            :, 0
        ]
        out[f"{side}_ankle_dorsiflexion_deg"] = _rel_zxy(
            rots[f"{side}_shank"], rots[f"{side}_foot"]
        )[:, 0]
        out[f"{side}_thigh_inclination_deg"] = rots[f"{side}_thigh"].as_euler("YXZ", degrees=True)[
            :, 2
        ]
    out["lumbar_flexion_deg"] = -_rel_zxy(rots["pelvis"], rots["trunk"])[:, 0]
    out["neck_flexion_deg"] = -_rel_zxy(rots["trunk"], rots["head"])[:, 0]
    out["pelvis_anterior_tilt_deg"] = -rots["pelvis"].as_euler("YXZ", degrees=True)[:, 2]
    return out
