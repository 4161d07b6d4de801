"""A doubted pelvis's other readings carry the trunk's (and head's) sign decided again.

Lumbar flexion is the trunk's tilt less the pelvis's, and the trunk's sign is decided against
the pelvis: under another reading of the pelvis the trunk may take the other sign. Each
reading decides the trunk again; where every decision is confident, the lumbar column's
doubt is the pelvis's alone and its readings cover it. The readings are computed only when
a rule reads them, on the segments their columns need.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.angles import pipeline
from analysis.angles import rotations as rot
from analysis.angles.calibration import Q_G_E, dependent_frames
from analysis.angles.calibration_signs import SignDecision
from analysis.angles.pipeline import (
    LazyReading,
    covered_readings,
    lazy_readings,
    reading_chain,
    reading_columns,
)
from tests.analysis.test_every_reading import WORDS, _axes, _calibration, _segment, _turned

RATE_HZ = 100.0
LUMBAR = "lumbar_flexion_deg"
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def _tipped(theta_rad: np.ndarray) -> np.ndarray:
    """``q_E_S`` of a sensor aligned with its segment, tipped ``theta`` about its own z."""
    half = theta_rad / 2.0
    about_z = np.column_stack([np.cos(half), 0 * half, 0 * half, np.sin(half)])
    return rot.multiply(rot.conjugate(Q_G_E), about_z)


def _signs(pelvis_confidence: str, pelvis_axes, trunk_rad: np.ndarray, pelvis_rad: np.ndarray):
    low = SignDecision(choice=0, rule="r", confidence="low", based_on=("pelvis",))
    pelvis = SignDecision(choice=0, rule="p", confidence=pelvis_confidence)  # type: ignore[arg-type]
    q_E_S = {"pelvis": _tipped(pelvis_rad), "trunk": _tipped(trunk_rad)}
    signs = {"pelvis": (IDENTITY, pelvis, pelvis_axes), "trunk": (IDENTITY, low, _axes())}
    return q_E_S, signs


def _frames(q_E_S, signs):
    t = np.arange(q_E_S["pelvis"].shape[0]) / RATE_HZ
    masks = (t < 2.0, (t >= 2.0) & (t < 30.0))
    session = SimpleNamespace(rate_hz=RATE_HZ)
    return dependent_frames(session, q_E_S, signs, "pelvis", masks)  # type: ignore[arg-type]


def _z(q: np.ndarray) -> np.ndarray:
    return rot.rotate(q, [0.0, 0.0, 1.0])


T = np.arange(0.0, 60.0, 1.0 / RATE_HZ)
PELVIS = -0.3 * (1.0 - np.cos(2.0 * np.pi * T / 10.0)) / 2.0  # tips 17° forward (−z)


def test_a_slump_past_the_other_signs_limit_keeps_the_trunks_sign_under_each_reading():
    """The lumbar spine bends 46° forward: the reversed trunk would extend it past −40°
    under either pelvis reading, so the trunk's sign is the same under both."""
    lumbar = 0.8 * (1.0 - np.cos(2.0 * np.pi * T / 7.0)) / 2.0
    q_E_S, signs = _signs("low", _axes(), PELVIS - lumbar, PELVIS)
    # the pelvis's readings: reversed, then turned to either side (an unsure sign)
    (q_trunk, bias), *sides = _frames(q_E_S, signs)["trunk"]
    assert bias is None
    assert len(sides) == 2
    assert _z(q_trunk) == pytest.approx([0.0, 0.0, 1.0])


def test_a_trunk_that_only_tips_with_the_pelvis_is_not_decided_on_a_sideways_pelvis():
    """Trunk and pelvis tip together (lumbar ~0): the trunk is judged by following the
    pelvis. The pelvis's unsure sign leaves it facing either side too, where it shows no tip
    to follow: the trunk is not decided again under every reading, so it is not carried."""
    trunk = 1.1 * PELVIS
    q_E_S, signs = _signs("low", _axes(), trunk, PELVIS)
    assert "trunk" not in _frames(q_E_S, signs)


def test_a_rival_pelvis_axis_keeps_the_trunks_sign():
    """The rival axis with the used sign keeps the trunk's; the rival reversed (its sign
    never decided on it) reverses the trunk that follows the pelvis."""
    trunk = 1.1 * PELVIS
    doubted = _axes(axis_doubt="axes apart", witness_S=_turned(15.0))
    q_E_S, signs = _signs("high", doubted, trunk, PELVIS)
    (q_trunk, _), (q_reversed, _) = _frames(q_E_S, signs)["trunk"]
    assert _z(q_trunk) == pytest.approx([0.0, 0.0, 1.0])
    assert _z(q_reversed) == pytest.approx([0.0, 0.0, -1.0])


