"""``stretchguard batch``: many sessions in a process pool, errors as rows, resumable."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from analysis.simulation import DEFAULT_SENSORS, SimulationConfig, simulate
from cli.main import EXIT_DATA, EXIT_OK, main
from sensors.formats.canonical import read_recording, write_recording
from stretchguard.batch import BatchOptions, find_sessions, run_batch, run_task
from tests.vendor_writers import write_metabase_session

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
THREE = {"angles.csv", "envelope.json", "report.html", "session.json"}


def _copy_fixture(stem: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".csv.gz", ".json", ".truth.csv.gz"):
        shutil.copy(FIXTURES / f"{stem}{suffix}", folder / f"{stem}{suffix}")
    return folder / f"{stem}.csv.gz"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Two people's folders: two good sessions, one that cannot be judged, one corrupt."""
    root = tmp_path_factory.mktemp("clinic")
    _copy_fixture("demo_standing_stretch", root / "anna")
    _copy_fixture("seated_slider", root / "bob")
    both = (*DEFAULT_SENSORS, "left_thigh", "left_shank")
    sim = simulate("standing_correct", config=SimulationConfig(sensors=both, seed=5))
    write_recording(root / "bob" / "both_legs_no_sidecar.csv.gz", sim.samples)
    good = (FIXTURES / "demo_standing_stretch.csv.gz").read_bytes()
    import gzip

    text = gzip.decompress(good).decode().splitlines()
    text[500] = text[500].split(",")[0] + ",right_shank,oops"
    (root / "anna" / "corrupt.csv").write_text("\n".join(text) + "\n")
    return root


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["session"]: r for r in csv.DictReader(fh)}


def test_batch_analyses_every_session_and_records_failures(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", str(inputs), "--out", str(out), "--workers", "2"])
    assert code == EXIT_DATA  # two sessions failed; the others were still analysed
    rows = _rows(out / "summary.csv")
    assert set(rows) == {
        "anna__demo_standing_stretch",
        "anna__corrupt",
        "bob__seated_slider",
        "bob__both_legs_no_sidecar",
    }
    demo = rows["anna__demo_standing_stretch"]
    assert demo["status"] == "analysed"
    assert (demo["exercise"], demo["side"], demo["verdict"]) == (
        "standing_hamstring",
        "right",
        "outside",
    )
    assert float(demo["longest_hold_s"]) > 25
    assert demo["episodes_ankle_dorsiflexion"] == "1"
    assert demo["marks"] == "1"
    assert demo["mark_labels"] == "tingling in the heel"
    assert demo["calibration"].startswith("windows sidecar")
    assert demo["error"] == ""
    assert rows["bob__seated_slider"]["verdict"] == "inside"
    assert "which leg was exercised" in rows["bob__both_legs_no_sidecar"]["error"]
    assert rows["anna__corrupt"]["status"] == "error"
    assert "corrupt.csv" in rows["anna__corrupt"]["error"]
    for name, row in rows.items():
        folder = out / name
        if row["status"] == "analysed":
            assert {p.name for p in folder.iterdir()} == THREE
            info = json.loads((folder / "session.json").read_text())
            assert info["started_at"] == "2026-01-05T09:00:00+00:00"
        else:
            assert not folder.exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".partial-")]
    err = capsys.readouterr().err
    assert "4 session(s), 2 failed" in err


def test_batch_resumes_without_overwriting(inputs, tmp_path):
    out = tmp_path / "out"
    rows, first = run_batch([inputs / "anna", inputs / "bob"], out, workers=1)
    # named relative to each input folder
    done = {r["session"] for r in rows if r["status"] == "analysed"}
    assert done == {"demo_standing_stretch", "seated_slider"}
    shutil.rmtree(out / "seated_slider")  # as if the run had stopped before it
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    rows, second = run_batch([inputs / "anna", inputs / "bob"], out, workers=1)
    assert (first.name, second.name) == ("summary.csv", "summary-2.csv")
    status = {r["session"]: r["status"] for r in rows}
    assert status["demo_standing_stretch"] == "already done"
    assert status["seated_slider"] == "analysed"
    assert status["corrupt"] == "error"  # retried, fails again
    for path, mtime in before.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten"
    again = _rows(second)
    assert again["demo_standing_stretch"]["verdict"] == "outside"
    assert again["demo_standing_stretch"]["episodes_ankle_dorsiflexion"] == "1"


