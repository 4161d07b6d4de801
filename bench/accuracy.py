"""Joint-angle accuracy against ground truth — writes docs/accuracy.md (run on demand).

    .venv/bin/python bench/accuracy.py [--seeds 3] [--out docs/accuracy.md]
        [--population 120 --hours 3 | --population-json bench/out/population.json]
        [--population-baseline-json BEFORE.json] [--population-holdout-json HELD_OUT.json]


1. Every simulator scenario, at its natural length (≈ 1–1.7 min) and repeated to 10 min,
   with the default (consumer-MEMS) sensor errors and sensors strapped at random
   orientations: RMSE and worst error of every angle against the simulator's truth.
2. What each step of the pipeline buys on long sessions (10 and 30 min), with the default
   errors and with a 5× harsher gyroscope bias random walk.
3. The validation on real recordings in ../shared/datasets (skipped when absent).
4. With ``--population N``: ``bench/population.py`` on N simulated people (both sensor sets,
   1 min / 10 min, ``--hours`` more at 1 h), or its tables from an earlier run's JSON
   (``--population-json``); and ``bench/walking.py`` (gait: real Xsens and simulated).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from analysis.angles.orientation import estimate_orientation
from analysis.angles.pipeline import PipelineOptions, analyse_recording
from analysis.recording.streams import Recording, streams_from_samples
from analysis.recording.targets import RMSE_TARGET_DEG
from analysis.simulation import ImuErrorModel, SimulationConfig, list_scenarios, simulate
from analysis.simulation.metrics import (
    angle_error,
    inclination_error_deg,
    pitch_from_axis_deg,
    pitch_from_points_deg,
    rmse,
)

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
    m: RMSE_TARGET_DEG[m]  # the issue's, as the analysis reads them
    for m in (
        "hip_flexion",
        "knee_flexion",
        "ankle_dorsiflexion",
        "hip_adduction",
        "hip_internal_rotation",
    )
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
    res = analyse_recording(
        Recording(streams=streams_from_samples(sim.samples), meta=sim.meta), options=options
    )
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
    "− posture anchors (hip lying/sitting)": PipelineOptions(posture_anchors=False),
    "− hinge heading (knee/ankle)": PipelineOptions(hinge_heading=False),
    "− accelerometer bias from poses": PipelineOptions(acc_bias_from_poses=False),
    "− accelerometer gain from poses": PipelineOptions(acc_gain_from_poses=False),
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


def population_section(args: argparse.Namespace) -> tuple[str, float]:
    """Markdown of the population and walking sections (empty when not asked for)."""
    if not args.population and not args.population_json:
        return "", 0.0
    sys.path.insert(0, str(ROOT / "bench"))
    import population
    import walking

    t0 = time.perf_counter()
    if args.population_json:
        records = json.loads(args.population_json.read_text(encoding="utf-8"))
    else:
        records = population.run(args.population, args.hours)
        out = ROOT / "bench" / "out" / "population.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(records), encoding="utf-8")
    tables = {k: "\n".join(v) for k, v in population.report_lines(records).items()}
    shared = ROOT.parent / "shared"
    walk_real = "\n".join(walking.real_lines(shared)) if shared.is_dir() else "(no ../shared)"
    walk_sens = (
        "\n".join(walking.sensitivity_lines(shared)) if shared.is_dir() else "(no ../shared)"
    )
    walk_sim = "\n".join(walking.simulated_lines())
    n = {s: sum(r["sensors"] == s for r in records) for s in population.SETS}
    before = ""
    if args.population_baseline_json:
        base = json.loads(args.population_baseline_json.read_text(encoding="utf-8"))
        before = BEFORE.format(
            label=args.baseline_label,
            sessions=len(base),
            rmse="\n".join(population.rmse_table(base)),
            signs="\n".join(population.sign_table(base)),
            verdicts="\n".join(population.verdict_table(base)),
            failures=sum("error" in r for r in base),
        )
    holdout = ""
    if args.population_holdout_json:
        held = json.loads(args.population_holdout_json.read_text(encoding="utf-8"))
        holdout = HOLDOUT.format(
            sessions=len(held),
            first=min(r["person"] for r in held),
            last=max(r["person"] for r in held if r["length"] != "1 h"),
            hour_people=len({r["person"] for r in held if r["length"] == "1 h"}),
            failures=sum("error" in r for r in held),
            rmse="\n".join(population.rmse_table(held)),
            trusted="\n".join(population.rmse_table(held, trusted_only=True)),
            signs="\n".join(population.sign_table(held)),
            verdicts="\n".join(population.verdict_table(held)),
        )
    text = POPULATION.format(
        people=len({r["person"] for r in records if r["length"] != "1 h"}),
        hour_people=len({r["person"] for r in records if r["length"] == "1 h"}),
        sessions=len(records),
        n_default=n["default"],
        n_full=n["full"],
        n_pair=n["pair"],
        hours=sum(r["length"] == "1 h" for r in records),
        errors=tables["errors"] or "none",
        walk_real=walk_real,
        walk_sens=walk_sens,
        walk_sim=walk_sim,
        before=before,
        holdout=holdout,
        **{k: v for k, v in tables.items() if k != "errors"},
    )
    return text, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.md")
    ap.add_argument("--population", type=int, default=0, help="simulated people (0: skip)")
    ap.add_argument("--hours", type=int, default=3, help="people recorded for 1 h")
    ap.add_argument("--population-json", type=Path, help="tables from an earlier run")
    ap.add_argument(
        "--population-baseline-json", type=Path, help="an earlier run to show as 'before'"
    )
    ap.add_argument("--baseline-label", default="an earlier commit")
    ap.add_argument(
        "--population-holdout-json",
        type=Path,
        help="a run on people nobody examined (bench/population.py --first-person 1000)",
    )
    args = ap.parse_args(argv)
    pop_text, t_pop = population_section(args)
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
        minutes=(t_acc + t_abl + t_pop) / 60,
        population=pop_text,
        pop_flag=(
            f" --population {args.population} --hours {args.hours}"
            if args.population
            else (" --population-json FILE" if args.population_json else "")
        ),
    )
    if args.out.exists():
        text += hand_written_sections(args.out.read_text(encoding="utf-8"))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


HAND_WRITTEN = "(hand-written"


def hand_written_sections(markdown: str) -> str:
    """The ``## `` sections of ``markdown`` whose title says they are hand-written.

    A regenerated page keeps them, after the measured sections, each with its own date and
    command in its text; an empty string when there are none.
    """
    kept: list[str] = []
    keep = False
    for line in markdown.splitlines(keepends=True):
        if line.startswith("## "):
            keep = HAND_WRITTEN in line
        if keep:
            kept.append(line)
    body = "".join(kept)
    return "\n" + body if body else ""


TEMPLATE = """\
# Accuracy

