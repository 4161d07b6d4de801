"""The gyroscope's turn between two still poses as a witness of an accelerometer's errors.

    PYTHONPATH=. .venv/bin/python -m bench.turn_witness --files A.csv [B.csv …] [--out-json P]
    PYTHONPATH=. .venv/bin/python -m bench.turn_witness --people 40 [--first-person 0]
        [--imu-errors commodity] [--out-json P]

A measurement, not part of the analysis (docs/accuracy.md, round 17). Each analysis runs as
``stretchguard analyse`` / ``bench/population.py`` run it, with
``pipeline.pose_evidence`` wrapped to read, per pelvis and leg sensor, every pair of
consecutive still windows (0.5 s, the pose fit's stillness) at least 20° apart with at most
20 s of movement between them. Between the two, the gyroscope's rotation (debiased with the
median rate of every still window within 30 s) carries the first window's gravity direction
onto the second's; the residual is the accelerometer's direction there minus the carried one
(radians, in the plane of the two, sensor frame). Per pose pair the transition of median
residual is kept.

Its linearised model: residual = J_acc θ_acc + J_gyr θ_gyr + ε, with θ_acc the accelerometer's
(offset m/s², six symmetric gain terms) as the pose fit has them, θ_gyr the gyroscope's
symmetric sensitivity error (σ ``--gyr-sd``, default 1.5 %: the MPU-6050's ±3 % sensitivity
tolerance taken as 2σ) and its misalignment against the accelerometer (σ 1 %, ≈ 0.6°), and ε
0.3° + 0.5 % of the turn. Two Bayes factors (natural log; > 0: the data read as a part whose
accelerometer errors are three times the fit's prior, as ``tilt_precision.prior_misfit``):

- ``joint_lbf``: the raw accelerometer's still norms (as ``prior_misfit``) and turns together,
  θ_acc from the fit's prior against three times it;
- ``post_lbf``: the turns of the *corrected* accelerometer alone, θ_acc from the fit's
  posterior (``tilt_precision.posterior_covariance``) under the fit's prior against three
  times it — errors the norms saw and the fit removed do not count.

Printed: one line per sensor (still poses, ``norm_lbf`` = ``PriorMisfit.commodity_lbf``, the
two factors, the pose pairs' acc and gyro angles and residuals); with ``--people`` also each
sensor whose factor is positive while its norms' is not, with its angles' RMSE and whether
they were uncertain.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from analysis.angles import pipeline
from analysis.angles import tilt_precision as tp
from analysis.angles.accbias import (
    ACC_BIAS_PRIOR_SD_M_S2,
    GAIN_TERMS,
    _gain_matrix,
    _norm_jacobian,
    cluster_poses,
    pose_labels,
)
from analysis.recording.schema import GRAVITY_M_S2

FloatArray = NDArray[np.float64]

WINDOW_S = 0.5
MAX_GYRO_RAD_S = 0.05
MAX_ACC_SD_M_S2 = 0.1
MAX_GAP_S = 20.0
MIN_TURN_DEG = 20.0
BIAS_NEAR_S = 30.0
GYR_SKEW_SD = 0.01
EPS_RAD = np.radians(0.3)
EPS_REL = 0.005
PRIOR_GAIN_SD = 0.005
WIDER = tp.COMMODITY_PRIOR_SCALE


@dataclass(frozen=True)
class Turn:
    """One still-to-still transition: residual (2,) and its Jacobians (2, 9) in the plane."""

    t_s: float
    acc_deg: float
    gyr_deg: float
    residual_rad: FloatArray
    j_acc: FloatArray
    j_gyr: FloatArray
    ends: FloatArray  # (2, 3) the two windows' mean specific force


def still_windows(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, rate_hz: float, gyr_bias_rad_s: FloatArray
) -> tuple[int, NDArray[np.bool_], FloatArray, FloatArray]:
    """Samples per window, which windows are still, their mean specific force and rate."""
    n = max(2, round(WINDOW_S * rate_hz))
    k = acc_m_s2.shape[0] // n
    a = np.asarray(acc_m_s2[: k * n], dtype=np.float64).reshape(k, n, 3)
    g = np.asarray(gyr_rad_s[: k * n], dtype=np.float64).reshape(k, n, 3)
    d = g - gyr_bias_rad_s
    with np.errstate(invalid="ignore"):
        turning = np.sqrt(np.einsum("kni,kni->kn", d, d)).max(axis=1)
        sd = np.sqrt(a.var(axis=1).sum(axis=1))
        still = (turning < MAX_GYRO_RAD_S) & (sd < MAX_ACC_SD_M_S2)
    return n, still, a.mean(axis=1), g.mean(axis=1)


def integrate(w_rad_s: FloatArray, dt_s: float) -> Rotation:
    """Body-frame rates integrated in order: ``R(t1) = R(t0) · result``."""
    r = Rotation.from_rotvec(w_rad_s * dt_s)
    while len(r) > 1:
        if len(r) % 2:
            r = Rotation.concatenate([r, Rotation.identity()])
        r = r[0::2] * r[1::2]
    return r[0]


def _angle(a: FloatArray, b: FloatArray) -> float:
    return float(np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b))


def _unit(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v)


def _gyro_perturbations(h: float) -> list[FloatArray]:
    """Six symmetric sensitivity terms, then three misalignments (antisymmetric)."""
    out = []
    for p, q in GAIN_TERMS:
        e = np.zeros((3, 3))
        e[p, q] += h
        if p != q:
            e[q, p] += h
        out.append(e)
    for p, q in ((1, 2), (0, 2), (0, 1)):
        e = np.zeros((3, 3))
        e[p, q], e[q, p] = h, -h
        out.append(e)
    return out


def _residual(
    theta: FloatArray, mi: FloatArray, mj: FloatArray, rot: Rotation, basis: FloatArray
) -> FloatArray:
    """Measured minus carried gravity direction at the second pose, in ``basis`` (2, 3).

    ``theta``: a change of the accelerometer correction (offset m/s², six gain terms).
    """
    gain = _gain_matrix(theta[3:])
    fi, fj = gain @ (mi - theta[:3]), gain @ (mj - theta[:3])
    return basis @ (_unit(fj) - rot.inv().apply(_unit(fi)))


def local_rate_bias(still: NDArray[np.bool_], mean_gyr: FloatArray, i: int, j: int) -> FloatArray:
    """The gyroscope's offset near windows ``i`` and ``j``: the median rate of every still window
    within :data:`BIAS_NEAR_S` of either (rad/s). A window that turns slowly passes as still;
    its own mean alone would remove that turn over the whole transition."""
    near = round(BIAS_NEAR_S / WINDOW_S)
    idx = np.flatnonzero(still)
    idx = idx[(idx >= i - near) & (idx <= j + near)]
    return np.median(mean_gyr[idx], axis=0)


def transitions(
    acc_m_s2: FloatArray, gyr_rad_s: FloatArray, rate_hz: float, gyr_bias_rad_s: FloatArray
) -> list[Turn]:
    """Every still-to-still transition of one sensor (see the module docstring)."""
    n, still, mean_acc, mean_gyr = still_windows(acc_m_s2, gyr_rad_s, rate_hz, gyr_bias_rad_s)
    idx = np.flatnonzero(still)
    dt = 1.0 / rate_hz
    out = []
    for i, j in itertools.pairwise(idx):
        if j == i + 1 or (j - i - 1) * WINDOW_S > MAX_GAP_S:
            continue
        mi, mj = mean_acc[i], mean_acc[j]
        if not (np.all(np.isfinite(mi)) and np.all(np.isfinite(mj))):
            continue
        if np.degrees(_angle(mi, mj)) < MIN_TURN_DEG:
            continue
        w = np.asarray(gyr_rad_s[i * n + n // 2 : j * n + n // 2], dtype=np.float64)
        w = w - local_rate_bias(still, mean_gyr, i, j)
        if not np.all(np.isfinite(w)):
            continue
        rot = integrate(w, dt)
        carried = rot.inv().apply(_unit(mi))
        t1 = np.cross(_unit(mj), carried)
        if np.linalg.norm(t1) < 1e-9:
            continue
        basis = np.stack([_unit(t1), np.cross(_unit(mj), _unit(t1))])

        r0 = _residual(np.zeros(9), mi, mj, rot, basis)
        j_acc = np.empty((2, 9))
        for k in range(9):
            d = np.zeros(9)
            d[k] = 1e-3 if k < 3 else 1e-5
            j_acc[:, k] = (_residual(d, mi, mj, rot, basis) - _residual(-d, mi, mj, rot, basis)) / (
                2 * d[k]
            )
        h = 1e-3
        j_gyr = np.stack(
            [
                (_residual(np.zeros(9), mi, mj, integrate(w @ (np.eye(3) + e).T, dt), basis) - r0)
                / h
                for e in _gyro_perturbations(h)
            ],
            axis=1,
        )
        out.append(
            Turn(
                t_s=float(i * WINDOW_S),
                acc_deg=float(np.degrees(_angle(mi, mj))),
                gyr_deg=float(np.degrees(_angle(_unit(mi), carried))),
                residual_rad=r0,
                j_acc=j_acc,
                j_gyr=j_gyr,
                ends=np.stack([mi, mj]),
            )
        )
    return out


def per_pose_pair(turns: Sequence[Turn]) -> list[tuple[Turn, int]]:
    """Per pair of poses (8° clusters), the transition of median residual and the count."""
    if not turns:
        return []
    ends = np.concatenate([t.ends for t in turns])
    lab = pose_labels(
        ends / np.linalg.norm(ends, axis=1, keepdims=True), cos_radius=np.cos(np.deg2rad(8.0))
    ).reshape(-1, 2)
    groups: dict[tuple[int, int], list[Turn]] = {}
    for t, (a, b) in zip(turns, lab, strict=True):
        groups.setdefault((int(min(a, b)), int(max(a, b))), []).append(t)
    out = []
    for ts in groups.values():
        ts = sorted(ts, key=lambda t: t.acc_deg - t.gyr_deg)
        out.append((ts[len(ts) // 2], len(ts)))
    return out


def _log_likelihood(r: FloatArray, cov: FloatArray) -> float:
    _, logdet = np.linalg.slogdet(cov)
    return float(-0.5 * (r @ np.linalg.solve(cov, r) + logdet))


def _turn_terms(rows: Sequence[Turn], gyr_sd: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    r = np.concatenate([t.residual_rad for t in rows])
    ja = np.concatenate([t.j_acc for t in rows])
    jg = np.concatenate([t.j_gyr for t in rows])
    eps = np.repeat([EPS_RAD + EPS_REL * np.radians(t.gyr_deg) for t in rows], 2)
    sd = np.concatenate([np.full(6, gyr_sd), np.full(3, GYR_SKEW_SD)])
    return r, ja, (jg * sd**2) @ jg.T + np.diag(eps**2)


def joint_lbf(raw_means: FloatArray, rows: Sequence[Turn], gyr_sd: float) -> float:
    """Raw norms and turns: log Bayes factor of the prior × 3 against the fit's prior."""
    m = cluster_poses(np.asarray(raw_means, dtype=np.float64))
    m = m[np.all(np.isfinite(m), axis=1)]
    rn = np.linalg.norm(m, axis=1) - GRAVITY_M_S2
    _, jn = _norm_jacobian(m, np.zeros(3), np.eye(3), True)
    rt, ja, ct = _turn_terms(rows, gyr_sd)
    r = np.concatenate([rn, rt])
    j = np.concatenate([jn, ja])
    base = np.zeros((r.size, r.size))
    base[: rn.size, : rn.size] = 0.02**2 * np.eye(rn.size)
    base[rn.size :, rn.size :] = ct
    prior = np.concatenate([np.full(3, ACC_BIAS_PRIOR_SD_M_S2**2), np.full(6, PRIOR_GAIN_SD**2)])
    ll = [_log_likelihood(r, (j * (s**2 * prior)) @ j.T + base) for s in (1.0, WIDER)]
    return ll[1] - ll[0]


