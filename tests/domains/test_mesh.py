"""Triangle meshes: surface sampling and normals, exact distance and inside tests, normalisation,
labelled pools, the bunny, and the errors for bad files and open meshes."""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import torch

trimesh = pytest.importorskip("trimesh")

from pinnfield.domains import Mesh, Points  # noqa: E402
from pinnfield.errors import DataError, DomainError  # noqa: E402

x, y, z = sp.symbols("x y z")
XYZ = (x, y, z)
BUNNY = (Path(__file__).parents[2] / ".." / "shared" / "data" / "bunny.obj").resolve()


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def normals(batch):
    return np.stack([batch.data[f"n_{c}"].numpy() for c in XYZ], axis=1)


@pytest.fixture(scope="module")
def sphere():
    """Icosphere of radius 0.5 at the origin, kept in its own coordinates."""
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=0.5)
    return Mesh(mesh.vertices, mesh.faces, XYZ, normalize=False)


@pytest.fixture(scope="module")
def cube():
    """The cube [-0.5, 0.5]^3 (12 triangles), kept in its own coordinates."""
    mesh = trimesh.creation.box()
    return Mesh(mesh.vertices, mesh.faces, XYZ, normalize=False)


def tessellation(mesh: Mesh, radius: float = 0.5) -> float:
    """Hausdorff distance between the sphere and its inscribed polyhedron: radius minus the
    smallest distance from the centre to a face plane."""
    inradius = np.abs((mesh.normals * mesh.vertices[mesh.faces[:, 0]]).sum(axis=1)).min()
    return float(radius - inradius)


def cube_sdf(p):
    q = np.abs(p) - 0.5
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)


# ---------------------------------------------------------------------------------------------
# Surface and space regions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["uniform", "sobol"])
def test_sphere_surface_points_and_normals(sphere, method):
    region = sphere.surface
    batch = region.sample(4000, gen(), method=method)
    p, n = batch.points.numpy(), normals(batch)
    assert region.data_names == ("n_x", "n_y", "n_z") and p.shape == (4000, 3)
    assert batch.points.dtype == torch.float64
    r = np.linalg.norm(p, axis=1)
    tess = tessellation(sphere)
    assert np.all(r <= 0.5 + 1e-12) and np.all(r >= 0.5 - tess - 1e-12)
    assert np.allclose(np.linalg.norm(n, axis=1), 1)
    # a face normal is within the angle its face subtends of the radial direction x / |x|
    corners = sphere.vertices[sphere.faces] / 0.5
    spread = np.arccos(np.clip(np.einsum("fj,fkj->fk", sphere.normals, corners), -1, 1)).max()
    angle = np.arccos(np.clip((n * p / r[:, None]).sum(axis=1), -1, 1))
    assert angle.max() <= spread + 1e-9 and spread < 0.05
    # uniform by area: each octant holds 1/8 of the points
    share = np.mean((p[:, 0] > 0) & (p[:, 1] > 0) & (p[:, 2] > 0))
    assert abs(share - 1 / 8) < 5 * math.sqrt(1 / 8 * 7 / 8 / 4000)


def test_cube_surface_axis_normals_and_face_shares(cube):
    batch = cube.surface.sample(6000, gen(1))
    p, n = batch.points.numpy(), normals(batch)
    axis = np.argmax(np.abs(n), axis=1)
    rows = np.arange(len(p))
    assert np.all(np.abs(n[rows, axis]) == 1) and np.all(np.abs(n).sum(axis=1) == 1)
    assert np.allclose(p[rows, axis], 0.5 * n[rows, axis], atol=1e-15)  # on the face, normal outward
    assert np.all(np.abs(p) <= 0.5 + 1e-15)
    shares = np.bincount(axis * 2 + (n[rows, axis] > 0), minlength=6) / len(p)
    assert np.allclose(shares, 1 / 6, atol=5 * math.sqrt(1 / 6 * 5 / 6 / 6000))


def test_surface_sampling_is_deterministic(sphere):
    a = sphere.surface.sample(100, gen(5))
    b = sphere.surface.sample(100, gen(5))
    assert torch.equal(a.points, b.points) and torch.equal(a.data["n_z"], b.data["n_z"])
    assert repr(sphere.surface) == "Mesh(V=2562, F=5120).surface"


