"""Imports point one way: cli → stretchguard (library API) → sensors → analysis (DESIGN §2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "analysis": {"bleak", "bumble", "asyncio", "sensors", "cli", "stretchguard"},
    "sensors": {"cli", "stretchguard"},
    "stretchguard": {"cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_static_import_direction():
    offenders = []
    for package, banned in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            bad = _imports(path) & banned
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_importing_analysis_pulls_in_no_io_stack():
    modules = sorted(
        "analysis." + ".".join(p.relative_to(ROOT / "analysis").with_suffix("").parts)
        for p in (ROOT / "analysis").rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in ('bleak', 'bumble', 'asyncio', 'sensors', 'cli', 'stretchguard')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# Rooms inside analysis/: which other rooms each may import (DESIGN §2, docs/architecture.md).
# ``recording`` is the floor; ``angles`` and ``envelope`` are independent stages; the report
# reads the envelope's results and the words about them, never its checking machinery
# (profiles, the checker's functions, the live monitor); the simulator sits on top and may use
# the stages to score itself.
ROOMS = ("recording", "angles", "envelope", "report", "simulation")
ROOM_MAY_IMPORT = {
    "recording": set(),
    "angles": {"recording"},
    "envelope": {"recording"},
    "report": {"recording", "envelope"},
    "simulation": {"recording", "angles", "envelope"},
}


REPORT_MAY_NOT = {
    "analysis.envelope.profiles",
    "analysis.envelope.monitor",
    "analysis.envelope.checker",
    "analysis.envelope.check_envelope",
    "analysis.envelope.EnvelopeMonitor",
}


def _analysis_imports(path: Path) -> set[tuple[str, str]]:
    """``(module, name)`` for every import of ``analysis.*`` in ``path`` (name "" for modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(a.name, "") for a in node.names if a.name.startswith("analysis.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("analysis."):
                found |= {(node.module, a.name) for a in node.names}
            elif node.module == "analysis":
                found |= {(f"analysis.{a.name}", "") for a in node.names}
    return found


def room_offences(path: Path, room: str) -> list[str]:
    """Imports in ``path`` (a module of ``room``) that break the room rules."""
    bad = []
    for module, name in sorted(_analysis_imports(path)):
        other = module.split(".")[1]
        if other == room or other not in ROOMS:
            continue
        if other not in ROOM_MAY_IMPORT[room]:
            bad.append(f"{module} (room {other!r})")
        elif room == "report" and {module, f"{module}.{name}"} & REPORT_MAY_NOT:
            what = f"{module}.{name}" if f"{module}.{name}" in REPORT_MAY_NOT else module
            bad.append(f"{what} (the report reads the envelope's results only)")
    return bad


def test_rooms_of_analysis_import_one_way():
    offenders = []
    for room in ROOMS:
        for path in sorted((ROOT / "analysis" / room).rglob("*.py")):
            offenders += [
                f"{path.relative_to(ROOT)} imports {b}" for b in room_offences(path, room)
            ]
    assert not offenders, "\n".join(offenders)


def test_every_analysis_module_lives_in_a_room():
    loose = sorted(
        p.name
        for p in (ROOT / "analysis").glob("*.py")
        if p.name not in {"__init__.py", "errors.py", "_exports.py"}
    )
    assert loose == [], "move these into a room of analysis/"


def test_room_rules_catch_a_forbidden_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from analysis.angles.pipeline import analyse_recording\n"
        "from analysis.envelope.checker import check_envelope\n",
        encoding="utf-8",
    )
    assert room_offences(probe, "envelope") == ["analysis.angles.pipeline (room 'angles')"]
    assert room_offences(probe, "report") == [
        "analysis.angles.pipeline (room 'angles')",
        "analysis.envelope.checker (the report reads the envelope's results only)",
    ]
    assert room_offences(probe, "simulation") == []


def test_a_room_module_imports_without_its_whole_room():
    # the rooms' public names load on first use (analysis/_exports.py): a sensor decoder that
    # needs only the quaternion maths must not pay for the pipeline, pandas or the report
    code = (
        "import sys\n"
        "import analysis.angles.rotations, analysis.recording.schema\n"
        "heavy = ('analysis.angles.pipeline', 'analysis.recording.streams', 'pandas', 'scipy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
