"""Hostile cases aimed at round 10's new paths: the early read and the threaded writers.

The early read (``canonical.start_early_read``) parses the file ``analyse`` names while its
modules import; the real read takes that parse only if the file is still the same one. The
writers (``analysing.write_outputs``) write ``angles.csv`` on a thread while the report is
drawn. A file changed between the two reads must be read as it is now, and a run stopped
while writing (full disk, file size limit, a failed report) must leave no cut-off file under
its final name.
"""

from __future__ import annotations

import errno
import gzip
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import RecordingFormatError
from sensors.formats import canonical
from sensors.formats.canonical import read_recording, start_early_read
from stretchguard import analysing
from stretchguard.inputs import load_recording

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """The demo session as a plain canonical CSV (what the early read starts on) + sidecar."""
    out = tmp_path / "rec.csv"
    out.write_bytes(gzip.decompress(DEMO.read_bytes()))
    shutil.copy(DEMO.with_name("demo_standing_stretch.json"), tmp_path / "rec.json")
    return out


def _early_parse_done() -> None:
    for parsed in list(canonical._EARLY_READS.values()):
        parsed.exception()  # waits; a failed parse is dropped by the read
    time.sleep(0.02)  # the change below gets a later file time than the early read saw


def _same_streams(a: object, b: object) -> bool:
    if a.streams.keys() != b.streams.keys():
        return False
    for label, s in a.streams.items():
        t = b.streams[label]
        if not np.array_equal(s.t_s, t.t_s):
            return False
        if not np.array_equal(s.acc_m_s2, t.acc_m_s2, equal_nan=True):
            return False
    return True


def _rewrite_digits(path: Path) -> None:
    """The same bytes count, other values: the 4th line's digits 1 ↔ 2, written in place."""
    data = bytearray(path.read_bytes())
    start = data.index(b"\n", data.index(b"\n", data.index(b"\n") + 1) + 1) + 1
    start = data.index(b",", data.index(b",", start) + 1)  # the first measurement
    end = data.index(b"\n", start)
    line = bytes(data[start:end]).translate(bytes.maketrans(b"12", b"21"))
    with path.open("r+b") as fh:
        fh.seek(start)
        fh.write(line)


def _change(path: Path, how: str) -> None:
    st = path.stat()
    if how == "same_inode_same_size_mtime_restored":
        _rewrite_digits(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif how == "same_inode_same_size":
        _rewrite_digits(path)
    elif how == "appended":
        lines = path.read_bytes().rstrip(b"\n").split(b"\n")
        t, rest = lines[-1].split(b",", 1)
        with path.open("ab") as fh:
            fh.write(b"%.6f,%s\n" % (float(t) + 0.001, rest))
    elif how == "truncated":
        data = path.read_bytes()
        with path.open("r+b") as fh:
            fh.truncate(data.rindex(b"\n", 0, len(data) - 1) + 1)
    elif how == "touched":
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    elif how == "replaced_by_rename":
        new = path.with_name("new.csv")
        shutil.copy(path, new)
        _rewrite_digits(new)
        new.replace(path)
    elif how == "columns_swapped":  # the same size, header and rows swapped consistently
        lines = path.read_bytes().split(b"\n")
        cells = [ln.split(b",") for ln in lines if ln]
        i, j = cells[0].index(b"acc_x_m_s2"), cells[0].index(b"acc_y_m_s2")
        for c in cells:
            c[i], c[j] = c[j], c[i]
        with path.open("r+b") as fh:
            fh.write(b"\n".join(b",".join(c) for c in cells) + b"\n")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    "how",
    [
        "same_inode_same_size_mtime_restored",
        "same_inode_same_size",
        "appended",
        "truncated",
        "touched",
        "replaced_by_rename",
        "columns_swapped",
    ],
)
def test_a_file_changed_after_the_early_read_is_read_as_it_is_now(plain: Path, how: str) -> None:
    assert start_early_read(plain, device_ticks=False)
    _early_parse_done()
    _change(plain, how)
    got = read_recording(plain, device_ticks=False)
    canonical._EARLY_READS.clear()
    want = read_recording(plain, device_ticks=False)  # parsed afresh
    assert _same_streams(got, want)


