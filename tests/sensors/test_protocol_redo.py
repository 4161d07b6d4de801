"""The guided protocol asks the movements again when they fell short, a bounded number of
times, and keeps the record of every attempt for the sidecar."""

from __future__ import annotations

import pytest

from sensors.session.protocol import (
    MOVE_PROMPT,
    GuidedProtocol,
    ProtocolStep,
    default_steps,
)

PELVIS = "the pelvis sensor's forward direction is not established"


def _started(max_redos: int = 2) -> GuidedProtocol:
    p = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0), max_redos=max_redos)
    p.start(100.0)
    return p


def test_nothing_to_check_before_the_movements_end():
    p = _started()
    assert p.to_check(110.0) is None
    w = p.to_check(120.0)
    assert w is not None
    assert w.static_s == (100.0, 105.0)
    assert w.functional_s == (105.0, 120.0)


def test_accepted_movements_are_checked_once():
    p = _started()
    assert p.judge(120.2, None) is False
    assert p.to_check(121.0) is None
    step, _ = p.current(121.0)
    assert step is not None
    assert step.key == "exercise"
    assert p.sidecar_extra()["protocol_attempts"] == [
        {
            "key": "functional",
            "start_s": 105.0,
            "end_s": 120.0,
            "outcome": "accepted",
            "reason": None,
        }
    ]


def test_a_shortfall_asks_again_with_the_reason_for_as_long_as_before():
    p = _started()
    assert p.judge(120.3, PELVIS) is True
    step, left = p.current(121.0)
    assert isinstance(step, ProtocolStep)
    assert step.key == "functional"
    assert step.again
    assert step.prompt.startswith(f"Once more — {PELVIS}. ")
    assert step.prompt.endswith(MOVE_PROMPT)
    assert left == pytest.approx(14.3)
    # the first attempt's window is the completed one until the second ends
    assert p.calibration(125.0).functional_s == (105.0, 120.0)
    assert p.to_check(125.0) is None
    w = p.to_check(135.3)
    assert w is not None
    assert w.functional_s == pytest.approx((105.0, 135.3))  # both attempts
    assert p.current(136.0)[0].key == "exercise"


def test_redos_are_bounded_and_the_last_shortfall_is_kept():
    p = _started(max_redos=2)
    t = 120.0
    asked = []
    for _ in range(3):
        w = p.to_check(t + 30.0)
        assert w is not None
        asked.append(p.judge(w.functional_s[1], PELVIS))
        t = w.functional_s[1]
    assert asked == [True, True, False]
    outcomes = [a["outcome"] for a in p.sidecar_extra()["protocol_attempts"]]
    assert outcomes == ["again", "again", "kept"]
    assert p.to_check(t + 60.0) is None  # nothing more to judge after the kept attempt
    assert p.current(t + 1.0)[0].key == "exercise"


def test_judging_before_any_movement_is_an_error():
    p = GuidedProtocol()
    with pytest.raises(ValueError, match="no movement step"):
        p.judge(1.0, None)
