"""heading.past_target_doubt: the one timed doubt of an angle whose bound passes its target."""

from __future__ import annotations

import numpy as np

from analysis.angles.heading import past_target_doubt


def test_the_bound_stands_only_where_it_passes_the_target_and_the_words_say_where():
    t_s = np.arange(0.0, 10.0, 0.5)
    off = np.where((t_s >= 2.0) & (t_s < 4.0), 6.0, 3.0)
    doubt = past_target_doubt(t_s, off, 4.0, what="the left hip adduction", redo="stand still")
    assert doubt is not None
    assert np.array_equal(np.asarray(doubt.bound_deg), np.where(off > 4.0, 6.0, 0.0))
    assert doubt.reason.startswith("the left hip adduction may be off by up to 6°, more than")
    assert "the 4° this tool trusts" in doubt.reason
    assert doubt.reason.endswith("a rule on it is decided there only beyond that")
    assert doubt.redo == "stand still"


def test_a_bound_that_never_passes_the_target_is_no_doubt():
    t_s = np.arange(0.0, 5.0, 0.5)
    assert past_target_doubt(t_s, np.full(t_s.shape, 4.0), 4.0, what="x", redo="y") is None
