"""A sensor lying on a table at the start (``analysis.angles.off_body``), synthetic grids."""

from __future__ import annotations

import numpy as np

from analysis.angles.off_body import (
    clock_text,
    first_move,
    lying_apart,
    lying_words,
    moving_mean,
    net_turn_deg,
    off_body_until,
    off_body_words,
    settled_after,
    settled_since,
    slow_sway_rad_s,
    table_still,
    with_off_body_gaps,
)
from analysis.angles.timebase import UniformSession, UniformStream
from analysis.recording.streams import Gap

RATE = 100.0


def _sway(n: int, rng: np.random.Generator, amp_rad_s: float = 0.005) -> np.ndarray:
    """A body's sway: slow rates (0.2–0.6 Hz), plus white noise."""
    t = np.arange(n) / RATE
    out = np.zeros((n, 3))
    for c in range(3):
        f = rng.uniform(0.2, 0.6)
        out[:, c] = amp_rad_s * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
    return out + rng.normal(0.0, 0.001, (n, 3))


def _pickup(n: int, k0: int, len_s: float, deg: float) -> np.ndarray:
    """A turn of ``deg`` about x from row ``k0`` over ``len_s`` (a raised cosine rate)."""
    rate = np.zeros((n, 3))
    m = round(len_s * RATE)
    u = np.arange(m) / m
    rate[k0 : k0 + m, 0] = np.radians(deg) / len_s * (1 - np.cos(2 * np.pi * u))
    return rate


def _session(gyr: dict[str, np.ndarray]) -> UniformSession:
    n = next(iter(gyr.values())).shape[0]
    acc = np.tile([0.0, 0.0, 9.81], (n, 1))
    streams = {
        p: UniformStream(placement=p, acc_m_s2=acc, gyr_rad_s=g, valid=np.ones(n, dtype=bool))
        for p, g in gyr.items()
    }
    return UniformSession(t_s=np.arange(n) / RATE, rate_hz=RATE, streams=streams, gaps=())


def _table_case(rng: np.random.Generator, table: bool = True) -> dict[str, np.ndarray]:
    n = round(30 * RATE)
    body = {p: _sway(n, rng) for p in ("pelvis", "right_thigh", "right_foot")}
    still = rng.normal(0.0, 0.001, (n, 3)) if table else _sway(n, rng)
    return {**body, "right_shank": still + _pickup(n, round(10 * RATE), 4.0, 90.0)}


def test_moving_mean_of_a_constant_is_the_constant() -> None:
    x = np.full((50, 2), 3.0)
    assert np.allclose(moving_mean(x, 10), 3.0)


def test_slow_sway_tells_noise_from_sway() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 0.001, (1000, 3))
    assert slow_sway_rad_s(noise, RATE) < np.radians(0.03)
    assert slow_sway_rad_s(_sway(1000, rng), RATE) > np.radians(0.1)


def test_net_turn_of_a_steady_rate() -> None:
    gyr = np.tile([0.0, 0.0, np.radians(30.0)], (200, 1))  # 2 s at 30 deg/s
    assert abs(net_turn_deg(gyr, RATE) - 60.0) < 0.1


def test_first_move_and_settle() -> None:
    gyr = _pickup(3000, 1000, 4.0, 90.0)
    k = first_move(gyr, RATE, 0)
    assert k is not None
    assert 1000 <= k < 1200
    j = settled_after(gyr, RATE, np.zeros(3), k)
    assert j is not None
    assert 1300 <= j <= 1400 + 50


def test_a_table_sensor_is_off_the_body_until_it_settles() -> None:
    found = off_body_until(_session(_table_case(np.random.default_rng(2))))
    assert set(found) == {"right_shank"}
    assert 13.5 <= found["right_shank"] <= 15.0


def test_a_swaying_sensor_that_turns_alone_is_not_cut() -> None:
    found = off_body_until(_session(_table_case(np.random.default_rng(3), table=False)))
    assert found == {}


def test_a_still_sensor_that_never_turns_far_is_not_cut() -> None:
    rng = np.random.default_rng(4)
    gyr = _table_case(rng)
    gyr["right_shank"] = rng.normal(0.0, 0.001, gyr["right_shank"].shape) + _pickup(
        3000, 1000, 4.0, 10.0
    )
    assert off_body_until(_session(gyr)) == {}


def test_all_still_is_not_a_table() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    gyr = {p: rng.normal(0.0, 0.001, (n, 3)) for p in ("pelvis", "right_thigh", "right_foot")}
    gyr["right_shank"] = rng.normal(0.0, 0.001, (n, 3)) + _pickup(n, 1000, 4.0, 90.0)
    assert off_body_until(_session(gyr)) == {}