def test_pool_and_in_process_give_identical_outputs(tmp_path):
    folder = tmp_path / "in"
    _copy_fixture("demo_standing_stretch", folder)
    _copy_fixture("knee_locked_both_legs", folder)
    a, _ = run_batch([folder], tmp_path / "a", workers=1)
    b, _ = run_batch([folder], tmp_path / "b", workers=2)
    assert [r["status"] for r in a] == [r["status"] for r in b] == ["analysed"] * 2
    for row in a:
        name = row["session"]
        for file in ("envelope.json", "angles.csv"):
            assert (tmp_path / "a" / name / file).read_bytes() == (
                tmp_path / "b" / name / file
            ).read_bytes()


def test_a_task_starts_no_processes_even_for_a_long_session(tmp_path, monkeypatch):
    """Inside a batch task the pipeline must not fork its own orientation workers."""
    import concurrent.futures

    import analysis.angles.pipeline

    monkeypatch.setattr(
        analysis.angles.pipeline, "PARALLEL_MIN_SAMPLES", 1
    )  # any session is "long"
    monkeypatch.setattr(analysis.angles.pipeline.os, "cpu_count", lambda: 2)

    class NoPool:
        def __init__(self, *a, **k):
            raise AssertionError("a batch task started a process pool")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    (session,) = find_sessions([_copy_fixture("seated_slider", tmp_path / "in")])
    from stretchguard.batch import BatchTask

    (tmp_path / "out").mkdir()
    row = run_task(BatchTask(session, str(tmp_path / "out"), BatchOptions()))
    assert row["status"] == "analysed", row.get("error")


def test_vendor_export_folders_with_a_sensor_map(tmp_path):
    rec = read_recording(FIXTURES / "seated_slider.csv.gz")
    macs = {p: f"C4:27:32:BE:25:{i:02X}" for i, p in enumerate(rec.placements)}
    folder = tmp_path / "exports" / "visit1"
    folder.mkdir(parents=True)
    for placement, mac in macs.items():
        s = rec.stream(placement)
        t = 1_767_600_000.0 + s.t_s
        write_metabase_session(
            folder,
            t_unix_s=(t, t),
            acc_m_s2=s.acc_m_s2,
            gyr_rad_s=s.gyr_rad_s,
            rates_hz=(100.0, 100.0),
            mac=mac,
            prefix=placement,
        )
    sensor_map = tmp_path / "map.toml"
    sensor_map.write_text("[sensors]\n" + "".join(f'"{mac}" = "{p}"\n' for p, mac in macs.items()))
    out = tmp_path / "out"
    code = main(
        [
            "batch",
            str(tmp_path / "exports"),
            "--out",
            str(out),
            "--sensor-map",
            str(sensor_map),
            "--exercise",
            "seated_slider",
            "--workers",
            "1",
        ]
    )
    rows = _rows(out / "summary.csv")
    assert code == EXIT_OK, rows
    (row,) = rows.values()
    assert row["session"] == "visit1"
    assert row["status"] == "analysed"
    assert row["exercise"] == "seated_slider"
    assert {p.name for p in (out / "visit1").iterdir()} == THREE


def test_missing_input_is_a_one_line_error(tmp_path, capsys):
    code = main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert code == EXIT_DATA
    err = capsys.readouterr().err
    assert "not found" in err
    assert "Traceback" not in err


def test_the_progress_bar_shows_sessions_and_an_eta(tmp_path):
    import io

    from rich.console import Console

    from cli.cmd_batch import reporter

    folder = tmp_path / "in"
    _copy_fixture("seated_slider", folder)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with reporter(console) as report:
        run_batch([folder], tmp_path / "out", on_plan=report.plan, on_done=report.done)
    text = screen.getvalue()
    assert "1/1 sessions" in text
    assert "ETA" in text
    assert "100%" in text


