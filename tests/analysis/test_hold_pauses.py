"""A hold whose start hangs on a pause of about the dwell gives both readings.

Synthetic engagement angles: placing the leg (a fast minimum-jerk step), a pause, a slow
lean deeper (under the 5 °/s limit, over the 2.5 °/s release rate), the hold, lowering. The
pause's measured length is checked against the dwell first, so each test states its premise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.envelope import check_envelope
from analysis.envelope.masks import end_times
from analysis.envelope.pauses import (
    MEASURED_RATE_SCALE,
    NOISE_SIGMAS,
    band_extent_s,
    borderline_pauses,
    engagement_speed,
    pause_precision_s,
    rate_scale_precision,
)
from analysis.envelope.profiles import load_builtin_profile
from analysis.report.page import longest_hold_lines, pause_hold_lines, summary_text
from tests.analysis.builders import min_jerk_step

STANDING = load_builtin_profile("standing_hamstring")
SPEC = STANDING.hold
DT = 0.01
PLACED_S = 7.0  # the leg is on the support (its step ends) at 7 s


def _session(gap_s: float, *, noise_deg: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Place the leg (50° over 2 s from 5 s), wait ``gap_s``, lean 4° over 2 s, hold to 45 s."""
    t = np.arange(0.0, 60.0, DT)
    lean_s = PLACED_S + gap_s
    hip = (
        min_jerk_step(t, 5.0, PLACED_S, 50.0)
        + min_jerk_step(t, lean_s, lean_s + 2.0, 4.0)
        + min_jerk_step(t, 45.0, 47.0, -54.0)
    )
    hip = hip + np.random.default_rng(seed).normal(0.0, noise_deg, t.size)
    return pd.DataFrame(
        {
            "t_s": t,
            "right_hip_flexion_deg": hip,
            "right_knee_flexion_deg": np.full(t.size, 20.0),
            "right_ankle_dorsiflexion_deg": np.full(t.size, -10.0),
        }
    )


def _pauses(angles: pd.DataFrame):
    t = angles["t_s"].to_numpy()
    x = angles["right_hip_flexion_deg"].to_numpy()
    speed = engagement_speed(x, t, SPEC)
    scale = rate_scale_precision(STANDING, "right", "right_hip_flexion_deg")
    return borderline_pauses(speed, x, t, end_times(t), SPEC, scale=scale, dwell_s=1.0)


def test_rate_scale_precision_is_the_measured_share_at_least():
    # the model (3° sagittal error over the 45° edge, 7 %) is under the share measured on the
    # population (round 11: the estimated lean rate 10 % off the truth's at worst)
    assert MEASURED_RATE_SCALE > 3.0 / 45.0
    assert rate_scale_precision(STANDING, "right", "right_hip_flexion_deg") == pytest.approx(
        MEASURED_RATE_SCALE
    )
    # the thigh's inclination stands in with the same 45° edge
    assert rate_scale_precision(STANDING, "left", "left_thigh_inclination_deg") == pytest.approx(
        MEASURED_RATE_SCALE
    )


