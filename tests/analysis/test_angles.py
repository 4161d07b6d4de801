"""ISB joint angles from segment orientations: Z-X'-Y'' order, signs, the left side mirrored."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E
from analysis.angles.isb import joint_angles_deg

Q_E_G = rot.conjugate(Q_G_E)
IDENTITY = np.array([[1.0, 0.0, 0.0, 0.0]])


def _in_earth(q_G: np.ndarray, heading_rad: float = 0.4) -> np.ndarray:
    """A level-frame orientation expressed in the earth frame, facing ``heading_rad``."""
    return rot.turn_about_z(rot.multiply(Q_E_G, q_G), heading_rad)


def _hip(flex: float, add: float, rot_in: float, side: str) -> np.ndarray:
    """Thigh relative to pelvis from anatomical hip angles (deg); left side mirrored."""
    x, y = np.deg2rad(add), np.deg2rad(rot_in)
    if side == "left":
        x, y = -x, -y
    return rot.from_euler_zxy(np.array([[np.deg2rad(flex), x, y]]))


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize(
    ("flex", "add", "rot_in"), [(30.0, 0.0, 0.0), (60.0, 8.0, -5.0), (-10.0, -6.0, 12.0)]
)
def test_hip_angles_round_trip_with_the_left_side_mirrored(side, flex, add, rot_in):
    pelvis_G = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(-7.0))[None]  # 7° anterior
    thigh_G = rot.multiply(pelvis_G, _hip(flex, add, rot_in, side))
    q = {"pelvis": _in_earth(pelvis_G), f"{side}_thigh": _in_earth(thigh_G)}
    cols = joint_angles_deg(q, q_G_E=Q_G_E, sides=(side,)).columns
    assert cols[f"{side}_hip_flexion_deg"][0] == pytest.approx(flex, abs=1e-6)
    assert cols[f"{side}_hip_adduction_deg"][0] == pytest.approx(add, abs=1e-6)
    assert cols[f"{side}_hip_internal_rotation_deg"][0] == pytest.approx(rot_in, abs=1e-6)
    assert cols["pelvis_anterior_tilt_deg"][0] == pytest.approx(7.0, abs=1e-6)


def test_the_order_is_flexion_first():
    # Z then X' differs from X then Z: a 90° flexion followed by 20° adduction about the
    # flexed thigh's own x axis must read back as exactly that
    q_rel = rot.multiply(
        rot.from_axis_angle([0.0, 0.0, 1.0], np.pi / 2), rot.from_axis_angle([1, 0, 0], 0.35)
    )[None]
    q = {"pelvis": _in_earth(IDENTITY), "right_thigh": _in_earth(q_rel)}
    cols = joint_angles_deg(q, q_G_E=Q_G_E, sides=("right",)).columns
    assert cols["right_hip_flexion_deg"][0] == pytest.approx(90.0, abs=1e-6)
    assert cols["right_hip_adduction_deg"][0] == pytest.approx(np.rad2deg(0.35), abs=1e-6)


def test_knee_and_ankle_signs():
    thigh = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(20.0))[None]
    shank = rot.multiply(thigh, rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(-35.0)))
    foot = rot.multiply(shank, rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(10.0)))
    q = {
        "left_thigh": _in_earth(thigh),
        "left_shank": _in_earth(shank),
        "left_foot": _in_earth(foot),
    }
    ja = joint_angles_deg(q, q_G_E=Q_G_E, sides=("left",))
    assert ja.columns["left_knee_flexion_deg"][0] == pytest.approx(35.0, abs=1e-6)
    assert ja.columns["left_ankle_dorsiflexion_deg"][0] == pytest.approx(10.0, abs=1e-6)
    # no pelvis: the thigh's inclination to gravity instead of the hip, and why
    assert ja.columns["left_thigh_inclination_deg"][0] == pytest.approx(20.0, abs=1e-6)
    assert "pelvis" in ja.absent["left_hip_flexion_deg"]
    assert ja.absent["pelvis_anterior_tilt_deg"] == "needs a pelvis sensor"


def test_headings_do_not_matter_once_they_agree():
    pelvis_G = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(-5.0))[None]
    thigh_G = rot.multiply(pelvis_G, _hip(40.0, 3.0, 4.0, "right"))
    a = joint_angles_deg(
        {"pelvis": _in_earth(pelvis_G, 0.0), "right_thigh": _in_earth(thigh_G, 0.0)},
        q_G_E=Q_G_E,
        sides=("right",),
    ).columns
    b = joint_angles_deg(
        {"pelvis": _in_earth(pelvis_G, 2.5), "right_thigh": _in_earth(thigh_G, 2.5)},
        q_G_E=Q_G_E,
        sides=("right",),
    ).columns
    for c in a:
        assert b[c][0] == pytest.approx(a[c][0], abs=1e-6)


def test_thigh_inclination_runs_on_past_vertical_while_lying():
    from analysis.angles.isb import thigh_inclination_deg

    # standing 0°, back leg level behind −90°, level 90°, raised past vertical while lying
    # 200° (the tilt wraps to −160°)
    tilt_deg = np.array([0.0, -30.0, -90.0, -120.0, 90.0, 179.0, -179.0, -160.0])
    np.testing.assert_allclose(
        thigh_inclination_deg(np.deg2rad(tilt_deg)),
        [0.0, -30.0, -90.0, -120.0, 90.0, 179.0, 181.0, 200.0],
    )


def test_a_pelvis_out_leaves_the_thighs_inclination_where_it_has_no_orientation():
    from analysis.angles.isb import pelvis_gap_inclinations_deg

    thigh = rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(60.0))[None]
    pelvis = np.repeat(_in_earth(IDENTITY), 6, axis=0)
    pelvis[[0, 2, 3, 5]] = np.nan  # a dropout of two rows; the first and last rows: no far side
    q = {"pelvis": pelvis, "left_thigh": np.repeat(_in_earth(thigh), 6, axis=0)}
    col = pelvis_gap_inclinations_deg(q, q_G_E=Q_G_E)["left_thigh_inclination_deg"]
    assert np.isnan(col[[0, 1, 4, 5]]).all()
    assert col[2:4] == pytest.approx([60.0, 60.0], abs=1e-6)
    # only the ends without the pelvis, or no pelvis worn at all (its own column then): nothing
    q["pelvis"][2:4] = q["pelvis"][1]
    assert pelvis_gap_inclinations_deg(q, q_G_E=Q_G_E) == {}
    assert pelvis_gap_inclinations_deg(q, q_G_E=Q_G_E) == {}
    assert pelvis_gap_inclinations_deg({"left_thigh": q["left_thigh"]}, q_G_E=Q_G_E) == {}


def test_the_angle_table_adds_the_stand_in_in_column_order():
    from analysis.angles.pipeline import angle_table

    thigh = np.repeat(_in_earth(rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(50.0))[None]), 3, 0)
    pelvis = np.repeat(_in_earth(IDENTITY), 3, axis=0)
    cols = {"right_knee_flexion_deg": np.zeros(3), "pelvis_anterior_tilt_deg": np.zeros(3)}
    t = np.arange(3) * 0.01
    assert list(angle_table(t, cols, {"pelvis": pelvis, "right_thigh": thigh}).columns) == [
        "t_s",
        "right_knee_flexion_deg",
        "pelvis_anterior_tilt_deg",
    ]
    pelvis[1] = np.nan
    table = angle_table(t, cols, {"pelvis": pelvis, "right_thigh": thigh})
    assert list(table.columns)[-1] == "right_thigh_inclination_deg"
    assert table["right_thigh_inclination_deg"].tolist()[1] == pytest.approx(50.0, abs=1e-6)


def test_thigh_inclinations_on_given_rows_keep_a_column_per_worn_thigh():
    from analysis.angles.isb import thigh_inclinations_on_deg

    thigh = np.repeat(_in_earth(rot.from_axis_angle([0.0, 0.0, 1.0], np.deg2rad(70.0))[None]), 4, 0)
    thigh[3] = np.nan  # no orientation on the last row
    rows = np.array([False, True, True, True])
    out = thigh_inclinations_on_deg({"right_thigh": thigh}, rows, q_G_E=Q_G_E)
    assert list(out) == ["right_thigh_inclination_deg"]
    col = out["right_thigh_inclination_deg"]
    assert np.isnan(col[[0, 3]]).all()
    assert col[1:3] == pytest.approx([70.0, 70.0], abs=1e-6)
    # no row asked for: the column is still there, NaN throughout (a live chunk's shape)
    none = thigh_inclinations_on_deg({"right_thigh": thigh}, np.zeros(4, bool), q_G_E=Q_G_E)
    assert np.isnan(none["right_thigh_inclination_deg"]).all()
    assert thigh_inclinations_on_deg({"pelvis": thigh}, rows, q_G_E=Q_G_E) == {}
