"""Points: subsets with aligned data columns, and the errors of malformed point sets."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield.domains as D
from pinnfield.errors import DomainError

x, y, z, t = sp.symbols("x y z t")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------
# Points
# ---------------------------------------------------------------------------------------------


def test_points_subset_and_aligned_values():
    rng = np.random.default_rng(0)
    array = rng.uniform(size=(100, 2))
    g = array[:, 0] + 10 * array[:, 1]
    pts = D.Points(array, (x, y), values={"g": g, "h": g.reshape(-1, 1) * 2})
    assert pts.data_names == ("g", "h") and pts.interior is pts and len(pts) == 100
    batch = pts.sample(30, gen())
    p = batch.points.numpy()
    assert p.shape == (30, 2) and len(np.unique(p, axis=0)) == 30
    assert np.allclose(batch.data["g"].numpy(), p[:, 0] + 10 * p[:, 1])
    assert np.allclose(batch.data["h"].numpy(), 2 * batch.data["g"].numpy())
    assert batch.data["g"].dtype == torch.float64
    assert np.array_equal(pts.sample(None, gen()).points.numpy(), array)
    assert np.array_equal(pts.sample(500, gen()).points.numpy(), array)
    assert np.array_equal(pts.sample(30, gen(5)).points.numpy(), pts.sample(30, gen(5)).points.numpy())
    assert not np.array_equal(p, pts.sample(30, gen(1)).points.numpy())
    lo, hi = pts.bounds()
    assert np.array_equal(lo, array.min(0)) and np.array_equal(hi, array.max(0))


def test_points_validation():
    array = np.zeros((10, 2))
    with pytest.raises(DomainError, match=r"column 'g' has length 9 .* N=10"):
        D.Points(array, (x, y), values={"g": np.zeros(9)})
    with pytest.raises(DomainError, match=r"shape \(10, 3\); expected \(N, 2\)"):
        D.Points(np.zeros((10, 3)), (x, y))
    with pytest.raises(DomainError, match="expected \\(N, 1\\)"):
        D.Points(np.zeros(10), (x,))
    bad = array.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DomainError, match="row 3"):
        D.Points(bad, (x, y))
    with pytest.raises(DomainError, match="no boundary"):
        D.Points(array, (x, y)).boundary
    with pytest.raises(DomainError, match="n must be a positive integer"):
        D.Points(array, (x, y)).sample(0, gen())
