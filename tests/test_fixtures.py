"""The shipped fixtures are exactly what the simulator makes from ``fixtures/manifest.json``.

Each fixture is regenerated with ``stretchguard simulate`` into a temporary folder and compared
with the shipped files: decompressed CSV bytes and parsed JSON must be identical; if the bytes
differ (another platform's maths library may round a last bit differently), every numeric
value must agree within one unit of its last written decimal and everything else exactly.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli.cmd_simulate import TRUTH_DECIMALS, output_paths
from cli.main import main
from sensors.formats.canonical import COLUMN_DECIMALS, read_recording

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
ENTRIES = {f["name"]: f for f in MANIFEST["fixtures"]}
BUDGET_BYTES = 4_200_000  # "a few short sessions, about 4 MB in all"


def _files(name: str, folder: Path = FIXTURES) -> dict[str, Path]:
    return output_paths(folder / f"{name}.csv.gz")


def _csv_text(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.name.endswith(".gz") else raw


def _compare_csv(shipped: Path, fresh: Path, decimals: dict[str, int]) -> None:
    a, b = _csv_text(shipped), _csv_text(fresh)
    if a == b:
        return
    da = pd.read_csv(shipped, keep_default_na=False)
    db = pd.read_csv(fresh, keep_default_na=False)
    assert list(da.columns) == list(db.columns), shipped.name
    assert da.shape == db.shape, shipped.name
    for col in da.columns:
        if col in decimals:
            tol = 1.000001 * 10.0 ** -decimals[col]
            np.testing.assert_allclose(db[col], da[col], rtol=0, atol=tol, err_msg=col)
        else:
            assert (da[col].astype(str) == db[col].astype(str)).all(), col


def _compare_json(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        assert a.keys() == b.keys(), where
        for k in a:
            _compare_json(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list), where
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare_json(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def test_manifest_covers_the_folder_and_fits_the_budget():
    expected = {"__init__.py", "manifest.json"}
    for name in ENTRIES:
        expected |= {p.name for p in _files(name).values()}
    present = {p.name for p in FIXTURES.iterdir() if p.is_file()}
    assert present == expected
    total = sum((FIXTURES / n).stat().st_size for n in expected)
    assert total <= BUDGET_BYTES
    assert "demo_standing_stretch" in ENTRIES  # the session `stretchguard demo` embeds


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_fixture_regenerates_from_its_manifest_entry(name, tmp_path):
    entry = ENTRIES[name]
    fresh = _files(name, tmp_path)
    argv = ["simulate", entry["scenario"], "--out", str(fresh["recording"]), *entry["args"]]
    assert main(argv) == 0
    shipped = _files(name)
    rec_decimals = {**COLUMN_DECIMALS, "device_ticks": 0}
    _compare_csv(shipped["recording"], fresh["recording"], rec_decimals)
    truth_cols = pd.read_csv(shipped["truth_csv"], nrows=0).columns
    truth_decimals = {c: 6 if c == "t_s" else TRUTH_DECIMALS for c in truth_cols}
    _compare_csv(shipped["truth_csv"], fresh["truth_csv"], truth_decimals)
    for key in ("sidecar", "truth_json"):
        a = json.loads(shipped[key].read_text(encoding="utf-8"))
        b = json.loads(fresh[key].read_text(encoding="utf-8"))
        _compare_json(a, b, key)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_fixture_reads_cleanly_and_matches_its_truth(name):
    files = _files(name)
    rec = read_recording(files["recording"])
    assert rec.warnings == ()
    sensors = next(
        a
        for a in zip(ENTRIES[name]["args"], ENTRIES[name]["args"][1:], strict=False)
        if a[0] == "--sensors"
    )[1].split(",")
    assert set(rec.placements) == set(sensors)
    assert {s.rate_hz for s in rec.meta.sensors.values()} == {100.0}
    truth = json.loads(files["truth_json"].read_text(encoding="utf-8"))
    assert truth["scenario"] == ENTRIES[name]["scenario"]
    # the sidecar's gaps are exactly the samples the counters say are missing
    for label, stream in rec.streams.items():
        lost = int(np.sum(np.diff(stream.device_ticks) - 1))
        assert lost == truth["sensors"][label]["dropped_samples"]
        assert sum(1 for g in rec.meta.gaps if g.sensor == label) == int(
            np.sum(np.diff(stream.device_ticks) > 1)
        )


def test_demo_fixture_shows_one_dorsiflexion_violation_and_a_symptom_mark():
    files = _files("demo_standing_stretch")
    rec = read_recording(files["recording"])
    assert rec.placements == ("pelvis", "trunk", "right_thigh", "right_shank", "right_foot")
    assert rec.meta.exercise == "standing_hamstring"
    assert rec.meta.side == "right"
    events = json.loads(files["truth_json"].read_text(encoding="utf-8"))["events"]
    violations = [e for e in events if e["kind"] == "violation"]
    assert [(v["rule"], v["side"]) for v in violations] == [("ankle_dorsiflexion", "right")]
    (mark,) = rec.meta.markers
    assert violations[0]["start_s"] < mark.t_s < violations[0]["end_s"]
    truth = pd.read_csv(files["truth_csv"])
    during = truth[
        (truth.t_s > violations[0]["start_s"] + 1) & (truth.t_s < violations[0]["end_s"] - 1)
    ]
    assert during["right_ankle_dorsiflexion_deg"].min() > 10.0


def test_comparison_catches_a_changed_value(tmp_path):
    shipped = _files("seated_slider")["truth_csv"]
    text = _csv_text(shipped).decode()
    lines = text.splitlines(keepends=True)
    cells = lines[500].split(",")
    cells[4] = repr(float(cells[4]) + 0.002)  # two units of the last truth decimal
    lines[500] = ",".join(cells)
    changed = tmp_path / "changed.truth.csv"
    changed.write_text("".join(lines))
    cols = pd.read_csv(shipped, nrows=0).columns
    with pytest.raises(AssertionError):
        _compare_csv(shipped, changed, dict.fromkeys(cols, TRUTH_DECIMALS))
    with pytest.raises(AssertionError):
        _compare_json({"a": [1.0, 2.0]}, {"a": [1.0, 2.001]})
