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


_POOL = (
    "from stretchguard.memory import arrow_on_c_heap as a; import pyarrow as pa; "
    "before = pa.default_memory_pool().backend_name; done = a(); "
    "print(before, done, pa.default_memory_pool().backend_name)"
)


def test_arrow_on_c_heap_switches_to_the_system_pool():
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", _POOL], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    before, switched, after = done.stdout.split()
    if before == "system":
        pytest.skip("this Arrow build allocates from the system pool already")
    assert (switched, after) == ("True", "system")


def test_arrow_on_c_heap_leaves_an_explicit_pool():
    # "system" exists in every Arrow build; the call must not even try (False)
    assert _run(_POOL, ARROW_DEFAULT_MEMORY_POOL="system").split() == ["system", "False", "system"]
