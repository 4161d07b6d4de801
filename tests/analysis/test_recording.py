"""The one shape of a recording: per-sensor streams, the long table as a function, and the
explicit hand-over of the sample arrays (``take_streams``)."""

from __future__ import annotations

import dataclasses
import gc
import pickle
import weakref

import numpy as np
import pandas as pd
import pytest

from analysis.angles.pipeline import analyse_recording
from analysis.angles.timebase import move_to_uniform_grid, to_uniform_grid
from analysis.errors import InsufficientDataError
from analysis.recording import (
    Recording,
    SensorStream,
    SessionMeta,
    samples_from_streams,
    streams_from_samples,
    take_streams,
)
from analysis.recording.schema import MAG_COLUMNS
from analysis.simulation import SimulationConfig, simulate


def _stream(placement: str, n: int = 50, *, t0: float = 0.0, **arrays) -> SensorStream:
    rng = np.random.default_rng(len(placement) + n)
    return SensorStream(
        placement=placement,
        t_s=t0 + np.arange(n) / 100.0,
        acc_m_s2=rng.normal(size=(n, 3)),
        gyr_rad_s=rng.normal(size=(n, 3)),
        **arrays,
    )


def _rec(**kw) -> Recording:
    streams = {"right_foot": _stream("right_foot", t0=0.3), "pelvis": _stream("pelvis")}
    return Recording(streams=streams, **kw)


# --- construction ----------------------------------------------------------------------------


def test_streams_are_kept_in_placement_order_and_read_only():
    rec = _rec(meta=SessionMeta(side="right"), path="x.csv", warnings=["w"])
    assert rec.placements == ("pelvis", "right_foot")  # PLACEMENTS order, not insertion order
    assert rec.path is not None
    assert rec.path.name == "x.csv"
    assert rec.warnings == ("w",)
    with pytest.raises(TypeError):
        rec.streams["pelvis"] = _stream("pelvis")  # type: ignore[index]
    with pytest.raises(AttributeError, match="does not change"):
        rec.meta = SessionMeta()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="does not change"):
        del rec.streams  # type: ignore[misc]


def test_derived_counts_read_the_streams():
    rec = _rec()
    assert rec.n_samples == 100
    assert rec.duration_s == pytest.approx(0.3 + 0.49)
    assert rec.stream("right_foot") is rec.streams["right_foot"]
    with pytest.raises(KeyError, match="has \\('pelvis', 'right_foot'\\)"):
        rec.stream("left_foot")
    empty = Recording(streams={})
    assert (empty.placements, empty.n_samples, empty.duration_s) == ((), 0, 0.0)


@pytest.mark.parametrize(
    ("streams", "error", "match"),
    [
        ({"elbow": _stream("elbow")}, ValueError, "unknown placement 'elbow'"),
        ({"pelvis": _stream("right_foot")}, ValueError, "'right_foot' filed under 'pelvis'"),
        ({"pelvis": "samples"}, TypeError, "must be a SensorStream"),
        ([_stream("pelvis")], TypeError, "must be a mapping"),
    ],
)
def test_invalid_streams_are_refused(streams, error, match):
    with pytest.raises(error, match=match):
        Recording(streams=streams)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("acc_m_s2", np.zeros((50, 2)), "acc_m_s2 has shape \\(50, 2\\); expected \\(50, 3\\)"),
        ("gyr_rad_s", np.zeros((49, 3)), "gyr_rad_s has shape"),
        ("mag_ut", np.zeros((50, 4)), "mag_ut has shape"),
        ("quat", np.zeros((50, 3)), "quat has shape \\(50, 3\\); expected \\(50, 4\\)"),
        ("device_ticks", np.zeros(51, dtype=np.int64), "device_ticks has shape"),
        ("t_s", np.zeros((50, 1)), "t_s must be 1-D"),
    ],
)
def test_arrays_of_the_wrong_shape_are_refused(field, value, match):
    bad = dataclasses.replace(_stream("pelvis"), **{field: value})
    with pytest.raises(ValueError, match=match):
        Recording(streams={"pelvis": bad})


def test_meta_must_be_a_session_meta():
    with pytest.raises(TypeError, match="SessionMeta"):
        Recording(streams={}, meta={"side": "left"})  # type: ignore[arg-type]


def test_replace_shares_the_arrays_and_refuses_unknown_fields():
    rec = _rec()
    other = rec.replace(meta=SessionMeta(exercise="x"), warnings=("w",))
    assert other.streams["pelvis"] is rec.streams["pelvis"]
    assert (other.meta.exercise, other.warnings, rec.meta.exercise) == ("x", ("w",), None)
    with pytest.raises(TypeError, match="samples"):
        rec.replace(samples=None)


