"""The live pipeline's stand-in for the hip while the pelvis is out (``pelvis_out_rows``)."""

from __future__ import annotations

import numpy as np

from analysis.angles.live import LiveAngles, pelvis_out_rows


def test_the_rows_without_a_pelvis_after_its_first_one_stand_in():
    ok = np.array([False, True, True, False, False, True, False])
    assert pelvis_out_rows(ok, False, False).tolist() == [
        False,  # before the pelvis's first orientation: no stand-in, as in the report
        False,
        False,
        True,
        True,
        False,
        True,  # still out at the newest row: live cannot wait for the far side
    ]


def test_a_pelvis_seen_in_an_earlier_chunk_stands_in_from_the_first_row():
    out = pelvis_out_rows(np.zeros(3, bool), True, False)
    assert out.tolist() == [True, True, True]
    assert not pelvis_out_rows(np.zeros(3, bool), False, False).any()


def test_a_lost_pelvis_gets_no_stand_in():
    assert not pelvis_out_rows(np.zeros(3, bool), True, True).any()


def test_the_monitor_reads_the_angles_with_the_stand_ins():
    a = LiveAngles(
        t_s=np.zeros(2),
        columns={"right_knee_flexion_deg": np.ones(2)},
        stand_in={"right_thigh_inclination_deg": np.full(2, np.nan)},
    )
    assert set(a.judged) == {"right_knee_flexion_deg", "right_thigh_inclination_deg"}
    assert set(a.columns) == {"right_knee_flexion_deg"}
