"""Fingerprint what stretchguard outputs, to show that a refactor changed no behaviour.

    .venv/bin/python bench/behaviour_snapshot.py --out bench/out/snapshot-before.json
    # ... move code around ...
    .venv/bin/python bench/behaviour_snapshot.py --against bench/out/snapshot-before.json

It runs, through the installed command line only (so it works on any layout of the code):

- ``stretchguard demo``;
- ``stretchguard analyse`` on every recording in ``fixtures/``;
- ``bench/accuracy.py --seeds 1`` (the scenario tables; no population);

and records a SHA-256 of every output file. ``angles.csv`` and ``envelope.json`` are hashed
as written; ``report.html`` and ``accuracy.md`` first lose the lines that carry the time of
the run, the software version or the machine (listed in ``VOLATILE``). With ``--against`` it
prints every file whose fingerprint changed and exits 1 if any did.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Lines that change from run to run without any change of behaviour.
VOLATILE = re.compile(
    r"(generated|Generated|written|Written|created|Created|run on|Run on|version|Version|"
    r"python|Python|platform|seconds to run|took \d|\d{4}-\d\d-\d\dT|\d{4}-\d\d-\d\d \d\d:)"
)


def _digest(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix in {".html", ".md"}:
        text = data.decode("utf-8", errors="replace")
        kept = [line for line in text.splitlines() if not VOLATILE.search(line)]
        data = "\n".join(kept).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _folder_digests(folder: Path, label: str) -> dict[str, str]:
    return {
        f"{label}/{p.relative_to(folder)}": _digest(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")


def snapshot(work: Path) -> dict[str, str]:
    """Run every command into ``work`` and return ``{output file: sha256}``."""
    digests: dict[str, str] = {}
    _run([str(BIN / "stretchguard"), "demo", "--out", str(work / "demo")])
    digests.update(_folder_digests(work / "demo", "demo"))
    for recording in sorted((ROOT / "fixtures").glob("*.csv.gz")):
        if recording.name.endswith(".truth.csv.gz"):
            continue
        name = recording.name.removesuffix(".csv.gz")
        out = work / name
        _run([str(BIN / "stretchguard"), "analyse", str(recording), "--out", str(out)])
        digests.update(_folder_digests(out, name))
    accuracy = work / "accuracy.md"
    _run([sys.executable, "bench/accuracy.py", "--seeds", "1", "--out", str(accuracy)])
    digests["bench/accuracy.md"] = _digest(accuracy)
    return digests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write the fingerprints here (JSON)")
    ap.add_argument("--against", type=Path, help="compare with an earlier --out file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sg-snapshot-") as tmp:
        digests = snapshot(Path(tmp))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "x", encoding="utf-8") as fh:
            json.dump(digests, fh, indent=1, sort_keys=True)
    print(f"{len(digests)} output files fingerprinted")
    if not args.against:
        return 0
    before = json.loads(args.against.read_text(encoding="utf-8"))
    changed = sorted(k for k in before.keys() | digests.keys() if before.get(k) != digests.get(k))
    for key in changed:
        print(f"changed: {key}")
    print("identical" if not changed else f"{len(changed)} outputs differ")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
