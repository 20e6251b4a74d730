"""Space-time domains: extruded regions, time slices, faces and grids."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield.domains as D
from pinnfield.errors import DomainError

x, y, z, t = sp.symbols("x y z t")
EPS = 1e-6


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def normals(batch, coords):
    return np.stack([batch.data[f"n_{c}"].numpy() for c in coords], axis=1)


def mean_tolerance(n, spread):
    """5 standard errors of a sample mean of n points with standard deviation `spread`."""
    return 5 * spread / math.sqrt(n)


# ---------------------------------------------------------------------------------------------
# Space-time
# ---------------------------------------------------------------------------------------------


def test_space_time_regions():
    space = D.Box((0, 0), (1, 2), (x, y))
    st = space * D.TimeInterval(0.5, 1.5, t)
    assert st.coords == (x, y, t)
    lo, hi = st.bounds()
    assert lo.tolist() == [0, 0, 0.5] and hi.tolist() == [1, 2, 1.5]
    assert st.measure() == pytest.approx(2.0)

    inner = st.interior.sample(2000, gen()).points.numpy()
    assert st.contains(inner).all() and inner.shape == (2000, 3)
    assert abs(inner[:, 2].mean() - 1.0) < mean_tolerance(2000, 1 / math.sqrt(12))

    initial = st.initial.sample(300, gen())
    assert np.all(initial.points[:, 2].numpy() == 0.5) and initial.data == {}
    assert space.contains(initial.points[:, :2]).all()
    assert np.all(st.final.sample(10, gen()).points[:, 2].numpy() == 1.5)

    lateral = st.boundary
    assert lateral.data_names == ("n_x", "n_y")
    batch = lateral.sample(1000, gen())
    q, nrm = batch.points.numpy(), normals(batch, (x, y))
    assert np.all(np.any((q[:, :2] == 0) | (q[:, :2] == [1, 2]), axis=1))
    assert (q[:, 2] >= 0.5).all() and (q[:, 2] <= 1.5).all()
    step = np.concatenate([EPS * nrm, np.zeros((len(q), 1))], axis=1)
    assert (~st.contains(q + step)).all() and st.contains(q - step).all()
    assert repr(st.initial) == "(Box((0, 0), (1, 2)) * TimeInterval(0.5, 1.5)).initial"

    face = st.face(x, 1).sample(100, gen())
    assert np.all(face.points[:, 0].numpy() == 1) and np.all(face.data["n_x"].numpy() == 1)


def test_space_time_disk_and_grid():
    st = D.Disk((0, 0), 1, (x, y)) * D.TimeInterval(0, 2, t)
    batch = st.boundary.sample(500, gen())
    q = batch.points.numpy()
    assert np.allclose(np.linalg.norm(q[:, :2], axis=1), 1)
    assert np.allclose(normals(batch, (x, y)), q[:, :2])
    g = (D.Box((0, 0), (1, 1), (x, y)) * D.TimeInterval(0, 1, t)).grid((5, 4, 3))
    assert g.shape == (60, 3)
    assert np.array_equal(g[:3, 2], [0, 0.5, 1]) and np.all(g[:12, 0] == 0)  # time fastest
    with pytest.raises(DomainError, match="time coordinate"):
        D.Box((0,), (1,), (t,)) * D.TimeInterval(0, 1, t)
    with pytest.raises(DomainError, match="cannot be combined"):
        st | st
