"""The session's knee fit is checked for a tibia turning with the knee, as the window's is.

A knee fit over the whole session takes the average of the coupling's turn over its bends,
as the functional window's does; where it gives the thigh its axis, its small bends are
fitted again (``calibration._session_knee_checked``) and a coupling nothing fixes doubts the
thigh's tilt (the stranger's round-2 seed 1308: the session's thigh axis 6.1° about the
thigh's long axis from the truth, hip rotation 6.2° off and trusted).
"""

from __future__ import annotations

import numpy as np

from analysis.angles import calibration as cal
from analysis.angles import rotations as rot
from analysis.angles.calibration_axes import SensorAxes
from tests.analysis.test_knee_coupled_lean import _fit
from tests.analysis.test_session_knee_hinge import _session
from tests.analysis.test_thigh_tilt_doubt import SHANK_MOUNT, THIGH_MOUNT, Z

X, Y = np.eye(3)[0], np.eye(3)[1]
PAIR = ("right_thigh", "right_shank")


def _own_axes() -> dict[str, SensorAxes]:
    """Both segments' own axes, Z in sensor coordinates (the synthetic fits' frame)."""
    ax = SensorAxes(
        y_S=Y,
        z_S=Z,
        planarity_ratio=1.0,
        axis_elevation_deg=0.0,
        rotation_deg=90.0,
        stand_gravity_m_s2=9.81,
        stand_gyro_rms_rad_s=0.0,
        stand_acc_std_m_s2=0.0,
    )
    return dict.fromkeys(PAIR, ax)


def _mounted_axes() -> dict[str, SensorAxes]:
    """The synthetic session's segments' true axes in their sensors' coordinates."""
    return {
        p: SensorAxes(
            y_S=rot.rotate(rot.conjugate(mount), [0.0, 1.0, 0.0]),
            z_S=rot.rotate(rot.conjugate(mount), Z),
            planarity_ratio=1.0,
            axis_elevation_deg=0.0,
            rotation_deg=60.0,
            stand_gravity_m_s2=9.81,
            stand_gyro_rms_rad_s=0.0,
            stand_acc_std_m_s2=0.0,
        )
        for p, mount in zip(PAIR, (THIGH_MOUNT, SHANK_MOUNT), strict=True)
    }


def test_a_session_fit_with_a_coupling_nothing_fixes_doubts_the_thigh_s_tilt():
    checked = (_fit(-1.0, resid=0.001), "the knee's axis turns as the knee bends")
    found = cal._session_axes(_own_axes(), PAIR, checked)
    assert found["right_thigh"].axis_source == cal.SESSION_KNEE
    assert found["right_thigh"].tilt_doubt == "the knee's axis turns as the knee bends"
    # the shank's side is the fit's, its tilt not doubted
    assert found["right_shank"].tilt_doubt is None


def test_a_session_fit_without_a_coupling_gives_the_thigh_its_axis_undoubted():
    found = cal._session_axes(_own_axes(), PAIR, (_fit(-1.0, resid=0.001), None))
    thigh = found["right_thigh"]
    assert thigh.axis_source == cal.SESSION_KNEE
    assert thigh.tilt_doubt is None
    # the fit's thigh axis: Z turned 1° away from X about Y
    want = np.cos(np.deg2rad(1.0)) * Z - np.sin(np.deg2rad(1.0)) * X
    assert abs(float(thigh.z_S @ want)) > np.cos(np.deg2rad(0.01))


def test_the_session_s_small_bends_are_fitted_over_its_moving_samples(monkeypatch):
    session, q_E_S = _session(2, lift_hip_deg=60.0, lift_knee_deg=20.0)
    stand, axes = session.t_s < 3.8, _mounted_axes()
    seen = {}
    small, why = _fit(2.0, resid=0.001), "a coupling nothing fixes"

    def checked(_session, _pair, masks, _axes, _q, whole, *, bent, derived_rates):
        seen["moving"], seen["whole"], seen["bent"] = masks[1], whole, bent
        seen["derived"] = derived_rates
        return small, why, True

    monkeypatch.setattr(cal, "_small_bends_fit", checked)
    got = cal._session_knee_checked(session, PAIR, stand, axes, q_E_S)
    assert got == (small, why)
    assert seen["derived"] is False  # measured rates unless told otherwise
    moving, stride = cal._session_moving(session, PAIR, stand)
    assert stride == 1
    assert np.array_equal(seen["moving"], moving)
    # the whole fit handed over is the session's own
    whole = cal._session_knee_fit(session, PAIR, stand, axes, q_E_S)
    assert np.allclose(seen["whole"][0].j_prox_S, whole[0].j_prox_S)
    # every bend of this session is within 90°: the bends "at most 90°" are all of them
    again = seen["bent"](90.0)
    assert abs(again[1] - whole[1]) < 0.1 * whole[1]


def test_a_strided_session_s_small_bends_keep_the_knee_s_turn_in_degrees(monkeypatch):
    session, q_E_S = _session(2, lift_hip_deg=60.0, lift_knee_deg=20.0)
    stand, axes = session.t_s < 3.8, _mounted_axes()
    moving, _ = cal._session_moving(session, PAIR, stand)
    full = cal._bends_within(session, PAIR, (stand, moving), axes, q_E_S)(90.0)
    monkeypatch.setattr(cal, "SESSION_KNEE_SCAN", 600)
    moving3, stride = cal._session_moving(session, PAIR, stand)
    assert stride == 3
    strided = cal._bends_within(session, PAIR, (stand, moving3), axes, q_E_S, stride=stride)(90.0)
    assert full is not None
    assert strided is not None
    assert abs(strided[1] - full[1]) < 0.1 * full[1]


def test_an_exact_hinge_over_the_session_keeps_its_axis_undoubted():
    session, q_E_S = _session(1, lift_hip_deg=60.0, lift_knee_deg=20.0)
    stand, axes = session.t_s < 3.8, _mounted_axes()
    got = cal._session_knee_checked(session, PAIR, stand, axes, q_E_S)
    assert got is not None
    _, doubt = got
    assert doubt is None
    found = cal._session_axes(axes, PAIR, got)
    cos_off = abs(float(found["right_thigh"].z_S @ axes["right_thigh"].z_S))
    assert np.rad2deg(np.arccos(min(1.0, cos_off))) < 2.0
    assert found["right_thigh"].tilt_doubt is None
