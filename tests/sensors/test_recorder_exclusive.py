"""Nothing the project writes overwrites a file or writes through a symlink.

Every final name and every temporary name a writer uses gets a planted symlink to a victim
file (existing or dangling); the writer must refuse (OutputExistsError) or draw another
temporary name, and the victim must keep its bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sensors.formats.canonical as canonical
from analysis.errors import OutputExistsError
from analysis.recording.schema import REQUIRED_COLUMNS
from analysis.recording.streams import SessionMeta
from cli.cmd_simulate import output_paths
from cli.main import EXIT_DATA, EXIT_OK, main
from sensors.formats.canonical import (
    CanonicalAppender,
    create_new,
    publish_new,
    read_recording,
    sidecar_path,
    write_recording,
    write_sidecar,
)
from sensors.formats.metabase import write_metabase
from sensors.recorder import Recorder
from sensors.session.clock import SessionClock

KEEP = b"keep\n"
META = SessionMeta(exercise="standing_hamstring", side="right")


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.write_bytes(KEEP)
    return victim


def _plant(link: Path, target: Path, *, dangling: bool) -> None:
    link.symlink_to(target if not dangling else target.with_name("nowhere"))


def _samples(n: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(n, len(REQUIRED_COLUMNS) - 2)), columns=REQUIRED_COLUMNS[2:])
    df.insert(0, "sensor", "right_thigh")
    df.insert(0, "t_s", np.arange(n) / 100.0)
    return df[list(REQUIRED_COLUMNS)]


@pytest.fixture
def fixed_token(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Temporary names drawn from a known sequence (the first one gets a planted link)."""
    tokens = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"]
    drawn: list[str] = []

    def token_hex(_n: int) -> str:
        t = tokens[len(drawn) % len(tokens)]
        drawn.append(t)
        return t

    monkeypatch.setattr(canonical.secrets, "token_hex", token_hex)
    return drawn


@pytest.mark.parametrize("dangling", [False, True])
def test_create_new_refuses_a_planted_symlink(tmp_path: Path, dangling: bool):
    victim = _victim(tmp_path)
    link = tmp_path / "out.csv"
    _plant(link, victim, dangling=dangling)
    with pytest.raises(OutputExistsError):
        create_new(link)
    assert victim.read_bytes() == KEEP
    assert link.is_symlink()


def test_the_old_fixed_temporary_name_is_not_used(tmp_path: Path):
    """The issue's reproducer: ``NAME.json.tmp`` -> victim."""
    victim = _victim(tmp_path)
    (tmp_path / "m.json.tmp").symlink_to(victim)
    write_sidecar(tmp_path / "m.csv", META)
    assert victim.read_bytes() == KEEP
    assert json.loads((tmp_path / "m.json").read_text())["side"] == "right"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.json.tmp", "victim"]


@pytest.mark.parametrize("replace", [False, True])
def test_a_taken_temporary_name_is_never_opened(tmp_path: Path, fixed_token, replace: bool):
    victim = _victim(tmp_path)
    (tmp_path / ".m.json.aaaaaaaaaaaa.tmp").symlink_to(victim)
    if replace:
        write_sidecar(tmp_path / "m.csv", SessionMeta())
    write_sidecar(tmp_path / "m.csv", META, replace=replace)
    assert victim.read_bytes() == KEEP
    assert "bbbbbbbbbbbb" in fixed_token
    assert json.loads((tmp_path / "m.json").read_text())["exercise"] == "standing_hamstring"
    # the temporary is gone; only the planted link and the sidecar remain
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".m.json.aaaaaaaaaaaa.tmp",
        "m.json",
        "victim",
    ]


@pytest.mark.parametrize("dangling", [False, True])
def test_write_sidecar_refuses_an_existing_name_or_link(tmp_path: Path, dangling: bool):
    victim = _victim(tmp_path)
    _plant(tmp_path / "m.json", victim, dangling=dangling)
    with pytest.raises(OutputExistsError):
        write_sidecar(tmp_path / "m.csv", META)
    assert victim.read_bytes() == KEEP
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "victim"]


def test_replacing_a_sidecar_replaces_a_link_not_its_target(tmp_path: Path):
    victim = _victim(tmp_path)
    (tmp_path / "m.json").symlink_to(victim)
    write_sidecar(tmp_path / "m.csv", META, replace=True)
    assert victim.read_bytes() == KEEP
    assert not (tmp_path / "m.json").is_symlink()
    assert json.loads((tmp_path / "m.json").read_text())["side"] == "right"


@pytest.mark.parametrize("name", ["r.csv", "r.json"])
@pytest.mark.parametrize("dangling", [False, True])
def test_write_recording_refuses_links_at_either_name(tmp_path: Path, name: str, dangling: bool):
    victim = _victim(tmp_path)
    _plant(tmp_path / name, victim, dangling=dangling)
    with pytest.raises(OutputExistsError):
        write_recording(tmp_path / "r.csv", _samples(), META)
    assert victim.read_bytes() == KEEP
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "victim"])


