"""The knee-hinge fit's own cross product gives exactly ``np.cross``'s values (no drift)."""

from __future__ import annotations

import numpy as np

from analysis.angles.calibration_hinge import _cross3, _tangent_basis


def test_cross3_is_bitwise_np_cross():
    rng = np.random.default_rng(11)
    a = rng.normal(size=(3000, 3)) * rng.choice([1e-9, 1.0, 1e9], size=(3000, 1))
    b = rng.normal(size=(3000, 3))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(_cross3(x, y), np.cross(x, y))


def test_tangent_basis_is_orthonormal_to_the_axis():
    rng = np.random.default_rng(12)
    for j in rng.normal(size=(200, 3)):
        j /= np.linalg.norm(j)
        b = _tangent_basis(j)
        assert b.shape == (2, 3)
        np.testing.assert_allclose(b @ b.T, np.eye(2), atol=1e-12)
        np.testing.assert_allclose(b @ j, 0.0, atol=1e-12)
