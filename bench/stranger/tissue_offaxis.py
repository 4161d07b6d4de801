"""Does a knee's sensor pair show its soft tissue?  Off-hinge motion against the generator's truth.

The stranger's soft tissue turns each leg sensor by ``tissue_gain`` × knee flexion about a
random axis fixed in its segment (``session._tissue``). The share about the knee's hinge (the
segment's z) scales the knee angle and no hinge fit sees it. The share off the hinge, to first
order in the gain, only tilts the axis of a still rigid hinge (the fit takes the tilt); what
is left is second order: a turn fixed in the thigh composed with the flexion moves the
apparent axis by about (flexion / 2) × gain × |off-hinge share| (the Baker–Campbell–Hausdorff
series' commutator term), and so does the tibia's own turn with flexion
(``person.tibial_rot_per_deg``), about the same axes.

:func:`off_hinge` measures that on two sensors' orientations (the relative rotation from the
straightest sample, its principal axis as the hinge, and the rotation vector's term in the
square of the turn off that axis); :func:`truth_shares` gives the generator's on- and
off-hinge shares; ``main`` runs both on stranger seeds with the tissue as drawn, set to 0,
and with the tibia's turn set to 0. The orientations are the generator's noise-free ones:
an upper bound on what a session's gyroscopes could show.

    PYTHONPATH=. python -m bench.stranger.tissue_offaxis --round 5 --seeds 2151,2266 --out r.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

#: only samples bent past this (deg) fix the hinge's axis and the drift
BENT_DEG = 10.0

#: the runs: the person as drawn, no soft tissue, no tibial turn with flexion
VARIANTS = {"asis": {}, "tissue0": {"tissue_gain": 0.0}, "twist0": {"tibial_rot_per_deg": 0.0}}


def off_hinge(rel: Rotation, knee_deg: np.ndarray) -> dict[str, float]:
    """The hinge and what is off it, for the thigh→shank sensor rotation ``rel`` (one per
    sample) and the knee flexion ``knee_deg`` at the same samples (deg, only to find the
    straightest sample and the bent ones, and the sign).

    Returns ``scale`` (turn about the fitted axis per radian of knee, minus nothing: 1 for a
    true hinge), ``resid_deg`` (RMS of the turn off that axis over the bent samples) and
    ``drift`` (the part of the turn's rotation vector that goes with the square of the turn,
    fitted with a linear term, off the axis: rad per rad², 0 for a fixed axis).
    """
    v = (rel * rel[int(np.argmin(np.abs(knee_deg)))].inv()).as_rotvec()
    bent = np.abs(knee_deg) > BENT_DEG
    axis = np.linalg.svd(v[bent], full_matrices=False)[2][0]
    turn = v @ axis
    if np.median(turn[bent] * knee_deg[bent]) < 0:
        axis, turn = -axis, -turn
    rest = v - turn[:, None] * axis
    lin_sq = np.linalg.lstsq(np.column_stack([turn, turn**2])[bent], v[bent], rcond=None)[0]
    curve = lin_sq[1] - (lin_sq[1] @ axis) * axis
    knee_rad = np.radians(knee_deg[bent])
    return {
        "scale": float(turn[bent] @ knee_rad / (knee_rad @ knee_rad)),
        "resid_deg": float(np.degrees(np.sqrt(np.mean(np.sum(rest[bent] ** 2, axis=1))))),
        "drift": float(np.linalg.norm(curve)),
    }


def truth_shares(
    gain: float, thigh_axis: np.ndarray, shank_axis: np.ndarray
) -> tuple[float, float]:
    """The generator's tissue shares of the knee's flexion: ``(on, off)`` — ``on`` the knee's
    scale error (the shank's turn about the hinge z less the thigh's, first order), ``off``
    the two sensors' turns off the hinge together (root sum of squares)."""
    on = gain * (shank_axis[2] - thigh_axis[2])
    off = gain * float(np.hypot(np.linalg.norm(thigh_axis[:2]), np.linalg.norm(shank_axis[:2])))
    return float(on), off


