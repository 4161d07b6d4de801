"""The stranger's generator (bench/stranger): its truth is self-consistent and the CLI reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from bench.stranger import writers
from bench.stranger.imu import G_M_S2
from bench.stranger.person import draw_person
from bench.stranger.session import generate

SEED = 4
SIDE = draw_person(SEED).side
PLACES = ("pelvis", f"{SIDE}_thigh", f"{SIDE}_shank", f"{SIDE}_foot")


@pytest.fixture(scope="module")
def ideal_session():
    """One short session with error-free sensors (one stretch)."""
    return generate(SEED, duration_s=60.0, ideal=True, placements=PLACES)


def _integrate(t_s: np.ndarray, gyr_rad_s: np.ndarray, r0: Rotation) -> Rotation:
    """Body-frame gyro integration, midpoint rate per step."""
    mid = 0.5 * (gyr_rad_s[1:] + gyr_rad_s[:-1]) * np.diff(t_s)[:, None]
    steps = Rotation.from_rotvec(mid)
    out = [r0]
    for step in steps:
        out.append(out[-1] * step)
    return Rotation.concatenate(out)


def test_integrated_gyro_follows_orientation(ideal_session):
    for name in PLACES:
        s = ideal_session.sensors[name]
        keep = s.t_s < 40.0  # the protocol's bends, swings and bows
        est = _integrate(s.t_s[keep], s.gyr_rad_s[keep], s.r_e_s[0])
        err_deg = np.degrees((est.inv() * s.r_e_s[keep]).magnitude())
        assert err_deg.max() < 0.5, (name, err_deg.max())


def test_stand_accelerometer_reads_gravity_up(ideal_session):
    for name, s in ideal_session.sensors.items():
        still = s.t_s < 3.0
        acc = s.acc_m_s2[still].mean(axis=0)
        up_s = s.r_e_s[still].inv().apply([0.0, 0.0, 1.0]).mean(axis=0)
        assert abs(np.linalg.norm(acc) - G_M_S2) < 0.05, name
        assert (
            np.degrees(np.arccos(np.dot(acc / np.linalg.norm(acc), up_s / np.linalg.norm(up_s))))
            < 1.0
        ), name


def test_truth_is_zero_at_the_stand_and_follows_the_script(ideal_session):
    stand = ideal_session.truth_t_s < 3.0
    for col, v in ideal_session.truth.items():
        assert np.abs(v[stand]).max() < 0.5, col
    assert ideal_session.truth[f"{SIDE}_hip_flexion_deg"].max() > 45.0  # the heel on the support


def test_cli_accepts_the_canonical_file(ideal_session, tmp_path: Path):
    side = ideal_session.person.side
    csv = writers.write_canonical(ideal_session, PLACES, tmp_path / "s.csv")
    cli = Path(sys.executable).with_name("stretchguard")
    proc = subprocess.run(
        [str(cli), "analyse", str(csv), "--out", str(tmp_path / "out"), "--side", side],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    angles = pd.read_csv(tmp_path / "out" / "angles.csv")
    assert f"{side}_knee_flexion_deg" in angles.columns
    env = json.loads((tmp_path / "out" / "envelope.json").read_text())
    assert env["verdict"] in ("inside", "outside")