def test_space_region_fills_the_box(cube):
    region = cube.space
    batch = region.sample(4000, gen())
    lower, upper = cube.bounds()
    assert region.data_names == () and batch.data == {}
    p = batch.points.numpy()
    assert np.all(p >= lower) and np.all(p <= upper)
    assert np.allclose(p.mean(axis=0), (lower + upper) / 2, atol=5 * 1.2 / math.sqrt(12 * 4000))
    assert repr(region).endswith(".space")


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


def test_sphere_signed_distance_and_contains(sphere):
    rng = np.random.default_rng(0)
    far = rng.uniform(-1, 1, (3000, 3))
    directions = rng.normal(size=(3000, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    near = directions * rng.uniform(0.45, 0.55, (3000, 1))
    points = np.concatenate([far, near, np.zeros((1, 3))])
    radius = np.linalg.norm(points, axis=1)
    tess = tessellation(sphere)
    sd = sphere.signed_distance(points)
    assert sd.shape == (len(points),)
    assert np.abs(sd - (radius - 0.5)).max() <= tess + 1e-12
    clear = np.abs(radius - 0.5) > tess
    assert np.array_equal(sphere.contains(points)[clear], radius[clear] < 0.5)
    assert np.array_equal(sd < 0, sphere.contains(points))
    assert np.allclose(np.abs(sd), sphere.distance(points))


def test_sphere_closest_points_lie_on_the_mesh(sphere):
    points = np.random.default_rng(1).uniform(-1, 1, (500, 3))
    closest, nrm = sphere.closest(points)
    assert closest.shape == (500, 3) and nrm.shape == (500, 3)
    assert np.allclose(np.linalg.norm(points - closest, axis=1), sphere.distance(points), atol=1e-12)
    assert np.allclose(sphere.distance(closest), 0, atol=1e-12)
    assert np.allclose(np.linalg.norm(nrm, axis=1), 1)
    assert np.all(np.abs(np.linalg.norm(closest, axis=1) - 0.5) <= tessellation(sphere) + 1e-12)


def test_cube_signed_distance_is_exact(cube):
    rng = np.random.default_rng(2)
    points = np.concatenate([rng.uniform(-1, 1, (3000, 3)), rng.uniform(-0.55, 0.55, (2000, 3))])
    assert np.abs(cube.signed_distance(points) - cube_sdf(points)).max() < 1e-12
    closest, nrm = cube.closest(np.array([[2.0, 0.1, -0.2], [0.1, 0.2, -0.45]]))
    assert np.allclose(closest, [[0.5, 0.1, -0.2], [0.1, 0.2, -0.5]])
    assert np.allclose(nrm, [[1, 0, 0], [0, 0, -1]])


def test_cube_contains_on_a_grid_through_edges_and_vertices(cube):
    # grid lines pass exactly through the cube's vertices, edges and face diagonals
    axis = np.linspace(-1, 1, 21)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    on_surface = np.any(np.isclose(np.abs(grid), 0.5), axis=1) & np.all(np.abs(grid) <= 0.5 + 1e-12, axis=1)
    inside = cube.contains(grid)
    expected = np.all(np.abs(grid) < 0.5, axis=1)
    assert np.array_equal(inside[~on_surface], expected[~on_surface])
    assert cube.contains([0.0, 0.0, 0.0]).tolist() == [True]


# ---------------------------------------------------------------------------------------------
# Normalisation and the labelled pool
# ---------------------------------------------------------------------------------------------


def test_normalisation_maps_the_box_and_inverts():
    box = trimesh.creation.box(extents=(2.0, 1.0, 0.5))
    original = box.vertices + np.array([3.0, -1.0, 2.0])
    mesh = Mesh(original, box.faces, XYZ)
    assert np.allclose(mesh.vertices.min(axis=0), [-0.9, -0.45, -0.225])
    assert np.allclose(mesh.vertices.max(axis=0), [0.9, 0.45, 0.225])
    assert np.allclose(mesh.center, [3, -1, 2]) and mesh.scale == pytest.approx(1 / 0.9)
    assert np.allclose(mesh.to_original(mesh.vertices), original)
    assert np.allclose(mesh.to_normalized(original), mesh.vertices)
    lower, upper = mesh.bounds()
    assert lower.tolist() == [-1, -1, -1] and upper.tolist() == [1, 1, 1]
    assert mesh.diagonal == pytest.approx(math.sqrt(1.8**2 + 0.9**2 + 0.45**2))
    assert mesh.volume == pytest.approx(1.8 * 0.9 * 0.45) and mesh.area == pytest.approx(
        2 * (1.8 * 0.9 + 1.8 * 0.45 + 0.9 * 0.45))
    kept = Mesh(original, box.faces, XYZ, normalize=False)
    assert np.allclose(kept.vertices, original) and kept.scale == 1
    lower, upper = kept.bounds()  # the bounding box grown by 10% of its longest side
    assert np.allclose(lower, [2 - 0.2, -1.5 - 0.2, 1.75 - 0.2])
    assert np.allclose(upper, [4 + 0.2, -0.5 + 0.2, 2.25 + 0.2])


def test_labelled_pool_columns_agree(sphere):
    pool = sphere.labelled(3000, gen(3), near_surface=0.5, sigma=0.01)
    assert isinstance(pool, Points) and len(pool) == 3000
    assert pool.data_names == ("inside", "sdf")
    p = pool.points.numpy()
    inside, sdf = pool.values["inside"].numpy(), pool.values["sdf"].numpy()
    assert set(np.unique(inside)) <= {0.0, 1.0}
    assert np.array_equal(sdf < 0, inside == 1) and np.array_equal(sdf > 0, inside == 0)
    radius = np.linalg.norm(p, axis=1)
    assert np.abs(np.abs(sdf) - np.abs(radius - 0.5)).max() <= tessellation(sphere) + 1e-12
    # half of the pool is within a few sigma of the surface; the rest is uniform in the box
    assert np.all(np.abs(sdf[:1500]) < 0.06)
    lower, upper = sphere.bounds()  # the bounding box grown by 10%: [-0.6, 0.6]^3
    share = 4 / 3 * math.pi * 0.125 / np.prod(upper - lower)
    assert np.all((p[1500:] >= lower) & (p[1500:] <= upper))
    assert abs(np.mean(inside[1500:]) - share) < 5 * math.sqrt(share * (1 - share) / 1500)
    again = sphere.labelled(3000, gen(3))
    assert torch.equal(again.points, pool.points)


def test_labelled_rejects_bad_arguments(sphere):
    with pytest.raises(DomainError, match="near_surface must be a number in"):
        sphere.labelled(10, gen(), near_surface=1.5)
    with pytest.raises(DomainError, match="n must be a positive integer"):
        sphere.labelled(0, gen())


# ---------------------------------------------------------------------------------------------
# The Stanford bunny
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bunny():
    if not BUNNY.exists():
        pytest.skip(f"shared data file {BUNNY} is not available")
    return Mesh.from_file(BUNNY, XYZ)


def test_bunny_loads_watertight_and_normalised(bunny):
    assert bunny.watertight and len(bunny.faces) == 27864 and len(bunny.vertices) == 13934
    extent = bunny.vertices.max(axis=0) - bunny.vertices.min(axis=0)
    assert extent.max() == pytest.approx(1.8)
    assert np.allclose(bunny.to_original(bunny.vertices).max(axis=0) - bunny.to_original(bunny.vertices).min(axis=0),
                       [0.155309, 0.153653, 0.120271], atol=1e-6)
    assert repr(bunny) == "Mesh('bunny.obj', V=13934, F=27864)"


def test_bunny_volume_from_contains_and_outward_normals(bunny):
    # cell-centred 32^3 grid of the box [-1, 1]^3: the inside fraction times 8 estimates the volume
    axis = (np.arange(32) + 0.5) / 32 * 2 - 1
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    volume = bunny.contains(grid).mean() * 8
    assert volume == pytest.approx(bunny.volume, rel=0.03)
    batch = bunny.surface.sample(2000, gen())
    p, n = batch.points.numpy(), normals(batch)
    eps = 1e-4
    assert np.mean(bunny.contains(p - eps * n)) > 0.99 and np.mean(~bunny.contains(p + eps * n)) > 0.99
    sd = bunny.signed_distance(np.concatenate([p - eps * n, p + eps * n]))
    assert np.mean(np.abs(np.abs(sd) - eps) < 1e-9) > 0.95


# ---------------------------------------------------------------------------------------------
# Errors and warnings
# ---------------------------------------------------------------------------------------------


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.obj' does not exist"):
        Mesh.from_file(tmp_path / "nowhere.obj", XYZ)
    other = tmp_path / "points.xyz"
    other.write_text("0 0 0\n")
    with pytest.raises(DataError, match=r"suffix '\.xyz'; supported suffixes are \.obj, \.ply, \.stl, \.off"):
        Mesh.from_file(other, XYZ)
    garbage = tmp_path / "broken.ply"
    garbage.write_text("this is not a mesh\n")
    with pytest.raises(DataError, match=r"broken\.ply' cannot be read as PLY"):
        Mesh.from_file(garbage, XYZ)


def test_points_without_faces_and_empty_files(tmp_path):
    cloud = tmp_path / "cloud.obj"
    cloud.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    with pytest.raises(DataError, match="has 3 points but no faces; a surface with normals needs triangles"):
        Mesh.from_file(cloud, XYZ)
    empty = tmp_path / "empty.obj"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        Mesh.from_file(empty, XYZ)
    with pytest.raises(DataError, match="has 3 points but no faces"):
        Mesh(np.eye(3), np.zeros((0, 3), dtype=int), XYZ)
    with pytest.raises(DataError, match="empty: no vertices"):
        Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=int), XYZ)


