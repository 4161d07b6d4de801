"""Load a script of ``bench/`` as a module, to test its pure parts (``bench`` is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench_script(stem: str, *, module_name: str | None = None) -> ModuleType:
    """Import ``bench/<stem>.py`` as ``module_name`` (default ``stem``), put in sys.modules."""
    name = module_name or stem
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{stem}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
