"""The report's approximate knee and near-latch runs, taken live on the rows so far.

``KneeTissueSoFar`` gives the file analysis's soft-tissue entry from running sums;
``ended_near_latch`` hands the live screen the runs that ended; ``history_knees_deg`` reads
the knee over the rows the calibration buffered; ``near_latch_reason`` is the checker's words.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.angles.live import history_knees_deg
from analysis.angles.live_redecide_doubts import KneeTissueSoFar
from analysis.angles.tissue import knee_tissue_precision, tissue_precision_entry
from analysis.envelope import check_envelope
from analysis.envelope.monitor import EnvelopeMonitor, ended_near_latch
from analysis.envelope.profiles import load_builtin_profile
from analysis.envelope.results import near_latch_reason
from tests.analysis.test_envelope_near_latch import _seated

KNEE = "right_knee_flexion_deg"


def _seated_knee(n_bent: int, bent_deg: float = 88.0) -> np.ndarray:
    """A stand (0°), a seated stretch at ``bent_deg`` for ``n_bent`` rows, a stand again."""
    return np.concatenate([np.zeros(2000), np.full(n_bent, bent_deg), np.zeros(500)])


@pytest.mark.parametrize("chunk", [1, 7, 1000, 100_000])
def test_the_running_entry_is_the_file_s_on_the_same_rows(chunk):
    knee = _seated_knee(9000) + np.linspace(0.0, 0.3, 11_500)
    so_far = KneeTissueSoFar()
    for i in range(0, knee.size, chunk):
        so_far.add(knee[i : i + chunk])
    live = so_far.entry("right")
    file = knee_tissue_precision(knee, None, "right")
    assert live is not None
    assert file is not None
    assert live.precision_deg == pytest.approx(file.precision_deg, abs=1e-9)
    assert live.reason == file.reason  # the bend's 90th percentile to a bin of 0.1°
    assert live.trace_only


def test_a_knee_under_the_edge_or_with_no_rows_has_none():
    so_far = KneeTissueSoFar()
    assert so_far.entry("right") is None
    so_far.add(_seated_knee(9000, 40.0))  # RMS well under 47°
    assert so_far.entry("right") is None
    assert knee_tissue_precision(_seated_knee(9000, 40.0), None, "right") is None


def test_nan_rows_are_left_out_as_the_file_leaves_them():
    knee = _seated_knee(9000)
    holed = knee.copy()
    holed[3000:3500] = np.nan
    a, b = KneeTissueSoFar(), KneeTissueSoFar()
    a.add(holed)
    b.add(knee[np.isfinite(holed)])
    assert a.tissue_rmse_deg() == b.tissue_rmse_deg()


def test_the_entry_from_its_parts_adds_the_poses_precision():
    plain = tissue_precision_entry(1.0, None, 88.0, "left")
    posed = tissue_precision_entry(1.0, 0.75, 88.0, "left")
    assert plain is not None
    assert posed is not None
    assert plain.precision_deg == pytest.approx(3.0)
    assert posed.precision_deg == pytest.approx(3.75)
    assert "the left knee was bent about 88°" in plain.reason
    assert tissue_precision_entry(0.6, None, 88.0, "left") is None  # 3σ = 1.8° ≤ 2°


def test_only_the_runs_that_ended_are_handed_on():
    res = check_envelope(_seated(8.8), load_builtin_profile("seated_slider"), side="right")
    assert ended_near_latch(res, 41.99) == ()  # the run takes in the newest sample
    (run,) = ended_near_latch(res, 42.0)
    assert (run.start_s, run.end_s) == (30.0, 42.0)


def test_the_monitor_hands_the_run_on_once_it_ended_and_judges_the_rule_as_read():
    df = _seated(8.8)
    monitor = EnvelopeMonitor(load_builtin_profile("seated_slider"), side="right")
    seen: list[tuple[float, tuple]] = []
    for i in range(0, len(df), 50):
        part = df.iloc[i : i + 50]
        st = monitor.update(part.t_s.to_numpy(), {c: part[c].to_numpy() for c in df.columns[1:]})
        if st is not None:
            seen.append((st.t_s, st.near_latch))
            knee = next(r for r in st.rules if r.rule == "knee_flexion")
            assert knee.status != "uncertain"  # judged at the newest sample as any other
            assert not st.new_cues
    first = next(t for t, runs in seen if runs)
    assert 42.0 <= first < 42.6
    assert all(not runs for t, runs in seen if t < 42.0)
    # the words are the checker's for the whole session
    whole = check_envelope(df, load_builtin_profile("seated_slider"), side="right")
    rule = whole.rule("knee_flexion")
    assert rule is not None
    assert near_latch_reason(rule.near_latch) == rule.reason
    more = near_latch_reason((*rule.near_latch, *rule.near_latch))
    assert more.endswith("(and 1 more such runs)")


def test_the_history_knee_is_the_bend_between_thigh_and_shank():
    n = 5
    bend = np.linspace(0.0, 80.0, n)
    thigh = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))  # scalar-first identity
    shank_xyzw = Rotation.from_euler("z", -bend[:, None], degrees=True).as_quat()
    shank = shank_xyzw[:, [3, 0, 1, 2]]
    valid = {p: np.ones(n, dtype=bool) for p in ("right_thigh", "right_shank")}
    q_B = {"right_thigh": thigh, "right_shank": shank}
    knees = history_knees_deg(q_B, {}, valid)
    assert list(knees) == [KNEE]
    assert np.allclose(np.abs(knees[KNEE]), bend, atol=1e-6)
    assert q_B["right_shank"] is shank  # not consumed
    valid["right_shank"][2] = False
    assert np.isnan(history_knees_deg(q_B, {}, valid)[KNEE][2])
