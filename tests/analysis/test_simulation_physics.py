"""Physics of the simulator, checked independently of how it computes its signals.

Signals are synthesised from analytic derivatives; these tests check them against gravity,
finite differences of the simulated positions, integration of the simulated gyro, the
rotation decomposition of ``analysis.angles.rotations`` and simple geometry.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from analysis.angles import rotations
from analysis.angles.isb import thigh_inclination_deg
from analysis.recording.schema import (
    ACC_COLUMNS,
    GRAVITY_M_S2,
    GYR_COLUMNS,
    MAG_COLUMNS,
    PLACEMENTS,
)
from analysis.recording.streams import validate_samples
from analysis.simulation import (
    ImuErrorModel,
    SessionSimulator,
    SimulationConfig,
    SoftTissueModel,
    simulate,
)

PERFECT = ImuErrorModel.perfect()
# ten times the default wobble so it is clearly present in the signals, every other error off
WOBBLE_ONLY = dataclasses.replace(PERFECT, wobble=SoftTissueModel(static_deflection_s2=3e-3))
LEG = ("pelvis", "right_thigh", "right_shank", "right_foot")


def _acc(block) -> np.ndarray:  # type: ignore[no-untyped-def]
    return block.acc_m_s2


def test_quiet_stand_reads_gravity_and_no_rotation():
    cfg = SimulationConfig(sensors=PLACEMENTS, errors=PERFECT, sway_scale=0.0)
    sim = SessionSimulator("standing_correct", config=cfg)
    for p in PLACEMENTS:
        b = sim.sensor_samples(p, 0.0, 4.0)
        assert b.t_s.size == 400
        np.testing.assert_allclose(np.linalg.norm(b.acc_m_s2, axis=1), GRAVITY_M_S2, atol=1e-9)
        np.testing.assert_allclose(b.gyr_rad_s, 0.0, atol=1e-12)
        # and the reading is gravity along the sensor's own up axis: R_S_E ẑ g
        up_S = rotations.rotate(rotations.conjugate(b.q_E_S), np.array([0.0, 0.0, 1.0]))
        np.testing.assert_allclose(b.acc_m_s2, GRAVITY_M_S2 * up_S, atol=1e-9)


def test_quiet_stand_with_errors_is_gravity_plus_bias_within_noise():
    cfg = SimulationConfig(sensors=LEG, seed=3)  # default errors and postural sway
    sim = SessionSimulator("standing_correct", config=cfg)
    e = cfg.errors
    noise_sd = e.acc_noise_density_m_s2_sqrt_hz * math.sqrt(cfg.rate_hz / 2)
    for p in LEG:
        b = sim.sensor_samples(p, 0.5, 3.5)
        corrected = b.acc_m_s2 - b.acc_bias_m_s2
        mag = np.linalg.norm(corrected, axis=1)
        # sway accelerations are ≲ 0.05 m/s² (0.4° at ≤ 0.5 Hz, 1 m lever): noise dominates
        assert np.abs(mag.mean() - GRAVITY_M_S2) < 0.03
        assert np.abs(mag - GRAVITY_M_S2).max() < 6 * noise_sd + 0.05
        # the raw signal is biased: the mean differs from the corrected one by the bias
        np.testing.assert_allclose(
            b.acc_m_s2.mean(axis=0) - corrected.mean(axis=0), b.acc_bias_m_s2.mean(axis=0)
        )


def _integrate_gyro(q0: np.ndarray, gyr: np.ndarray, dt: float) -> np.ndarray:
    """q_E_S at the last sample from body rates: midpoint rate plus the two-sample coning term."""
    w0, w1 = gyr[:-1], gyr[1:]
    phi = 0.5 * (w0 + w1) * dt + np.cross(w0, w1) * dt * dt / 12.0
    angle = np.linalg.norm(phi, axis=1)
    axis = np.where(angle[:, None] > 0, phi / np.maximum(angle, 1e-300)[:, None], [1.0, 0.0, 0.0])
    steps = rotations.from_axis_angle(axis, angle)
    q = q0
    # sequential product in blocks of matrices (vectorised within a block)
    mats = rotations.to_matrix(steps)
    r = rotations.to_matrix(q)
    for m in mats:
        r = r @ m
    return rotations.from_matrix(r)


@pytest.mark.parametrize("errors", [PERFECT, WOBBLE_ONLY], ids=["perfect", "wobble"])
def test_integrated_gyro_reproduces_the_orientation_change(errors):
    cfg = SimulationConfig(sensors=LEG, errors=errors, rate_hz=1000.0, seed=5)
    sim = SessionSimulator("standing_correct", config=cfg)
    for p in LEG:
        b = sim.sensor_samples(p, 4.0, 34.0)  # the functional movements
        swept = np.degrees(rotations.angle_between(b.q_E_S[0], b.q_E_S).max())
        assert swept > 20.0  # the window really moves the sensor
        q_end = _integrate_gyro(b.q_E_S[0], b.gyr_rad_s, 1.0 / cfg.rate_hz)
        err_deg = np.degrees(rotations.angle_between(q_end, b.q_E_S[-1]))
        assert err_deg < 1e-4, (p, err_deg)


@pytest.mark.parametrize("errors", [PERFECT, WOBBLE_ONLY], ids=["perfect", "wobble"])
def test_specific_force_equals_gravity_plus_finite_difference_acceleration(errors):
    cfg = SimulationConfig(sensors=LEG, errors=errors, rate_hz=1000.0, seed=11)
    sim = SessionSimulator("runners_active", config=cfg)  # heel-anchored root motion
    for p in LEG:
        b = sim.sensor_samples(p, 36.0, 48.0)
        dt = 1.0 / cfg.rate_hz
        a_fd = (b.p_E_m[2:] - 2 * b.p_E_m[1:-1] + b.p_E_m[:-2]) / (dt * dt)
        assert np.linalg.norm(a_fd, axis=1).max() > 0.3  # the point really accelerates
        f_E = a_fd + np.array([0.0, 0.0, GRAVITY_M_S2])
        expected = rotations.rotate(rotations.conjugate(b.q_E_S[1:-1]), f_E)
        np.testing.assert_allclose(b.acc_m_s2[1:-1], expected, atol=2e-3)


def test_wobble_changes_signals_but_not_truth():
    base = SimulationConfig(sensors=LEG, errors=PERFECT, seed=2)
    wob = SimulationConfig(sensors=LEG, errors=WOBBLE_ONLY, seed=2)
    a, b = simulate("standing_l", config=base), simulate("standing_l", config=wob)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    diff = np.abs(a.samples[list(GYR_COLUMNS)].to_numpy() - b.samples[list(GYR_COLUMNS)].to_numpy())
    assert diff.max() > 0.01
    # wobble is small: the sensor never leaves its segment by more than a few degrees
    for p in LEG:
        st = b.sensor_truth[p]
        q_seg_S = rotations.multiply(st.q_E_B, rotations.conjugate(st.q_S_B))
        tilt = np.degrees(rotations.angle_between(q_seg_S, st.q_E_S))
        assert 0.01 < tilt.max() < 5.0


def test_mounting_changes_signals_not_truth():
    kw = {"sensors": LEG, "errors": PERFECT, "seed": 9}
    rnd = simulate("standing_hip_ir_adduction", config=SimulationConfig(mounting="random", **kw))
    ali = simulate("standing_hip_ir_adduction", config=SimulationConfig(mounting="aligned", **kw))
    pd.testing.assert_frame_equal(rnd.truth, ali.truth)
    acc_r = rnd.samples[list(ACC_COLUMNS)].to_numpy()
    acc_a = ali.samples[list(ACC_COLUMNS)].to_numpy()
    assert np.abs(acc_r - acc_a).max() > 1.0
    np.testing.assert_allclose(np.linalg.norm(acc_r, axis=1), np.linalg.norm(acc_a, axis=1))
    for p in LEG:
        tr, ta = rnd.sensor_truth[p], ali.sensor_truth[p]
        np.testing.assert_allclose(ta.q_S_B, [1.0, 0.0, 0.0, 0.0])
        assert np.degrees(rotations.angle_between(tr.q_S_B, ta.q_S_B)) > 1.0
        np.testing.assert_allclose(tr.q_E_B, ta.q_E_B)
        sel_r = rnd.samples["sensor"] == p
        sel_a = ali.samples["sensor"] == p
        gyr_r = rnd.samples.loc[sel_r, list(GYR_COLUMNS)].to_numpy()
        gyr_a = ali.samples.loc[sel_a, list(GYR_COLUMNS)].to_numpy()
        # aligned sensor = segment axes, so the random one reads R_S_B times it
        np.testing.assert_allclose(gyr_r, rotations.rotate(tr.q_S_B, gyr_a), atol=1e-12)


JOINTS = (
    ("pelvis", "right_thigh", "hip", "right"),
    ("pelvis", "left_thigh", "hip", "left"),
    ("right_thigh", "right_shank", "knee", "right"),
    ("left_thigh", "left_shank", "knee", "left"),
    ("right_shank", "right_foot", "ankle", "right"),
    ("left_shank", "left_foot", "ankle", "left"),
    ("pelvis", "trunk", "lumbar", None),
    ("trunk", "head", "neck", None),
)


@pytest.mark.parametrize("scenario", ["standing_hip_ir_adduction", "supine_correct", "standing_l"])
def test_truth_equals_the_decomposition_of_the_true_segment_orientations(scenario):
    sim = SessionSimulator(scenario, config=SimulationConfig(sensors=("pelvis",), seed=4))
    t = np.arange(0, sim.n_truth, 7) / sim.config.rate_hz
    truth = sim.truth_angles(t)
    q = sim.segment_orientations(t)
    for prox, dist, joint, side in JOINTS:
        ang = rotations.joint_angles_rad(q[prox], q[dist], joint=joint, side=side)
        for motion, values in ang.items():
            col = f"{joint}_{motion}_deg" if side is None else f"{side}_{joint}_{motion}_deg"
            if col not in truth.columns:
                # only the driven motions are angles; the others must be exactly zero
                np.testing.assert_allclose(values, 0.0, atol=1e-12)
                continue
            np.testing.assert_allclose(np.degrees(values), truth[col], atol=1e-9)
    q_G_E = rotations.conjugate(sim.model.q_E_G)
    tilt = -rotations.segment_tilt_rad(rotations.multiply(q_G_E, q["pelvis"]))
    np.testing.assert_allclose(np.degrees(tilt), truth["pelvis_anterior_tilt_deg"], atol=1e-9)
    for side in ("right", "left"):
        incl = rotations.segment_tilt_rad(rotations.multiply(q_G_E, q[f"{side}_thigh"]))
        np.testing.assert_allclose(
            thigh_inclination_deg(incl), truth[f"{side}_thigh_inclination_deg"], atol=1e-9
        )
        # with the pelvis level in the frontal plane: inclination = hip flexion − pelvis tilt
        flat = np.abs(truth[f"{side}_hip_adduction_deg"]) < 1e-9
        np.testing.assert_allclose(
            truth.loc[flat, f"{side}_thigh_inclination_deg"],
            truth.loc[flat, f"{side}_hip_flexion_deg"]
            - truth.loc[flat, "pelvis_anterior_tilt_deg"],
            atol=1e-6,
        )


def test_truth_is_in_degrees_on_the_uniform_grid():
    s = simulate("standing_dorsiflexion", config=SimulationConfig(sensors=("right_foot",)))
    t = s.truth["t_s"].to_numpy()
    np.testing.assert_allclose(t, np.arange(t.size) / 100.0)
    pulled = next(e for e in s.events if e.kind == "violation")
    hold = (t > pulled.start_s + 1.0) & (t < pulled.end_s - 1.0)  # the +12° plateau
    assert s.truth.loc[hold, "right_ankle_dorsiflexion_deg"].between(11.0, 13.0).all()


def test_knee_bend_lowers_the_pelvis_by_the_leg_geometry():
    cfg = SimulationConfig(sensors=("pelvis",), errors=PERFECT, sway_scale=0.0)
    sim = SessionSimulator("standing_correct", config=cfg)
    body = cfg.body
    ev = sim.model.evaluate(np.array([1.0, 5.8]))  # standing; bottom of the first knee bend
    z = ev.root().p_E_m[:, 2]
    hip, knee, tilt = 40.0, 55.0, 8.0  # the scripted mini-squat
    thigh = math.radians(hip - tilt)
    shank = math.radians(hip - tilt - knee)
    standing = body.ankle_height_m + body.shank_length_m + body.thigh_length_m
    squat = (
        body.ankle_height_m
        + body.shank_length_m * math.cos(shank)
        + body.thigh_length_m * math.cos(thigh)
    )
    assert z[0] == pytest.approx(standing, abs=1e-9)
    assert z[1] == pytest.approx(squat, abs=1e-9)
    assert standing - squat > 0.05


def test_stance_foot_is_still_while_standing_on_it():
    cfg = SimulationConfig(sensors=("left_foot",), errors=PERFECT)  # postural sway on
    s = simulate("standing_correct", config=cfg)
    hold = next(e for e in s.events if e.kind == "hold")
    st = s.sensor_truth["left_foot"]
    sel = (st.t_s >= hold.start_s) & (st.t_s < hold.end_s)
    gyr = s.samples.loc[s.samples["sensor"] == "left_foot", list(GYR_COLUMNS)].to_numpy()
    np.testing.assert_allclose(gyr[sel], 0.0, atol=1e-12)
    still = st.p_E_m[sel]
    np.testing.assert_allclose(still, np.broadcast_to(still[0], still.shape), atol=1e-12)


def test_seeds_reproduce_and_differ():
    cfg = SimulationConfig(sensors=("pelvis", "right_shank"), seed=21)
    a, b = simulate("seated_slider", config=cfg), simulate("seated_slider", config=cfg)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    c = simulate(
        "seated_slider", config=SimulationConfig(sensors=("pelvis", "right_shank"), seed=22)
    )
    assert not np.allclose(a.sensor_truth["pelvis"].q_S_B, c.sensor_truth["pelvis"].q_S_B)
    n = min(len(a.samples), len(c.samples))
    acc_a = a.samples[list(ACC_COLUMNS)].to_numpy()[:n]
    acc_c = c.samples[list(ACC_COLUMNS)].to_numpy()[:n]
    assert np.abs(acc_a - acc_c).max() > 1.0
    # postural sway is seeded too; without it the truth does not depend on the seed
    still = {"sensors": ("pelvis",), "sway_scale": 0.0}
    t1 = simulate("seated_slider", config=SimulationConfig(seed=1, **still)).truth
    t2 = simulate("seated_slider", config=SimulationConfig(seed=2, **still)).truth
    pd.testing.assert_frame_equal(t1, t2)
    assert not a.truth.equals(c.truth)


def test_chunking_and_access_order_do_not_change_the_samples():
    cfg = SimulationConfig(sensors=LEG, seed=8)
    sim = SessionSimulator("standing_knee_locked", config=cfg)
    whole = sim.run(chunk_s=60.0)
    small = SessionSimulator("standing_knee_locked", config=cfg).run(chunk_s=7.3)
    pd.testing.assert_frame_equal(whole.samples, small.samples)
    pd.testing.assert_frame_equal(whole.truth, small.truth)
    # out of order (the wobble filter recomputes its state) gives the same values
    late = sim.sensor_samples("right_thigh", 50.0, 51.0)
    sel = (whole.sensor_truth["right_thigh"].t_s >= 50.0) & (
        whole.sensor_truth["right_thigh"].t_s < 51.0
    )
    rows = whole.samples[whole.samples["sensor"] == "right_thigh"]
    np.testing.assert_array_equal(late.acc_m_s2, rows[list(ACC_COLUMNS)].to_numpy()[sel])


def test_samples_satisfy_the_canonical_contract_and_clocks_are_per_sensor():
    cfg = SimulationConfig(sensors=LEG, seed=13)
    s = simulate("standing_slump", config=cfg)
    clean = validate_samples(s.samples)
    pd.testing.assert_frame_equal(clean, s.samples)
    assert s.samples["t_s"].is_monotonic_increasing
    duration = s.truth["t_s"].iloc[-1] + 0.01
    rates = []
    for p in LEG:
        st = s.sensor_truth[p]
        assert st.t_s[0] >= 0.0
        assert st.t_s[-1] < duration
        assert np.all(np.diff(st.t_s) > 0)
        # crystal error: the true sample period follows the drawn ppm exactly
        period = np.diff(st.t_true_s) / np.diff(st.device_ticks)
        np.testing.assert_allclose(period, 0.01 / (1 + st.clock_drift_ppm * 1e-6), rtol=1e-9)
        # jitter is bounded and present
        jitter = st.t_s - st.t_true_s
        assert 0 < np.abs(jitter).max() < 0.4 * 0.01
        rates.append(st.clock_drift_ppm)
    assert len(set(rates)) == len(LEG)  # every sensor has its own clock


def test_dropouts_are_recorded_as_gaps_and_lose_nothing_else():
    errors = ImuErrorModel(drop_probability=2e-3, burst_rate_per_min=6.0)
    cfg = SimulationConfig(sensors=LEG, seed=17, errors=errors)
    s = simulate("runners_active", config=cfg)
    assert s.meta.gaps
    for p in LEG:
        st = s.sensor_truth[p]
        ticks = st.device_ticks
        missing = np.setdiff1d(np.arange(ticks[0], ticks[-1] + 1), ticks)
        assert missing.size == st.dropped_samples > 0
        gaps = [g for g in s.meta.gaps if g.sensor == p]
        assert sum(1 for _ in gaps) == np.sum(np.diff(ticks) > 1)
        for g in gaps:
            inside = (st.t_s >= g.start_s) & (st.t_s < g.end_s)
            assert not inside.any()  # no delivered sample falls in a gap
            assert g.end_s in st.t_s  # the gap ends at the next delivered sample
        assert s.truth_document["sensors"][p]["dropped_samples"] == missing.size


def test_magnetometer_reads_the_earth_field_in_the_sensor_frame():
    cfg = SimulationConfig(sensors=LEG, errors=PERFECT, with_mag=True)
    s = simulate("standing_correct", config=cfg)
    assert all(c in s.samples.columns for c in MAG_COLUMNS)
    for p in LEG:
        rows = s.samples[s.samples["sensor"] == p]
        mag_S = rows[list(MAG_COLUMNS)].to_numpy()
        mag_E = rotations.rotate(s.sensor_truth[p].q_E_S, mag_S)
        np.testing.assert_allclose(mag_E, np.broadcast_to(cfg.mag_field_ut, mag_E.shape), atol=1e-9)


def test_gyro_bias_shows_in_a_still_sensor():
    errors = ImuErrorModel(gyr_noise_density_rad_s_sqrt_hz=0.0, acc_noise_density_m_s2_sqrt_hz=0.0)
    cfg = SimulationConfig(sensors=("left_foot",), errors=errors, seed=31)
    s = simulate("standing_correct", config=cfg)
    st = s.sensor_truth["left_foot"]
    gyr = s.samples[list(GYR_COLUMNS)].to_numpy()
    hold = next(e for e in s.events if e.kind == "hold")
    sel = (st.t_s >= hold.start_s) & (st.t_s < hold.end_s)  # the stance foot does not rotate
    np.testing.assert_allclose(gyr[sel], st.gyr_bias_rad_s[sel], atol=1e-12)
    assert np.degrees(np.abs(st.gyr_bias_rad_s).max()) > 0.05  # drawn with σ = 1 °/s
    drift = st.gyr_bias_rad_s[sel][-1] - st.gyr_bias_rad_s[sel][0]
    assert np.abs(drift).max() > 0  # the bias random-walks
