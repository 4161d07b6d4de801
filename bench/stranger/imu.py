"""Sensors: random strapping, ideal signals, and a commodity-IMU error model from datasheets.

Typical values from the public datasheets of the chips in the families docs/sensors.md names
(Bosch BMI160 / BMI270 in MetaMotion; ST LSM6DSL; InvenSense MPU-6050 and TDK ICM-42605):
zero-rate offset, its temperature coefficient, noise density, sensitivity tolerance,
cross-axis sensitivity, accelerometer zero-g offset and its temperature coefficient. Which
chip a Movesense, DOT, Verity Sense, WitMotion or Thingy carries is my assumption (not in the
project's docs): LSM6DSL, ICM-42605, LSM6DSL, MPU-6050, MPU-9250 (≈ MPU-6050).

Specific force (m/s², sensor frame) reads +9.81 on an axis pointing up at rest; the earth
frame is ENU (z up). The level frame G is turned into E by the person's heading.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial.transform import Rotation

G_M_S2 = 9.80665
DPS = np.pi / 180.0


@dataclasses.dataclass(frozen=True)
class Chip:
    """Datasheet typicals (1 sigma is taken as half of a "typ ±" value)."""

    gyr_offset_dps: float
    gyr_offset_tc_dps_k: float
    gyr_noise_dps_rthz: float
    acc_offset_mg: float
    acc_offset_tc_mg_k: float
    acc_noise_ug_rthz: float
    sens_tol: float  # fraction, both sensors
    cross_axis: float  # fraction
    acc_range_g: float
    gyr_range_dps: float


CHIPS = {
    "bmi160": Chip(3.0, 0.05, 0.007, 40.0, 1.0, 180.0, 0.01, 0.01, 16.0, 2000.0),
    "bmi270": Chip(0.5, 0.02, 0.007, 20.0, 0.25, 160.0, 0.01, 0.01, 16.0, 2000.0),
    "lsm6dsl": Chip(3.0, 0.05, 0.004, 40.0, 0.5, 80.0, 0.02, 0.01, 16.0, 2000.0),
    # MPU-6050: ZRO ±20 dps raw; these families calibrate the gyro at rest on power-up, the
    # residual is taken as ±2 dps (my assumption)
    "mpu6050": Chip(2.0, 0.24, 0.005, 50.0, 0.35, 400.0, 0.03, 0.02, 16.0, 2000.0),
    "icm42605": Chip(0.5, 0.015, 0.0038, 20.0, 0.5, 70.0, 0.01, 0.02, 16.0, 2000.0),
}

#: family -> (chip, output rate actually used in Hz)
FAMILIES = {
    "metamotion_r": ("bmi160", 100.0),
    "metamotion_s": ("bmi270", 100.0),
    "movesense": ("lsm6dsl", 104.0),
    "witmotion": ("mpu6050", 100.0),
    "movella_dot": ("icm42605", 60.0),
    "polar_verity": ("lsm6dsl", 52.0),
    "thingy52": ("mpu6050", 100.0),
}


#: devices that are not in the README's list of families (round 3): a phone running phyphox
#: (LSM6DSL-class IMU, 100 Hz: my assumption)
OTHER_DEVICES = {"phone": ("lsm6dsl", 100.0)}


@dataclasses.dataclass(frozen=True)
class Strap:
    """Where and how a sensor sits on its segment (segment frame, metres)."""

    site_m: np.ndarray  # sensor position in the segment frame
    r_seg_s: Rotation  # sensor axes in segment coordinates (any orientation)
    tissue_axis: np.ndarray  # axis about which soft tissue turns the sensor with flexion


#: strapping by habit (round 3): the side of the thigh or shank the sensor sits on, on the
#: shoe's laces or its heel, and whether the sensor's x axis points up the segment or down
MOUNTS = ("anterior", "lateral", "medial", "laces", "heel")


def habit_strap(segment: str, seg_len_m: float, mount: str, rng: np.random.Generator) -> Strap:
    """A sensor laid flat on the chosen side (``mount``, optionally ``+upside_down``): its z
    axis along the surface's outward normal, x up the segment (or down), within ±8°."""
    side, _, flip = mount.partition("+")
    lateral = -1.0 if segment.startswith("left") else 1.0
    if segment.endswith(("thigh", "shank")):
        radius = 0.07 if segment.endswith("thigh") else 0.045
        phi = {"anterior": 0.0, "lateral": np.pi / 2, "medial": -np.pi / 2}[side]
        phi += rng.uniform(-0.15, 0.15)
        normal = np.array([np.cos(phi), 0.0, lateral * np.sin(phi)])
        site = radius * normal + [0.0, -rng.uniform(0.3, 0.7) * seg_len_m, 0.0]
        along = np.array([0.0, 1.0, 0.0])
    elif segment.endswith("foot") and side == "heel":  # the shoe's heel counter
        normal = np.array([-1.0, 0.0, 0.0])
        site = np.array([-0.07, -0.03, rng.normal(0.0, 0.005)])
        along = np.array([0.0, 1.0, 0.0])
    elif segment.endswith("foot"):  # on the laces
        normal = np.array([0.0, 1.0, 0.0])
        site = np.array([rng.uniform(0.3, 0.5) * seg_len_m, 0.06, rng.normal(0.0, 0.005)])
        along = np.array([1.0, 0.0, 0.0])
    else:  # pelvis (belt at the sacrum), trunk (sternum), head (forehead band)
        front = segment != "pelvis"
        normal = np.array([1.0 if front else -1.0, 0.0, 0.0])
        site = {"pelvis": [-0.1, 0.04, 0.0], "trunk": [0.1, 0.3, 0.0], "head": [0.09, 0.12, 0.0]}
        site = np.array(site[segment])
        along = np.array([0.0, 1.0, 0.0])
    x = -along if flip == "upside_down" else along
    y = np.cross(normal, x)
    base = Rotation.from_matrix(np.column_stack([x, y, normal]))  # sensor axes in segment
    wobble = Rotation.from_rotvec(rng.normal(0.0, np.radians(8.0) / 2, 3))
    axis = rng.normal(size=3)
    return Strap(site_m=site, r_seg_s=base * wobble, tissue_axis=axis / np.linalg.norm(axis))


