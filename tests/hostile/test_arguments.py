"""Absurd numbers on the command line: a clear one-line error, never a hang or a silent use.

``simulate --duration-s 1e12`` ran until killed (a 1e12-s timeline, never written: the
reader refuses sessions over 24 h anyway); ``analyse --stand 0,1e300`` was taken as it is
(every sample in the "quiet stand") where the same window in a sidecar is refused.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.errors import ConfigError
from analysis.simulation.synthesis import SimulationConfig
from stretchguard.analysing import with_windows
from stretchguard.inputs import load_recording

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo_standing_stretch.csv.gz"
CLI = (sys.executable, "-m", "cli.main")
LIVE = (*CLI, "live", "--virtual", "standing_correct", "--no-display", "--quiet")


@pytest.mark.parametrize("duration_s", [1e12, 86_400.5])
def test_a_simulated_session_longer_than_a_day_is_refused(duration_s: float) -> None:
    with pytest.raises(ConfigError, match="at most 86400 s"):
        SimulationConfig(duration_s=duration_s)


def test_simulate_with_an_absurd_duration_is_one_line_not_a_hang(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            *CLI,
            "simulate",
            "standing_correct",
            "--duration-s",
            "1e12",
            "--out",
            str(tmp_path / "s.csv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "duration_s must be at most" in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("demo")
    rec = folder / "rec.csv"
    rec.write_bytes(gzip.decompress(DEMO.read_bytes()))
    return load_recording(rec)


@pytest.mark.parametrize(
    ("stand", "movements"),
    [
        ((0.0, 1e300), None),
        ((1000.0, 1004.0), None),
        (None, (4.0, 1e9)),
        ((0.0, 3.0), (200.0, 204.0)),
    ],
)
def test_calibration_windows_outside_the_data_are_refused(demo, stand, movements) -> None:
    with pytest.raises(ConfigError, match="expected a window inside the data"):
        with_windows(demo, stand=stand, movements=movements)


def test_calibration_windows_inside_the_data_are_taken(demo) -> None:
    rec = with_windows(demo, stand=(0.0, 4.0), movements=(4.0, 30.0))
    assert rec.meta.calibration.static_s == (0.0, 4.0)
    assert rec.meta.calibration.functional_s == (4.0, 30.0)


@pytest.mark.parametrize("speed", ["1e9", "101", "inf"])
def test_live_with_an_absurd_speed_is_one_line_not_a_hang(tmp_path: Path, speed: str) -> None:
    """``--speed 1e9`` ran on past SIGTERM (13 min until killed): each virtual sensor's
    first batch was every sample of 1e9 world seconds."""
    _refused_in_one_line(
        [*LIVE, "--speed", speed, "--out", str(tmp_path / "l.csv")],
        "--speed must be in (0, 100]",
        tmp_path,
    )


@pytest.mark.parametrize(
    "option", [("--stand-s", "nan"), ("--stand-s", "1e12"), ("--move-s", "-5")], ids=str
)
def test_live_with_an_absurd_prompt_length_is_one_line(tmp_path: Path, option) -> None:
    """``--stand-s nan``, ``1e12`` and ``--move-s -5`` were taken without a word: the guide
    never got past its first prompt, so the session ended "no stretch seen live"."""
    _refused_in_one_line(
        [*LIVE, *option, "--speed", "8", "--duration-s", "5", "--out", str(tmp_path / "l.csv")],
        f"{option[0]} must be in (0, 600] s",
        tmp_path,
    )


@pytest.mark.parametrize("rate", ["0", "-5", "1e9", "2001"])
def test_live_with_an_absurd_rate_is_one_line_not_a_hang(tmp_path: Path, rate: str) -> None:
    """``--rate-hz 1e9`` made every virtual sensor stream at 1e9 Hz: 11 GB of memory in
    14 min, on past SIGTERM until killed; ``--rate-hz 0`` was taken as the default."""
    _refused_in_one_line(
        [*LIVE, f"--rate-hz={rate}", "--speed", "8", "--out", str(tmp_path / "l.csv")],
        "--rate-hz must be in (0, 2000] Hz",
        tmp_path,
    )


def _refused_in_one_line(args: list[str], words: str, out_dir: Path) -> None:
    """``args`` exit 5 with one line of stderr holding ``words`` and write nothing."""
    run = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL
    )
    assert run.returncode == 5, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert words in lines[0]
    assert list(out_dir.iterdir()) == []
