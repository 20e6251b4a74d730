"""CSG: difference, union and intersection; their boundaries, normals and boundary parts."""

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
# CSG
# ---------------------------------------------------------------------------------------------

def test_difference_interior_avoids_hole():
    domain = BOX - HOLE
    p = domain.interior.sample(3000, gen()).points.numpy()
    assert domain.contains(p).all() and BOX.contains(p).all()
    assert np.all(np.linalg.norm(p - 0.5, axis=1) >= 0.2)
    assert np.allclose(p.mean(0), 0.5, atol=mean_tolerance(3000, 0.3))
    # closed set: the rim and the box edges belong to the domain, the hole's centre does not
    assert domain.contains(np.array([[0.7, 0.5], [0.0, 0.3], [0.5, 0.5]])).tolist() == [True, True, False]


def test_difference_boundary_normals_on_hole_point_to_centre():
    domain = BOX - HOLE
    n = 4000
    batch = domain.boundary.sample(n, gen())
    p, nrm = batch.points.numpy(), normals(batch, (x, y))
    on_rim = np.abs(np.linalg.norm(p - 0.5, axis=1) - 0.2) < 1e-12
    on_box = np.any((p == 0) | (p == 1), axis=1)
    assert np.all(on_rim | on_box)
    assert np.allclose(np.linalg.norm(nrm, axis=1), 1)
    assert np.allclose(nrm[on_rim], (0.5 - p[on_rim]) / 0.2, atol=1e-12)  # into the hole
    assert probe_outward(domain, batch)
    share = 2 * math.pi * 0.2 / (4 + 2 * math.pi * 0.2)
    assert abs(on_rim.mean() - share) < 5 * math.sqrt(share * (1 - share) / n)


def test_boundary_of_part():
    domain = BOX - HOLE
    rim = domain.boundary_of(HOLE)
    batch = rim.sample(500, gen())
    p, nrm = batch.points.numpy(), normals(batch, (x, y))
    assert np.allclose(np.linalg.norm(p - 0.5, axis=1), 0.2)
    assert np.allclose(nrm, (0.5 - p) / 0.2)
    assert rim.data_names == ("n_x", "n_y")
    assert repr(rim) == "(Box((0, 0), (1, 1)) - Disk((0.5, 0.5), 0.2)).boundary_of(Disk((0.5, 0.5), 0.2))"
    outer = domain.boundary_of(D.Box((0, 0), (1, 1), (x, y)))  # an equal box counts as the part
    q = outer.sample(500, gen()).points.numpy()
    assert np.all(np.any((q == 0) | (q == 1), axis=1))
    with pytest.raises(DomainError, match="not a component"):
        domain.boundary_of(D.Disk((0.5, 0.5), 0.3, (x, y)))


def test_union_membership_and_boundary():
    a = D.Box((0, 0), (1, 1), (x, y))
    b = D.Disk((1, 0.5), 0.4, (x, y))
    union = a | b
    probe = np.random.default_rng(0).uniform(-0.5, 1.5, size=(5000, 2))
    assert np.array_equal(union.contains(probe), a.contains(probe) | b.contains(probe))
    batch = union.boundary.sample(2000, gen())
    p = batch.points.numpy()
    inside_strictly = (np.linalg.norm(p - [1, 0.5], axis=1) < 0.4 - 1e-9) | np.all((p > 1e-9) & (p < 1 - 1e-9), axis=1)
    assert not inside_strictly.any()
    assert probe_outward(union, batch)
    q = union.interior.sample(2000, gen()).points.numpy()
    assert union.contains(q).all() and (q[:, 0] > 1).any()


def test_union_of_adjacent_boxes_drops_shared_face_and_duplicates():
    left, right = D.Box((0, 0), (1, 1), (x, y)), D.Box((0, 0), (2, 1), (x, y))
    union = left | right  # the rectangle [0, 2] x [0, 1], perimeter 6
    n = 6000
    p = union.boundary.sample(n, gen()).points.numpy()
    assert not np.any((p[:, 0] == 1) & (p[:, 1] > 0) & (p[:, 1] < 1))
    assert abs(np.mean(p[:, 1] == 0) - 2 / 6) < 5 * math.sqrt(2 / 9 / n)  # not doubled on [0, 1]
    assert abs(np.mean(p[:, 0] < 1) - 3 / 6) < 5 * math.sqrt(0.25 / n)  # left face + half of each long side
    side = D.Box((1, 0), (2, 1), (x, y))
    q = (left | side).boundary.sample(n, gen()).points.numpy()
    assert not np.any((np.abs(q[:, 0] - 1) < 1e-9) & (q[:, 1] > 1e-9) & (q[:, 1] < 1 - 1e-9))


def test_intersection_membership_and_boundary():
    a = D.Disk((0, 0), 1, (x, y))
    b = D.Box((0, -2), (2, 2), (x, y))
    half = a & b  # right half disk
    probe = np.random.default_rng(1).uniform(-1.2, 1.2, size=(5000, 2))
    assert np.array_equal(half.contains(probe), a.contains(probe) & b.contains(probe))
    p = half.interior.sample(2000, gen()).points.numpy()
    assert (p[:, 0] >= 0).all() and (np.linalg.norm(p, axis=1) <= 1).all()
    assert abs(p[:, 0].mean() - 4 / (3 * math.pi)) < mean_tolerance(2000, 0.3)
    batch = half.boundary.sample(2000, gen())
    q = batch.points.numpy()
    on_arc = np.abs(np.linalg.norm(q, axis=1) - 1) < 1e-12
    on_cut = q[:, 0] == 0
    assert np.all(on_arc | on_cut) and np.all(q[on_arc, 0] >= 0)
    assert probe_outward(half, batch)
    share = math.pi / (math.pi + 2)
    assert abs(on_arc.mean() - share) < 5 * math.sqrt(share * (1 - share) / 2000)


def test_nested_csg():
    a = D.Box((0, 0), (1, 1), (x, y))
    b = D.Disk((1, 0.5), 0.5, (x, y))
    c = D.Disk((0.75, 0.5), 0.1, (x, y))
    domain = (a | b) - c
    assert repr(domain) == "(Box((0, 0), (1, 1)) | Disk((1, 0.5), 0.5)) - Disk((0.75, 0.5), 0.1)"
    p = domain.interior.sample(1000, gen()).points.numpy()
    assert domain.contains(p).all() and np.all(np.linalg.norm(p - [0.75, 0.5], axis=1) >= 0.1)
    batch = domain.boundary.sample(1000, gen())
    assert probe_outward(domain, batch)
    rim = domain.boundary_of(c).sample(200, gen())
    r = rim.points.numpy() - [0.75, 0.5]
    assert np.allclose(normals(rim, (x, y)), -r / 0.1)
    assert domain.bounds()[1].tolist() == [1.5, 1.0]
