"""A run past a rule's edge but short of its latch point, within the angle's precision of it.

Stranger round 5 seed 2356: a seated knee (rule ≥ 10°, band 3°, so a breach counts once the
knee is below 8.5° for 1 s) truly at 7.4–7.7° for 12 s, read 1.24° high (8.7–8.9°): the
reading never passes 8.5°, and the rule said ``ok``. The reading cannot decide whether the
truth passed the latch point there, so the rule is ``uncertain`` for that run, never ``ok``
and never a confirmed episode.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.envelope import check_envelope
from analysis.envelope.gates import near_latch_runs
from analysis.envelope.masks import end_times
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import NEAR_LATCH_REDO
from tests.analysis.builders import near_latch_run

SLIDER = load_builtin_profile("seated_slider")
DT = 0.01


def _runs(x: np.ndarray, **kw) -> list[tuple[int, int]]:
    t = np.round(np.arange(x.size) * DT, 6)
    judged = np.ones(x.size, dtype=bool)
    outside = kw.pop("outside", np.zeros(x.size, dtype=bool))
    args = {"limit_deg": 10.0, "latch_deg": 8.5, "precision_deg": 2.0, "dwell_s": 1.0}
    return near_latch_runs(x, judged, outside, t, end_times(t), **{**args, **kw})


def test_a_run_past_the_edge_short_of_the_latch_for_the_dwell_is_found():
    x = np.full(1000, 20.0)
    x[200:500] = 9.0  # 3 s at 9°: past the 10° edge, 0.5° short of 8.5°
    assert _runs(x) == [(200, 500)]


def test_a_run_shorter_than_the_dwell_is_not():
    x = np.full(1000, 20.0)
    x[200:280] = 9.0  # 0.8 s
    assert _runs(x) == []


def test_a_run_inside_the_edge_or_within_an_episode_is_not():
    x = np.full(1000, 10.5)  # inside the ≥ 10° edge
    assert _runs(x) == []
    x[200:500] = 7.0  # past the latch: an episode's time
    outside = np.zeros(x.size, dtype=bool)
    outside[200:500] = True
    assert _runs(x, outside=outside) == []


def test_a_run_further_from_the_latch_than_the_precision_is_not():
    x = np.full(1000, 20.0)
    x[200:500] = 9.8  # 1.3° short of 8.5°
    assert _runs(x, precision_deg=1.0) == []
    assert _runs(x, precision_deg=1.5) == [(200, 500)]


def test_an_upper_limit_grazes_from_below_its_latch():
    x = np.zeros(1000)
    x[100:400] = 1.2  # past a 0° upper edge, short of its latch at +1.5°
    assert _runs(x, limit_deg=0.0, latch_deg=1.5) == [(100, 400)]
    x[100:400] = -0.2  # inside
    assert _runs(x, limit_deg=0.0, latch_deg=1.5) == []


def test_a_nan_splits_a_run():
    x = np.full(1000, 20.0)
    x[200:350] = 9.0
    x[270] = np.nan  # 0.7 s and 0.79 s either side
    assert _runs(x) == []


def _seated(knee_in_run: float, *, run=(30.0, 42.0), other=None) -> pd.DataFrame:
    """Seated from 5 s to 80 s (hip 90°), knee 30°, ``knee_in_run`` over ``run`` (s)."""
    t = np.round(np.arange(0.0, 90.0, DT), 6)
    hip = np.where((t >= 5.0) & (t < 80.0), 90.0, 0.0)
    knee = np.where((t >= 5.0) & (t < 80.0), 30.0, 0.0)
    knee = np.where((t >= run[0]) & (t < run[1]), knee_in_run, knee)
    if other is not None:
        knee = np.where((t >= other[0]) & (t < other[1]), other[2], knee)
    ankle = np.where(t > 10.0, -5.0 + 15.0 * np.sin(2 * np.pi * 0.5 * (t - 10.0)), 0.0)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": knee,
            "right_ankle_dorsiflexion_deg": ankle,
        }
    )


def test_a_knee_grazing_the_latch_is_uncertain_not_ok_nor_an_episode():
    res = check_envelope(_seated(8.8), SLIDER, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "uncertain"
    assert knee.episodes == ()
    assert knee.unconfirmed == ()
    (run,) = knee.near_latch
    assert (run.start_s, run.end_s) == (30.0, 42.0)
    assert run.closest_deg == 8.8
    assert run.latch_deg == 8.5
    assert run.precision_deg == 2.0
    assert "within its measuring error" in (knee.reason or "")
    assert knee.redo == NEAR_LATCH_REDO
    assert res.verdict == "inside"  # not an episode: no verdict
    assert not res.outside["knee_flexion"].any()  # still judged as measured: breaks no hold
    doc = json.loads(res.to_json())
    item = next(r for r in doc["rules"] if r["rule"] == "knee_flexion")
    assert item["status"] == "uncertain"
    assert item["near_latch_runs"][0]["closest_deg"] == 8.8
    assert any(u["rule"] == "knee_flexion" for u in doc["uncertain"])


def test_a_knee_past_the_latch_is_still_an_episode_and_one_well_inside_ok():
    res = check_envelope(_seated(7.0), SLIDER, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "violated"
    assert len(knee.episodes) == 1
    assert knee.near_latch == ()
    res = check_envelope(_seated(12.0), SLIDER, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "ok"
    assert knee.near_latch == ()
    item = next(r for r in res.to_dict()["rules"] if r["rule"] == "knee_flexion")
    assert "near_latch_runs" not in item  # additive: absent when there is none


def test_a_violated_rule_keeps_its_episode_and_lists_the_run():
    res = check_envelope(_seated(8.8, other=(55.0, 60.0, 6.0)), SLIDER, side="right")
    knee = res.rule("knee_flexion")
    assert knee is not None
    assert knee.status == "violated"
    assert [round(e.start_s) for e in knee.episodes] == [55]
    assert [(n.start_s, n.end_s) for n in knee.near_latch] == [(30.0, 42.0)]
    assert res.verdict == "outside"


def test_the_run_in_words():
    run = near_latch_run(119.0, 131.0)
    assert run.text() == (
        "the knee read 8.7° for 12 s (1:59–2:11), past the 10° limit and within its measuring "
        "error (2°) of 8.5°, the point where a break counts: the sensors cannot tell whether "
        "the limit was broken there"
    )