Reproduce: `.venv/bin/python bench/accuracy.py --seeds {seeds}{pop_flag}` (writes this file; about
{minutes:.0f} min on the 2-core development machine, Python {python}, {machine}).
Everything below was measured by that command, except the sections whose title says
hand-written (each names its own command and date; a regenerated page keeps them at its end).

## Joint angles against simulator truth: the project's scenarios

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
These scenarios all include a trunk bow that tips the pelvis 25° and wear eight sensors;
the population below does neither unless a person happens to.
{population}
## What each step buys on long sessions

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
* **Stand anchors (hip, lumbar, neck)**: ball joints have no such constraint; their relative
  heading is re-measured whenever the subject stands upright and still again, and
  interpolated between. It assumes the hips are back in neutral rotation when standing
  (feet pointing forward); a user who stands with the leg turned out by 5° shifts hip rotation
  by about that much until the next stand. The head is anchored to the trunk the same way
  (facing ahead at the stand): a head heading drifted ψ from the trunk's reads
  lean·(1 − cos ψ) less neck flexion when both lean forward (about 10° at a 15° lean and
  ψ = 70°, ten minutes of a 0.12 °/s drift), a head turned 15° at a stand about 3 % of the lean.
* **Accelerometer bias from still poses**: the quiet stand absorbs only the bias component
  along its own vertical; the others become a tilt error of a few degrees once a segment rests
  in a different pose (leg raised, lying). The still poses of the session pin them down.

## Real recordings (../shared/datasets)

{real}

These are the same computations as `tests/analysis/test_validation_datasets.py`, which
asserts the targets. The qmt recording has no trunk bow, so its pelvis axis sign is decided
by the hip centre it shares with the thighs (the other sign fits 1.59× worse) and its trunk's
by the lumbar spine's limit against that pelvis; the result is the usual chair posture
(posterior pelvic tilt, lumbar flexion, hips ≈ 58°).
"""

POPULATION = """
## Joint angles and verdicts on a simulated population

