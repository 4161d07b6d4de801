"""Seated sessions built for the live doubts' tests (registered only while a test runs).

* ``seated_deep``: a slump-like seated hold, the knees bent about 90° for most of the session
  (the report reads the right knee as approximate: its soft tissue's ±), sliding the ankle;
* ``seated_graze``: the seated slider with the right knee straightened to 9.4° for 6 s, just
  past the 10° limit and short of 8.5°, the point where a break counts (the report's rule is
  ``uncertain``: the reading within its measuring error of that point).

:func:`registered` adds them to the simulator's scenarios for the length of a ``with``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from analysis.simulation import scenarios as sc

GRAZE_KNEE_DEG = 9.4
"""The knee in ``seated_graze``'s run (deg): 0.6° past the 10° edge, 0.9° short of 8.5°."""


def _seated(s: sc.Script, knee_deg: float) -> None:
    seated = {**sc.axial(tilt=5.0, lumbar=0.0), **sc.both_legs(hip=95.0, knee=90.0)}
    s.move(3.0, seated, anchor=("pelvis", "origin"), standing=False)
    s.wait(2.0)
    s.set_flat("right", False)
    s.move(2.0, sc.leg("right", knee=knee_deg, ankle=-5.0))
    s.wait(1.0)


def _stand_up(s: sc.Script) -> None:
    s.move(2.0, sc.leg("right", knee=90.0, ankle=0.0))
    s.set_flat("right", True)
    s.wait(1.0)
    s.move(3.0, sc.NEUTRAL, anchor=("left_foot", "sole"), standing=True)
    s.wait(1.0)


def _slide(s: sc.Script, duration_s: float) -> None:
    s.oscillate(
        "right_ankle_dorsiflexion",
        amplitude_deg=15.0,
        frequency_hz=0.5,
        duration_s=duration_s,
        ramp_s=1.0,
    )


def seated_deep(s: sc.Script) -> None:
    """Sit, the right knee at 85°, slide the ankle for 60 s; stand up."""
    with s.phase("phase", "exercise"):
        _seated(s, 85.0)
        _slide(s, 60.0)
        s.wait(1.0)
        _stand_up(s)


def seated_graze(s: sc.Script) -> None:
    """Sit, the right knee at 35°; slide; straighten it to 9.4° for 6 s; back to 35°; stand."""
    with s.phase("phase", "exercise"):
        _seated(s, 35.0)
        _slide(s, 12.0)
        s.move(1.5, sc.leg("right", knee=GRAZE_KNEE_DEG))
        s.wait(6.0)
        s.move(1.5, sc.leg("right", knee=35.0))
        _slide(s, 12.0)
        s.wait(1.0)
        _stand_up(s)


SEATED = (
    sc.ScenarioInfo(
        "seated_deep",
        "seated, right knee 85° for 60 s, sliding the ankle (a test scenario)",
        "seated_slider",
        "right",
        seated_deep,
    ),
    sc.ScenarioInfo(
        "seated_graze",
        "seated slider, right knee straightened to 9.4° for 6 s (a test scenario)",
        "seated_slider",
        "right",
        seated_graze,
    ),
)


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The two scenarios in the simulator's table while the ``with`` runs."""
    added = [i.name for i in SEATED if i.name not in sc.SCENARIOS]
    sc.SCENARIOS.update({i.name: i for i in SEATED})
    try:
        yield
    finally:
        for name in added:
            sc.SCENARIOS.pop(name, None)
