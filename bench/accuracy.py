"""Joint-angle accuracy against ground truth — writes docs/accuracy.md (run on demand).

    .venv/bin/python bench/accuracy.py [--seeds 3] [--out docs/accuracy.md]

1. Every simulator scenario, at its natural length (≈ 1–1.7 min) and repeated to 10 min,
   with the default (consumer-MEMS) sensor errors and sensors strapped at random
   orientations: RMSE and worst error of every angle against the simulator's truth.
2. What each step of the pipeline buys on long sessions (10 and 30 min), with the default
   errors and with a 5× harsher gyroscope bias random walk.
3. The validation on real recordings in ../shared/datasets (skipped when absent).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from analysis.metrics import (
    angle_error,
    inclination_error_deg,
    pitch_from_axis_deg,
    pitch_from_points_deg,
    rmse,
)
from analysis.orientation import estimate_orientation
from analysis.pipeline import PipelineOptions, analyse_recording
from analysis.recording import Recording
from analysis.simulation import ImuErrorModel, SimulationConfig, list_scenarios, simulate

ROOT = Path(__file__).resolve().parents[1]
SENSORS = (
    "pelvis",
    "trunk",
    "left_thigh",
    "left_shank",
    "left_foot",
    "right_thigh",
    "right_shank",
    "right_foot",
)
TARGETS = {
    "hip_flexion": 2.0,
    "knee_flexion": 2.0,
    "ankle_dorsiflexion": 2.0,
    "hip_adduction": 4.0,
    "hip_internal_rotation": 4.0,
}
ORDER = (
    "hip_flexion",
    "hip_adduction",
    "hip_internal_rotation",
    "knee_flexion",
    "ankle_dorsiflexion",
    "pelvis_anterior_tilt",
    "lumbar_flexion",
)


def _motion(col: str) -> str:
    name = col.removesuffix("_deg")
    for side in ("left_", "right_"):
        name = name.removeprefix(side)
    return name


def session_errors(sim, options: PipelineOptions | None = None) -> dict[str, tuple[float, float]]:
    """Per angle column: (RMSE, worst |error|) in degrees of the pipeline against truth."""
    res = analyse_recording(Recording(samples=sim.samples, meta=sim.meta), options=options)
    out = {}
    for col in res.angles.columns[1:]:
        if col in sim.truth:
            est = np.interp(sim.truth.t_s, res.angles.t_s, res.angles[col])
            e = angle_error(est, sim.truth[col])
            out[col] = (e.rmse_deg, e.max_abs_deg)
    return out


def accuracy_tables(seeds: int) -> tuple[list[str], float]:
    """Markdown lines of section 1 and the wall time it took."""
    t0 = time.perf_counter()
    # motion → duration label → list of (rmse, max, scenario, seed)
    table: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    per_scenario: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for duration, label in ((None, "1 min"), (600.0, "10 min")):
        for scenario in list_scenarios():
            for seed in range(seeds):
                cfg = SimulationConfig(seed=seed, sensors=SENSORS, duration_s=duration)
                errs = session_errors(simulate(scenario, config=cfg))
                for col, (r, m) in errs.items():
                    motion = _motion(col)
                    table[motion][label].append((r, m, scenario, seed))
                    key = (scenario, label)
                    per_scenario[key][motion] = max(per_scenario[key].get(motion, 0.0), r)
                print(f"  {label:6} {scenario:26} seed {seed}", file=sys.stderr)
    lines = [
        "| angle | target RMSE | 1 min: mean RMSE | worst RMSE | worst abs | "
        "10 min: mean RMSE | worst RMSE | worst abs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for motion in ORDER:
        row = [motion, f"≤ {TARGETS[motion]:g}°" if motion in TARGETS else "—"]
        for label in ("1 min", "10 min"):
            vals = table[motion][label]
            rm = np.array([v[0] for v in vals])
            mx = np.array([v[1] for v in vals])
            row += [f"{rm.mean():.2f}°", f"{rm.max():.2f}°", f"{mx.max():.1f}°"]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Worst RMSE per scenario (either leg, any seed), degrees:", ""]
    head = "| scenario | length | " + " | ".join(m.replace("_", " ") for m in ORDER) + " |"
    lines += [head, "|---|---|" + "---|" * len(ORDER)]
    for (scenario, label), vals in per_scenario.items():
        cells = [f"{vals[m]:.2f}" if m in vals else "—" for m in ORDER]
        lines.append(f"| {scenario} | {label} | " + " | ".join(cells) + " |")
    return lines, time.perf_counter() - t0


ABLATIONS = {
    "full pipeline": PipelineOptions(),
    "− stand anchors (hip/lumbar)": PipelineOptions(stand_anchors=False),
    "− hinge heading (knee/ankle)": PipelineOptions(hinge_heading=False),
    "− accelerometer bias from poses": PipelineOptions(acc_bias_from_poses=False),
    "− stand gyro bias": PipelineOptions(stand_gyro_bias=False),
    "− stand gyro bias − stand anchors": PipelineOptions(
        stand_gyro_bias=False, stand_anchors=False
    ),
    "causal orientation (live-like)": PipelineOptions(offline_orientation=False),
}


def ablation_table(seeds: int) -> tuple[list[str], float]:
    """Markdown lines of section 2."""
    t0 = time.perf_counter()
    harsh = dataclasses.replace(
        ImuErrorModel(), gyr_bias_walk_rad_s_sqrt_s=5 * ImuErrorModel().gyr_bias_walk_rad_s_sqrt_s
    )
    cases = [
        ("standing_correct", 600.0, "default", ImuErrorModel()),
        ("standing_correct", 600.0, "bias walk ×5", harsh),
        ("seated_slider", 1800.0, "default", ImuErrorModel()),
        ("seated_slider", 1800.0, "bias walk ×5", harsh),
    ]
    cols = (
        "hip_flexion",
        "hip_adduction",
        "hip_internal_rotation",
        "knee_flexion",
        "ankle_dorsiflexion",
    )
    lines = [
        "| session | errors | pipeline | " + " | ".join(c.replace("_", " ") for c in cols) + " |",
        "|---|---|---|" + "---|" * len(cols),
    ]
    for scenario, duration, label, errors in cases:
        acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for seed in range(seeds):
            cfg = SimulationConfig(
                seed=seed,
                duration_s=duration,
                errors=errors,
                sensors=("pelvis", "right_thigh", "right_shank", "right_foot"),
            )
            sim = simulate(scenario, config=cfg)
            for name, opts in ABLATIONS.items():
                for col, (r, _m) in session_errors(sim, opts).items():
                    acc[name][_motion(col)].append(r)
            print(f"  ablation {scenario} {duration:.0f}s {label} seed {seed}", file=sys.stderr)
        for name in ABLATIONS:
            cells = [f"{np.mean(acc[name][c]):.2f} / {np.max(acc[name][c]):.2f}" for c in cols]
            minutes = f"{scenario}, {duration / 60:.0f} min"
            lines.append(f"| {minutes} | {label} | {name} | " + " | ".join(cells) + " |")
    return lines, time.perf_counter() - t0


def real_data_lines(shared: Path) -> list[str]:
    """Section 3: numbers on the real recordings (same computations as the tests)."""
    from scipy.signal import find_peaks

    from sensors.formats.research import (
        read_broad_trial,
        read_gaitmap_example,
        read_qmt_full_body,
        read_skinematics_walking,
    )

    data = shared / "datasets"
    lines = ["| dataset | check | measured | target |", "|---|---|---|---|"]
    upstream = {"02": 0.80, "05": 0.72, "11": 3.34}
    for trial in (
        "02_undisturbed_slow_rotation_B",
        "05_undisturbed_slow_rotation_with_breaks_B",
        "11_undisturbed_slow_translation_B",
    ):
        d = read_broad_trial(data / "broad" / f"{trial}.mat")
        ok = d.movement & np.isfinite(d.opt_q_E_S).all(axis=1)
        res = []
        for offline in (True, False):
            q = estimate_orientation(d.gyr_rad_s, d.acc_m_s2, rate_hz=d.rate_hz, offline=offline)
            res.append(rmse(inclination_error_deg(q.q_E_S[ok], d.opt_q_E_S[ok])))
        limit = 4.0 if trial.startswith("11") else 2.0
        lines.append(
            f"| BROAD {trial[:2]} | 6-D inclination RMSE, offline / causal VQF | "
            f"{res[0]:.2f}° / {res[1]:.2f}° | ≤ {limit:g}°, ≤ upstream Madgwick "
            f"{upstream[trial[:2]]:.2f}° + 1° |"
        )
    a = analyse_recording(
        read_qmt_full_body(data / "qmt_full_body" / "full_body_example_data.mat")
    ).angles

    def med(col: str, lo: float, hi: float) -> float:
        sel = (a.t_s >= lo) & (a.t_s < hi)
        return float(np.nanmedian(a[col][sel]))

    for side in ("left", "right"):
        lines.append(
            f"| qmt full body | {side} knee / hip while sitting (median 55–75 s) | "
            f"{med(f'{side}_knee_flexion_deg', 55, 75):.1f}° / "
            f"{med(f'{side}_hip_flexion_deg', 55, 75):.1f}° | 65–95° / 45–105° |"
        )
        lines.append(
            f"| qmt full body | {side} knee / hip standing again (median 86–93 s) | "
            f"{med(f'{side}_knee_flexion_deg', 86, 93):.1f}° / "
            f"{med(f'{side}_hip_flexion_deg', 86, 93):.1f}° | within ±10° |"
        )
    lines.append(
        "| qmt full body | pelvis tilt / lumbar flexion while sitting | "
        f"{med('pelvis_anterior_tilt_deg', 55, 75):.1f}° / "
        f"{med('lumbar_flexion_deg', 55, 75):.1f}° | (posterior tilt and flexion expected; "
        "no truth) |"
    )
    g = read_gaitmap_example(data / "gaitmap_example")
    for side in ("left", "right"):
        q = estimate_orientation(g.gyr_rad_s[side], g.acc_m_s2[side], rate_hz=g.imu_rate_hz).q_E_S
        p_imu = pitch_from_axis_deg(q, [1.0, 0.0, 0.0])
        p_ref = pitch_from_points_deg(g.toe_m[side], g.heel_m[side])
        t_ref = np.arange(p_ref.shape[0]) / g.mocap_rate_hz
        est = np.interp(t_ref, np.arange(p_imu.shape[0]) / g.imu_rate_hz, p_imu)
        static = t_ref < 0.8
        off = np.median(est[static] - p_ref[static])
        lines.append(
            f"| gaitmap | {side} foot pitch vs heel→toe markers, RMSE | "
            f"{rmse(est - p_ref - off):.2f}° | ≤ 5° |"
        )
    w = analyse_recording(read_skinematics_walking(data / "skinematics_walking")).angles
    knee = w["right_knee_flexion_deg"].to_numpy()
    peaks, _ = find_peaks(knee, height=30, distance=84)
    t = w.t_s.to_numpy()
    lines.append(
        f"| scikit-kinematics walking | knee: peaks, period, peak range | {len(peaks)} peaks, "
        f"{np.median(np.diff(t[peaks])):.2f} s, {knee[peaks].min():.1f}–{knee[peaks].max():.1f}° "
        "| 1.1–1.4 s, 45–75° |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.md")
    args = ap.parse_args(argv)
    acc_lines, t_acc = accuracy_tables(args.seeds)
    abl_lines, t_abl = ablation_table(args.seeds)
    shared = ROOT.parent / "shared"
    real = real_data_lines(shared) if shared.is_dir() else ["(../shared not present)"]
    text = TEMPLATE.format(
        seeds=args.seeds,
        scenarios=len(list_scenarios()),
        sensors=", ".join(SENSORS),
        accuracy="\n".join(acc_lines),
        ablation="\n".join(abl_lines),
        real="\n".join(real),
        python=platform.python_version(),
        machine=f"{platform.machine()}, {platform.system()}",
        minutes=(t_acc + t_abl) / 60,
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


TEMPLATE = """\
# Accuracy

