"""Scale-factor and cross-axis errors of the simulated IMU, and the "commodity" preset."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError
from analysis.simulation.imu import (
    COMMODITY_ERRORS,
    ImuErrorModel,
    draw_sensitivity_matrices,
    sensitivity_matrix,
    with_preset,
)
from analysis.simulation.population import generate_person, generate_session
from analysis.simulation.synthesis import SessionSimulator, SimulationConfig

SENSITIVITY_ONLY = dataclasses.replace(
    ImuErrorModel.perfect(),
    gyr_scale_sigma=0.01,
    acc_scale_sigma=0.01,
    gyr_cross_axis_sigma=0.01,
    acc_cross_axis_sigma=0.01,
)


def _simulator(errors: ImuErrorModel) -> SessionSimulator:
    config = SimulationConfig(errors=errors, seed=5, sensors=("right_thigh", "right_shank"))
    return SessionSimulator("standing_correct", config=config)


def test_sensitivity_matrix_is_identity_plus_scale_plus_cross_axis() -> None:
    cross = np.array([[9.0, 0.01, -0.02], [0.003, 9.0, 0.004], [-0.005, 0.006, 9.0]])
    m = sensitivity_matrix(np.array([0.02, -0.01, 0.005]), cross)
    expected = np.array(
        [[1.02, 0.01, -0.02], [0.003, 0.99, 0.004], [-0.005, 0.006, 1.005]], dtype=np.float64
    )
    np.testing.assert_allclose(m, expected, rtol=0, atol=1e-15)


def test_two_percent_scale_error_scales_the_synthesised_rate_by_1_02() -> None:
    sim = _simulator(SENSITIVITY_ONLY)
    synth = sim._synth["right_thigh"]
    synth.sensitivity = (np.eye(3), sensitivity_matrix(np.full(3, 0.02), np.zeros((3, 3))))
    scaled = synth.synthesize(1400, 1900)
    ideal = _simulator(ImuErrorModel.perfect())._synth["right_thigh"].synthesize(1400, 1900)
    assert np.abs(ideal.gyr_rad_s).max() > 1.0  # the leg swings here
    np.testing.assert_allclose(scaled.gyr_rad_s, 1.02 * ideal.gyr_rad_s, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(scaled.acc_m_s2, ideal.acc_m_s2)


def test_drawn_matrices_multiply_the_ideal_readings_and_touch_nothing_else() -> None:
    with_errors = _simulator(SENSITIVITY_ONLY)
    ideal = _simulator(ImuErrorModel.perfect())
    for placement in ("right_thigh", "right_shank"):
        acc_m, gyr_m = with_errors._synth[placement].sensitivity
        assert not np.allclose(acc_m, np.eye(3))
        assert not np.allclose(gyr_m, acc_m)
        a = with_errors.sensor_samples(placement, 0.0, 60.0)
        b = ideal.sensor_samples(placement, 0.0, 60.0)
        np.testing.assert_array_equal(a.t_s, b.t_s)
        np.testing.assert_array_equal(a.index, b.index)
        np.testing.assert_allclose(a.acc_m_s2, b.acc_m_s2 @ acc_m.T, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.gyr_rad_s, b.gyr_rad_s @ gyr_m.T, rtol=1e-12, atol=1e-14)


def test_matrices_are_seeded_per_sensor_and_off_by_default() -> None:
    assert draw_sensitivity_matrices(1, "pelvis", ImuErrorModel()) is None
    assert _simulator(ImuErrorModel())._synth["right_thigh"].sensitivity is None
    a = draw_sensitivity_matrices(1, "pelvis", SENSITIVITY_ONLY)
    b = draw_sensitivity_matrices(1, "pelvis", SENSITIVITY_ONLY)
    c = draw_sensitivity_matrices(1, "right_thigh", SENSITIVITY_ONLY)
    assert a is not None
    assert b is not None
    assert c is not None
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_commodity_preset_values_and_scaling() -> None:
    base = ImuErrorModel()
    com = ImuErrorModel.commodity()
    assert com.acc_bias_sigma_m_s2 == pytest.approx(0.040 * 9.80665)
    assert com.gyr_bias_sigma_rad_s == pytest.approx(np.radians(3.0))
    assert com.gyr_scale_sigma == com.acc_scale_sigma == 0.01
    assert com.gyr_cross_axis_sigma == com.acc_cross_axis_sigma == 0.01
    assert com.gyr_noise_density_rad_s_sqrt_hz == base.gyr_noise_density_rad_s_sqrt_hz
    doubled = dataclasses.replace(base, acc_bias_sigma_m_s2=2 * base.acc_bias_sigma_m_s2)
    assert with_preset(doubled, "commodity").acc_bias_sigma_m_s2 == pytest.approx(
        COMMODITY_ERRORS["acc_bias_sigma_m_s2"]
    )
    with pytest.raises(ConfigError, match="unknown IMU error preset"):
        with_preset(base, "cheap")
    with pytest.raises(ConfigError, match="acc_scale_sigma"):
        ImuErrorModel(acc_scale_sigma=-0.01)


def _digest(samples: pd.DataFrame) -> str:
    values = samples.select_dtypes("number").to_numpy(dtype=np.float64)
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def test_population_session_without_preset_is_byte_identical_to_before() -> None:
    """The digest was taken from main before the sensitivity terms existed (6b212b9)."""
    person = generate_person(3)
    plain = generate_session(person, 0, None, "default")
    assert _digest(plain.samples) == (
        "9018dec938c82f18115f2d4769e2e8ef186b81fba4e3b55ce178980a4a789b36"
    )
    with_com = generate_session(person, 0, None, "default", error_preset="commodity")
    np.testing.assert_array_equal(with_com.samples["t_s"], plain.samples["t_s"])
    assert not np.allclose(
        with_com.samples["acc_x_m_s2"].to_numpy(float), plain.samples["acc_x_m_s2"].to_numpy(float)
    )


def test_sidecar_config_names_the_sensitivity_terms_only_when_on() -> None:
    plain = SimulationConfig().to_dict()["errors"]
    assert "acc_scale_sigma" not in plain
    assert "gyr_bias_sigma_rad_s" in plain
    on = SimulationConfig(errors=ImuErrorModel.commodity()).to_dict()["errors"]
    assert on["acc_scale_sigma"] == 0.01
    assert on["gyr_cross_axis_sigma"] == 0.01