def test_write_recording_removes_its_csv_when_the_sidecar_name_is_taken_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The early check passes, then the sidecar name is taken before it is written."""
    victim = _victim(tmp_path)
    monkeypatch.setattr(canonical, "_refuse_existing", lambda *paths: None)
    (tmp_path / "r.json").symlink_to(victim)
    with pytest.raises(OutputExistsError):
        write_recording(tmp_path / "r.csv", _samples(), META)
    assert not (tmp_path / "r.csv").exists()
    assert victim.read_bytes() == KEEP


def test_publish_new_never_replaces_and_cleans_up(tmp_path: Path):
    victim = _victim(tmp_path)
    tmp = tmp_path / ".x.tmp"
    tmp.write_bytes(b"new")
    (tmp_path / "x").symlink_to(victim)
    with pytest.raises(OutputExistsError):
        publish_new(tmp, tmp_path / "x")
    assert not tmp.exists()
    assert victim.read_bytes() == KEEP


@pytest.mark.parametrize("dangling", [False, True])
def test_appender_refuses_a_link(tmp_path: Path, dangling: bool):
    victim = _victim(tmp_path)
    _plant(tmp_path / "a.csv", victim, dangling=dangling)
    with pytest.raises(OutputExistsError):
        CanonicalAppender(tmp_path / "a.csv")
    assert victim.read_bytes() == KEEP


def test_recorder_writes_its_sidecar_at_open_and_updates_it(tmp_path: Path):
    out = tmp_path / "live.csv"
    rec = Recorder(out, clock=SessionClock(), sidecar_interval_s=0.0)
    rec.open(meta=META)
    first = json.loads(sidecar_path(out).read_text())
    assert first["exercise"] == "standing_hamstring"
    assert first["recorder"] == {"rows": 0, "late_rows": 0}
    assert not rec.update_sidecar(META)  # nothing changed: nothing written
    assert rec.update_sidecar(SessionMeta(exercise="standing_hamstring", side="left"))
    assert json.loads(sidecar_path(out).read_text())["side"] == "left"
    rec.finish(SessionMeta(exercise="standing_hamstring", side="right", notes="done"))
    assert json.loads(sidecar_path(out).read_text())["notes"] == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.csv", "live.json"]


def test_recorder_refuses_a_sidecar_planted_after_it_was_made(tmp_path: Path):
    victim = _victim(tmp_path)
    out = tmp_path / "live.csv"
    rec = Recorder(out, clock=SessionClock())
    (tmp_path / "live.json").symlink_to(victim)
    with pytest.raises(OutputExistsError):
        rec.open(meta=META)
    assert victim.read_bytes() == KEEP
    assert not out.exists()  # its own CSV is removed again


def _metabase(folder: Path) -> None:
    t = 1_700_000_000.0 + np.arange(100) / 50.0
    rng = np.random.default_rng(1)
    folder.mkdir()
    mac = "C4:27:32:BE:25:5C"
    write_metabase(folder, "Accelerometer", t, rng.normal(size=(100, 3)), rate_hz=50.0, mac=mac)
    write_metabase(folder, "Gyroscope", t, rng.normal(size=(100, 3)), rate_hz=50.0, mac=mac)


def _import(tmp_path: Path, out: Path) -> int:
    return main(
        [
            "import",
            str(tmp_path / "in"),
            "--sensor",
            "C4:27:32:BE:25:5C=right_shank",
            "--out",
            str(out),
        ]
    )


def test_import_through_the_issue_reproducer(tmp_path: Path, capsys):
    _metabase(tmp_path / "in")
    victim = _victim(tmp_path)
    (tmp_path / "m.json.tmp").symlink_to(victim)
    assert _import(tmp_path, tmp_path / "m.csv") == EXIT_OK
    assert victim.read_bytes() == KEEP
    assert read_recording(tmp_path / "m.csv").meta.sensors["right_shank"].family == "mbientlab"


@pytest.mark.parametrize("name", ["m.csv", "m.json"])
def test_import_refuses_dangling_links_at_its_outputs(tmp_path: Path, name: str, capsys):
    _metabase(tmp_path / "in")
    victim = _victim(tmp_path)
    _plant(tmp_path / name, victim, dangling=True)
    assert _import(tmp_path, tmp_path / "m.csv") == EXIT_DATA
    assert "refusing to overwrite" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # nothing created through the link
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in", name, "victim"])


@pytest.mark.parametrize("key", ["recording", "sidecar", "truth_csv", "truth_json"])
def test_simulate_refuses_dangling_links_at_every_output(tmp_path: Path, key: str, capsys):
    out = tmp_path / "s.csv"
    victim = _victim(tmp_path)
    link = output_paths(out)[key]
    _plant(link, victim, dangling=True)
    rc = main(["simulate", "standing_l", "--out", str(out), "--sensors", "pelvis"])
    assert rc == EXIT_DATA
    assert not (tmp_path / "nowhere").exists()
    assert victim.read_bytes() == KEEP
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([link.name, "victim"])


def test_simulate_draws_new_temporary_names_past_planted_links(tmp_path: Path, fixed_token, capsys):
    out = tmp_path / "s.csv"
    victim = _victim(tmp_path)
    for name in ("s.csv", "s.truth.csv", "s.json"):
        (tmp_path / f".{name}.aaaaaaaaaaaa.tmp").symlink_to(victim)
    rc = main(["simulate", "standing_l", "--out", str(out), "--sensors", "pelvis"])
    assert rc == EXIT_OK
    assert victim.read_bytes() == KEEP
    left = {p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")}
    assert left == {f".{n}.aaaaaaaaaaaa.tmp" for n in ("s.csv", "s.truth.csv", "s.json")}
    assert (tmp_path / ".s.csv.aaaaaaaaaaaa.tmp").is_symlink()
