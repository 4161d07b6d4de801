"""``stretchguard scan --battery --json`` on virtual sensors."""

from __future__ import annotations

import json

from cli.main import main
from sensors.families import codec_for
from sensors.families.base import Family, normalize_uuid


def test_scan_json_with_battery(capsys):
    rc = main(["scan", "--virtual", "standing_correct", "--timeout-s", "3", "--battery", "--json"])
    assert rc == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["family"] for r in rows} == {"metawear", "movesense", "movella_dot", "polar_pmd"}
    for r in rows:
        # identified by its service UUID from the ADV, complete name from the scan response
        spec = codec_for(Family(r["family"])).spec
        assert set(spec.advertised_service_uuids) <= {normalize_uuid(u) for u in r["service_uuids"]}
        assert r["name"] == spec.example_name
        assert isinstance(r["battery_pct"], int)
        assert 80 <= r["battery_pct"] <= 87  # the virtual sensors start at 87 % and drain slowly