`.venv/bin/python bench/population.py --people {people} --hours {hour_people}` (raw per-session
results in `bench/out/population.json`, not committed; `--population-json` renders this page
from them): {sessions} sessions ({n_default} with the 4-sensor
default — pelvis and the stretched leg's thigh, shank and foot —, {n_full} with all nine
sensors and {n_pair} with only the stretched leg's thigh and shank, the two-sensor home kit;
the same people and movements in each), {hours} of them 1 h long. The generator
(`analysis/simulation/population.py`) was written apart from the scenario scripts and
randomises how people move, not only the sensors: about a third follow the protocol
literally and keep the pelvis still in the knee bends and leg swings — half of them the
README's as it is now (two bows from the hips, back straight), half the older protocol that
had no bows, as an older recording or a vendor export would; the others rock the pelvis or
not, bend shallow or deep, swing fast or slow, add a trunk bow or not, skip or rush steps,
fidget, turn round, sit down in between; 30 % do the supine stretch (lying down after
calibrating). In the standing stretch the pelvis hitches sideways (−6…6° of obliquity, the
stance leg upright), so a doubted pelvis cannot hide a rotation error behind a level pelvis.
Each session straps the sensors anew (several sites per segment — e.g.
outside or front of the thigh —, any axis out of the skin, any turn, or a uniformly random
rotation) and draws its own sensor errors (bias up to 2× the default, bias walk up to 3×,
noise up to 2×, 1–1.5 % scale, 0.7° axis misalignment, soft-tissue wobble 0.5–3×). A quarter
of the sidecars carry no calibration windows (a vendor export). Every exercise block holds
22–45 s, with one scripted violation (ankle dorsiflexed, knee locked, slump when a trunk
sensor is worn, pelvis tucked/curled, hip adduction, hip internal rotation) or none; 35 % of
the people never violate.

RMSE of each angle against the truth over the whole session, median / 95th percentile /
worst, degrees. A leg angle's row is the exercised leg's, the one the rules judge; where the
other leg is worn too (the full set) its angles have their own rows ("…, other leg": judged by
no rule, shown as measurements; until round 10 the two legs were pooled in one row, which
counted the resting leg's uncertain angles as the exercised leg's). ✗ marks a 95th
percentile or worst case above the target (≤ 2° hip flexion, knee, ankle, pelvis tilt; ≤ 4°
hip adduction and rotation, lumbar and neck flexion). "1 min" is one exercise block (≈ 1–2
min with the calibration).

{rmse}

The same without the angles a session reported as *uncertain* (its rules then give no
verdict and the report says what to redo; in brackets how many angles were left out):

{rmse_trusted}