def post_lbf(corr_means: FloatArray, rows: Sequence[Turn], fitted: bool, gyr_sd: float) -> float:
    """Corrected turns against the fit's posterior: log Bayes factor, prior × 3 against × 1."""
    rt, ja, ct = _turn_terms(rows, gyr_sd)
    ll = []
    for s in (1.0, WIDER):
        cov = tp.posterior_covariance(
            corr_means, fitted=fitted, scale=s, prior_gain_sd=PRIOR_GAIN_SD
        )
        ll.append(_log_likelihood(rt, ja @ cov @ ja.T + ct))
    return ll[1] - ll[0]


def install(gyr_sd: float) -> Callable[[], dict[str, dict[str, Any]]]:
    """Wrap the pipeline's pose evidence; returns a function taking the last session's table."""
    seen: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    orig_pe, orig_all = pipeline.pose_evidence, pipeline._pose_evidence

    def pose_evidence(acc_m_s2: Any, gyr_rad_s: Any, **kw: Any) -> tp.PoseEvidence:
        ev = orig_pe(acc_m_s2, gyr_rad_s, **kw)
        acc = np.asarray(acc_m_s2, dtype=np.float64)
        gyr = np.asarray(gyr_rad_s, dtype=np.float64)
        rate, bias, corr = kw["rate_hz"], kw["gyr_bias_rad_s"], kw.get("correction")
        means = tp._still_means(acc, gyr, rate, bias)
        raw_rows = [
            t for t, _ in per_pose_pair(transitions(tp.uncorrected(acc, corr), gyr, rate, bias))
        ]
        pairs = per_pose_pair(transitions(acc, gyr, rate, bias))
        rows = [t for t, _ in pairs]
        seen.append(
            {
                "poses": ev.poses,
                "norm_lbf": ev.misfit.commodity_lbf,
                "joint_lbf": joint_lbf(tp.uncorrected(means, corr), raw_rows, gyr_sd)
                if raw_rows
                else ev.misfit.commodity_lbf,
                "post_lbf": post_lbf(means, rows, kw["fitted"], gyr_sd) if rows else None,
                "pairs": [
                    {
                        "n": c,
                        "acc_deg": round(t.acc_deg, 2),
                        "gyr_deg": round(t.gyr_deg, 2),
                        "residual_deg": round(float(np.degrees(np.linalg.norm(t.residual_rad))), 2),
                    }
                    for t, c in pairs
                ],
            }
        )
        return ev

    def all_evidence(session: Any, *a: Any, **k: Any) -> dict[str, tp.PoseEvidence]:
        seen.clear()
        out = orig_all(session, *a, **k)
        last.clear()
        last.update(zip(list(out), list(seen), strict=True))
        return out

    pipeline.pose_evidence = pose_evidence
    pipeline._pose_evidence = all_evidence
    return lambda: dict(last)