def _ramp_speed(fall: float, rise: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """A speed falling at ``fall`` °/s² through 2.5 °/s, 0 for a while, rising at ``rise``."""
    t = np.arange(0.0, 4.0, DT)
    down = np.clip(2.5 + fall * (1.0 - t), 0.0, None)
    up = np.clip(2.5 + rise * (t - 2.0), 0.0, None)
    speed = np.maximum(down, up)
    a = int(np.argmax(speed <= 2.5))
    b = a + int(np.argmax(speed[a:] > 2.5))
    return t, speed, a, b


def test_pause_precision_is_the_rate_error_over_the_slopes_plus_a_sample():
    t, speed, a, b = _ramp_speed(fall=20.0, rise=4.0)
    x = np.zeros(t.size)  # no noise: only the scale error and the grid count
    prec = pause_precision_s(speed, x, t, a, b, SPEC, scale=0.1, dwell_s=1.0)
    assert prec == pytest.approx(DT + 0.25 / 20.0 + 0.25 / 4.0, rel=0.02)
    # a steeper rise pins the pause's end better
    _, steep, a2, b2 = _ramp_speed(fall=20.0, rise=40.0)
    steep_prec = pause_precision_s(steep, x, t, a2, b2, SPEC, scale=0.1, dwell_s=1.0)
    assert steep_prec == pytest.approx(DT + 0.25 / 20.0 + 0.25 / 40.0, rel=0.02)


def test_angle_noise_widens_the_precision_by_its_rate_noise():
    t, speed, a, b = _ramp_speed(fall=20.0, rise=4.0)
    sigma = 0.02
    x = np.random.default_rng(3).normal(0.0, sigma, t.size)
    quiet = pause_precision_s(speed, np.zeros(t.size), t, a, b, SPEC, scale=0.1, dwell_s=1.0)
    noisy = pause_precision_s(speed, x, t, a, b, SPEC, scale=0.1, dwell_s=1.0)
    expected = NOISE_SIGMAS * sigma / SPEC.rate_window_s * (1 / 20.0 + 1 / 4.0)
    assert noisy - quiet == pytest.approx(expected, rel=0.25)


def test_a_speed_hovering_at_the_release_rate_is_capped_at_half_the_dwell():
    # the speed dips 0.05 °/s under 2.5 °/s for 2 s and crosses it at only 0.1 °/s²
    t = np.arange(0.0, 4.0, DT)
    speed = 2.5 - 0.05 * (t - 1.0) * (3.0 - t)
    a = int(np.argmax(speed <= 2.5))
    b = a + int(np.argmax(speed[a:] > 2.5))
    prec = pause_precision_s(speed, np.zeros(t.size), t, a, b, SPEC, scale=0.1, dwell_s=1.0)
    assert prec == pytest.approx(0.5)


@pytest.mark.parametrize("gap_s", [0.0, 0.7])
def test_a_pause_clear_of_the_dwell_gives_one_reading(gap_s):
    angles = _session(gap_s)
    assert _pauses(angles) == []
    (hold,) = check_envelope(angles, STANDING, side="right").holds
    assert not hold.timing_flagged
    assert hold.timing_text() is None


def test_the_two_readings_do_not_flip_with_a_few_hundredths_of_a_second():
    # geometric pauses 0.35 and 0.40 s measure just under and just over the 1-s dwell
    short, long_ = _session(0.35), _session(0.40)
    (p_short,), (p_long,) = _pauses(short), _pauses(long_)
    assert p_short.duration_s < 1.0 < p_long.duration_s
    assert p_long.duration_s - p_short.duration_s < 0.1
    assert p_short.bridged
    assert not p_long.bridged
    (h_short,) = check_envelope(short, STANDING, side="right").holds
    (h_long,) = check_envelope(long_, STANDING, side="right").holds
    # the decision flips: under the dwell the hold starts after the lean, over it at placing
    assert h_short.start_s - h_long.start_s > 1.5
    assert abs(h_long.start_s - PLACED_S) < 0.1
    # ... but each gives the other reading, so together they agree within the pause's change
    (alt_short,), (alt_long,) = h_short.timing_alternatives, h_long.timing_alternatives
    assert alt_short.start_s == pytest.approx(h_long.start_s, abs=0.1)
    assert alt_long.start_s == pytest.approx(h_short.start_s, abs=0.1)
    assert alt_short.end_s == pytest.approx(h_short.end_s, abs=0.02)
    assert alt_short.precision_s >= abs(alt_short.pause_s - 1.0)


def test_noise_on_the_angle_widens_the_band_that_is_flagged():
    # measured ≈ 0.91 s: outside the noise-free band, inside it with 0.03° of angle noise
    # (was a 0.30-s gap, 0.93 s, while the rate's precision was 7 %; it is 10 % since round 11)
    assert _pauses(_session(0.28)) == []
    noisy = _pauses(_session(0.28, noise_deg=0.03, seed=7))
    assert len(noisy) == 1
    assert noisy[0].precision_s >= 1.0 - noisy[0].duration_s


def test_the_flag_is_said_in_words_in_json_report_and_terminal():
    env = check_envelope(_session(0.35), STANDING, side="right")
    (hold,) = env.holds
    text = hold.timing_text()
    assert text is not None
    assert text.startswith(f"held {hold.duration_s:.0f} s")
    assert "if the 1.0-s pause at 0:07" in text
    assert "was a stop" in text
    (item,) = env.to_dict()["holds"]
    assert item["timing_flagged"] is True
    assert item["timing_condition"] == text
    (alt,) = item["timing_alternatives"]
    assert alt["pause_bridged"] is True
    assert alt["start_s"] == pytest.approx(hold.timing_alternatives[0].start_s, abs=1e-3)
    assert alt["dwell_s"] == 1.0
    assert pause_hold_lines(env, limit=5) == [f"Hold 1: {text}."]
    assert any(text in line for line in longest_hold_lines(env))
    assert text in summary_text(env, source_name="x")
    plain = check_envelope(_session(0.0), STANDING, side="right")
    assert plain.to_dict()["holds"][0]["timing_flagged"] is False
    assert plain.to_dict()["holds"][0]["timing_alternatives"] == []
    assert pause_hold_lines(plain, limit=5) == []


def test_the_other_reading_timed_near_the_pause_equals_timing_the_whole_session(monkeypatch):
    import analysis.envelope.checker as checker

    # three blocks, each with a pause at the dwell: the windowed decision per pause must give
    # what deciding it again over the whole session gives
    blocks = [_session(g) for g in (0.35, 0.40, 0.37)]
    angles = pd.concat(
        [b.assign(t_s=b["t_s"] + 60.0 * k) for k, b in enumerate(blocks)], ignore_index=True
    )
    near = check_envelope(angles, STANDING, side="right").holds
    monkeypatch.setattr(checker, "PAUSE_WINDOW_DWELLS", 1e6)
    whole = check_envelope(angles, STANDING, side="right").holds
    assert len(near) == 3
    assert all(h.timing_flagged for h in near)
    assert [h.timing_alternatives for h in near] == [h.timing_alternatives for h in whole]


def test_band_extent_on_a_steady_ramp_is_the_band_over_the_slope():
    t = np.arange(0.0, 4.0, DT)
    speed = 2.5 + 4.0 * (t - 2.0)  # rising through 2.5 °/s at 2 s, 4 °/s²
    i = int(np.argmax(speed > 2.5))
    for direction in (-1, 1):
        extent = band_extent_s(speed, t, i, 2.5, 0.25, direction, limit_s=1.0)
        assert extent == pytest.approx(0.25 / 4.0, rel=1e-6)
    # a band the speed never leaves within the limit gives the limit
    assert band_extent_s(speed, t, i, 2.5, 50.0, 1, limit_s=1.0) == 1.0


def test_band_extent_follows_a_speed_that_levels_off_at_the_release_rate():
    # through 2.5 °/s steeply, then 0.8 s at 2.55 °/s (a slow lean) before rising on
    t = np.arange(0.0, 4.0, DT)
    speed = np.minimum(2.5 + 20.0 * (t - 1.5), 2.55)
    speed = np.clip(np.where(t > 2.3, 2.55 + 10.0 * (t - 2.3), speed), 0.0, None)
    i = int(np.argmax(speed > 2.5))
    after = band_extent_s(speed, t, i, 2.5, 0.2, 1, limit_s=2.0)
    # the crossing is at 1.5 s; the speed leaves 2.7 °/s at 2.315 s
    assert after == pytest.approx(2.315 - 1.5, abs=1e-3)
    # the steep side is pinned by the slope as before
    assert band_extent_s(speed, t, i, 2.5, 0.2, -1, limit_s=2.0) == pytest.approx(
        0.2 / 20.0, abs=1e-3
    )


def test_a_pause_that_ends_in_a_lean_at_the_release_rate_is_flagged():
    # the pause measures 0.66 s, 0.34 s under the dwell, far beyond δv / slope at its ends;
    # but the lean after it runs at 2.55 °/s for 0.7 s, within the rate error (±0.17 °/s)
    # of 2.5 °/s, so the true pause may well have lasted past the dwell
    t = np.arange(0.0, 5.0, DT)
    fall = 2.5 - 30.0 * (t - 1.0)
    lean = np.minimum(2.5 + 30.0 * (t - 1.65), 2.55)
    lean = np.where(t > 1.65 + 0.7, 2.55 + 5.0 * (t - 2.35), lean)
    speed = np.clip(np.maximum(fall, lean), 0.0, None)
    angles = np.zeros(t.size)
    scale = rate_scale_precision(STANDING, "right", "right_hip_flexion_deg")
    (pause,) = borderline_pauses(speed, angles, t, end_times(t), SPEC, scale=scale, dwell_s=1.0)
    assert pause.duration_s == pytest.approx(0.66, abs=0.02)
    assert pause.bridged
    assert pause.precision_s >= 1.0 - pause.duration_s
    # with a lean that rises straight through the release rate it is not
    steep = np.clip(np.maximum(fall, 2.5 + 30.0 * (t - 1.65)), 0.0, None)
    assert borderline_pauses(steep, angles, t, end_times(t), SPEC, scale=scale, dwell_s=1.0) == []


def test_a_reading_whose_own_pause_is_at_the_dwell_gives_both_its_timings():
    """An uncertain engagement angle's other reading is timed as a trusted angle would be:
    where its own pause is within its precision of the dwell, the hold under that reading is
    read both ways. (Held-out person 43005: the measured pause 0.6 s, every reading's just
    under the dwell, the truth's 1.01 s: the hold started 1.9 s late, unsaid.)"""
    from analysis.envelope.results import ReadingAlternative

    own, other = _session(0.1), _session(0.35)
    assert _pauses(own) == []  # the angles' own pause is clear of the dwell: bridged
    (pause,) = _pauses(other)  # the reading's is at it, bridged as measured
    assert pause.bridged
    hip = "right_hip_flexion_deg"
    doubt = {hip: {"reason": "the pelvis's flexion axis is not established", "redo": "bow"}}
    words = "found whichever of the pelvis's two flexion axes (from a, b) is right"

    def timed(reading: pd.DataFrame):
        others = {"pelvis": (words, ({hip: reading[hip].to_numpy()},))}
        env = check_envelope(own, STANDING, side="right", uncertain=doubt, other_readings=others)
        (hold,) = env.holds
        return hold

    hold = timed(other)
    assert hold.start_s > PLACED_S + 1.0  # after the lean, as the own angle reads it
    (alt,) = hold.timing_alternatives
    assert isinstance(alt, ReadingAlternative)
    assert alt.reading == words
    assert alt.start_s == pytest.approx(PLACED_S, abs=0.1)  # the pause decided the other way
    assert hold.timing_flagged
    # a reading that agrees with the angles' own, pause and all, adds nothing
    assert timed(_session(0.1)).timing_alternatives == ()