@pytest.mark.parametrize("name", ["fifo", "folder", "dev_zero", "empty"])
def test_the_early_read_starts_on_no_special_or_empty_file(tmp_path: Path, name: str) -> None:
    p = tmp_path / f"{name}.csv"
    if name == "fifo":
        os.mkfifo(p)
    elif name == "folder":
        p.mkdir()
    elif name == "dev_zero":
        p.symlink_to("/dev/zero")
    else:
        p.write_bytes(b"")
    assert start_early_read(p) is False
    assert canonical._EARLY_READS == {}


# --- the threaded writers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def analysis() -> analysing.SessionAnalysis:
    return analysing.analyse(load_recording(DEMO), progress=False, notice=lambda _m: None)


def _cut_off_writer(angles: object, fh: object, **_kw: object) -> None:
    fh.write(b"t_s,knee_flexion\n0.000000,1.000\n")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_angles_csv_is_written_leaves_no_cut_off_file(
    analysis: analysing.SessionAnalysis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analysing, "write_angles_csv", _cut_off_writer)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space") as err:
        analysing.write_outputs(analysis, out)
    assert str(err.value.filename).endswith("angles.csv")  # the message names the file
    assert sorted(p.name for p in Path(out).iterdir()) == []


def test_a_failed_report_leaves_no_angles_csv_behind(
    analysis: analysing.SessionAnalysis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_a: object) -> str:
        time.sleep(0.05)
        raise KeyboardInterrupt  # what Ctrl-C raises here

    monkeypatch.setattr(analysing, "_report_html", broken)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        analysing.write_outputs(analysis, out)
    assert sorted(p.name for p in Path(out).iterdir()) == []


@pytest.mark.parametrize("failing", ["report.html", "envelope.json"])
def test_a_full_disk_while_the_report_is_written_leaves_no_file_named(
    analysis: analysing.SessionAnalysis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    # before round 16 angles.csv and envelope.json got their names before report.html was
    # written: a full disk there left a folder that `batch` and `history` took as analysed
    write_hidden = analysing._write_hidden

    def full_at(path: Path, write: object) -> Path:
        if path.name == failing:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_hidden(path, write)  # type: ignore[arg-type]

    monkeypatch.setattr(analysing, "_write_hidden", full_at)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space"):
        analysing.write_outputs(analysis, out)
    assert sorted(p.name for p in Path(out).iterdir()) == []


def test_the_outputs_are_the_same_files_as_before(
    analysis: analysing.SessionAnalysis, tmp_path: Path
) -> None:
    out = analysing.write_outputs(analysis, tmp_path / "out")
    names = sorted(p.name for p in Path(out).iterdir())
    assert names == ["angles.csv", "envelope.json", "report.html"]
    assert (out / "angles.csv").read_bytes() == analysing.angles_csv(analysis.angles.angles)
    assert (out / "envelope.json").read_text("utf-8") == analysis.envelope.to_json()


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))


@pytest.mark.slow
def test_cli_file_size_limit_gives_one_line_and_no_cut_off_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "analyse", str(DEMO), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
    )
    assert run.returncode == 4, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert "Traceback" not in run.stderr
    assert "angles.csv: File too large" in last
    assert [p.name for p in out.iterdir()] == []