def draw_strap(
    segment: str, seg_len_m: float, rng: np.random.Generator, mount: str | None = None
) -> Strap:
    """A random site along the segment, on its surface, and a uniformly random orientation
    (``mount``: strapped by habit instead, ``habit_strap``)."""
    if mount is not None:
        return habit_strap(segment, seg_len_m, mount, rng)
    if segment.endswith(("thigh", "shank")):
        radius = 0.07 if segment.endswith("thigh") else 0.045
        phi = rng.uniform(-0.3, 1.8)  # anterior .. lateral .. slightly posterior
        lateral = 1.0 if segment.startswith("right") else -1.0
        site = np.array(
            [
                radius * np.cos(phi),
                -rng.uniform(0.3, 0.7) * seg_len_m,
                lateral * radius * np.sin(phi),
            ]
        )
    elif segment.endswith("foot"):
        site = np.array([rng.uniform(0.3, 0.6) * seg_len_m, 0.05, rng.normal(0.0, 0.01)])
    elif segment == "pelvis":
        site = np.array([-0.1, rng.uniform(0.0, 0.08), rng.normal(0.0, 0.03)])
    elif segment == "trunk":
        front = rng.random() < 0.5
        site = np.array([0.1 if front else -0.1, rng.uniform(0.25, 0.4), 0.0])
    else:
        site = np.array([rng.choice([0.09, -0.09]), 0.12, 0.0])
    axis = rng.normal(size=3)
    return Strap(
        site_m=site,
        r_seg_s=Rotation.random(random_state=rng),
        tissue_axis=axis / np.linalg.norm(axis),
    )


def heading_rotation(heading_deg: float) -> Rotation:
    """``R_E_G``: the level frame G (x forward, y up, z right) in ENU for a facing heading."""
    h = np.radians(heading_deg)
    cols = np.array([[np.cos(h), np.sin(h), 0.0], [0.0, 0.0, 1.0], [np.sin(h), -np.cos(h), 0.0]]).T
    return Rotation.from_matrix(cols)