Reproduce: `.venv/bin/python bench/accuracy.py --seeds {seeds}` (writes this file; about
{minutes:.0f} min on the 2-core development machine, Python {python}, {machine}).
Everything below was measured by that command; nothing is typed in by hand.

## 1. Joint angles against simulator truth

{scenarios} scenarios × {seeds} seeds, each at its natural length (≈ 1–1.7 min: protocol,
exercise) and repeated to 10 min (exercise blocks with standing rests). Sensors: {sensors},
each strapped at a random orientation; default sensor errors of `ImuErrorModel` (BMI160-class
noise, gyro bias σ 1 °/s with a random walk, accelerometer bias σ 13 mg, clock drift, jitter,
dropped samples, soft-tissue wobble; docs/simulator.md). Truth and estimate are compared on
the truth grid; RMSE and worst absolute error in degrees, both legs pooled.

{accuracy}

The issue's targets are ≤ 2° RMSE for hip flexion, knee flexion and ankle dorsiflexion and
≤ 4° for hip adduction and internal rotation, over 1 and 10 min; published IMU figures are
3–6° (../shared/reference/anchors.md §1). The simulator is kinder than skin on a real leg in
one respect — its soft-tissue model is small and its segments are rigid — so read these as
the error of the *method* (fusion, calibration, heading) rather than of a real session.

