"""Every built-in domain, and a user-defined one, through the same checks: interior samples lie
inside, counts are exact, boundary normals have unit length, a seed fixes the points, and
``grid(n)`` has one column per coordinate."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.domains import AbstractDomain, Mesh, Pixels, Points

x, y, z, t = sp.symbols("x y z t")
N = 97


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Square(AbstractDomain):
    """A user domain: the unit square [0, 1]^2, written against the AbstractDomain contract."""

    def __init__(self, coords):
        self.coords = tuple(coords)

    def __repr__(self):
        return "Square()"

    def _bounds(self):
        return np.zeros(2), np.ones(2)

    def measure(self):
        return 1.0

    def _boundary_measure(self):
        return 4.0

    def _inside(self, points, tol):
        return np.all((points >= -tol) & (points <= 1 + tol), axis=1)

    def _on_boundary(self, points, tol):
        return self._inside(points, tol) & np.any((np.abs(points) <= tol) | (np.abs(points - 1) <= tol), axis=1)

    def _sample_interior(self, n, source):
        return source.stream(2)(n)

    def _sample_boundary(self, n, source):
        u = source.stream(2)(n)
        side = (4 * u[:, 0]).long().clamp(max=3)
        axis, upper = side // 2, (side % 2).to(torch.float64)
        points = torch.stack([u[:, 1], u[:, 1]], dim=1)
        rows = torch.arange(n)
        points[rows, axis] = upper
        normals = torch.zeros(n, 2, dtype=torch.float64)
        normals[rows, axis] = 2 * upper - 1
        return points, normals


def octahedron_mesh():
    """A closed octahedron |x| + |y| + |z| <= 1: 6 vertices, 8 triangles, wound outward."""
    vertices = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=float)
    faces = [[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]]
    return Mesh(vertices, np.array(faces), (x, y, z))


def in_box(region):
    lower, upper = region.bounds()
    return lambda p: np.all((p >= lower - 1e-12) & (p <= upper + 1e-12), axis=1)


def domain_case(domain):
    """(interior region, boundary region, contains, domain with grid) of an AbstractDomain."""
    return domain.interior, domain.boundary, domain.contains, domain


def points_case(points):
    return points, None, points.contains, points


def mesh_case(mesh):
    return mesh.space, mesh.surface, in_box(mesh.space), mesh


BOX = pf.Box((0, 0), (2, 1), (x, y))
HOLE = pf.Disk((1, 0.5), 0.3, (x, y))
RNG = np.random.default_rng(0)
CASES = {
    "Interval": lambda: domain_case(pf.Interval(-1, 2, x)),
    "Box 2-D": lambda: domain_case(BOX),
    "Box 3-D": lambda: domain_case(pf.Box((0, 0, 0), (1, 2, 3), (x, y, z))),
    "Disk": lambda: domain_case(pf.Disk((0, 1), 2, (x, y))),
    "Ball": lambda: domain_case(pf.Ball((0, 0, 0), 1, (x, y, z))),
    "Difference with a hole": lambda: domain_case(BOX - HOLE),
    "Union": lambda: domain_case(BOX | pf.Disk((2, 1), 0.5, (x, y))),
    "Intersection": lambda: domain_case(pf.Disk((0, 0), 1, (x, y)) & pf.Box((0, -1), (1, 1), (x, y))),
    "SpaceTime": lambda: domain_case((BOX - HOLE) * pf.TimeInterval(0, 1, t)),
    "Points": lambda: points_case(Points(RNG.uniform(size=(300, 2)), (x, y), {"g": RNG.uniform(size=300)})),
    "Pixels.cameraman": lambda: points_case(Pixels.cameraman((x, y), size=32)),
    "Mesh": lambda: mesh_case(octahedron_mesh()),
    "user Square": lambda: domain_case(Square((x, y))),
    "user Square - Disk": lambda: domain_case(Square((x, y)) - pf.Disk((0.5, 0.5), 0.25, (x, y))),
    "user Square x time": lambda: domain_case(Square((x, y)) * pf.TimeInterval(0, 1, t)),
}


@pytest.fixture(params=list(CASES), scope="module")
def case(request):
    if request.param == "Pixels.cameraman":
        pytest.importorskip("skimage")
    return CASES[request.param]()


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_interior_samples_lie_inside_with_exact_counts(case, method):
    interior, _, contains, _ = case
    for n in (1, N):
        batch = interior.sample(n, gen(), method=method)
        assert batch.points.shape == (n, len(interior.coords)) and len(batch) == n
        assert all(v.shape == (n,) for v in batch.data.values())
        assert set(batch.data) == set(interior.data_names)
        assert contains(batch.points.numpy()).all()


def test_boundary_normals_have_unit_length(case):
    _, boundary, _, _ = case
    if boundary is None:
        pytest.skip("a point set has no boundary")
    batch = boundary.sample(N, gen())
    assert batch.points.shape == (N, len(boundary.coords))
    names = [n for n in boundary.data_names if n.startswith("n_")]
    assert names and set(batch.data) == set(boundary.data_names)
    normals = torch.stack([batch.data[n] for n in names], dim=1)
    assert torch.allclose(normals.norm(dim=1), torch.ones(N, dtype=torch.float64), atol=1e-12)


def test_same_seed_gives_the_same_points(case):
    for region in case[:2]:
        if region is None:
            continue
        first, again = (region.sample(N, gen(5)) for _ in range(2))
        assert torch.equal(first.points, again.points)
        assert all(torch.equal(first.data[k], again.data[k]) for k in first.data)
    # another seed, other interior points (the two end points of an interval's boundary are fixed)
    assert not torch.equal(case[0].sample(N, gen(5)).points, case[0].sample(N, gen(6)).points)


def test_grid_has_one_column_per_coordinate(case):
    interior, _, contains, domain = case
    grid = domain.grid(5)
    assert grid.ndim == 2 and grid.shape[1] == len(interior.coords) and len(grid) > 0
    assert contains(grid).all()


def test_mesh_queries_on_the_octahedron():
    mesh = octahedron_mesh()
    assert mesh.watertight and mesh.grid(4).shape == (64, 3)
    surface = mesh.surface.sample(200, gen()).points.numpy()
    assert np.allclose(mesh.distance(surface), 0, atol=1e-12)
    pool = mesh.labelled(400, gen())
    inside = pool.values["inside"].numpy() == 1
    l1 = np.abs(pool.points.numpy()).sum(axis=1) / 0.9  # normalised: the vertices sit at 0.9
    assert np.array_equal(inside, l1 < 1)
    assert np.all(pool.values["sdf"].numpy()[inside] <= 0) and np.all(pool.values["sdf"].numpy()[~inside] >= 0)


def test_a_user_domain_trains_like_a_built_in_one():
    u = sp.Function("u")(x, y)
    square = Square((x, y))
    problem = pf.Problem(
        fields={u: pf.Siren(in_dim=2, out_dim=1, width=8, depth=1)},
        constraints=[
            pf.Constraint(pf.lap(u, (x, y)) + 1, on=square.interior, n=32),
            pf.Constraint(u, on=square.boundary, n=16),
            pf.Constraint(u, on=(square - pf.Disk((0.5, 0.5), 0.25, (x, y))).boundary_of(square), n=16),
        ],
    )
    solution = pf.fit(problem, steps=3, lr=1e-3, seed=0, progress=False, dtype=torch.float64)
    assert np.isfinite(solution.evaluate("u", square.grid(5))).all()
