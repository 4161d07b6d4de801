"""Check the BlueZ VM run's results (.ci/bluez) and print its one-line summary.

Argument: the results folder (scan.json, served.json, session.csv + session.json,
analysis/). Exits 1 with the reason on stdout when a check fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sensors.families import codec_for
from sensors.families.base import Family, normalize_uuid

MIN_LIVE_SENSORS = 4
MAX_LOST_FRACTION = 0.02
"""Samples the sensors sent but the recording lacks, as a fraction of those sent."""


def check_scan(out: Path, served: dict[str, dict]) -> int:
    """Every served sensor found by name, family and its family's service UUID."""
    found = [json.loads(line) for line in (out / "scan.json").read_text().splitlines() if line]
    by_name = {f["name"]: f for f in found}
    for placement, s in served.items():
        f = by_name.get(s["name"])
        if f is None:
            raise SystemExit(f"scan: {s['name']} ({placement}) not found")
        if f["family"] != s["family"]:
            raise SystemExit(f"scan: {s['name']} identified as {f['family']}, not {s['family']}")
        wanted = set(codec_for(Family(s["family"])).spec.advertised_service_uuids)
        if not wanted & {normalize_uuid(u) for u in f["service_uuids"]}:
            raise SystemExit(f"scan: {s['name']} advertised no service of its family")
    return len({f["family"] for f in found if f["family"]})


def check_recording(out: Path, served: dict[str, dict]) -> tuple[int, int, int, int]:
    """Rows per sensor against what each sensor sent; the drop was reconnected."""
    meta = json.loads((out / "session.json").read_text())
    packets = meta["packets"]
    sensors = meta["sensors"]
    if len(sensors) < MIN_LIVE_SENSORS:
        raise SystemExit(f"live: {len(sensors)} sensors recorded, expected {MIN_LIVE_SENSORS}")
    recorded = sent = reconnects = 0
    for placement in sensors:
        got = packets[placement]["samples"]
        expected = served[placement]["samples_sent"]
        if got <= 0:
            raise SystemExit(f"live: no samples from {placement}")
        recorded += got
        sent += expected
        reconnects += packets[placement].get("reconnects", 0)
        if served[placement]["drops"] and not packets[placement].get("reconnects"):
            raise SystemExit(f"live: {placement} dropped but was not reconnected")
    drops = sum(s["drops"] for p, s in served.items() if p in sensors)
    if drops < 1:
        raise SystemExit("live: no sensor dropped during the session")
    lost = max(0, sent - recorded)
    if lost > MAX_LOST_FRACTION * sent:
        raise SystemExit(f"live: {lost} of {sent} samples lost")
    rows = sum(1 for _ in (out / "session.csv").open()) - 1
    # samples that arrive after --duration-s (while the sensors are being stopped) are counted
    # in the sidecar, not written: every decoded sample is one or the other
    after_end = sum(meta.get("recorder", {}).get("after_end", {}).values())
    if rows + after_end < recorded:
        raise SystemExit(
            f"live: {rows} rows in the CSV and {after_end} counted after the end for "
            f"{recorded} decoded samples"
        )
    return len(sensors), recorded, lost, reconnects


def main() -> int:
    out = Path(sys.argv[1])
    served = json.loads((out / "served.json").read_text())
    families = check_scan(out, served)
    if not (out / "analysis" / "angles.csv").is_file():
        raise SystemExit("analyse: no angles.csv")
    n_live, recorded, lost, reconnects = check_recording(out, served)
    print(
        f"sensors found {families}/6 families, live {n_live} sensors, samples recorded "
        f"{recorded}, samples lost {lost}, reconnects {reconnects}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