def test_bad_arrays_and_coords():
    box = trimesh.creation.box()
    with pytest.raises(DomainError, match="3-dimensional but received 2 coords"):
        Mesh(box.vertices, box.faces, (x, y))
    with pytest.raises(DataError, match="refer to vertex 8, but there are 8 vertices"):
        Mesh(box.vertices, np.where(box.faces == 7, 8, box.faces), XYZ)
    with pytest.raises(DataError, match=r"vertices have shape \(8, 2\)"):
        Mesh(box.vertices[:, :2], box.faces, XYZ)
    with pytest.raises(DomainError, match=r"half_extent must lie in \(0, 1\]"):
        Mesh(box.vertices, box.faces, XYZ, half_extent=1.5)


def test_open_mesh_warns_and_refuses_inside_queries():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    with pytest.warns(UserWarning, match=r"not watertight: it has 3 boundary edge\(s\)"):
        mesh = Mesh(sphere.vertices, sphere.faces[1:], XYZ)
    assert not mesh.watertight
    batch = mesh.surface.sample(100, gen())  # surface sampling still works
    assert np.allclose(np.linalg.norm(normals(batch), axis=1), 1)
    assert mesh.distance(np.zeros((1, 3)))[0] > 0.8
    for call in (lambda: mesh.contains(np.zeros((1, 3))), lambda: mesh.signed_distance(np.zeros((1, 3))),
                 lambda: mesh.labelled(10, gen())):
        with pytest.raises(DataError, match="inside/outside is undefined for an open surface.*fill holes"):
            call()


