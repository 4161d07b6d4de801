"""End to end: a thigh strap that creeps round its segment mid-session (the stranger's round 4,
seed 1913) makes that hip's adduction and rotation uncertain, with when and why; the same
session without the slip trusts them (analysis.angles.strap_slip through the pipeline)."""

from __future__ import annotations

import re

import pytest

from analysis.angles.pipeline import analyse_recording
from bench.stranger import round4, writers
from bench.stranger.session import sensor_set
from sensors.formats.canonical import read_recording

SEED = 1913  # strap_slip: the left thigh turns +15.6° over 20 s from 88.2 s


def _analysed(tmp_path, slip_deg: float | None):
    plan = round4.round4_plan(SEED, None)
    if slip_deg is not None:
        plan = {**plan, "slip": {**plan["slip"], "deg": slip_deg}}
    s = round4.generate_session(SEED, plan, ("default",))
    path = writers.write_canonical(s, sensor_set(s, "default"), tmp_path / "default.csv")
    slip = next(e for e in s.events if e["kind"] == "slip")
    return analyse_recording(read_recording(path)), slip


@pytest.mark.parametrize("slip_deg", [None, 0.0])
def test_a_slipped_thigh_strap_makes_its_hip_angles_uncertain_from_the_data(tmp_path, slip_deg):
    res, slip = _analysed(tmp_path, slip_deg)
    said = [w for w in res.warnings if "turned on its strap" in w]
    columns = ("left_hip_adduction_deg", "left_hip_internal_rotation_deg")
    if slip_deg == 0.0:
        assert said == []
        assert not any(
            "turned on its strap" in res.uncertain.get(c, {}).get("reason", "") for c in columns
        )
        return
    assert slip["sensor"] == "left_thigh"
    assert len(said) == 1
    assert said[0].startswith("the left thigh sensor")
    for c in columns:
        assert "turned on its strap" in res.uncertain[c]["reason"]
    assert "left_hip_flexion_deg" not in res.uncertain
    # found within two windows of the slip's start, not before it
    minutes, seconds = re.search(r"at about (\d+):(\d\d)", said[0]).groups()
    at_s = 60 * int(minutes) + int(seconds)
    assert slip["t0_s"] - 20.0 <= at_s <= slip["t0_s"] + 20.0
