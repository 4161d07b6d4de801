"""The steps rounds 4, 5 and 6 of the stranger's generator share: how many scripted breaks a
plan draws, which sensors its sets need, each set's canonical file, and one seed's run
(generate, write, ``stretchguard analyse`` each file, judge it against the truth)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.stranger import compare, writers
from bench.stranger.session import SENSOR_SETS, Session, sensor_set

Job = tuple[str, list[Path], list[str], float]
"""A file to analyse: ``(name, inputs, options, t_offset_s)`` (``t_offset_s``: where its
``t_s = 0`` lies on the generator's clock)."""


def n_breaks(duration_s: float) -> int:
    """How many scripted breaks a session of ``duration_s`` (s) draws: two a whole minute,
    at least 2 and at most 6."""
    return max(2, min(int(duration_s // 60) * 2, 6))


def set_placements(side: str, sets: Iterable[str]) -> tuple[str, ...]:
    """The placements the sensor ``sets`` need (``SENSOR_SETS`` names) for a person whose
    exercised leg is ``side``, sorted."""
    return tuple(sorted({x.format(ex=side) for name in sets for x in SENSOR_SETS[name]}))


def canonical_set_jobs(
    s: Session,
    folder: Path,
    sets: Iterable[str],
    *,
    marks: list[dict] | None = None,
    **write_kw,
) -> list[Job]:
    """Each set's canonical file ``folder/NAME.csv`` (``writers.write_canonical`` with
    ``write_kw``; a sidecar with ``marks`` when there are some) as a job at offset 0."""
    jobs: list[Job] = []
    for name in sets:
        path = writers.write_canonical(s, sensor_set(s, name), folder / f"{name}.csv", **write_kw)
        if marks:
            writers.write_sidecar(path, marks)
        jobs.append((name, [path], [], 0.0))
    return jobs


def run_round_seed(
    seed: int,
    plan: dict,
    work: Path,
    generate: Callable[[], Session],
    jobs_of: Callable[[Session, Path], list[Job]],
    *,
    by_set: bool,
) -> dict:
    """One seed of a round: ``generate()`` the session, write the truth and ``jobs_of``'s
    files, analyse each (one at a time, ``--exercise`` the plan's) and judge it.

    ``by_set``: each job is a sensor set and is judged on that set's placements (else on
    every angle the analysis wrote). Returns the seed's record (``run._seed_folder``).
    """
    from bench.stranger import run

    t0 = time.perf_counter()
    s = generate()
    folder, truth, rec = run._seed_folder(seed, s, plan, work, t0)
    side = s.person.side
    ex_opt = ["--exercise", compare.PROFILE_NAME[plan["exercise"]]]
    for name, inputs, opts, offset in jobs_of(s, folder):
        out = folder / f"out_{name}"
        cli = run.run_cli(inputs, out, side, opts + ex_opt)
        res = {"cli": cli, "t_offset_s": offset}
        if cli["rc"] == 0:
            placements = sensor_set(s, name) if by_set else None
            res.update(
                run.evaluate(out, truth, s.events, side, offset, plan["exercise"], placements)
            )
        rec["sets"][name] = res
    return rec