def test_a_trunk_with_its_own_doubt_is_not_decided_again():
    lumbar = 0.8 * (1.0 - np.cos(2.0 * np.pi * T / 7.0)) / 2.0
    q_E_S, signs = _signs("low", _axes(), PELVIS - lumbar, PELVIS)
    p, d, _ = signs["trunk"]
    signs["trunk"] = (p, d, _axes(rotation_deg=5.0))  # its own axis poorly defined
    assert _frames(q_E_S, signs) == {}


def _doubted_spine(dependents: bool):
    frame = (IDENTITY, None)
    pelvis = _segment(
        "pelvis",
        axis_doubt="axes apart",
        other_frames=(frame,),
        other_frames_words=WORDS,
        dependent_frames={"trunk": (frame,)} if dependents else {},
    )
    trunk = _segment("trunk", based_on=("pelvis",))
    return _calibration(pelvis=pelvis, trunk=trunk)


def test_lumbar_is_covered_once_the_trunk_was_decided_again():
    cal = _doubted_spine(dependents=True)
    uncertain = cal.uncertain_angles()
    cols = ("pelvis_anterior_tilt_deg", LUMBAR)
    others = {"pelvis": ({c: np.zeros(3) for c in cols},)}
    found = covered_readings(others, cal, {}, uncertain)
    assert sorted(found) == ["pelvis", "pelvis+trunk"]
    words, (reading,) = found["pelvis+trunk"]
    assert list(reading) == [LUMBAR]
    assert words == f"{WORDS}, the trunk's sign decided again under each"
    # a trunk read beyond any range is doubted beyond the pelvis's readings
    assert "pelvis+trunk" not in covered_readings(others, cal, {"trunk": "beyond"}, uncertain)
    # without the trunk decided again, its inherited doubt is not covered
    cal = _doubted_spine(dependents=False)
    assert sorted(covered_readings(others, cal, {}, cal.uncertain_angles())) == ["pelvis"]


def test_reading_columns_and_chain():
    cal = _doubted_spine(dependents=True)
    assert reading_columns(cal, "pelvis") == ["pelvis_anterior_tilt_deg", LUMBAR]
    full = ["pelvis", "left_thigh", "left_shank", "left_foot", "trunk", "head"]
    assert reading_chain(full, [LUMBAR]) == {"pelvis", "trunk"}
    assert reading_chain(full, ["neck_flexion_deg"]) == {"pelvis", "trunk", "head"}
    assert reading_chain(full, ["left_hip_flexion_deg"]) == {"pelvis", "left_thigh", "left_shank"}
    assert reading_chain(full, ["left_ankle_dorsiflexion_deg"]) == {
        "pelvis",
        "left_thigh",
        "left_shank",
        "left_foot",
    }
    # no pelvis: the stand's reference is the first placement
    pair = ["right_thigh", "right_shank"]
    assert reading_chain(pair, ["right_knee_flexion_deg"]) == {"right_thigh", "right_shank"}


def test_lazy_readings_are_computed_once_and_only_when_an_angle_is_read(monkeypatch):
    calls: list[set[str]] = []

    def orientations(t_s, q_E_S, cal, *, keep=None, **steps):
        calls.append(set(keep))
        return {p: np.tile(IDENTITY, (3, 1)) for p in keep}

    monkeypatch.setattr(pipeline, "segment_orientations", orientations)
    monkeypatch.setattr(
        pipeline.chain,
        "isb_angles",
        lambda q_B: SimpleNamespace(columns={LUMBAR: np.ones(3), "neck_flexion_deg": np.ones(3)}),
    )
    cal = _doubted_spine(dependents=True)
    q_E_S = {p: np.tile(IDENTITY, (3, 1)) for p in ("pelvis", "trunk", "head", "left_thigh")}
    lazy = lazy_readings(np.arange(3.0), q_E_S, cal)
    (reading,) = lazy["pelvis"]
    assert isinstance(reading, LazyReading)
    kept = reading.subset([LUMBAR])
    assert LUMBAR in kept
    assert list(kept) == [LUMBAR]
    assert len(kept) == 1
    assert calls == []  # membership and names need nothing computed
    assert kept[LUMBAR] == pytest.approx(np.ones(3))
    assert kept[LUMBAR] is kept[LUMBAR]
    assert calls == [{"pelvis", "trunk"}]  # once, on the lumbar's chain only
    with pytest.raises(KeyError):
        kept["neck_flexion_deg"]