Where the pelvis and hip errors come from (sessions whose pelvis tilt or stretched-side hip
flexion RMSE exceeds 2°, and whether the calibration's pelvis axis sign was wrong):

{breakdown}

**Calibration sign decisions** against the true strapping, every sensor of every session.
"Wrong" means the segment's flexion axis (z) came out reversed; "confident" is the
calibration's own `sign_confidence = high`; "uncertain" counts decisions the calibration
marks as not established (when it exposes such a state).

{signs}

**Envelope verdicts against the truth.** The truth verdict is `check_envelope` run on the
true angles (same profile, same columns as the pipeline measured). A scripted violation is
*found* when exactly one episode of its rule starts within 0.5 s + the rule's dwell of the
true crossing (in brackets: how many the truth envelope itself finds that way). A *false
episode* is one that overlaps no true episode of its rule (±1 s). A true hold is matched when
an estimated hold starts and ends within 1 s of it. Advisory rules (hip adduction, rotation)
count like the others here. The last column counts episodes the truth itself shows on
sessions without a scripted violation (a check of the generator and the profile: sitting
used to engage the standing profile until its engagement asked for the knee bent ≤ 60°).

{verdicts}

Why each scripted violation was or was not found (per rule; "uncertain rule" means the
calibration marked the angle not established, so the rule gives no verdict — in brackets,
whether the untrusted angle alone would have found it):

{misses}

Why a true hold was not matched within 1 s:

{holds}

What the rules marked uncertain would have given had they been trusted (the case for keeping
them out of the verdict):

{unconfirmed}

Failures of the pipeline on a session (each is one session not in the tables above): {errors}
{holdout}{before}
## Gait: knee and hip during walking

Real walking (OpenSense example trial, 8 Xsens MTw; accelerometer and the sensors' own fused
orientations, no gyroscope). The reference row is the pipeline fed the vendor's orientations;
the others feed stretchguard's own fusion the accelerometer and the angular rate derived from
successive vendor orientations, so the difference isolates fusion, heading tracking and the
hinge/stand corrections (calibration is the same step in both). Mean / RMS difference in
degrees over 17.5 s of walking:

{walk_real}

How much the gait knee of the same recording moves when the calibration is off by a known
amount (vendor orientations; the calibrated sensor-to-segment rotation of the right leg
turned on purpose):

{walk_sens}

Simulated gait (pelvis held in place, both legs walking at 1.1 s per stride with a textbook
sagittal pattern plus 6° of hip adduction and 5° of rotation, pelvis tilting ±1.5°, rolling
±4° and turning ±5°), 3 strappings each; error = estimate − truth during walking, mean / RMS /
error of the highest value (peak):

{walk_sim}

**What this says about the knee reading ≈ 5° high in gait against optical capture** (issue
10; that recording is not in ../shared, so the offset itself cannot be re-measured here):

* *Fusion, heading and the hinge/stand corrections* are not the cause: stretchguard's own
  fusion and the vendor's agree on the gait knee to within a fraction of a degree on average,
  and switching each correction off moves it by as little (first table).
* *Calibration axes* are not either: a flexion axis turned 10° changes the gait knee by
  tenths of a degree on average. Only the *zero* (the quiet stand) shifts it one for one, and
  a zero error is a constant: it would show in sitting as much as in walking, where the knee
  agreed within 0.9°.
* *The method with rigid ideal sensors* reads the simulated gait knee without bias; the
  simulator's soft-tissue wobble (an oscillator driven by the segment's angular
  acceleration) adds error at the peaks, not a mean offset.
