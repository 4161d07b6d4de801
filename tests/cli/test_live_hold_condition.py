"""The live verdict says when the longest hold depends on an uncertain rule, as the report does."""

from __future__ import annotations

from types import SimpleNamespace

from analysis.envelope.results import Episode, Hold
from cli.live_feed import SessionTally
from tests.analysis.builders import episode


def _tuck(start_s: float, end_s: float) -> Episode:
    return episode("pelvis_anterior_tilt", start_s, end_s, peak_deg=-8.0)


def _ended(hold: Hold) -> SimpleNamespace:
    return SimpleNamespace(
        engaged=True,
        outside=False,
        hold_s=0.0,
        hold_target_s=30.0,
        rules=(),
        new_cues=(),
        hold=hold,
        hold_open=False,
    )


def test_a_conditional_hold_is_said_not_sure_with_its_condition():
    hold = Hold(start_s=10.0, end_s=50.0, rating="target", unconfirmed=(_tuck(20.0, 30.0),))
    tally = SessionTally()
    tally.update(_ended(hold))
    assert tally.hold_condition() == hold.condition_text()
    verdict = tally.verdict()
    assert verdict.startswith("inside the envelope throughout; longest hold")
    assert verdict.endswith(f" — that hold is not sure: {hold.condition_text()}")
    assert "its longest sure part is 20 s" in verdict


def test_a_hold_on_trusted_rules_says_nothing_more():
    tally = SessionTally()
    tally.update(_ended(Hold(start_s=10.0, end_s=50.0, rating="target")))
    assert tally.hold_condition() is None
    assert "not sure" not in tally.verdict()