def test_a_recording_survives_pickling():
    rec = _rec(meta=SessionMeta(side="left"), path="a.csv", warnings=("w",))
    back = pickle.loads(pickle.dumps(rec))
    assert (back.placements, back.meta) == (rec.placements, rec.meta)
    assert (back.path, back.warnings) == (rec.path, rec.warnings)
    np.testing.assert_array_equal(back.streams["pelvis"].acc_m_s2, rec.streams["pelvis"].acc_m_s2)


# --- the long table --------------------------------------------------------------------------


def test_long_table_round_trip_keeps_every_channel():
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (50, 1))
    ticks = np.arange(50, dtype=np.int64) * 7
    streams = {
        "pelvis": _stream("pelvis", mag_ut=np.full((50, 3), 20.0), device_ticks=ticks),
        "right_foot": _stream("right_foot", t0=0.005, quat=quat),
    }
    table = samples_from_streams(streams)
    assert len(table) == 100
    assert table["t_s"].is_monotonic_increasing
    assert table.loc[table.sensor == "right_foot", list(MAG_COLUMNS)].isna().all().all()
    back = streams_from_samples(table)
    assert list(back) == ["pelvis", "right_foot"]
    for p, s in streams.items():
        for name in ("t_s", "acc_m_s2", "gyr_rad_s", "mag_ut", "quat", "device_ticks"):
            a, b = getattr(s, name), getattr(back[p], name)
            assert (a is None) == (b is None), (p, name)
            if a is not None:
                np.testing.assert_array_equal(a, b)
    assert back["right_foot"].mag_ut is None  # NaN cells of a channel it lacks: no channel


def test_a_table_with_a_label_that_is_no_placement_is_refused():
    table = samples_from_streams({"pelvis": _stream("pelvis")})
    table["sensor"] = pd.Series(["pelvis"] * 49 + ["elbow"])
    with pytest.raises(ValueError, match="unknown sensor label 'elbow'"):
        streams_from_samples(table)


# --- hand-over -------------------------------------------------------------------------------


def test_take_streams_hands_the_arrays_over_and_leaves_the_recording_whole():
    rec = _rec(meta=SessionMeta(side="right"), path="x.csv", warnings=("w",))
    owned, rest = take_streams(rec)
    assert owned["pelvis"] is rec.streams["pelvis"]  # the same arrays, not copies
    assert (dict(rest.streams), rest.n_samples) == ({}, 0)
    assert (rest.meta, rest.path, rest.warnings) == (rec.meta, rec.path, rec.warnings)
    owned.clear()
    assert rec.placements == ("pelvis", "right_foot")  # the original is never emptied


def test_the_grid_frees_handed_over_arrays_but_leaves_a_mapping_alone():
    rec = _rec()
    kept = to_uniform_grid(rec.streams, rate_hz=100.0)
    assert rec.n_samples == 100
    assert set(kept.streams) == {"pelvis", "right_foot"}
    owned, rec = take_streams(rec)  # rebinding drops the last whole recording
    probe = weakref.ref(owned["pelvis"].acc_m_s2)
    moved = move_to_uniform_grid(owned, rate_hz=100.0)
    gc.collect()
    assert owned == {}
    assert probe() is None  # freed: nothing else held it
    for p in kept.streams:
        np.testing.assert_array_equal(moved.streams[p].acc_m_s2, kept.streams[p].acc_m_s2)


@pytest.fixture(scope="module")
def short_session():
    cfg = SimulationConfig(seed=3, sensors=("pelvis", "right_thigh", "right_shank", "right_foot"))
    sim = simulate("standing_correct", config=cfg)
    return Recording(streams=streams_from_samples(sim.samples), meta=sim.meta)


def test_the_pipeline_gives_the_same_angles_with_and_without_the_hand_over(short_session):
    kept = analyse_recording(short_session)
    assert short_session.n_samples > 0  # read, not emptied
    owned, rest = take_streams(short_session)
    moved = analyse_recording(rest, streams=owned)
    assert owned == {}
    pd.testing.assert_frame_equal(moved.angles, kept.angles)


def test_the_pipeline_refuses_streams_beside_a_whole_recording(short_session):
    owned, rest = take_streams(short_session)
    with pytest.raises(ValueError, match="take_streams"):
        analyse_recording(short_session, streams=owned)
    with pytest.raises(InsufficientDataError, match="no sensors"):
        analyse_recording(rest)  # the streams were taken: nothing to analyse
