"""The live path's cost: decode a real notification, align its clock, append; the periodic step.

    .venv/bin/python bench/live_path.py [--minutes 3] [--quick]

A simulated session (``standing_dorsiflexion``, seed 7) is encoded into each family's real
wire format by the family's own device emulator (``sensors.families``), notification by
notification in device-time order, before any timing. The timed chain is what
``sensors.session.link`` does with a notification plus what an angle display would do:

* **per notification**: ``decoder.feed`` (bytes → SI samples), ``ClockAligner.align``
  (session clock), ``AlignedBatch.from_samples``, ``LiveAnglePipeline.push``;
* **step**: ``LiveAnglePipeline.step()`` every ``--step-s`` of session time (resample onto the
  grid, causal VQF, calibration, heading tracking, angles); ``calibrate()`` once, after the
  protocol's movements (timed separately);
* **monitor**: ``analysis.envelope.monitor.EnvelopeMonitor.update`` with each step's new angles (the
  live envelope: standing hamstring profile, right side), timed separately.

1. Per-family latency: median / p99 / max per notification and per step, 4 sensors.
2. Sustained throughput: sensors × rate on one core (a single thread), MetaWear packets (the
   family that streams 100–400 Hz), processing time against session time; a combination is
   sustained when the whole chain runs faster than real time (real-time factor > 1).

Results go to ``bench/out/live_path.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _measure import machine, write_json
from _sessions import OUT_DIR, SCENARIO, SEED
from numpy.typing import NDArray

from analysis.angles.live import LiveAnglePipeline
from analysis.envelope.monitor import EnvelopeMonitor
from analysis.envelope.profiles import load_builtin_profile
from analysis.recording.schema import PLACEMENTS
from analysis.simulation import SimulatedSession, SimulationConfig, simulate
from sensors.families import codec_for
from sensors.families.base import Family, ImuSample, Notification
from sensors.session.clock import ClockAligner
from sensors.session.types import AlignedBatch

FloatArray = NDArray[np.float64]
Log = Callable[[str], None]
RESULT = OUT_DIR / "live_path.json"
DEVICE_T0_S = 100.0
"""Device clocks start here (some families' counters must not start at 0)."""
LATENCY_S = 0.02
"""Host receipt time = device time of the notification's last sample + this."""
TARGET_P99_MS = 1.0
TARGET_SUSTAINED = (6, 200.0)

FAMILIES: tuple[tuple[str, Family, float, dict[str, Any]], ...] = (
    ("MetaWear acc+gyro", Family.METAWEAR, 100.0, {}),
    ("Movesense IMU6", Family.MOVESENSE, 104.0, {}),
    ("Movella DOT mode 26 (quat+acc+gyr)", Family.MOVELLA_DOT, 60.0, {"with_quat": True}),
    ("Polar PMD delta frames", Family.POLAR_PMD, 104.0, {}),
)
"""(name, family, requested rate, configure options)."""

SIX = ("pelvis", "left_thigh", "right_thigh", "left_shank", "right_shank", "right_foot")
NINE = PLACEMENTS
FOUR = ("pelvis", "right_thigh", "right_shank", "right_foot")
SWEEP: tuple[tuple[tuple[str, ...], float], ...] = (
    (FOUR, 100.0),
    (FOUR, 200.0),
    (SIX, 100.0),
    (SIX, 200.0),
    (NINE, 200.0),
    (SIX, 400.0),
    (NINE, 400.0),
    (NINE, 800.0),
)


@dataclass
class Wire:
    """One sensor's connection: decoder and clock aligner, and its encoded notifications."""

    placement: str
    decoder: Any
    aligner: ClockAligner
    notes: list[tuple[float, Notification]]


def _connect(family: Family, rate_hz: float, options: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Codec, configured emulator and decoder, wired as a client would (start commands sent)."""
    codec = codec_for(family)
    emulator = codec.emulator()
    info = {u: emulator.read(u) for u in codec.spec.info_read_uuids}
    config = codec.configure(rate_hz, device_info=info, **options)
    plan = codec.plan(config)
    decoder = codec.decoder(config)
    for u in plan.notify_uuids:
        for n in emulator.set_notify(u, True):
            decoder.feed(n.char_uuid, n.payload, 0)
    for w in plan.start:
        for n in emulator.write(w.char_uuid, w.data):
            decoder.feed(n.char_uuid, n.payload, 0)
    return codec, config, (emulator, decoder)


def encode_session(
    sim: SimulatedSession, family: Family, rate_hz: float, options: dict[str, Any]
) -> tuple[list[Wire], float]:
    """Every sensor's samples as the family's notifications, stamped with their send time."""
    wires = []
    config_rate = rate_hz
    samples = sim.samples
    for placement in sim.config.sensors:
        codec, config, (emulator, decoder) = _connect(family, rate_hz, options)
        config_rate = config.rate_hz
        rows = samples[samples.sensor == placement]
        t = rows.t_s.to_numpy() + DEVICE_T0_S
        acc = rows[["acc_x_m_s2", "acc_y_m_s2", "acc_z_m_s2"]].to_numpy()
        gyr = rows[["gyr_x_rad_s", "gyr_y_rad_s", "gyr_z_rad_s"]].to_numpy()
        quat = sim.sensor_truth[placement].q_E_S
        notes: list[tuple[float, Notification]] = []
        for k in range(t.size):
            sample = ImuSample(
                device_time_s=float(t[k]),
                acc_m_s2=tuple(acc[k]),
                gyr_rad_s=tuple(gyr[k]),
                quat_wxyz=tuple(quat[k]) if options.get("with_quat") else None,
            )
            for n in emulator.encode([sample]):
                notes.append((float(t[k]) - DEVICE_T0_S, n))
        aligner = ClockAligner(
            nominal_rate_hz=config.rate_hz, uses_device_time=codec.spec.has_device_time
        )
        wires.append(Wire(placement, decoder, aligner, notes))
    return wires, config_rate


@dataclass
class ChainTimes:
    """Seconds per notification and per step call: wall clock and this thread's CPU time."""

    notification_s: list[float]
    notification_cpu_s: list[float]
    step_s: list[float]
    step_cpu_s: list[float]
    step_points: list[int]
    monitor_s: list[float]
    monitor_cpu_s: list[float]
    calibrate_s: float
    calibrate_cpu_s: float
    notifications: int
    samples: int
    session_s: float
    angles_out: int


def run_chain(
    sim: SimulatedSession, wires: list[Wire], rate_hz: float, *, step_s: float
) -> ChainTimes:
    """Feed every notification in send order through the live chain; time each piece."""
    events = sorted(
        ((t, i, w) for w in wires for i, (t, _) in enumerate(w.notes)),
        key=lambda e: (e[0], e[2].placement),
    )
    pipeline = LiveAnglePipeline([w.placement for w in wires], rate_hz=rate_hz, t0_s=0.0)
    monitor = EnvelopeMonitor(load_builtin_profile("standing_hamstring"), side="right")
    windows = sim.meta.calibration
    if windows is None or windows.functional_s is None:
        raise ValueError("the simulated session names no calibration windows")
    cal_at = windows.functional_s[1] + 0.5
    note_s: list[float] = []
    note_cpu: list[float] = []
    step_times: list[float] = []
    step_cpu: list[float] = []
    step_points: list[int] = []
    mon_s: list[float] = []
    mon_cpu: list[float] = []
    calibrate_s = calibrate_cpu = float("nan")
    next_step = step_s
    samples = 0
    angles_out = 0
    clock, cpu = time.perf_counter, time.thread_time
    for t_send, i, w in events:
        host_s = t_send + LATENCY_S
        while host_s >= next_step:
            t0, c0 = clock(), cpu()
            out = pipeline.step()
            step_times.append(clock() - t0)
            step_cpu.append(cpu() - c0)
            step_points.append(0 if out is None else int(out.t_s.size))
            if out is not None and out.columns:
                angles_out += int(out.t_s.size)
                t0, c0 = clock(), cpu()
                monitor.update(out.t_s, out.columns)
                mon_s.append(clock() - t0)
                mon_cpu.append(cpu() - c0)
            if not pipeline.calibrated and next_step >= cal_at:
                t0, c0 = clock(), cpu()
                pipeline.calibrate(windows)
                calibrate_s, calibrate_cpu = clock() - t0, cpu() - c0
            next_step += step_s
        n = w.notes[i][1]
        t0, c0 = clock(), cpu()
        got = w.decoder.feed(n.char_uuid, n.payload, int(host_s * 1e9))
        good = [s for s in got if s.acc_m_s2 is not None and s.gyr_rad_s is not None]
        if good:
            device = (
                np.array([s.device_time_s for s in good], dtype=np.float64)
                if w.aligner.uses_device_time
                else None
            )
            t = w.aligner.align(host_s, len(good), device)
            batch = AlignedBatch.from_samples(w.placement, t, good)
            pipeline.push(w.placement, batch.t_s, batch.acc_m_s2, batch.gyr_rad_s)
        note_s.append(clock() - t0)
        note_cpu.append(cpu() - c0)
        samples += len(good)
    session_s = events[-1][0] - events[0][0] if events else 0.0
    return ChainTimes(
        notification_s=note_s,
        notification_cpu_s=note_cpu,
        step_s=step_times,
        step_cpu_s=step_cpu,
        step_points=step_points,
        monitor_s=mon_s,
        monitor_cpu_s=mon_cpu,
        calibrate_s=calibrate_s,
        calibrate_cpu_s=calibrate_cpu,
        notifications=len(events),
        samples=samples,
        session_s=session_s,
        angles_out=angles_out,
    )


def breakdown(wires: list[Wire], rate_hz: float) -> dict[str, dict[str, float]]:
    """CPU ms (median, p99, max) of each part of the per-notification chain, no steps.

    A diagnostic pass over the same notifications with a timer around each call, to name
    the part behind the p99 (the timers add about a microsecond each, so it is kept out of
    the main measurement).
    """
    events = sorted(
        ((t, i, w) for w in wires for i, (t, _) in enumerate(w.notes)),
        key=lambda e: (e[0], e[2].placement),
    )
    pipeline = LiveAnglePipeline([w.placement for w in wires], rate_hz=rate_hz, t0_s=0.0)
    parts: dict[str, list[float]] = {"decode": [], "align": [], "batch": [], "push": []}
    cpu = time.thread_time
    for t_send, i, w in events:
        host_s = t_send + LATENCY_S
        n = w.notes[i][1]
        c0 = cpu()
        got = w.decoder.feed(n.char_uuid, n.payload, int(host_s * 1e9))
        c1 = cpu()
        good = [s for s in got if s.acc_m_s2 is not None and s.gyr_rad_s is not None]
        c2 = c3 = c4 = c1
        if good:
            device = (
                np.array([s.device_time_s for s in good], dtype=np.float64)
                if w.aligner.uses_device_time
                else None
            )
            t = w.aligner.align(host_s, len(good), device)
            c2 = cpu()
            batch = AlignedBatch.from_samples(w.placement, t, good)
            c3 = cpu()
            pipeline.push(w.placement, batch.t_s, batch.acc_m_s2, batch.gyr_rad_s)
            c4 = cpu()
        parts["decode"].append(c1 - c0)
        parts["align"].append(c2 - c1)
        parts["batch"].append(c3 - c2)
        parts["push"].append(c4 - c3)
    return {k: _stats_ms(v) for k, v in parts.items()}


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _stats_ms(values: list[float]) -> dict[str, float]:
    return {
        "median": 1e3 * statistics.median(values),
        "p99": 1e3 * _pct(values, 99),
        "p999": 1e3 * _pct(values, 99.9),
        "max": 1e3 * max(values),
    }


def summarise(ct: ChainTimes) -> dict[str, Any]:
    """Latency statistics (ms, wall and CPU) and the real-time factors of one run."""

    def busy(notes: list[float], steps: list[float], mon: list[float], cal: float) -> float:
        return sum(notes) + sum(steps) + sum(mon) + (cal if np.isfinite(cal) else 0.0)

    busy_s = busy(ct.notification_s, ct.step_s, ct.monitor_s, ct.calibrate_s)
    busy_cpu_s = busy(ct.notification_cpu_s, ct.step_cpu_s, ct.monitor_cpu_s, ct.calibrate_cpu_s)
    busy_no_monitor_cpu_s = busy_cpu_s - sum(ct.monitor_cpu_s)
    per_point = [s / p for s, p in zip(ct.step_cpu_s, ct.step_points, strict=True) if p > 0]
    return {
        "notifications": ct.notifications,
        "samples": ct.samples,
        "session_s": ct.session_s,
        "angle_points": ct.angles_out,
        "notification_ms": _stats_ms(ct.notification_s),
        "notification_cpu_ms": _stats_ms(ct.notification_cpu_s),
        "step_ms": _stats_ms(ct.step_s),
        "step_cpu_ms": _stats_ms(ct.step_cpu_s),
        "step_cpu_us_per_grid_point_median": (
            1e6 * statistics.median(per_point) if per_point else None
        ),
        "monitor_ms": _stats_ms(ct.monitor_s) if ct.monitor_s else None,
        "monitor_cpu_ms": _stats_ms(ct.monitor_cpu_s) if ct.monitor_cpu_s else None,
        "monitor_cpu_share": sum(ct.monitor_cpu_s) / busy_cpu_s if busy_cpu_s > 0 else None,
        "real_time_factor_cpu_without_monitor": (
            ct.session_s / busy_no_monitor_cpu_s if busy_no_monitor_cpu_s > 0 else None
        ),
        "calibrate_ms": 1e3 * ct.calibrate_s,
        "calibrate_cpu_ms": 1e3 * ct.calibrate_cpu_s,
        "busy_s": busy_s,
        "busy_cpu_s": busy_cpu_s,
        "real_time_factor": ct.session_s / busy_s if busy_s > 0 else float("inf"),
        "real_time_factor_cpu": ct.session_s / busy_cpu_s if busy_cpu_s > 0 else float("inf"),
    }


def per_family(minutes: float, step_s: float, log: Log) -> list[dict[str, Any]]:
    """Item 1: each family's chain on 4 sensors."""
    rows = []
    for name, family, rate, options in FAMILIES:
        sim = simulate(
            SCENARIO,
            config=SimulationConfig(seed=SEED, rate_hz=rate, duration_s=60.0 * minutes),
        )
        wires, rate_hz = encode_session(sim, family, rate, options)
        ct = run_chain(sim, wires, rate_hz, step_s=step_s)
        row = {"family": name, "rate_hz": rate_hz, "sensors": len(wires), **summarise(ct)}
        row["samples_per_notification"] = ct.samples / max(ct.notifications, 1)
        fresh, _ = encode_session(sim, family, rate, options)  # decoders/aligners start anew
        row["breakdown_cpu_ms"] = breakdown(fresh, rate_hz)
        rows.append(row)
        log(
            f"{name} @ {rate_hz:g} Hz: notification median "
            f"{row['notification_ms']['median']:.3f} ms, p99 {row['notification_ms']['p99']:.3f} "
            f"ms (CPU p99 {row['notification_cpu_ms']['p99']:.3f} ms); step median "
            f"{row['step_ms']['median']:.2f} ms; monitor median "
            f"{(row['monitor_ms'] or {}).get('median', float('nan')):.2f} ms; real-time "
            f"×{row['real_time_factor']:.0f}"
        )
    return rows


def sustained(minutes: float, step_s: float, log: Log) -> list[dict[str, Any]]:
    """Item 2: sensors × rate on one thread (MetaWear packets)."""
    rows = []
    for sensors, rate in SWEEP:
        sim = simulate(
            SCENARIO,
            config=SimulationConfig(
                seed=SEED, rate_hz=rate, sensors=sensors, duration_s=60.0 * minutes
            ),
        )
        wires, rate_hz = encode_session(sim, Family.METAWEAR, rate, {})
        ct = run_chain(sim, wires, rate_hz, step_s=step_s)
        s = summarise(ct)
        row = {"sensors": len(sensors), "placements": list(sensors), "rate_hz": rate_hz, **s}
        row["sample_rate_total_hz"] = len(sensors) * rate_hz
        row["sustained"] = s["real_time_factor"] > 1.0 and s["real_time_factor_cpu"] > 1.0
        rows.append(row)
        log(
            f"{len(sensors)} sensors × {rate_hz:g} Hz: busy {s['busy_s']:.1f} s (CPU "
            f"{s['busy_cpu_s']:.1f} s) for {s['session_s']:.0f} s of session (real-time "
            f"×{s['real_time_factor']:.1f}); notification p99 {s['notification_ms']['p99']:.3f} "
            f"ms (CPU {s['notification_cpu_ms']['p99']:.3f} ms)"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the live-path benchmark; write ``bench/out/live_path.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="session time per run")
    parser.add_argument("--step-s", type=float, default=0.1, help="step() period (session s)")
    parser.add_argument("--out", type=Path, default=RESULT, help="result JSON")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result: dict[str, Any] = {
        "machine": machine(),
        "minutes": args.minutes,
        "step_s": args.step_s,
        "targets": {"p99_ms": TARGET_P99_MS, "sustained": list(TARGET_SUSTAINED)},
        "envelope_monitor": "analysis.envelope.monitor.EnvelopeMonitor (window_s default)",
    }
    result["families"] = per_family(args.minutes, args.step_s, log)
    write_json(args.out, result)
    result["sustained"] = sustained(args.minutes, args.step_s, log)
    result["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    write_json(args.out, result)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