def test_degenerate_faces_are_dropped_with_a_count():
    box = trimesh.creation.box()
    faces = np.concatenate([box.faces, [[0, 0, 1], [2, 3, 3]]])
    with pytest.warns(UserWarning, match=r"dropped 2 degenerate \(zero-area\) face\(s\) of 14"):
        mesh = Mesh(box.vertices, faces, XYZ)
    assert len(mesh.faces) == 12 and mesh.watertight


def test_inconsistent_winding_is_repaired():
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.5)
    faces = sphere.faces.copy()
    flip = np.random.default_rng(0).random(len(faces)) < 0.3
    faces[flip] = faces[flip][:, ::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mesh = Mesh(sphere.vertices, faces, XYZ, normalize=False)
    centroids = mesh.vertices[mesh.faces].mean(axis=1)
    assert np.all((mesh.normals * centroids).sum(axis=1) > 0) and mesh.volume > 0


@pytest.mark.parametrize("suffix", [".stl", ".off", ".ply", ".obj"])
def test_file_formats_load_closed(tmp_path, suffix):
    path = tmp_path / f"box{suffix}"
    trimesh.creation.box(extents=(1.0, 2.0, 0.5)).export(path)  # STL stores a triangle soup
    mesh = Mesh.from_file(path, XYZ)
    assert mesh.watertight and len(mesh.faces) == 12 and len(mesh.vertices) == 8
    assert mesh.volume == pytest.approx(0.9 * 1.8 * 0.45) and mesh.source == path.name
