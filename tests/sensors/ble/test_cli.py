"""``stretchguard scan`` and ``stretchguard live`` end to end (virtual sensors, no display)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import EXIT_CONFIG, EXIT_DATA, main
from sensors.formats.canonical import read_recording, sidecar_path

ROOT = Path(__file__).resolve().parents[3]


def test_scan_lists_the_virtual_sensors(capsys):
    assert main(["scan", "--virtual", "standing_correct", "--timeout-s", "3"]) == 0
    out = capsys.readouterr().out
    for family in ("metawear", "movesense", "movella_dot", "polar_pmd"):
        assert family in out
    assert "Movesense 174630000192" in out
    assert out.count("C0:5E:") == 4


def test_live_virtual_records_and_summarises(tmp_path, capsys):
    out = tmp_path / "demo.csv"
    args = ["live", "--virtual", "standing_dorsiflexion", "--out", str(out)]
    # 2×, not faster: the virtual sensors share this process, and at 8× on a loaded 2-core
    # machine it fell ever further behind their world (docs/ble.md §2)
    rc = main([*args, "--duration-s", "8", "--speed", "2", "--no-display"])
    assert rc == 0
    text = capsys.readouterr().out
    assert f"{out}" in text
    assert "movella_dot" in text
    rec = read_recording(out)
    assert len(rec.placements) == 4
    assert rec.meta.calibration.static_s is not None
    assert rec.meta.extra["ended_by"] == "duration"
    assert "virtual sensors" in rec.meta.notes
    assert (rec.meta.exercise, rec.meta.side) == ("standing_hamstring", "right")
    # a second run must not touch the first recording
    before = out.read_bytes()
    assert main([*args, "--duration-s", "2", "--speed", "2", "--no-display"]) == EXIT_DATA
    assert "refusing to overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["live", "--virtual", "no_such", "--out", "x.csv"], "unknown scenario"),
        (["live", "--sensor", "MetaWear=right_thigh", "--speed", "3", "--out", "x.csv"], "--speed"),
        (["live", "--virtual", "standing_correct"], "--out FILE.csv is required"),
        (
            [
                "live",
                "--virtual",
                "standing_correct",
                "--families",
                "knee=metawear",
                "--out",
                "x.csv",
            ],
            "PLACEMENT=FAMILY",
        ),
        (["live", "--sensor", "MetaWear", "--out", "x.csv"], "NAME_OR_ADDRESS=placement"),
        (["live", "--config", "missing.toml", "--out", "x.csv"], "not found"),
        (["scan", "--timeout-s", "0"], "--timeout-s"),
    ],
)
def test_bad_options_exit_with_config_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == EXIT_CONFIG
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_over_tcp_hci(tmp_path, capsys):
    """Virtual sensors served by one process; the real-sensor code path in this one."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "live", "--virtual", "standing_correct",
         "--serve", f"tcp-server:_:{port}", "--duration-s", "60"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        assert "serving" in server.stdout.readline()
        time.sleep(0.5)
        out = tmp_path / "two.csv"
        rc = main(
            ["live", "--hci", f"tcp-client:127.0.0.1:{port}",
             "--sensor", "MetaWear=right_thigh", "--sensor", "Movella DOT=right_foot",
             "--out", str(out), "--duration-s", "3", "--stand-s", "1", "--move-s", "1",
             "--scan-timeout-s", "30", "--no-display"]
        )  # fmt: skip
        assert rc == 0, capsys.readouterr().err
    finally:
        server.terminate()
        server.communicate(timeout=10)
    rec = read_recording(out)
    assert rec.placements == ("right_thigh", "right_foot")
    assert rec.stream("right_thigh").median_rate_hz == pytest.approx(100.0, rel=0.01)
    assert rec.stream("right_foot").median_rate_hz == pytest.approx(60.0, rel=0.01)
    side = json.loads(sidecar_path(out).read_text())
    static = side["calibration"]["static_s"]
    assert static[1] - static[0] == pytest.approx(1.0)
    assert side["sensors"]["right_foot"]["family"] == "movella_dot"
