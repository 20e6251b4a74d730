"""Box, Interval, Disk and Ball: membership, distributions, normals, measures, grids, contains, reprs."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield.domains as D
from pinnfield.errors import DomainError

x, y, z, t = sp.symbols("x y z t")
EPS = 1e-6

BOX = D.Box((0, 0), (1, 1), (x, y))
HOLE = D.Disk((0.5, 0.5), 0.2, (x, y))


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def probe_outward(domain, batch, eps=EPS):
    """p + eps n outside the domain and p - eps n inside, for every boundary point."""
    p = batch.points.numpy()
    n = np.stack([batch.data[f"n_{c}"].numpy() for c in domain.coords], axis=1)
    return (~domain.contains(p + eps * n)).all() and domain.contains(p - eps * n).all()


def normals(batch, coords):
    return np.stack([batch.data[f"n_{c}"].numpy() for c in coords], axis=1)


def mean_tolerance(n, spread):
    """5 standard errors of a sample mean of n points with standard deviation `spread`."""
    return 5 * spread / math.sqrt(n)


# ---------------------------------------------------------------------------------------------
# Box and Interval
# ---------------------------------------------------------------------------------------------


def test_box_interior_inside_and_fills():
    box = D.Box((0, -1), (2, 1), (x, y))
    batch = box.interior.sample(4000, gen())
    p = batch.points
    assert p.shape == (4000, 2) and p.dtype == torch.float64 and p.device.type == "cpu"
    assert batch.data == {} and box.interior.data_names == ()
    assert box.contains(p).all()
    # uniform on [0, 2] x [-1, 1]: mean (1, 0), standard deviation 2 / sqrt(12) per axis
    assert np.allclose(p.mean(0).numpy(), [1, 0], atol=mean_tolerance(4000, 2 / math.sqrt(12)))
    assert np.allclose(p.std(0).numpy(), [2 / math.sqrt(12)] * 2, atol=0.03)


def test_box_boundary_on_faces_with_outward_unit_normals():
    box = D.Box((0, 0), (2, 1), (x, y))
    batch = box.boundary.sample(3000, gen(1))
    p, n = batch.points.numpy(), normals(batch, (x, y))
    assert box.boundary.data_names == ("n_x", "n_y")
    on_face = (p[:, 0] == 0) | (p[:, 0] == 2) | (p[:, 1] == 0) | (p[:, 1] == 1)
    assert on_face.all() and box.contains(p).all()
    assert np.allclose(np.linalg.norm(n, axis=1), 1)
    assert probe_outward(box, batch)
    # the normal matches the face the point lies on
    assert np.all(n[p[:, 0] == 0, 0] == -1) and np.all(n[p[:, 1] == 1, 1] == 1)


def test_box_boundary_is_area_weighted():
    box = D.Box((0, 0), (3, 1), (x, y))  # perimeter 8: faces y = 0, 1 have 3 each, x = 0, 3 have 1
    n = 8000
    p = box.boundary.sample(n, gen(2)).points.numpy()
    frac_bottom = np.mean(p[:, 1] == 0)
    frac_left = np.mean(p[:, 0] == 0)
    sd = math.sqrt(3 / 8 * 5 / 8 / n)
    assert abs(frac_bottom - 3 / 8) < 5 * sd
    assert abs(frac_left - 1 / 8) < 5 * sd
    # uniform along the bottom face: mean x = 1.5
    bottom = p[p[:, 1] == 0, 0]
    assert abs(bottom.mean() - 1.5) < mean_tolerance(len(bottom), 3 / math.sqrt(12))


def test_box_3d_boundary_face_shares():
    box = D.Box((0, 0, 0), (1, 2, 3), (x, y, z))  # face areas: x-faces 6, y-faces 3, z-faces 2
    n = 11000
    batch = box.boundary.sample(n, gen(3))
    nrm = normals(batch, (x, y, z))
    shares = np.abs(nrm).mean(axis=0)
    assert np.allclose(shares, [6 / 11, 3 / 11, 2 / 11], atol=0.025)
    assert probe_outward(box, batch)


def test_box_face_region():
    box = D.Box((0, 0), (1, 2), (x, y))
    left = box.face(x, 0)
    batch = left.sample(500, gen())
    assert repr(left) == "Box((0, 0), (1, 2)).face(x=0)"
    assert np.all(batch.points[:, 0].numpy() == 0)
    assert batch.points[:, 1].min() >= 0 and batch.points[:, 1].max() <= 2
    assert abs(batch.points[:, 1].mean().item() - 1) < mean_tolerance(500, 2 / math.sqrt(12))
    assert np.all(batch.data["n_x"].numpy() == -1) and np.all(batch.data["n_y"].numpy() == 0)
    top = box.face(y, 2).sample(50, gen())
    assert np.all(top.points[:, 1].numpy() == 2) and np.all(top.data["n_y"].numpy() == 1)
    assert left.bounds()[1].tolist() == [1, 2]


def test_interval_boundary_alternates_ends():
    interval = D.Interval(-1, 2, x)
    batch = interval.boundary.sample(7, gen())
    assert batch.points[:, 0].tolist() == [-1, 2, -1, 2, -1, 2, -1]
    assert batch.data["n_x"].tolist() == [-1, 1, -1, 1, -1, 1, -1]
    inner = interval.interior.sample(1000, gen()).points
    assert inner.min() >= -1 and inner.max() <= 2
    assert interval.measure() == 3 and repr(interval) == "Interval(-1, 2)"


# ---------------------------------------------------------------------------------------------
# Disk and Ball
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_disk_interior_uniform_by_area(method):
    disk = D.Disk((1, -1), 0.5, (x, y))
    n = 4000
    p = disk.interior.sample(n, gen(), method=method).points.numpy()
    assert disk.contains(p).all()
    assert np.allclose(p.mean(0), [1, -1], atol=mean_tolerance(n, 0.25))
    r = np.linalg.norm(p - [1, -1], axis=1)
    assert abs(np.mean(r < 0.25) - 0.25) < 5 * math.sqrt(0.25 * 0.75 / n)  # area share of r/2
    assert abs(np.mean(p[:, 0] > 1) - 0.5) < 5 * math.sqrt(0.25 / n)


def test_disk_boundary_on_circle_with_outward_normals():
    disk = D.Disk((1, -1), 0.5, (x, y))
    batch = disk.boundary.sample(1000, gen())
    p, n = batch.points.numpy(), normals(batch, (x, y))
    assert np.allclose(np.linalg.norm(p - [1, -1], axis=1), 0.5, atol=1e-12)
    assert np.allclose(n, (p - [1, -1]) / 0.5, atol=1e-12)
    assert probe_outward(disk, batch)
    angles = np.arctan2(n[:, 1], n[:, 0])
    assert abs(np.mean(angles > 0) - 0.5) < 5 * math.sqrt(0.25 / 1000)


def test_ball_3d_interior_and_sphere():
    ball = D.Ball((0, 0, 1), 2.0, (x, y, z))
    n = 4000
    p = ball.interior.sample(n, gen()).points.numpy()
    assert ball.contains(p).all()
    r = np.linalg.norm(p - [0, 0, 1], axis=1)
    assert abs(np.mean(r < 1.0) - 1 / 8) < 5 * math.sqrt(1 / 8 * 7 / 8 / n)
    batch = ball.boundary.sample(n, gen(1))
    q, nrm = batch.points.numpy(), normals(batch, (x, y, z))
    assert np.allclose(np.linalg.norm(q - [0, 0, 1], axis=1), 2.0, atol=1e-12)
    assert np.allclose(nrm.mean(0), 0, atol=mean_tolerance(n, 1 / math.sqrt(3)))
    assert probe_outward(ball, batch)
    assert ball.measure() == pytest.approx(4 / 3 * math.pi * 8)


def test_ball_in_four_dimensions():
    w = sp.Symbol("w")
    ball = D.Ball((0, 0, 0, 0), 1, (x, y, z, w))
    p = ball.interior.sample(3000, gen()).points.numpy()
    r = np.linalg.norm(p, axis=1)
    assert r.max() <= 1 and abs(np.mean(r < 0.5) - 1 / 16) < 0.025
    q = ball.boundary.sample(500, gen()).points.numpy()
    assert np.allclose(np.linalg.norm(q, axis=1), 1)


def test_measures():
    assert D.Disk((0, 0), 0.3, (x, y)).measure() == pytest.approx(math.pi * 0.09)
    assert D.Box((0, 0, 0), (1, 2, 3), (x, y, z)).measure() == pytest.approx(6)
    hole = D.Box((0, 0), (1, 1), (x, y)) - D.Disk((0.5, 0.5), 0.25, (x, y))
    assert hole.measure() == pytest.approx(1 - math.pi / 16, rel=5e-3)
    both = D.Disk((0, 0), 1, (x, y)) & D.Disk((1, 0), 1, (x, y))  # lens 2 pi / 3 - sqrt(3) / 2
    assert both.measure() == pytest.approx(2 * math.pi / 3 - math.sqrt(3) / 2, rel=5e-3)


# ---------------------------------------------------------------------------------------------
# Grids, contains, repr
# ---------------------------------------------------------------------------------------------


def test_grid():
    g = BOX.grid(101)
    assert g.shape == (10201, 2)
    assert np.all(g[:101, 0] == 0) and np.allclose(g[:101, 1], np.linspace(0, 1, 101))
    assert g[0].tolist() == [0, 0] and g[-1].tolist() == [1, 1]
    assert D.Box((0, 0, 0), (1, 1, 1), (x, y, z)).grid((3, 4, 5)).shape == (60, 3)
    disk = D.Disk((0, 0), 1, (x, y))
    dg = disk.grid(201)
    assert disk.contains(dg).all() and len(dg) / 201**2 == pytest.approx(math.pi / 4, rel=0.02)
    assert [1.0, 0.0] in dg.tolist()  # boundary nodes are kept
    with pytest.raises(DomainError, match="grid"):
        BOX.grid((10, 10, 10))
    with pytest.raises(DomainError, match="grid"):
        BOX.grid(1)


def test_contains_accepts_tensors_and_single_points():
    assert BOX.contains(torch.tensor([[0.5, 0.5], [1.5, 0.5]])).tolist() == [True, False]
    assert BOX.contains([1.0, 1.0]).tolist() == [True]
    assert BOX.contains([[1 + 1e-14, 0.0]]).tolist() == [True]
    assert BOX.contains([[1 + 1e-9, 0.0]]).tolist() == [False]
    with pytest.raises(DomainError, match=r"shape \(N, 2\)"):
        BOX.contains(np.zeros((4, 3)))


def test_reprs_and_bounds():
    assert repr(BOX.interior) == "Box((0, 0), (1, 1)).interior"
    assert repr(HOLE.boundary) == "Disk((0.5, 0.5), 0.2).boundary"
    assert repr(D.Ball((0, 0, 0), 1, (x, y, z))) == "Ball((0, 0, 0), 1)"
    lo, hi = HOLE.bounds()
    assert np.allclose(lo, 0.3) and np.allclose(hi, 0.7)
    assert np.allclose(HOLE.boundary.bounds()[0], 0.3)
    assert ((BOX | D.Disk((1, 1), 0.5, (x, y))).bounds()[1] == 1.5).all()
