"""The envelope's running mean matches SciPy's uniform filter (mode "nearest")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from analysis.envelope.masks import running_mean


@pytest.mark.parametrize(
    ("n", "width"), [(100, 1), (100, 5), (100, 6), (1000, 51), (7, 10), (50, 50)]
)
def test_running_mean_equals_uniform_filter(rng, n, width):
    x = rng.normal(size=n).cumsum()
    assert np.allclose(running_mean(x, width), uniform_filter1d(x, size=width, mode="nearest"))
