"""The file's session doubts taken live: a thigh's hinge lean, a pelvis axis from the leans."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles.live import LiveAngles, vertical_shares
from analysis.angles.live_redecide import _joined_mixing
from analysis.angles.live_redecide_doubts import (
    BIN_DEG,
    SessionDoubts,
    binned_percentile_deg,
    hinge_leans,
    pelvis_from_leans,
)
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.doubts import precision_bound_deg
from analysis.simulation import ImuErrorModel, SimulationConfig, simulate

RATE_HZ = 100.0


def _bias_g(lean_deg: float) -> np.ndarray:
    """A bias along the sensor's z of ``sin(lean)`` (the hinge lean it was taken for)."""
    return np.array([0.0, 0.0, np.sin(np.radians(lean_deg))])


def _cal(**segments) -> SimpleNamespace:
    return SimpleNamespace(segments=segments)


def _thigh(lean_deg: float, source: str = "knee hinge") -> SimpleNamespace:
    return SimpleNamespace(axis_source=source, acc_axis_bias_g=_bias_g(lean_deg), trusted=True)


def _pelvis(
    source: str = "session", trusted: bool = True, witness: tuple = (None, None)
) -> SimpleNamespace:
    return SimpleNamespace(
        axis_source=source,
        acc_axis_bias_g=None,
        trusted=trusted,
        witness_apart_deg=witness[0],
        witness_spread_deg=witness[1],
    )


def test_hinge_leans_only_a_knee_hinge_lean_the_hips_may_take_past_target():
    assert hinge_leans(_cal(right_thigh=_thigh(3.5))) == {"right_thigh": pytest.approx(3.5)}
    assert hinge_leans(_cal(right_thigh=_thigh(1.9))) == {}  # 2 × 1.9 under the 4° target
    assert hinge_leans(_cal(right_thigh=_thigh(3.5, source="leg swings"))) == {}
    assert hinge_leans(_cal(right_shank=_thigh(3.5))) == {}
    assert hinge_leans(None) == {}


def test_pelvis_from_leans_only_a_trusted_session_axis():
    assert pelvis_from_leans(_cal(pelvis=_pelvis()))
    assert not pelvis_from_leans(_cal(pelvis=_pelvis("movements")))
    assert not pelvis_from_leans(_cal(pelvis=_pelvis(trusted=False)))
    assert not pelvis_from_leans(_cal())


def test_binned_percentile_is_within_a_bin_of_the_samples():
    x = np.random.default_rng(1).uniform(0.0, 40.0, 5000)
    counts = np.bincount((x / BIN_DEG).astype(int), minlength=1800)
    for q in (50.0, 95.0):
        assert abs(binned_percentile_deg(counts, q) - np.percentile(x, q)) <= BIN_DEG
    assert binned_percentile_deg(np.zeros(1800, dtype=np.int64), 50.0) == 0.0


def test_vertical_shares_of_the_pelvis_and_thighs_only():
    # earth z up: a segment whose superior y axis is turned onto it stands upright
    up = Rotation.from_euler("x", 90.0, degrees=True).as_quat()[[3, 0, 1, 2]][None, :]
    flat = np.array([[1.0, 0.0, 0.0, 0.0]])
    out = vertical_shares({"pelvis": up, "right_thigh": flat, "right_shank": up})
    assert set(out) == {"pelvis", "right_thigh"}
    assert out["pelvis"][0] == pytest.approx(1.0)
    assert out["right_thigh"][0] == pytest.approx(0.0, abs=1e-6)


def test_joined_field_of_the_parts():
    a = LiveAngles(
        np.zeros(2), {}, vertical_share={"pelvis": np.ones(2), "right_thigh": np.ones(2)}
    )
    b = LiveAngles(np.ones(1), {}, vertical_share={"pelvis": np.zeros(1)})
    joined = _joined_mixing([a, b], "vertical_share")
    assert list(joined) == ["pelvis"]
    np.testing.assert_array_equal(joined["pelvis"], [1.0, 1.0, 0.0])


def _thigh_rows(up: float, n: int) -> dict[str, np.ndarray]:
    return {"right_thigh": np.full(n, up, dtype=np.float32)}


def test_hinge_lean_standing_is_trusted_and_a_raised_leg_is_timed_then_uncertain():
    doubts = SessionDoubts(("pelvis", "right_thigh"), rate_hz=RATE_HZ)
    cal = _cal(right_thigh=_thigh(3.5))
    bounds = doubts.update(cal, _thigh_rows(1.0, 500), {})
    assert not np.any(bounds["right_hip_adduction_deg"])  # standing: the two readings agree
    assert doubts.uncertain == {}
    # the leg raised past the vertical lying on the back (cos φ = −1): twice the lean
    bounds = doubts.update(cal, _thigh_rows(-1.0, 100), {})
    assert bounds["right_hip_adduction_deg"] == pytest.approx(np.full(100, 7.0), abs=0.01)
    assert set(doubts.timed_words) == {"right_hip_adduction_deg", "right_hip_internal_rotation_deg"}
    assert "knee's axis leaned 4°" in doubts.timed_words["right_hip_adduction_deg"]["reason"]
    assert doubts.uncertain == {}  # RMS over the rows so far: 7 · √(100/600) = 2.9°
    doubts.update(cal, _thigh_rows(-1.0, 1000), {})
    assert set(doubts.uncertain) == {"right_hip_adduction_deg", "right_hip_internal_rotation_deg"}
    assert "RMS so far" in doubts.uncertain["right_hip_adduction_deg"]["reason"]
    assert "heel toward the buttock" in doubts.uncertain["right_hip_adduction_deg"]["redo"]