# --- interruptions -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["_start_reading", "build_parser"])
def test_ctrl_c_while_the_command_imports_is_one_line(
    where: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main as cli_main

    def interrupted(*_a: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, where, interrupted)
    try:
        code = cli_main.main(["analyse", "x.csv", "--out", "o"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped main() (a traceback on the terminal)")
    assert code == cli_main.EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "stretchguard: interrupted"


@pytest.mark.slow
@pytest.mark.parametrize("after_s", [0.3, 1.5, 3.0])
def test_sigterm_during_analyse_ends_it_and_leaves_no_cut_off_file(
    plain: Path, after_s: float
) -> None:
    """SIGTERM keeps its default: the process ends at once, whatever it was doing (mapped to
    Ctrl-C's exception it could land inside an import's lock and hang the process: seen at
    0.3 s). Only finished files ever get their names, so none is cut off."""
    out = plain.with_name("out")
    run = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "analyse", str(plain), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after_s)
    run.terminate()
    _, err = run.communicate(timeout=60)  # no hang with the writer threads alive
    assert "Traceback" not in err
    names = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if run.returncode == 0:  # finished before the signal: all three files
        assert names == ["angles.csv", "envelope.json", "report.html"]
        return
    assert run.returncode == -signal.SIGTERM
    assert [n for n in names if not n.startswith(".")] in (
        [],
        ["angles.csv"],
        ["angles.csv", "envelope.json"],
        ["angles.csv", "envelope.json", "report.html"],
    )
    for name in ("angles.csv", "envelope.json"):
        if (out / name).exists():  # a published file is a whole one
            text = (out / name).read_text(encoding="utf-8")
            assert text.endswith("\n") or text.endswith("}"), name


def test_a_file_swapped_for_a_fifo_as_the_early_read_starts_does_not_hang(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name replaced by a FIFO between the check and the parse thread's open."""
    real_start = canonical.threading.Thread.start

    def swap_then_start(thread: object) -> None:
        plain.unlink()
        os.mkfifo(plain)
        real_start(thread)

    monkeypatch.setattr(canonical.threading.Thread, "start", swap_then_start)
    assert start_early_read(plain, device_ticks=False)
    monkeypatch.undo()
    parsed = next(iter(canonical._EARLY_READS.values()))
    try:
        parsed.exception(timeout=10)
    except TimeoutError:
        # the thread is stuck opening the FIFO: a writer's open and close frees it
        os.close(os.open(plain, os.O_WRONLY))
        pytest.fail("the early read blocked on a FIFO put in the file's place")
    finally:
        canonical._EARLY_READS.clear()
    with pytest.raises(RecordingFormatError, match="named pipe"):
        read_recording(plain, device_ticks=False)


def test_an_unchanged_file_takes_the_early_parse(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = []
    real = canonical._take_early_read

    def spy(*args: object) -> object:
        taken.append(real(*args))
        return taken[-1]

    monkeypatch.setattr(canonical, "_take_early_read", spy)
    assert start_early_read(plain, device_ticks=False)
    got = read_recording(plain, device_ticks=False)
    assert len(taken) == 1
    assert taken[0] is not None
    canonical._EARLY_READS.clear()
    assert _same_streams(got, read_recording(plain, device_ticks=False))


def test_a_file_swapped_for_a_fifo_during_the_read_does_not_hang(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name replaced by a FIFO after the reader's check, before Arrow opens the file."""
    real_used = canonical._used_columns

    def swap_then_choose(*args: object, **kwargs: object) -> list[str]:
        plain.rename(plain.with_name("moved.csv"))
        os.mkfifo(plain)
        return real_used(*args, **kwargs)

    monkeypatch.setattr(canonical, "_used_columns", swap_then_choose)
    with ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(read_recording, plain, device_ticks=False)
        try:
            got = done.result(timeout=10)
        except TimeoutError:
            os.close(os.open(plain, os.O_WRONLY))  # frees the blocked open
            pytest.fail("the reader blocked on a FIFO put in the file's place")
    monkeypatch.undo()
    assert _same_streams(got, read_recording(plain.with_name("moved.csv"), device_ticks=False))


def test_a_folder_made_read_only_while_writing_is_one_error_naming_the_file(
    analysis: analysing.SessionAnalysis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the link to the final name nor the removal of the hidden file is allowed."""

    def refuse(*args: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", str(args[0]))

    monkeypatch.setattr(analysing, "publish_new", lambda tmp, final: refuse(final))
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: refuse(self))
    with pytest.raises(PermissionError) as err:
        analysing.write_outputs(analysis, tmp_path / "out")
    assert str(err.value.filename).endswith("angles.csv")
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
