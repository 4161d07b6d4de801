"""The report says once, plainly, when the thigh's tilt decided the stretch while the pelvis
sensor was out (``angles.csv``'s ``<side>_thigh_inclination_deg`` inside a pelvis dropout)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.envelope.checker import check_envelope
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import ReportContext, build_report_html, stand_in_gaps
from tests.analysis.builders import min_jerk_step as _step

OUT_S = (40.0, 50.0)  # the pelvis's dropout, inside the stretch
NOTE = "the tilt of your thigh told whether you were in the stretch"


def _session(*, pelvis_out: bool, thigh_too: bool = False) -> pd.DataFrame:
    """A standing stretch 12–60 s (hip 70°, knee 18°); the pelvis's columns NaN in ``OUT_S``
    and the thigh's inclination there (the stand-in); ``thigh_too``: the thigh out as well."""
    t = np.arange(0.0, 80.0, 0.01)

    def pose(v: float) -> np.ndarray:
        return _step(t, 10, 12, v) - _step(t, 60, 62, v)

    df = pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": pose(70.0),
            "right_knee_flexion_deg": pose(18.0),
            "right_ankle_dorsiflexion_deg": pose(-15.0),
            "pelvis_anterior_tilt_deg": pose(10.0),
        }
    )
    if pelvis_out:
        gap = (t > OUT_S[0]) & (t < OUT_S[1])
        df.loc[gap, ["right_hip_flexion_deg", "pelvis_anterior_tilt_deg"]] = np.nan
        incl = np.where(gap, 60.0, np.nan)
        if thigh_too:
            incl[:] = np.nan
            df.loc[gap, "right_knee_flexion_deg"] = np.nan
        df["right_thigh_inclination_deg"] = incl
    return df


def _page(df: pd.DataFrame) -> tuple[str, list[tuple[float, float]]]:
    env = check_envelope(df, load_builtin_profile("standing_hamstring"), side="right")
    return build_report_html(df, env, ReportContext(source_name="s.csv")), stand_in_gaps(env, df)


def test_the_report_says_once_that_the_thigh_decided_while_the_pelvis_was_out():
    page, gaps = _page(_session(pelvis_out=True))
    ((a, b),) = gaps
    assert OUT_S[0] <= a < OUT_S[0] + 0.1
    assert OUT_S[1] - 0.1 < b <= OUT_S[1]
    assert page.count(NOTE) == 1
    assert f"While the pelvis sensor was out ({a:.1f}–{b:.1f} s)" in page


def test_no_such_note_without_a_stand_in():
    page, gaps = _page(_session(pelvis_out=False))
    assert gaps == []
    assert NOTE not in page
    # the thigh out with the pelvis: nothing stood in (the stretch rests on its dwell alone)
    page, gaps = _page(_session(pelvis_out=True, thigh_too=True))
    assert gaps == []
    assert NOTE not in page