def _line(name: str, d: Mapping[str, Any]) -> str:
    post = "—" if d["post_lbf"] is None else f"{d['post_lbf']:+.2f}"
    pairs = "; ".join(
        f"{p['acc_deg']:.1f}° acc vs {p['gyr_deg']:.1f}° gyro, off {p['residual_deg']:.2f}° "
        f"(×{p['n']})"
        for p in d["pairs"]
    )
    return (
        f"{name}: {d['poses']} poses, norms {d['norm_lbf']:+.2f}, norms+turns "
        f"{d['joint_lbf']:+.2f}, turns vs posterior {post}  [{pairs}]"
    )


def run_files(files: Sequence[Path], gyr_sd: float) -> dict[str, Any]:
    from cli.main import main as cli_main

    take = install(gyr_sd)
    out: dict[str, Any] = {}
    for f in files:
        tmp = Path(tempfile.mkdtemp())
        try:
            cli_main(["analyse", str(f), "--out", str(tmp / "out")])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        out[str(f)] = take()
        for p, d in out[str(f)].items():
            print(_line(f"{f.parent.name}/{f.name} {p}", d))
    return out


_SEGMENTS = {"hip": ("pelvis", "thigh"), "knee": ("thigh", "shank"), "ankle": ("shank", "foot")}