def isotropic_marks(
    knee_rms_deg: float, k_sigma: float, n: int = 200_000, seed: int = 7
) -> dict[str, float]:
    """Even knowing each session's off-hinge share exactly: a mark at ``k_sigma`` of the on-hinge
    share it implies, for the stranger's draws (gain uniform 0–3 %, axes uniform on the
    sphere). A random axis puts a third of its square on each axis, so each sensor's on-hinge
    variance is half its off-hinge square: σ of the knee's scale = ``off`` / √2. A knee is
    *over* when the true on-hinge share × ``knee_rms_deg`` passes the 2° target.

    Returns the share of draws over, the share of those marked and of the rest marked."""
    rng = np.random.default_rng(seed)
    gain = rng.uniform(0.0, 0.03, n)
    axes = rng.normal(size=(2, n, 3))
    axes /= np.linalg.norm(axes, axis=2)[..., None]
    on = gain * (axes[1, :, 2] - axes[0, :, 2])
    off = gain * np.hypot(*np.linalg.norm(axes[:, :, :2], axis=2))
    over = np.abs(on) * knee_rms_deg > 2.0
    mark = k_sigma * off / np.sqrt(2.0) * knee_rms_deg > 2.0
    return {
        "over": float(over.mean()),
        "caught": float(mark[over].mean()) if over.any() else float("nan"),
        "marked_under": float(mark[~over].mean()),
    }


def _session(rnd: int, seed: int, changes: dict):
    """The seed's session with only the exercised leg's thigh and shank, person ``changes``."""
    from bench.stranger import round4, round5
    from bench.stranger import run as srun
    from bench.stranger.person import draw_person
    from bench.stranger.session import generate

    side = draw_person(seed).side
    legs = (f"{side}_thigh", f"{side}_shank")
    if rnd == 5:
        plan = round5.round5_plan(seed, None)
        return side, _patched(round5, changes, lambda: round5.generate_session(seed, plan, legs))
    if rnd == 4:
        plan = round4.round4_plan(seed, None)
        return side, _patched(
            round4, changes, lambda: round4.generate_session(seed, plan, ("pair",))
        )
    duration, breaks = srun.session_plan(seed, None)
    return side, generate(
        seed, duration_s=duration, breaks=breaks, placements=legs, person_changes=changes or None
    )


def _patched(module, changes: dict, make):
    """Run ``make`` with ``module.person_changes`` (a round's changes to the drawn person)
    giving ``changes`` on top."""
    orig = module.person_changes
    module.person_changes = lambda *a: {**orig(*a), **changes}
    try:
        return make()
    finally:
        module.person_changes = orig


def measure(rnd: int, seed: int, changes: dict) -> dict:
    """:func:`off_hinge` on the session's noise-free thigh and shank, with the truth shares."""
    side, s = _session(rnd, seed, changes)
    th, sh = s.sensors[f"{side}_thigh"], s.sensors[f"{side}_shank"]
    t = s.truth_t_s
    t = t[(t >= max(th.t_s[0], sh.t_s[0])) & (t <= min(th.t_s[-1], sh.t_s[-1]))]
    rel = Slerp(th.t_s, th.r_e_s)(t).inv() * Slerp(sh.t_s, sh.r_e_s)(t)
    knee = np.interp(t, s.truth_t_s, s.truth[f"{side}_knee_flexion_deg"])
    on, off = truth_shares(s.person.tissue_gain, th.strap.tissue_axis, sh.strap.tissue_axis)
    knee_rms = float(np.sqrt(np.mean(knee**2)))
    return {
        **off_hinge(rel, knee),
        "gain": s.person.tissue_gain,
        "tibial_rot_per_deg": s.person.tibial_rot_per_deg,
        "on": on,
        "off": off,
        "knee_rms_deg": knee_rms,
        "tissue_rmse_deg": abs(on) * knee_rms,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--round", type=int, choices=(1, 4, 5), default=5)
    ap.add_argument("--seeds", required=True, help="a,b,c")
    ap.add_argument("--knee-rms-deg", type=float, default=53.5, help="for the isotropic marks")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    out = []
    for seed in (int(x) for x in a.seeds.split(",")):
        rec = {"seed": seed, **{k: measure(a.round, seed, ch) for k, ch in VARIANTS.items()}}
        out.append(rec)
        m = rec["asis"]
        print(
            f"{seed} on {m['on']:+.4f} off {m['off']:.4f} tissue {m['tissue_rmse_deg']:.2f}° "
            f"drift {m['drift']:.4f}/{rec['tissue0']['drift']:.4f}/{rec['twist0']['drift']:.4f}",
            flush=True,
        )
    a.out.write_text(json.dumps(out, indent=1))
    for k in (2.0, 3.0):
        print(f"{k:.0f} sigma, knee RMS {a.knee_rms_deg}°:", isotropic_marks(a.knee_rms_deg, k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