## 2. What each step buys on long sessions

Mean / worst RMSE (degrees) over {seeds} seeds; right leg and pelvis worn. "Bias walk ×5" is a
gyroscope whose bias wanders five times faster than the default (0.025 °/s/√s), a cheap or
warm-up-drifting sensor.

{ablation}

* **Stand gyro bias**: consumer gyros have offsets of 1–3 °/s; above VQF's rest threshold such
  a sensor is never "at rest", its vertical-axis bias is never estimated and its heading
  drifts tens of degrees in minutes. Removing the quiet stand's mean rate first fixes that;
  the stand anchors hide much of the effect where the subject stands up again often (compare
  the two "− stand gyro bias" rows).
* **Hinge heading (knee, ankle)**: the relative heading of thigh/shank/foot is re-measured
  from the shared flexion axis over a 20 s window (after Laidig et al. 2017).
* **Stand anchors (hip, lumbar)**: ball joints have no such constraint; their relative
  heading is re-measured whenever the subject stands upright and still again, and
  interpolated between. It assumes the hips are back in neutral rotation when standing
  (feet pointing forward); a user who stands with the leg turned out by 5° shifts hip rotation
  by about that much until the next stand.
* **Accelerometer bias from still poses**: the quiet stand absorbs only the bias component
  along its own vertical; the others become a tilt error of a few degrees once a segment rests
  in a different pose (leg raised, lying). The still poses of the session pin them down.

## 3. Real recordings (../shared/datasets)

{real}

These are the same computations as `tests/analysis/test_validation_datasets.py`, which
asserts the targets. The qmt recording has no trunk bow, so its pelvis axis sign is decided
by lumbopelvic rhythm (pelvis and trunk tip the same way, r = 0.68); the result is the usual
chair posture (posterior pelvic tilt, lumbar flexion, hips ≈ 58°).
"""

if __name__ == "__main__":
    raise SystemExit(main())