def ideal_signals(
    t_s: np.ndarray, r_e_s: Rotation, p_e_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ideal gyro (rad/s, sensor frame) and specific force (m/s², sensor frame).

    Central differences on the internal grid: ω_S from ``R_k−1ᵀ R_k+1``, acceleration from
    positions; specific force = R_E_Sᵀ (a_E + g ẑ).
    """
    dt = np.gradient(t_s)
    rv = (r_e_s[:-2].inv() * r_e_s[2:]).as_rotvec()
    gyr = np.empty((len(t_s), 3))
    gyr[1:-1] = rv / (t_s[2:] - t_s[:-2])[:, None]
    gyr[0], gyr[-1] = gyr[1], gyr[-2]
    vel = np.gradient(p_e_m, t_s, axis=0)
    acc_e = np.gradient(vel, t_s, axis=0)
    del dt
    acc_e[:, 2] += G_M_S2
    return gyr, r_e_s.inv().apply(acc_e)


@dataclasses.dataclass(frozen=True)
class ErrorModel:
    """One sensor's drawn errors (SI)."""

    gyr_m: np.ndarray  # (I + misalignment) @ diag(1 + scale)
    acc_m: np.ndarray
    gyr_bias0: np.ndarray
    gyr_bias_tc: np.ndarray  # rad/s per K
    acc_bias0: np.ndarray
    acc_bias_tc: np.ndarray  # m/s² per K
    warm_k: float  # temperature rise over the session (K)
    gyr_sigma: float  # per-sample white noise (rad/s)
    acc_sigma: float  # per-sample white noise (m/s²)
    acc_lsb: float
    gyr_lsb: float


def draw_errors(chip: Chip, rate_hz: float, rng: np.random.Generator) -> ErrorModel:
    """Random errors within the chip's typical values (1 sigma = half the typical)."""

    def matrix() -> np.ndarray:
        m = np.eye(3) + rng.normal(0.0, chip.cross_axis / 2.0, (3, 3)) * (1 - np.eye(3))
        return m @ np.diag(1.0 + rng.normal(0.0, chip.sens_tol / 2.0, 3))

    bw = np.sqrt(rate_hz / 2.0)
    return ErrorModel(
        gyr_m=matrix(),
        acc_m=matrix(),
        gyr_bias0=np.clip(
            rng.normal(0, chip.gyr_offset_dps / 2, 3), -chip.gyr_offset_dps, chip.gyr_offset_dps
        )
        * DPS,
        gyr_bias_tc=rng.normal(0, chip.gyr_offset_tc_dps_k, 3) * DPS,
        acc_bias0=np.clip(
            rng.normal(0, chip.acc_offset_mg / 2, 3), -chip.acc_offset_mg, chip.acc_offset_mg
        )
        * 1e-3
        * G_M_S2,
        acc_bias_tc=rng.normal(0, chip.acc_offset_tc_mg_k, 3) * 1e-3 * G_M_S2,
        warm_k=float(rng.uniform(0.0, 6.0)),
        gyr_sigma=chip.gyr_noise_dps_rthz * bw * DPS,
        acc_sigma=chip.acc_noise_ug_rthz * 1e-6 * G_M_S2 * bw,
        acc_lsb=2 * chip.acc_range_g * G_M_S2 / 65536,
        gyr_lsb=2 * chip.gyr_range_dps * DPS / 65536,
    )


def apply_errors(
    t_s: np.ndarray, gyr: np.ndarray, acc: np.ndarray, em: ErrorModel, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Measured gyro and accelerometer: scale, misalignment, warming bias, noise, 16-bit LSB."""
    warm = em.warm_k * (1.0 - np.exp(-t_s / 300.0))[:, None]
    g = (
        gyr @ em.gyr_m.T
        + em.gyr_bias0
        + warm * em.gyr_bias_tc
        + rng.normal(0, em.gyr_sigma, gyr.shape)
    )
    a = (
        acc @ em.acc_m.T
        + em.acc_bias0
        + warm * em.acc_bias_tc
        + rng.normal(0, em.acc_sigma, acc.shape)
    )
    return np.round(g / em.gyr_lsb) * em.gyr_lsb, np.round(a / em.acc_lsb) * em.acc_lsb
