"""A digest of everything the stranger's generator plans and writes for some seeds, nothing
analysed: to show that a change to the generator left its sessions byte-for-byte as they were.

``PYTHONPATH=. python -m bench.stranger.digest --work DIR [--cases round4:1900,round6:2772]``
runs :func:`bench.stranger.run.one_seed` for each case on the sets ``default,pair,full`` with
``stretchguard analyse`` replaced by a stub (its inputs, output folder, side and options are
recorded; it reports a failure, so nothing is judged) and prints per case the sha256 (first 16
hex digits) of the seed's record (its plan and person; the timing left out), of each analyse
call, of the generated session (truth, every sensor's arrays, the events) and of every file
written; last, one digest of all those lines. Run it before and after a change and compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from bench.stranger import round4, round5, round6, round7, run
from bench.stranger.session import Session

#: round 4 seeds 1900, 1901; round 5 2180, 2181; round 6 2772, 2773, 2787, 2793 and the
#: contract–relax 2784; round 7 3002 and 3007 (the strap)
CASES = (
    ("round4", 1900),
    ("round4", 1901),
    ("round5", 2180),
    ("round5", 2181),
    ("round6", 2772),
    ("round6", 2773),
    ("round6", 2787),
    ("round6", 2793),
    ("round6", 2784),
    ("round7", 3002),
    ("round7", 3007),
)
SETS = ("default", "pair", "full")


def short_sha(data: bytes) -> str:
    """The first 16 hex digits of ``data``'s sha256."""
    return hashlib.sha256(data).hexdigest()[:16]


def session_sha(s: Session) -> str:
    """:func:`short_sha` of a session's truth, every sensor's fields and its events."""
    m = hashlib.sha256(s.truth_t_s.tobytes())
    for k in sorted(s.truth):
        m.update(k.encode() + np.asarray(s.truth[k]).tobytes())
    for p in sorted(s.sensors):
        m.update(p.encode())
        for name, value in sorted(vars(s.sensors[p]).items()):
            data = value.tobytes() if isinstance(value, np.ndarray) else repr(value).encode()
            m.update(name.encode() + data)
    m.update(json.dumps(s.events, sort_keys=True, default=float).encode())
    return m.hexdigest()[:16]


def case_lines(which: str, seed: int, work: Path) -> list[str]:
    """The digest lines of one case, its files written under ``work``."""
    calls: list[str] = []
    sessions: list[Session] = []

    def fake_cli(inputs: list[Path], out: Path, side: str, extra: list[str]) -> dict:
        names = [str(Path(i).relative_to(work)) for i in inputs]
        calls.append(json.dumps([names, str(out.relative_to(work)), side, extra]))
        return {"rc": 1}

    real_cli = run.run_cli
    real = {m: m.generate_session for m in (round4, round5, round6, round7)}
    run.run_cli = fake_cli
    for m, gen in real.items():
        m.generate_session = lambda *a, _gen=gen, **k: (
            sessions.append(_gen(*a, **k)) or sessions[-1]
        )
    try:
        rec = run.one_seed(seed, None, work, which, SETS)
    finally:
        run.run_cli = real_cli
        for m, gen in real.items():
            m.generate_session = gen
    rec.pop("gen_s", None)
    record = json.dumps(rec, sort_keys=True, default=float).encode()
    lines = [f"{which} {seed} record {short_sha(record)}"]
    lines += [f"  call {short_sha(c.encode())} {c}" for c in calls]
    lines += [f"  session {session_sha(s)}" for s in sessions]
    for f in sorted(p for p in work.rglob("*") if p.is_file()):
        lines.append(f"  file {f.relative_to(work)} {short_sha(f.read_bytes())}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the digest lines of every case and the digest of them all."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True, help="a scratch folder (emptied first)")
    ap.add_argument("--cases", help="e.g. round4:1900,round6:2772 (default: CASES)")
    args = ap.parse_args(argv)
    cases = CASES
    if args.cases:
        cases = tuple((w, int(s)) for w, s in (c.split(":") for c in args.cases.split(",")))
    shutil.rmtree(args.work, ignore_errors=True)
    total = hashlib.sha256()
    for which, seed in cases:
        folder = args.work / f"{which}_{seed}"
        folder.mkdir(parents=True)
        for line in case_lines(which, seed, folder):
            print(line, flush=True)
            total.update(line.encode())
    print("all", total.hexdigest())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
