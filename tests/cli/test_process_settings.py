"""Process-wide settings of the CLI: one BLAS thread unless asked, and the C heap kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_cli_keeps_blas_to_one_thread():
    code = "import cli, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    assert _run(code) == "1"


def test_cli_leaves_an_explicit_blas_setting():
    code = "import cli, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    assert _run(code, OPENBLAS_NUM_THREADS="2") == "2"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt only")
def test_keep_freed_memory_is_accepted_by_glibc():
    code = "from stretchguard.memory import keep_freed_memory as k; print(k())"
    if _run("import platform; print(platform.libc_ver()[0])") != "glibc":
        pytest.skip("not glibc: the call is best effort and does nothing")
    assert _run(code) == "True"