def test_an_output_folder_inside_the_inputs_is_not_searched(tmp_path, capsys):
    folder = tmp_path / "in"
    _copy_fixture("seated_slider", folder)
    out = folder / "results"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1"]) == EXIT_OK
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "passed over" not in err  # angles.csv, summary.csv of the first run are not inputs
    assert "1 session(s) already done" in err


def _four_sessions(folder: Path) -> None:
    folder.mkdir()
    for i in range(4):
        shutil.copy(FIXTURES / "seated_slider.csv.gz", folder / f"s{i}.csv.gz")
        shutil.copy(FIXTURES / "seated_slider.json", folder / f"s{i}.json")


def test_a_dead_worker_loses_no_session_and_repeats_none(tmp_path, monkeypatch):
    """Workers killed at two points: before a session wrote anything (it runs again), and
    after its folder was renamed into place but before its row came back (it is whole: it is
    reported ``analysed``, not analysed again nor called ``already done``)."""
    import stretchguard.batch
    from tests.dying_tasks import cue_folder, run_task_dying_on_cue

    _four_sessions(tmp_path / "in")
    out = tmp_path / "out"
    cues = cue_folder(out)
    cues.mkdir()
    (cues / "before-s1").touch()
    (cues / "after-s2").touch()
    monkeypatch.setattr(stretchguard.batch, "run_task", run_task_dying_on_cue)
    reported: list[str] = []
    rows, _ = run_batch(
        [tmp_path / "in"], out, workers=2, on_done=lambda row, s: reported.append(s.name)
    )
    assert not list(cues.glob("before-*"))  # both cues were taken: both workers died
    assert not list(cues.glob("after-*"))
    assert sorted(reported) == ["s0", "s1", "s2", "s3"]  # each reported once
    assert [r["status"] for r in rows] == ["analysed"] * 4
    attempts = (cues / "attempts.log").read_text().split()
    assert attempts.count("s1") >= 2  # killed before writing: run again
    assert attempts.count("s2") == 1  # killed after writing: not run again
    assert all(attempts.count(s) <= 3 for s in ("s0", "s3"))  # lost with a broken pool at most
    for i in range(4):  # every finished folder is whole (a killed task leaves only .partial-*)
        assert {p.name for p in (out / f"s{i}").iterdir()} == THREE


def test_a_session_that_always_kills_its_worker_becomes_an_error_row(tmp_path, monkeypatch):
    import stretchguard.batch
    from stretchguard.batch import WORKER_DIED
    from tests.dying_tasks import cue_folder, run_task_dying_on_cue

    _four_sessions(tmp_path / "in")
    out = tmp_path / "out"
    cues = cue_folder(out)
    cues.mkdir()
    (cues / "always-s3").touch()
    monkeypatch.setattr(stretchguard.batch, "run_task", run_task_dying_on_cue)
    rows, summary = run_batch([tmp_path / "in"], out, workers=2)
    status = {r["session"]: r["status"] for r in rows}
    assert status == {"s0": "analysed", "s1": "analysed", "s2": "analysed", "s3": "error"}
    assert rows[3]["error"] == WORKER_DIED
    assert (cues / "attempts.log").read_text().split().count("s3") == 3  # twice, then alone
    assert not (out / "s3").exists()
    assert _rows(summary)["s3"]["status"] == "error"


def test_a_folder_finished_by_another_run_is_already_done(tmp_path):
    """A session whose folder appears between the plan and its task (another run writing to
    the same folder) was not analysed by this run: ``already done``, left untouched."""
    from stretchguard.batch import BatchTask, finished_task_row

    folder = tmp_path / "in"
    _copy_fixture("seated_slider", folder)
    (session,) = find_sessions([folder])
    (tmp_path / "out").mkdir()
    earlier = BatchTask(session, str(tmp_path / "out"), run_id="first")
    assert finished_task_row(earlier) is None
    assert run_task(earlier)["status"] == "analysed"
    assert finished_task_row(earlier)["status"] == "analysed"
    before = (tmp_path / "out" / session.name / "envelope.json").stat().st_mtime_ns
    later = BatchTask(session, str(tmp_path / "out"), run_id="second")
    assert run_task(later)["status"] == "already done"
    assert (tmp_path / "out" / session.name / "envelope.json").stat().st_mtime_ns == before