def test_gap_and_invalid_rows() -> None:
    out = with_off_body_gaps(_session(_table_case(np.random.default_rng(2))))
    (gap,) = out.gaps
    assert gap.sensor == "right_shank"
    assert gap.reason == "off_body"
    assert gap.start_s == 0.0
    valid = out.streams["right_shank"].valid
    assert not valid[out.t_s < gap.end_s].any()
    assert valid[out.t_s >= gap.end_s].all()
    assert out.streams["pelvis"].valid.all()


def test_words() -> None:
    assert clock_text(78.2) == "1:19"
    g = Gap(sensor="right_shank", start_s=0.0, end_s=17.8, reason="off_body")
    assert off_body_words(g).startswith("the right shank sensor was not on the body until 0:18")


def test_a_still_sensor_among_still_legs_is_not_cut() -> None:
    rng = np.random.default_rng(6)
    gyr = _table_case(rng)
    gyr["right_thigh"] = rng.normal(0.0, 0.001, gyr["right_thigh"].shape)  # only some sway
    assert off_body_until(_session(gyr)) == {}


def _prefix(session: UniformSession, end_s: float) -> UniformSession:
    """The rows before ``end_s``: what a live session has seen by then."""
    k = int(np.searchsorted(session.t_s, end_s))
    streams = {
        p: UniformStream(
            placement=p, acc_m_s2=s.acc_m_s2[:k], gyr_rad_s=s.gyr_rad_s[:k], valid=s.valid[:k]
        )
        for p, s in session.streams.items()
    }
    return UniformSession(t_s=session.t_s[:k], rate_hz=RATE, streams=streams, gaps=())


def test_table_still_needs_the_others_to_sway() -> None:
    rng = np.random.default_rng(7)
    ses = _session(_table_case(rng))
    assert table_still(ses, "right_shank", 50, 900)
    assert table_still(ses, "right_shank", 50, 900, min_others=3)
    assert not table_still(ses, "right_shank", 50, 900, min_others=4)  # only three others
    assert not table_still(ses, "pelvis", 50, 900)  # the pelvis sways


def test_live_a_table_sensor_lies_apart_until_it_moves() -> None:
    ses = _session(_table_case(np.random.default_rng(2)))  # picked up at 10 s, settled ~14 s
    assert lying_apart(_prefix(ses, 2.0)) == []  # too short to tell
    assert lying_apart(_prefix(ses, 5.0)) == ["right_shank"]
    assert lying_apart(_prefix(ses, 9.5)) == ["right_shank"]
    assert lying_apart(_prefix(ses, 12.0)) == []  # it moved
    assert settled_since(_prefix(ses, 9.5), "right_shank") is None  # not moved yet
    assert settled_since(_prefix(ses, 12.0), "right_shank") is None  # moving
    done = settled_since(_prefix(ses, 20.0), "right_shank")
    assert done is not None
    assert abs(done - off_body_until(ses)["right_shank"]) < 0.3


def test_live_a_swaying_or_lone_still_sensor_does_not_lie_apart() -> None:
    rng = np.random.default_rng(3)
    assert lying_apart(_prefix(_session(_table_case(rng, table=False)), 8.0)) == []
    gyr = _table_case(np.random.default_rng(8))
    two = {p: gyr[p] for p in ("pelvis", "right_shank")}  # a still leg beside the pelvis alone
    assert lying_apart(_prefix(_session(two), 8.0)) == []
    three = {p: gyr[p] for p in ("pelvis", "right_thigh", "right_shank")}
    assert lying_apart(_prefix(_session(three), 8.0)) == ["right_shank"]


def test_live_nothing_lies_apart_after_the_search_window() -> None:
    n = round(130 * RATE)
    rng = np.random.default_rng(9)
    gyr = {p: _sway(n, rng) for p in ("pelvis", "right_thigh", "right_foot")}
    gyr["right_shank"] = rng.normal(0.0, 0.001, (n, 3))
    assert lying_apart(_prefix(_session(gyr), 60.0)) == ["right_shank"]
    assert lying_apart(_session(gyr)) == []


def test_live_a_still_foot_never_lies_apart() -> None:
    gyr = _table_case(np.random.default_rng(2))
    gyr["right_foot"], gyr["right_shank"] = gyr["right_shank"], gyr["right_foot"]
    ses = _session(gyr)
    assert lying_apart(_prefix(ses, 8.0)) == []  # live: a planted foot reads so too
    assert set(off_body_until(ses)) == {"right_foot"}  # offline, the pickup confirms it


def test_live_words() -> None:
    words = lying_words("right_shank")
    assert words.startswith("the right shank sensor is not on the body yet")
    assert words.endswith("the quiet stand waits for it")
