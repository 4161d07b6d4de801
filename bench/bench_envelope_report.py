"""Speed of the envelope checker and the report on long sessions (run on demand).

    .venv/bin/python bench/bench_envelope_report.py [--hours 10]

Builds the simulator's truth angles of a repeated ``standing_dorsiflexion`` session (one hour
simulated, then tiled to the requested length with the clock continued), and times
``check_envelope``, ``EnvelopeResult.to_json``, the decimated plots (``panel_svgs``) and the
whole HTML page. Numbers go to docs/envelope.md ("Speed"). Single process, median of 3 runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.figures import panel_svgs
from analysis.report.page import ReportContext, build_report_html
from analysis.simulation import SimulationConfig, simulate


def _tiled(hours: float) -> tuple[pd.DataFrame, list]:
    sim = simulate("standing_dorsiflexion", config=SimulationConfig(duration_s=3600.0))
    one = sim.truth
    reps = max(1, round(hours))
    period = float(one["t_s"].iloc[-1] - one["t_s"].iloc[0]) + 0.01
    parts = [one.assign(t_s=one["t_s"] + k * period) for k in range(reps)]
    markers = [
        type(m)(t_s=m.t_s + k * period, label=m.label, kind=m.kind)
        for k in range(reps)
        for m in sim.meta.markers
    ]
    return pd.concat(parts, ignore_index=True), markers


def _time(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0)
    args = parser.parse_args()
    angles, markers = _tiled(args.hours)
    profile = load_builtin_profile("standing_hamstring")
    n = len(angles)
    print(f"{n} samples ({n / 100 / 3600:.1f} h at 100 Hz), {len(markers)} marks")
    env = check_envelope(angles, profile, side="right", markers=markers)
    t_check = _time(lambda: check_envelope(angles, profile, side="right", markers=markers))
    t_json = _time(env.to_json)
    t_plot = _time(lambda: panel_svgs(angles, env))
    ctx = ReportContext(source_name="bench")
    t_html = _time(lambda: build_report_html(angles, env, ctx), runs=1)
    html = build_report_html(angles, env, ctx)
    eps = len(env.episodes)
    print(
        f"check_envelope  {t_check:7.2f} s  ({n / t_check / 1e6:.1f} M samples/s; {eps} episodes)"
    )
    print(f"to_json         {t_json:7.2f} s  ({len(env.to_json()) / 1e3:.0f} kB)")
    print(f"panel_svgs      {t_plot:7.2f} s")
    print(f"report.html     {t_html:7.2f} s  ({len(html) / 1e6:.2f} MB)")
    print(f"peak state array: {env.state.nbytes / 1e6:.1f} MB; holds {len(env.holds)}")
    assert np.isfinite(env.t_s).all()


if __name__ == "__main__":
    main()
