"""Shared test fixtures: seeded RNG and the read-only ../shared material (skips when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: a failure is a defect to fix, never
# luck to re-run away; a new example is found by changing the code or the strategy.
settings.register_profile("stretchguard", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("stretchguard")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test's randomness is reproducible."""
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository; skips the test when it is not there."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not present at {SHARED} (real datasets are not copied in)")
    return SHARED


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The project's own fixture sessions (made by its simulator)."""
    return FIXTURES
