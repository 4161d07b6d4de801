"""Hostile device clocks through the session clock's aligner (``sensors.session.clock``).

One packet whose device time is far off (a u32 wrap the decoder could not tell from a real
one, a flipped high bit), a clock that runs backward, duplicated or reversed times inside a
packet: the aligner's times must stay strictly increasing, finite and near the receipt
times. A sensor placed an hour ahead of the others would put them all "out" in the live view
and its rows an hour late in the recording.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.session.clock import ClockAligner

RATE_HZ = 100.0
PACKET = 5  # samples per notification
U32_US_S = 2**32 * 1e-6  # a u32 µs counter's period (s)


def _stream(bad: dict[int, np.ndarray], packets: int = 400, hold: bool = False) -> list[tuple]:
    """(receipt times, placed times) of a steady stream; packet k's device times from ``bad``."""
    aligner = ClockAligner(nominal_rate_hz=RATE_HZ, uses_device_time=True)
    if hold:
        aligner.hold()
    out, held = [], []
    for k in range(packets):
        host = 0.02 + (k + 1) * PACKET / RATE_HZ
        d = 100.0 + (k * PACKET + np.arange(PACKET)) / RATE_HZ
        d = bad.get(k, d)
        clock = aligner.observe(host, PACKET, d)
        if hold and k < 50:
            held.append((host, clock, aligner.segments))
            continue
        if held:
            aligner.commit()
            out += [(h, aligner.place(c, s)) for h, c, s in held]
            held = []
        out.append((host, aligner.place(clock)))
    return out


def _check(out: list[tuple], ahead_s: float = 1.0) -> None:
    t = np.concatenate([p for _h, p in out])
    host = np.concatenate([np.full(p.size, h) for h, p in out])
    assert np.all(np.isfinite(t))
    assert np.all(np.diff(t) > 0)
    # no sample is placed long after it was received
    assert (t - host).max() < ahead_s, f"{(t - host).max():.1f} s after its receipt"


@pytest.mark.parametrize("shift_s", [-U32_US_S, -(2**31) * 1e-6, -1e6, -50.0, U32_US_S, 1e6])
@pytest.mark.parametrize("hold", [False, True], ids=["running", "held start"])
def test_one_packet_with_a_far_off_device_time_moves_no_later_sample(
    shift_s: float, hold: bool
) -> None:
    k = 150
    d = 100.0 + (k * PACKET + np.arange(PACKET)) / RATE_HZ + shift_s
    _check(_stream({k: d}, hold=hold))


def test_a_device_clock_that_runs_backward_for_a_while_stays_in_order() -> None:
    bad = {k: 200.0 - (k * PACKET + np.arange(PACKET)) / RATE_HZ for k in range(150, 170)}
    _check(_stream(bad))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.dictionaries(
        st.integers(0, 299),
        st.sampled_from(
            ["u32 back", "u32 ahead", "bit 31", "1e6 back", "dup", "reversed", "zero", "neg"]
        ),
        max_size=6,
    )
)
def test_any_few_bad_packets_keep_times_increasing_and_near_receipt(bad: dict) -> None:
    packets = {}
    for k, kind in bad.items():
        d = 100.0 + (k * PACKET + np.arange(PACKET)) / RATE_HZ
        packets[k] = {
            "u32 back": d - U32_US_S,
            "u32 ahead": d + U32_US_S,
            "bit 31": d - (2**31) * 1e-6,
            "1e6 back": d - 1e6,
            "dup": np.full(PACKET, d[0]),
            "reversed": d[::-1].copy(),
            "zero": np.zeros(PACKET),
            "neg": -d,
        }[kind]
    _check(_stream(packets, packets=300))
