"""Hostile output folders: a full disk, a file size limit, no hard links, symlinks planted.

Only a finished file gets its name. Round 10 made ``analyse`` write ``angles.csv``,
``envelope.json`` and ``report.html`` under hidden temporary names; every other writer
(``import``'s recording, ``export``'s OpenSim files, ``history``'s page, ``batch``'s
``session.json`` and summary) went through ``canonical.write_new_file``, which wrote
straight under the final name: a full disk left a cut-off recording that a rerun then
refused to replace.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import OutputExistsError
from sensors.formats import canonical
from stretchguard.opensim_export import mot_text

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"


def _limit_file_size(limit: int = 64 << 10) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal's kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


_WRITE_BIG = """
import sys
from pathlib import Path
from tests.hostile.test_outputs import _limit_file_size
from sensors.formats.canonical import write_new_file
_limit_file_size(4096)
try:
    write_new_file(Path(sys.argv[1]), b"x" * 100_000)
except OSError as exc:
    print(exc)
"""


def test_write_new_file_past_a_file_size_limit_leaves_no_cut_off_file(tmp_path: Path) -> None:
    target = tmp_path / "out.sto"
    run = subprocess.run(
        [sys.executable, "-c", _WRITE_BIG, str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "File too large" in run.stdout
    assert str(target) in run.stdout  # the error names the file asked for
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_a_failed_copy_leaves_no_cut_off_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without hard links (FAT): the finished file is copied to its name.
    A disk that fills during that copy (the hidden file already takes the space) must not
    leave a cut-off file under the name."""
    tmp, fd = canonical.new_temp_beside(tmp_path / "angles.csv")
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"t_s,x\n" * 1000)

    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    def fills(src: object, dst: object) -> None:
        dst.write(b"t_s,x\n" * 10)  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(canonical.os, "link", no_link)
    monkeypatch.setattr(canonical.shutil, "copyfileobj", fills)
    with pytest.raises(OSError, match="No space left"):
        canonical.publish_new(tmp, tmp_path / "angles.csv")
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_the_file_is_copied_and_nothing_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(canonical.os, "link", no_link)
    canonical.write_new_file(tmp_path / "a.txt", b"new")
    assert (tmp_path / "a.txt").read_bytes() == b"new"
    user = tmp_path / "user.txt"
    user.write_bytes(b"user's")
    (tmp_path / "b.txt").symlink_to(user)
    with pytest.raises(OutputExistsError):
        canonical.write_new_file(tmp_path / "b.txt", b"new")
    assert user.read_bytes() == b"user's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "user.txt"]


def _cli(
    args: list[str], *, limit: bool = False, timeout: float = 180
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_file_size if limit else None,
    )


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo session as a plain recording with its sidecar."""
    folder = tmp_path_factory.mktemp("rec")
    rec = folder / "rec.csv"
    run = _cli(["import", str(DEMO), "--out", str(rec)])
    assert run.returncode == 0, run.stderr
    return rec


@pytest.mark.slow
def test_cli_import_past_a_file_size_limit_leaves_no_cut_off_recording(
    tmp_path: Path, recording: Path
) -> None:
    run = _cli(["import", str(recording), "--out", str(tmp_path / "r.csv")], limit=True)
    assert run.returncode == 4, run.stderr
    assert "Traceback" not in run.stderr
    assert "r.csv: File too large" in run.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cli_export_past_a_file_size_limit_leaves_no_cut_off_file(
    tmp_path: Path, recording: Path
) -> None:
    out = tmp_path / "exp"
    run = _cli(["export", str(recording), "--opensim", "--out", str(out)], limit=True)
    assert run.returncode == 4, run.stderr
    assert "Traceback" not in run.stderr
    assert "_orientations.sto: File too large" in run.stderr.strip().splitlines()[-1]
    assert [p.name for p in out.iterdir()] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rec_ik.mot", "rec_orientations.sto"])
def test_cli_export_never_writes_through_a_symlink_to_a_users_file(
    tmp_path: Path, recording: Path, name: str
) -> None:
    user = tmp_path / "thesis.txt"
    user.write_bytes(b"the user's work")
    out = tmp_path / "exp"
    out.mkdir()
    (out / name).symlink_to(user)
    run = _cli(["export", str(recording), "--opensim", "--out", str(out)])
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "already exists" in run.stderr.strip().splitlines()[-1]
    assert user.read_bytes() == b"the user's work"
    shutil.rmtree(out)


def test_a_file_name_with_newlines_cannot_add_lines_to_the_mot_header() -> None:
    # ``export`` names the .mot after the recording: a file called "a\nnRows=1\nendheader\nb.csv"
    # wrote its own nRows and endheader lines before the real ones (OpenSim reads the first).
    table = pd.DataFrame({"time": [0.0, 0.01], "knee_angle_r": [1.0, 2.0]})
    text = mot_text(table, name="a\nnRows=1\nendheader\nb\x1b[31m_ik")
    header = text.split("endheader\n")[0].splitlines()
    assert header[0] == r"a\x0anRows=1\x0aendheader\x0ab\x1b[31m_ik"
    assert header[1:] == ["version=1", "nRows=2", "nColumns=2", "inDegrees=yes"]
    assert text.splitlines().count("endheader") == 1


def test_a_full_disk_at_the_mot_file_leaves_no_export_file_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # before round 16 the two .sto files were named before the .mot was written: a full disk
    # there left a partial export (and a rerun then refused the names as taken)
    from stretchguard import opensim_export
    from stretchguard.inputs import load_recording

    def full_at_mot(path: Path, data: bytes, **kw: object) -> Path:
        if path.name.endswith("_ik.mot"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return canonical.write_new_file(path, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(opensim_export, "write_new_file", full_at_mot)
    out = tmp_path / "export"
    with pytest.raises(OSError, match="No space"):
        opensim_export.export_opensim(load_recording([str(DEMO)]), out, workers=1)
    assert sorted(p.name for p in out.iterdir()) == []