def test_no_hinge_doubt_without_a_lean_taken_for_an_offset():
    doubts = SessionDoubts(("right_thigh",), rate_hz=RATE_HZ)
    bounds = doubts.update(_cal(right_thigh=_thigh(1.0)), _thigh_rows(-1.0, 1000), {})
    assert bounds == {}
    assert doubts.uncertain == {}
    assert doubts.timed_words == {}


def _pelvis_rows(tilt_deg: float, n: int, hip_flexion_deg: float):
    share = {"pelvis": np.full(n, np.cos(np.radians(tilt_deg)), dtype=np.float32)}
    return share, {"left_hip_flexion_deg": np.full(n, hip_flexion_deg)}


def test_pelvis_axis_from_leans_doubts_the_upright_hips_adduction_with_its_bound():
    doubts = SessionDoubts(("pelvis", "left_thigh"), rate_hz=RATE_HZ)
    cal = _cal(pelvis=_pelvis())
    doubts.update(cal, *_pelvis_rows(0.0, 200, 0.0))
    assert doubts.uncertain == {}  # no lean yet
    doubts.update(cal, *_pelvis_rows(17.0, 2000, 0.0))
    entry = doubts.uncertain["left_hip_adduction_deg"]
    # asin(6 / 17) = 20.7°: the resting hip takes 17 · sin 20.7° = 6° of hitch as adduction
    assert precision_bound_deg(entry) == pytest.approx(6.0, abs=0.1)
    assert "taken from the leans" in entry["reason"]
    assert "bows" in entry["redo"]
    assert "left_hip_internal_rotation_deg" not in doubts.uncertain  # upright: cos φ = 1


def test_a_hip_centre_witness_that_agrees_narrows_the_live_bound_as_the_files():
    # 3° from the axis, spread 4°: the axis is off by at most 3 + 1.5 · 4 = 9°, and a 17° lean
    # then hides 17 · sin 9° = 2.7° of hitch, under the 4° target
    pinned = SessionDoubts(("pelvis", "left_thigh"), rate_hz=RATE_HZ)
    pinned.update(_cal(pelvis=_pelvis(witness=(3.0, 4.0))), *_pelvis_rows(17.0, 2000, 0.0))
    assert pinned.uncertain == {}
    # a witness 15° away disagrees (past 1.5 of its spreads): it pins nothing, the prior stands
    apart = SessionDoubts(("pelvis", "left_thigh"), rate_hz=RATE_HZ)
    apart.update(_cal(pelvis=_pelvis(witness=(15.0, 4.0))), *_pelvis_rows(17.0, 2000, 0.0))
    entry = apart.uncertain["left_hip_adduction_deg"]
    assert precision_bound_deg(entry) == pytest.approx(6.0, abs=0.1)


def test_pelvis_axis_from_the_bows_or_lying_is_not_doubted():
    bows = SessionDoubts(("pelvis",), rate_hz=RATE_HZ)
    bows.update(_cal(pelvis=_pelvis("movements")), *_pelvis_rows(17.0, 2000, 0.0))
    assert bows.uncertain == {}
    lying = SessionDoubts(("pelvis",), rate_hz=RATE_HZ)
    lying.update(_cal(pelvis=_pelvis()), *_pelvis_rows(85.0, 150, 0.0))
    lying.update(_cal(pelvis=_pelvis()), *_pelvis_rows(17.0, 2000, 0.0))
    assert lying.uncertain == {}


def _dorsiflexion_run(timed: bool):
    sim = simulate(
        "standing_dorsiflexion",
        config=SimulationConfig(
            errors=ImuErrorModel.perfect(),
            sensors=("pelvis", "trunk", "right_thigh", "right_shank", "right_foot"),
        ),
    )
    truth = sim.truth
    monitor = EnvelopeMonitor(load_builtin_profile("standing_hamstring"), side="right")
    column = "right_ankle_dorsiflexion_deg"
    if timed:
        monitor.timed = {column: {"reason": "may be off", "redo": "calibrate again"}}
    cues, uncertain = [], 0
    for i in range(0, len(truth), 20):
        part = truth.iloc[i : i + 20]
        state = monitor.update(
            part.t_s.to_numpy(),
            {c: part[c].to_numpy() for c in truth.columns[1:]},
            doubt_bounds={column: np.full(len(part), 30.0)},
        )
        if state is not None:
            cues.extend(c for c in state.new_cues if "toes" in c or "ankle" in c)
            rule = next(r for r in state.rules if r.rule == "ankle_dorsiflexion")
            uncertain += rule.status == "uncertain"
    return cues, uncertain


def test_monitor_decides_a_timed_doubt_only_beyond_its_bound():
    cues, uncertain = _dorsiflexion_run(timed=True)
    assert cues == []
    assert uncertain > 0
    # the same bounds without words are not a doubt: the break is cued as before
    cues, uncertain = _dorsiflexion_run(timed=False)
    assert cues
    assert uncertain == 0
