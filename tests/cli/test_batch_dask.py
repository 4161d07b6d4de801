"""``stretchguard batch --scheduler``: the same tasks on a dask.distributed cluster.

The cluster is a ``LocalCluster`` started by the test (worker processes, a real scheduler
over TCP); skips when the ``cluster`` extra (dask.distributed) is not installed.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from cli.main import EXIT_CONFIG, EXIT_DATA, main

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed not installed (extra 'cluster')"
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_port=0,
    ) as c:
        yield c


def test_batch_on_a_dask_cluster_matches_the_local_run(cluster, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for stem in ("demo_standing_stretch", "seated_slider"):
        for suffix in (".csv.gz", ".json"):
            shutil.copy(FIXTURES / f"{stem}{suffix}", inputs / f"{stem}{suffix}")
    (inputs / "broken.csv").write_text("t_s,sensor,acc_x_m_s2\nnot,a,number\n")
    address = cluster.scheduler_address
    assert address.startswith("tcp://")
    code = main(["batch", str(inputs), "--out", str(tmp_path / "dask"), "--scheduler", address])
    assert code == EXIT_DATA  # the broken file is a row with its error
    main(["batch", str(inputs), "--out", str(tmp_path / "local"), "--workers", "1"])
    with (tmp_path / "dask" / "summary.csv").open(encoding="utf-8") as fh:
        rows = {r["session"]: r for r in csv.DictReader(fh)}
    assert rows["broken"]["status"] == "error"
    assert rows["broken"]["error"]
    for name in ("demo_standing_stretch", "seated_slider"):
        assert rows[name]["status"] == "analysed"
        for file in ("envelope.json", "angles.csv"):
            assert (tmp_path / "dask" / name / file).read_bytes() == (
                tmp_path / "local" / name / file
            ).read_bytes()
    # resumable there too: nothing is analysed again
    code = main(["batch", str(inputs), "--out", str(tmp_path / "dask"), "--scheduler", address])
    with (tmp_path / "dask" / "summary-2.csv").open(encoding="utf-8") as fh:
        again = {r["session"]: r["status"] for r in csv.DictReader(fh)}
    assert again == {
        "demo_standing_stretch": "already done",
        "seated_slider": "already done",
        "broken": "error",
    }


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    import stretchguard.batch

    monkeypatch.setattr(stretchguard.batch, "SCHEDULER_TIMEOUT_S", 2.0)
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(FIXTURES / "seated_slider.csv.gz", inputs / "s.csv.gz")
    code = main(
        ["batch", str(inputs), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in err
    assert err.count("\n") == 1
