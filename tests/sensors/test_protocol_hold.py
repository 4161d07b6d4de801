"""The guide waits (``GuidedProtocol.hold_until``): its steps start later, its clock stays."""

from __future__ import annotations

from sensors.session.protocol import GuidedProtocol, default_steps


def test_hold_until_shifts_every_step_and_the_windows() -> None:
    g = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0))
    g.start(10.0)
    g.hold_until(22.0)  # the steps begin 12 s after the start
    assert g.start_s == 10.0
    step, left = g.current(20.0)
    assert step is None
    assert left == 2.0
    step, left = g.current(23.0)
    assert step is not None
    assert step.key == "static"
    assert left == 4.0
    windows = g.calibration(50.0)
    assert windows is not None
    assert windows.static_s == (22.0, 27.0)
    assert windows.functional_s == (27.0, 42.0)


def test_hold_until_again_moves_from_where_the_steps_are_now() -> None:
    g = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0))
    g.start(0.0)
    g.hold_until(4.0)
    g.hold_until(3.0)  # back a little: the stand began when the sensor settled
    windows = g.calibration(30.0)
    assert windows is not None
    assert windows.static_s == (3.0, 8.0)


def test_hold_until_does_nothing_once_movements_were_judged_or_before_the_start() -> None:
    g = GuidedProtocol(default_steps(stand_s=5.0, move_s=15.0))
    g.hold_until(9.0)
    assert g.steps == default_steps(stand_s=5.0, move_s=15.0)
    g.start(0.0)
    g.judge(20.0, None)
    g.hold_until(9.0)
    assert g.steps == default_steps(stand_s=5.0, move_s=15.0)
