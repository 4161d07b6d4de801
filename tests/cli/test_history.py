"""``stretchguard history``: one person's sessions over calendar dates in one page."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.simulation import SimulationConfig, simulate
from cli.main import EXIT_DATA, EXIT_OK, main
from sensors.formats.canonical import write_recording
from stretchguard.batch import run_batch
from stretchguard.history import collect_sessions, history_html, record_from_documents

PLAN = (
    ("2026-03-02T18:00:00+00:00", "standing_dorsiflexion", 11),
    ("2026-03-12T18:00:00+00:00", "standing_dorsiflexion", 12),
    ("2026-03-23T18:00:00+00:00", "standing_correct", 13),
)


@pytest.fixture(scope="module")
def person(tmp_path_factory) -> dict[str, Path]:
    """Three dated sessions of one person, analysed by batch into ``analysed/``."""
    root = tmp_path_factory.mktemp("person")
    rec = root / "recordings"
    rec.mkdir()
    for started_at, scenario, seed in PLAN:
        sim = simulate(scenario, config=SimulationConfig(seed=seed, started_at=started_at))
        write_recording(rec / f"{started_at[:10]}.csv.gz", sim.samples, sim.meta)
    rows, _ = run_batch([rec], root / "analysed", workers=1)
    assert [r["status"] for r in rows] == ["analysed"] * 3
    return {"recordings": rec, "analysed": root / "analysed", "root": root}


def test_history_page_from_batch_folders(person, tmp_path, capsys):
    out = tmp_path / "history.html"
    # the analysed folders plus one of the recordings again: it counts once
    one_again = person["recordings"] / "2026-03-02.csv.gz"
    code = main(["history", str(person["analysed"]), str(one_again), "--out", str(out)])
    assert code == EXIT_OK
    assert "3 session(s)" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page
    assert page.count("<svg") == 3  # hold, time outside, marks (no SLR recorded)
    assert "Straight-leg raise" not in page
    assert "Symptoms were marked over 10 days" in page
    assert "point your toes away" in page
    assert "tingling in the heel" in page
    assert "3 sessions over 21 days, from 2 Mar 2026 to 23 Mar 2026." in page
    assert "Time outside the ankle dorsiflexion limit: " in page
    assert "Symptom marks: 1 in the first 1 sessions, 0 in the last 1." in page
    assert "one to two weeks" in page
    dates = re.findall(r"<td class='d'>(\d+ Mar)</td><td class='src'>", page)
    assert dates == ["2 Mar", "12 Mar", "23 Mar"]
    # never replaced
    assert main(["history", str(person["analysed"]), "--out", str(out)]) == EXIT_DATA
    assert "already exists" in capsys.readouterr().err


def test_recordings_alone_give_the_same_sessions(person):
    from_folders = collect_sessions([person["analysed"]])
    from_recordings = collect_sessions([person["recordings"]])
    assert [r.when for r in from_folders] == [r.when for r in from_recordings]
    for a, b in zip(from_folders, from_recordings, strict=True):
        assert a.verdict == b.verdict
        assert a.longest_hold_s == pytest.approx(b.longest_hold_s, abs=0.01)
        assert a.outside_s == pytest.approx(b.outside_s, abs=0.01)


def _doc(**extra) -> dict:
    doc = {
        "profile": "supine_slr",
        "title": "Straight-leg raise <b>",
        "verdict": "inside",
        "side": "left",
        "rules": [{"rule": "knee_flexion", "status": "ok", "time_outside_s": 0, "episodes": []}],
        "holds": [{"duration_s": 31.5}],
        "markers": [],
    }
    return doc | extra


def test_optional_fields_are_read_defensively():
    mark = {
        "label": "P1",
        "angles_deg": {"left_hip_flexion_deg": 48.2},
        "kind": "symptom",
    }
    a = record_from_documents(
        _doc(markers=[mark]), {"started_at": "2026-04-01T10:00:00"}, source="a", where="a"
    )
    b = record_from_documents(
        _doc(slr={"p1_deg": 52.0, "p2_deg": 71.5}), {}, source="b", where="x/2026-04-09/b"
    )
    c = record_from_documents({}, {"started_at": "2026-04-15"}, source="c", where="c")
    assert (a.slr_p1_deg, a.slr_p2_deg, a.marks) == (48.2, None, ())
    assert (b.slr_p1_deg, b.slr_p2_deg) == (52.0, 71.5)
    assert b.when == datetime(2026, 4, 9)
    assert (c.longest_hold_s, c.outside_s, c.marks) == (0.0, {}, ())
    page = history_html([a, b])
    assert "Straight-leg raise: hip angle" in page
    assert "Straight-leg raise &lt;b&gt;" in page  # text from files is shown as text


def test_mark_labels_are_escaped():
    mark = {"label": "<img src=x onerror=alert(1)>", "kind": "symptom", "inside": True}
    rec = record_from_documents(
        _doc(markers=[mark]), {"started_at": "2026-04-01"}, source="s", where="s"
    )
    page = history_html([rec])
    assert "<img" not in page
    assert "&lt;img src=x" in page


def test_a_session_without_a_date_is_a_one_line_error(tmp_path, capsys):
    folder = tmp_path / "undated"
    folder.mkdir()
    (folder / "envelope.json").write_text(json.dumps(_doc()))
    with pytest.raises(DataError, match="no date"):
        collect_sessions([folder])
    code = main(["history", str(folder), "--out", str(tmp_path / "h.html")])
    assert code == EXIT_DATA
    err = capsys.readouterr().err
    assert "no date for this session" in err
    assert err.count("\n") == 1