def _angles_of(record: Mapping[str, Any], placement: str) -> list[str]:
    side = None if placement == "pelvis" else placement.split("_")[0]
    out = []
    for c, v in sorted(record.get("rmse_deg", {}).items()):
        joint = [k for k in _SEGMENTS if f"_{k}_" in c and ("flexion" in c or "dorsi" in c)]
        if not joint or (side and not c.startswith(side)):
            continue
        if any(placement.endswith(s) for s in _SEGMENTS[joint[0]]):
            mark = "uncertain" if c in record.get("uncertain_angles", []) else "trusted"
            out.append(f"{c.removesuffix('_deg')} {v:.2f}° {mark}")
    return out


def run_people(people: int, first: int, preset: str | None, gyr_sd: float) -> list[dict[str, Any]]:
    from bench import population

    take = install(gyr_sd)
    todo: list[Any] = population.tasks(people, 0, first, sets=("default",))
    if preset:
        todo = [(*t, preset) for t in todo]
    records = []
    for task in todo:
        rec = population.run_one(task)
        rec["witness"] = take()
        records.append(rec)
    for key in ("joint_lbf", "post_lbf"):
        sensors = [(r, p, d) for r in records for p, d in r["witness"].items()]
        pos = [(r, p, d) for r, p, d in sensors if (d[key] or 0.0) > 0.0]
        new = [(r, p, d) for r, p, d in pos if d["norm_lbf"] <= 0.0]
        print(
            f"\n{key}: {len(pos)} of {len(sensors)} sensors > 0, {len(new)} of them not by "
            "their norms alone"
        )
        for r, p, d in new:
            print(
                f"  person {r['person']} ({r['length']}) {p}: {d['poses']} poses, norms "
                f"{d['norm_lbf']:+.2f}, {key} {d[key]:+.2f}: {', '.join(_angles_of(r, p))}"
            )
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", nargs="*", type=Path)
    ap.add_argument("--people", type=int)
    ap.add_argument("--first-person", type=int, default=0)
    ap.add_argument("--imu-errors", choices=("commodity",))
    ap.add_argument("--gyr-sd", type=float, default=0.015)
    ap.add_argument("--out-json", type=Path)
    args = ap.parse_args(argv)
    if args.files:
        out: Any = run_files(args.files, args.gyr_sd)
    elif args.people:
        out = run_people(args.people, args.first_person, args.imu_errors, args.gyr_sd)
    else:
        ap.error("give --files or --people")
    if args.out_json:
        args.out_json.write_text(json.dumps(out, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