* What is left is not the method's: soft tissue of a real thigh (skin and muscle sliding
  under the sensor with every stride and every contraction — not what the wobble model
  represents) and the reference itself (the optical model's knee zero and joint axes). A
  recording with both systems (GAITEX or Al Borno 2022, reference/datasets.md) would
  separate the two: compare the stand zero first, then the gait excursion.

**Hip flexion in gait was the method's.** Walking turns the pelvis more about its
front-to-back axis (roll) and the vertical than about its flexion axis, so when the
functional window holds walking the pelvis's dominant rotation axis is the wrong one: it lay
88–105° from the thighs' flexion axes on the real recording. The calibration now tests the
pelvis against the hip centre it shares with each thigh (the centre's acceleration must agree
seen from either sensor; docs/conventions.md) and, when that fixes the heading sharply and the
pelvis's own axis lies ≥ 45° from the thighs', takes the thighs' axis instead: on the real
recording the pelvis axis now lies 1.6° / 16° / 1.2° from the trunk's / left / right thigh's
axes, its sign is confident, and the gait hip flexion range is −11…28° (was −11…38°). No
optical reference is in ../shared, so that range is not validated against truth.
"""

HOLDOUT = """
### Held-out people (seeds {first}–{last}, {hour_people} more at 1 h: no fix was built on them)

The seeds above (0–149, 1-h people 10000–) are the ones the engineers looked at while fixing
what they showed. These {sessions} sessions ({failures} failed) come from the same generator
with seeds nobody opened (`bench/population.py --first-person {first}`): a check that the
fixes are methods, not fits to those people. Earlier held-out runs are no longer unseen:
seeds 1000–1149 found one confident wrong trunk sign and pelvis axes 24–89° off, seeds
3000–3039 a trusted head-to-pelvis angle 21° off, and the fixes that followed were built on
those people; seeds 2000–2099 were used to check those fixes; seeds 4000–4099,
5000–5099 and 6000–6099 were held out in turn and then examined (a trusted resting-leg knee
2.7° and ankle 2.2° off in supine stretches, a trusted neck 4.1° off after 9 minutes lying,
missed violations on undecided signs); seeds 7000–7099 and 8000–8099 were held out in turn
and then examined (violations missed on low-confidence pelvis signs, a hip rotation 5.5° off
on an uncertain pelvis axis, three holds more than 1 s off); seeds 9000–9099 and 9100–9199
were held out in turn and then examined (a vendor export whose short calibration let the
stretch hold be taken for the quiet stand, a weak hip centre overruling clear bows, a
resting leg's hip flexion 2.17° off); seeds 11000–11099 were run on round 9's starting
code and examined (a resting ankle 87° off while lying, a true 52° ankle reading in deep knee
bends that doubted a whole calibration, a pelvis tuck missed because the stretch was judged
left); seeds 13000–13099 were held out in round 9 and then examined in round 10 (a pelvis
axis 84° off from sideways rocking that two loose thighs together rule out, a lumbar slump
missed on an uncertain pelvis), and seeds 14000–14099 were run on round 10's starting code
and examined (a trusted hip adduction 4.22° off, lumbar slumps missed on an uncertain pelvis
or trunk sign); seeds 16000–16099 were held out in round 10 and then examined in round 11
(a confident wrong foot sign: toes pointed in the leg swings), and seeds 18000–18099 were run
on round 11's starting code and examined (two holds more than 1 s off without saying so: an
engagement angle on a pelvis axis that is not established, a lean slower in the estimate than
the rate precision allowed); seeds 20000–20099 were held out in round 11 and seeds
22000–22099 run on round 12's starting code, both then examined (a trusted hip adduction
8.85° off lying down, from a pelvis axis its rocking calibration turned 10.7°; a trusted
knee 2.83° off, from a knee fit that left the shank's axis free); seeds 40000–40099 were
held out in round 12 and seeds 42000–42099 run on round 13's starting code, both then
examined (a hold started 1.9 s late without saying so, timed on a pelvis axis 19° off that a
witness midway between it and its rival had confirmed); seeds 44000–44099 were held out in
round 13 and seeds 46000–46099 run on round 14's starting code, both then examined (a trusted
ankle 2.03° off over an hour lying, from accelerometer errors the pose fit cannot see; lumbar
slumps missed on an uncertain trunk); seeds 48000–48099 were held out in round 14 and seeds
60000–60099 run on round 15's starting code, both then examined (nothing trusted over its
target; the only misses on rules marked uncertain, one a knee break read 8.5° past its edge
on a thigh whose accelerometer doubt was a bounded ±2.7°); seeds 62000–62099 were held out in
round 15 and seeds 64000–64099 run on round 16's starting code, both then examined (nothing
trusted over its target; a hold split by a pause at the dwell and a lean at the rate limit
counted off; a false strap slip on a resting shank over an hour; an ankle 9.6° off on a foot
whose forward direction was rightly marked not established); seeds 66000–66099 were held out
in round 16 and seeds 68000–68099 run on round 17's starting code, both then examined (a false
ankle episode from a calibration knee bend that engaged the stretch for exactly the 2-s dwell;
the start-of-round run clean); seeds 80000–80099 were held out in round 17 and seeds
82000–82099 run on round 18's starting code, both then examined (a trusted neck 4.26° off on
a trunk that turned only with its pelvis and kept the pelvis's rejected axis); seeds
84000–84099 were held out in round 18 and seeds 86000–86099 run on round 19's starting
code, both then examined (a resting shank's sign confidently wrong from two turns on the spot;
two holds off unsaid on a pelvis read the wrong way round; the start-of-round run clean); seeds
88000–88099 were held out in round 19 and seeds 100000–100099 run on round 20's starting code,
both then examined (a resting hip's rotation trusted 11.9° off on a thigh axis no knee fit
confirmed; a false one-stretch strap alarm that lost twelve hip breaks in an hour; a resting
knee trusted 2.03° off); seeds 102000–102099 were held out in round 20, 106000–106099 in
round 21 and 120000–120099 in round 22 (their figures published, no session opened since but
106049, examined in round 22 for its verdict) and seeds 104000–104099 and 108000–108099 run
on rounds 21's and 22's starting code (clean on every hard criterion); seeds 122000–122099
were run on round 23's starting code and then examined (four holds off unsaid in 1-h person
132050: a trunk axis 75° off that neither of its two readings let the slump break); seeds
124000–124099 were held out in round 23 (their figures published, no session opened since) and
seeds 126000–126099 were started on round 24's starting code and stopped after 20 sessions,
unread. The seeds below were run once, on round 24's final code.
All angles, then the trusted ones only:

{rmse}

{trusted}

{signs}

{verdicts}
"""

BEFORE = """
### The same population before this round's changes ({label})

{sessions} sessions ({failures} failed), same people, movements, strapping and errors
(`--population-baseline-json` with that run's JSON):

{rmse}

{signs}

{verdicts}
"""

if __name__ == "__main__":
    raise SystemExit(main())
