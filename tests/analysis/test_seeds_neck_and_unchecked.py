"""Looking down judged (head vs trunk, else head vs pelvis) and the rules not checked, named.

Issue 13: the neck episode is found once within 0.5 s + dwell; no false neck episode on the
correct sessions; the "not checked" list is exact for the default sensors.
"""

from __future__ import annotations

from functools import cache

import pytest

from analysis.angles.pipeline import analyse_recording
from analysis.envelope.checker import EnvelopeResult, check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.unchecked import (
    missing_sensors,
    not_checked,
    not_checked_sentence,
    sensor_words,
    worn_from_columns,
)
from analysis.recording.schema import HEAD_FLEXION_REL_PELVIS
from analysis.recording.streams import Recording, streams_from_samples
from analysis.report.page import ReportContext, build_report_html, summary_text
from analysis.simulation import DEFAULT_SENSORS, SimulatedSession, SimulationConfig, simulate

HEAD_NO_TRUNK = (*DEFAULT_SENSORS, "head")
DEFAULT_NOT_CHECKED = (
    "Not checked: rounding the back (needs a sensor on the upper back), "
    "looking down (needs a sensor on the head)."
)


@cache
def _session(name: str, sensors: tuple[str, ...]) -> SimulatedSession:
    return simulate(name, config=SimulationConfig(sensors=sensors, seed=11))


@cache
def _judged(name: str, sensors: tuple[str, ...], source: str) -> EnvelopeResult:
    sim = _session(name, sensors)
    profile = load_builtin_profile(str(sim.meta.exercise))
    if source == "truth":
        cols = [c for c in sim.truth.columns if c != "neck_flexion_deg" or "trunk" in sensors]
        if "trunk" not in sensors:
            cols = [c for c in cols if c != "lumbar_flexion_deg"]
        if "head" not in sensors:
            cols = [c for c in cols if c not in ("neck_flexion_deg", HEAD_FLEXION_REL_PELVIS)]
        return check_envelope(sim.truth[cols], profile, side=str(sim.meta.side))
    res = analyse_recording(Recording(streams=streams_from_samples(sim.samples), meta=sim.meta))
    return check_envelope(res.angles, profile, side=str(sim.meta.side), absent=res.absent)


# --- pure helpers -------------------------------------------------------------------------------


def test_missing_sensors_picks_the_fewest():
    assert missing_sensors("neck_flexion", "right", {"pelvis"}) == ("head",)
    assert missing_sensors("neck_flexion", "right", set()) == ("trunk", "head")
    assert missing_sensors("neck_flexion", "right", {"trunk"}) == ("head",)
    assert missing_sensors("lumbar_flexion", "left", {"pelvis"}) == ("trunk",)
    assert missing_sensors("ankle_dorsiflexion", "left", {"left_shank"}) == ("left_foot",)
    assert sensor_words("left_shank") == "the left shin"
    assert sensor_words("trunk") == "the upper back"


def test_worn_is_inferred_from_measured_columns():
    worn = worn_from_columns(
        ["right_hip_flexion_deg", "right_ankle_dorsiflexion_deg", HEAD_FLEXION_REL_PELVIS]
    )
    assert worn == {"pelvis", "right_thigh", "right_shank", "right_foot", "head"}


def test_sentence_is_empty_when_everything_was_measured():
    assert not_checked_sentence(()) == ""


# --- the default sensors: what is not checked is said -----------------------------------------


@pytest.mark.parametrize("source", ["truth", "estimated"])
def test_default_sensors_name_the_unmeasured_rules_exactly(source):
    env = _judged("standing_correct", DEFAULT_SENSORS, source)
    assert env.verdict == "inside"
    doc = env.to_dict()
    assert [(i["rule"], i["needs"]) for i in doc["not_checked"]] == [
        ("lumbar_flexion", ["trunk"]),
        ("neck_flexion", ["head"]),
    ]
    assert doc["verdict_complete"] is False
    items = not_checked(env.rules, side="right", worn=DEFAULT_SENSORS)
    assert not_checked_sentence(items) == DEFAULT_NOT_CHECKED
    text = summary_text(env, source_name="s.csv")
    assert "verdict: stayed inside for what was measured [inside]" in text
    assert DEFAULT_NOT_CHECKED in text
    angles = _session("standing_correct", DEFAULT_SENSORS).truth
    page = build_report_html(angles, env, ReportContext(source_name="s.csv"))
    box = page[page.index("<div class='verdict") :]
    box = box[: box.index("</div>")]
    assert "Stayed inside for what was measured" in box
    assert box.startswith("<div class='verdict v-partial'>")  # not the all-clear green
    assert "Not checked: rounding the back (needs a sensor on the upper back)" in box


def test_slumping_with_default_sensors_reads_not_checked():
    env = _judged("standing_slump", DEFAULT_SENSORS, "estimated")
    assert env.rule("lumbar_flexion").status == "not_measured"  # type: ignore[union-attr]
    assert DEFAULT_NOT_CHECKED in summary_text(env, source_name="s.csv")
    # the pelvis tucking under is what the default sensors do see of a slump
    assert env.verdict == "outside"
    assert {e.rule for e in env.episodes} == {"pelvis_anterior_tilt"}


def test_full_set_is_complete():
    env = _judged("standing_correct", (*DEFAULT_SENSORS, "trunk", "head"), "truth")
    doc = env.to_dict()
    assert doc["not_checked"] == []
    assert doc["verdict_complete"] is True
    assert "Not checked" not in summary_text(env, source_name="s.csv")


# --- looking down without a trunk sensor: head relative to the pelvis --------------------------


@pytest.mark.parametrize("source", ["truth", "estimated"])
def test_looking_down_found_once_relative_to_the_pelvis(source):
    sim = _session("standing_looking_down", HEAD_NO_TRUNK)
    env = _judged("standing_looking_down", HEAD_NO_TRUNK, source)
    rule = env.rule("neck_flexion")
    assert rule is not None
    assert rule.column == HEAD_FLEXION_REL_PELVIS
    (truth,) = [e for e in sim.events if e.kind == "violation"]
    assert len(rule.episodes) == 1, rule.episodes
    (ep,) = rule.episodes
    assert abs(ep.start_s - truth.start_s) <= 0.5 + rule.spec.dwell_s
    assert ep.cue.startswith("looking down")
    assert "chin level, eyes ahead" in ep.cue
    assert env.verdict == "outside"
    assert [e.rule for e in env.episodes] == ["neck_flexion"]
    assert "relative to the pelvis" in summary_text(env, source_name="s.csv")


@pytest.mark.parametrize(
    "name", ["standing_correct", "standing_dorsiflexion", "standing_knee_locked", "supine_correct"]
)
def test_no_false_neck_episode_relative_to_the_pelvis(name):
    env = _judged(name, HEAD_NO_TRUNK, "estimated")
    rule = env.rule("neck_flexion")
    assert rule is not None
    assert rule.status == "ok", rule
    assert rule.judged_s > 20.0
