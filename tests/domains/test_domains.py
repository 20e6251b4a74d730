"""Domains and sampling regions: membership, distributions, normals, CSG, space-time, points, errors."""

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
# CSG
# ---------------------------------------------------------------------------------------------


BOX = D.Box((0, 0), (1, 1), (x, y))
HOLE = D.Disk((0.5, 0.5), 0.2, (x, y))


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


# ---------------------------------------------------------------------------------------------
# Determinism, methods, exact counts, dtype
# ---------------------------------------------------------------------------------------------


REGIONS = {
    "box interior": BOX.interior,
    "box boundary": BOX.boundary,
    "box face": BOX.face(y, 1),
    "disk boundary": HOLE.boundary,
    "ball interior": D.Ball((0, 0, 0), 1, (x, y, z)).interior,
    "csg interior": (BOX - HOLE).interior,
    "csg boundary": (BOX - HOLE).boundary,
    "csg rim": (BOX - HOLE).boundary_of(HOLE),
    "space-time": (HOLE * D.TimeInterval(0, 1, t)).boundary,
    "initial": (HOLE * D.TimeInterval(0, 1, t)).initial,
}


@pytest.mark.parametrize("method", ["uniform", "sobol"])
@pytest.mark.parametrize("name", list(REGIONS))
def test_determinism_and_exact_counts(name, method):
    region = REGIONS[name]
    first = region.sample(257, gen(7), method=method)
    again = region.sample(257, gen(7), method=method)
    other = region.sample(257, gen(8), method=method)
    assert first.points.shape == (257, len(region.coords))
    assert torch.equal(first.points, again.points)
    assert all(torch.equal(first.data[k], again.data[k]) for k in region.data_names)
    assert set(first.data) == set(region.data_names)
    assert all(v.shape == (257,) for v in first.data.values())
    assert not torch.equal(first.points, other.points)
    assert region.sample(1, gen(), method=method).points.shape[0] == 1
    assert region.sample(3, gen(), method=method, dtype=torch.float32).points.dtype == torch.float32


def test_sobol_is_more_even_than_uniform():
    box = D.Box((0, 0), (1, 1), (x, y))
    errors = {
        m: np.mean([abs(box.interior.sample(512, gen(s), method=m).points.mean().item() - 0.5) for s in range(8)])
        for m in ("uniform", "sobol")
    }
    assert errors["sobol"] < errors["uniform"] / 3
    p = (BOX - HOLE).interior.sample(1000, gen(), method="sobol").points.numpy()
    assert (BOX - HOLE).contains(p).all()


def test_sobol_space_time_points_pair_space_and_time_at_random():
    """Space and time come from two Sobol streams. Read in lock-step, two scrambled Sobol
    sequences put every point near the diagonal x + t = 1 (12 of 16 cells empty); paired at
    random, every cell of a 4 x 4 grid over (x, t) holds about n / 16 points."""
    slab = D.Interval(0, 1, x) * D.TimeInterval(0, 1, t)
    for seed in range(4):
        p = slab.interior.sample(2048, gen(seed), method="sobol").points.numpy()
        counts, _, _ = np.histogram2d(p[:, 0], p[:, 1], bins=4, range=[[0, 1], [0, 1]])
        assert counts.min() > 0.6 * 128 and counts.max() < 1.4 * 128, counts
    walls = (BOX * D.TimeInterval(0, 1, t)).boundary.sample(4096, gen(), method="sobol")
    normals = torch.stack([walls.data["n_x"], walls.data["n_y"]], dim=1)
    for face in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        on_face = (normals == torch.tensor(face, dtype=normals.dtype)).all(dim=1)
        assert abs(walls.points[on_face, 2].mean().item() - 0.5) < 0.05


def test_generator_state_advances():
    g = gen(3)
    a = BOX.interior.sample(10, g).points
    b = BOX.interior.sample(10, g).points
    assert not torch.equal(a, b)


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


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: D.Box((1, 0), (0, 1), (x, y)), r"Box lower bound 1\.0 >= upper bound 0\.0 on axis 'x'.*Swap"),
        (lambda: D.Interval(2, 1, x), "Interval lower bound 2.0 >= upper bound 1.0"),
        (lambda: D.Box((0, 0), (1, 1), (x,)), "2-dimensional but received 1 coords"),
        (lambda: D.Box((0, 0), (1, 1, 1), (x, y)), "lower has 2 entries but upper has 3"),
        (lambda: D.Box((0, 0), (1, 1), (x, x)), "repeat x"),
        (lambda: D.Box((0, 0), (1, 1), ("x", "y")), "expected a sympy Symbol"),
        (lambda: D.Box((0, 0), (1, 1), "xy"), "tuple of sympy Symbols"),
        (lambda: D.Box((0, float("nan")), (1, 1), (x, y)), "finite"),
        (lambda: D.Disk((0, 0), 0, (x, y)), "radius must be positive; received 0"),
        (lambda: D.Disk((0, 0), -1, (x, y)), "radius must be positive"),
        (lambda: D.Disk((0, 0, 0), 1, (x, y, z)), "2-D.*Use Ball"),
        (lambda: D.Ball((0, 0, 0), 1, (x, y)), "3-dimensional but received 2 coords"),
        (lambda: D.TimeInterval(1, 1, t), "t0 = 1.0 >= t1 = 1.0"),
        (lambda: BOX.face(x, 0.5), r"expected 0 \(lower face\) or 1 \(upper face\)"),
        (lambda: BOX.face(z, 0), "not a coordinate"),
        (lambda: BOX | D.Disk((0, 0), 1, (y, x)), "same coordinates"),
        (lambda: BOX - D.Box((0, 0, 0), (1, 1, 1), (x, y, z)), "same coordinates"),
        (lambda: BOX & D.Box((2, 2), (3, 3), (x, y)), "empty"),
        (lambda: BOX | 3, "cannot be combined"),
        (lambda: BOX * D.Interval(0, 1, t), "expected a TimeInterval"),
        (lambda: BOX.interior.sample(0, gen()), r"n must be a positive integer.*received 0"),
        (lambda: BOX.interior.sample(-3, gen()), r"n must be a positive integer.*received -3"),
        (lambda: BOX.interior.sample(2.5, gen()), r"n must be a positive integer.*received 2\.5"),
        (lambda: BOX.boundary.sample(None, gen()), "n must be a positive integer"),
        (lambda: BOX.interior.sample(10, gen(), method="halton"), "'uniform', 'sobol'"),
        (lambda: BOX.interior.sample(10, 0), "torch.Generator"),
        (lambda: (BOX * D.TimeInterval(0, 1, t)).face(t, 0), "initial"),
        (lambda: (BOX - HOLE).boundary_of(D.Box((0, 0), (2, 2), (x, y))), "not a component"),
    ],
)
def test_bad_inputs_raise_domain_error(build, message):
    with pytest.raises(DomainError, match=message):
        build()


def test_domain_error_is_value_error():
    with pytest.raises(ValueError):
        D.Disk((0, 0), 0, (x, y))
