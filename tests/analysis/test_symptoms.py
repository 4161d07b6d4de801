"""Labelled symptom marks: keys, red flags, the sidecar round trip, the report."""

from __future__ import annotations

import json

import pytest

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.symptoms import (
    RED_FLAG_ADVICE,
    WHAT,
    WHERE,
    SymptomKeys,
    SymptomLabel,
    key_map_lines,
    mark_meaning,
    red_flag,
)
from analysis.errors import RecordingFormatError
from analysis.recording.streams import Marker, SessionMeta
from analysis.report.page import ReportContext, build_report_html, summary_text
from analysis.simulation import SimulationConfig, simulate


def test_red_flags_are_the_seeds_ones():
    assert red_flag("heel", "tingling")
    assert red_flag("sole", "numbness")
    assert red_flag("heel", "weakness")
    assert red_flag("back of the thigh", "sharp pain with a pop")
    assert not red_flag("calf", "tingling")  # not the foot
    assert not red_flag("heel", "stretch")
    assert not red_flag("back of the thigh", "pain")
    assert not red_flag(None, None)


def test_keys_pair_where_and_what_in_either_order():
    keys = SymptomKeys(pair_s=6.0)
    assert keys.press("q", 0.0) is None
    assert keys.press("1", 10.0) == ("new", SymptomLabel(where="heel"))
    assert keys.press("t", 12.0) == ("update", SymptomLabel(where="heel", what="tingling"))
    assert keys.press("B", 20.0) == ("new", SymptomLabel(what="burning"))
    assert keys.press("4", 21.0) == (
        "update",
        SymptomLabel(where="behind the knee", what="burning"),
    )
    # too late to pair: a new mark
    assert keys.press("3", 30.0) == ("new", SymptomLabel(where="calf"))
    assert keys.press("p", 40.0) == ("new", SymptomLabel(what="pain"))
    # two sites in a row: the second is a new mark
    assert keys.press("5", 44.0) == ("update", SymptomLabel(where="back of the thigh", what="pain"))
    assert keys.press("6", 45.0) == ("new", SymptomLabel(where="buttock"))
    assert keys.press("7", 46.0) == ("new", SymptomLabel(where="low back"))


def test_vocabulary_and_key_map():
    assert list(WHERE.values()) == [
        "heel",
        "sole",
        "calf",
        "behind the knee",
        "back of the thigh",
        "buttock",
        "low back",
    ]
    assert {"stretch", "pain", "tingling", "burning", "numbness", "electric"} <= set(WHAT.values())
    where, what = key_map_lines()
    assert "4 behind the knee" in where
    assert "n numbness" in what
    assert not set(WHAT) & {"m", "q"}  # mark and quit keep their keys
    assert SymptomLabel(where="behind the knee", what="pain").text() == "pain behind the knee"
    assert SymptomLabel(where="heel", what="tingling").text() == "tingling in the heel"


def test_sidecar_round_trip_keeps_labels_and_reads_old_marks():
    meta = SessionMeta(
        markers=(
            Marker(t_s=3.0, label="tingling in the heel", where="heel", what="tingling"),
            Marker(t_s=1.0, label="old"),
        )
    )
    doc = meta.to_dict()
    assert doc["markers"][1] == {"t_s": 1.0, "label": "old", "kind": "symptom"}
    back = SessionMeta.from_dict(json.loads(json.dumps(doc)), source="x.json")
    assert back.markers == tuple(sorted(meta.markers, key=lambda m: m.t_s))
    # the input policy types every sidecar key: a label that is not text is refused by name
    with pytest.raises(RecordingFormatError, match=r"markers\[0\]\.where"):
        SessionMeta.from_dict(
            {"markers": [{"t_s": 2.0, "label": "x", "where": 5, "what": ["a"]}]}, source="y.json"
        )


@pytest.fixture(scope="module")
def dorsiflexion():
    sim = simulate("standing_dorsiflexion", config=SimulationConfig(seed=3))
    env = check_envelope(
        sim.truth,
        load_builtin_profile("standing_hamstring"),
        side="right",
        markers=sim.meta.markers,
    )
    return sim, env


def test_heel_tingling_is_a_red_flag_in_report_and_summary(dorsiflexion):
    sim, env = dorsiflexion
    (m,) = sim.meta.markers
    assert (m.where, m.what) == ("heel", "tingling")
    assert env.to_dict()["markers"][0]["where"] == "heel"
    text = summary_text(env, source_name="s.csv")
    assert "RED FLAG" in text
    assert RED_FLAG_ADVICE in text
    page = build_report_html(sim.truth, env, ReportContext(source_name="s.csv"))
    assert "Red flag marked: tingling in the heel at" in page
    assert "<b class='flag'>red flag</b>" in page


def test_no_red_flag_without_one(dorsiflexion):
    sim, _ = dorsiflexion
    marks = (Marker(t_s=60.0, label="", where="back of the thigh", what="stretch"),)
    env = check_envelope(
        sim.truth, load_builtin_profile("standing_hamstring"), side="right", markers=marks
    )
    page = build_report_html(sim.truth, env, ReportContext(source_name="s.csv"))
    assert "Red flag" not in page
    assert "stretch in the back of the thigh" in page
    verdict = page[page.index("<div class='verdict") :].split("</div>", 1)[0]
    # the verdict box names the mark and what it suggests
    assert "M1 at 1:00.0: stretch in the back of the thigh" in verdict
    assert "the hamstring muscle stretching, as intended" in verdict


@pytest.mark.parametrize(
    ("where", "what", "words"),
    [
        ("heel", "tingling", "warning sign"),
        (None, "sharp pain with a pop", "warning sign"),
        ("behind the knee", "burning", "nerve-type"),
        ("calf", None, "nerve-type"),
        ("back of the thigh", "stretch", "muscle stretching"),
        (None, "stretch", "muscle stretching"),
        ("behind the knee", "stretch", "may be the nerve"),
        ("low back", "pain", "cannot say more"),
    ],
)
def test_each_mark_is_read_in_plain_words(where, what, words):
    assert words in mark_meaning(where, what)
