"""Shape metrics: Chamfer distance, normal consistency, IoU, marching cubes and mesh files."""

import math

import meshio
import numpy as np
import pytest

from pinnfield.errors import DataError
from pinnfield.shape_metrics import chamfer, extract_mesh, iou, normal_consistency, sample_surface, write_mesh


def sphere_points(n, seed=0, radius=1.0):
    """n points uniform on the sphere of ``radius`` and their outward unit normals."""
    g = np.random.default_rng(seed).normal(size=(n, 3))
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    return radius * unit, unit


def grid(n, half=1.0):
    axis = np.linspace(-half, half, n)
    mesh = np.meshgrid(axis, axis, axis, indexing="ij")
    return axis, mesh


def tetrahedron():
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    return vertices, faces


# ---------------------------------------------------------------------------------------------
# Chamfer and normal consistency
# ---------------------------------------------------------------------------------------------


def test_chamfer_of_identical_sets_is_zero():
    points, _ = sphere_points(2000)
    assert chamfer(points, points) == 0.0
    assert chamfer(points, points[::-1]) == 0.0


def test_chamfer_of_a_shifted_set_approaches_the_shift():
    d = 0.05
    rng = np.random.default_rng(1)
    a = np.column_stack([rng.uniform(-1, 1, (2000, 2)), np.zeros(2000)])
    assert chamfer(a, a + [0, 0, d]) == pytest.approx(d, rel=1e-12)
    # grids of spacing s on z = 0 and z = d, offset by (s/2, s/2): every nearest neighbour is
    # sqrt(d^2 + s^2 / 2) away, which tends to d as the reference gets denser
    errors = []
    for n in (21, 81, 321):
        axis = np.linspace(-1, 1, n)
        s_ = axis[1] - axis[0]
        u, v = np.meshgrid(axis, axis, indexing="ij")
        plane = np.column_stack([u.ravel(), v.ravel(), np.zeros(u.size)])
        result = chamfer(plane, plane + [s_ / 2, s_ / 2, d])
        assert result == pytest.approx(math.sqrt(d**2 + s_**2 / 2), rel=1e-12)
        errors.append(result - d)
    assert errors[0] > errors[1] > errors[2] > 0 and errors[2] < 3e-4


def test_chamfer_rejects_bad_input():
    with pytest.raises(DataError, match=r"chamfer: b has shape \(4, 2\); expected \(N, 3\)"):
        chamfer(np.zeros((3, 3)), np.zeros((4, 2)))
    with pytest.raises(DataError, match=r"a has shape \(0, 3\)"):
        chamfer(np.zeros((0, 3)), np.zeros((4, 3)))


def test_normal_consistency():
    points, unit = sphere_points(3000)
    assert normal_consistency(points, unit, points, 2 * unit) == pytest.approx(1.0)
    assert normal_consistency(points, unit, points, -unit) == pytest.approx(1.0)  # orientation ignored
    other, other_unit = sphere_points(3000, seed=1)
    assert normal_consistency(points, unit, other, other_unit) > 0.99
    random = np.random.default_rng(2).normal(size=(3000, 3))
    assert normal_consistency(points, unit, points, random) == pytest.approx(0.5, abs=0.03)
    with pytest.raises(DataError, match="normals_b has 1 zero vector"):
        normal_consistency(points, unit, points, np.where(np.arange(3000)[:, None] == 5, 0, unit))
    with pytest.raises(DataError, match="normals_a has 10 rows but its points have 3000"):
        normal_consistency(points, unit[:10], points, unit)


# ---------------------------------------------------------------------------------------------
# IoU
# ---------------------------------------------------------------------------------------------


def test_iou_of_nested_spheres():
    _, (gx, gy, gz) = grid(64)
    radius = np.sqrt(gx**2 + gy**2 + gz**2)
    inner, outer = radius < 0.4, radius < 0.8
    assert iou(inner, outer) == pytest.approx((0.4 / 0.8) ** 3, rel=0.05)
    assert iou(outer, outer) == 1.0
    assert iou(inner.astype(int), outer.astype(np.uint8)) == iou(inner, outer)


def test_iou_rejects_bad_input():
    a = np.zeros((4, 4, 4), dtype=bool)
    with pytest.raises(DataError, match=r"shape \(4, 4, 4\) but occupancy_b has \(4, 4\)"):
        iou(a, np.zeros((4, 4), dtype=bool))
    with pytest.raises(DataError, match="union is empty"):
        iou(a, a)
    with pytest.raises(DataError, match="values other than 0 and 1.*sdf < 0"):
        iou(np.full((4, 4, 4), 0.3), a)


# ---------------------------------------------------------------------------------------------
# Marching cubes
# ---------------------------------------------------------------------------------------------


def test_extract_mesh_of_a_sphere_sdf_is_outward_and_on_the_sphere():
    r = 0.6
    axis = np.linspace(-1, 1, 64)
    gx, gy, gz = np.meshgrid(axis, axis + 0.25, axis * 0.75, indexing="ij")  # shifted, anisotropic
    sdf = np.sqrt(gx**2 + (gy - 0.25) ** 2 + gz**2) - r
    vertices, faces = extract_mesh(sdf, (axis, axis + 0.25, axis * 0.75))
    assert vertices.dtype == np.float64 and faces.dtype == np.int64 and len(faces) > 1000
    centred = vertices - [0, 0.25, 0]
    voxel = axis[1] - axis[0]
    assert np.abs(np.linalg.norm(centred, axis=1) - r).max() < voxel
    a, b, c = (centred[faces[:, i]] for i in range(3))
    cross = np.cross(b - a, c - a)
    keep = np.linalg.norm(cross, axis=1) > 0
    assert np.all((cross[keep] * (a + b + c)[keep]).sum(axis=1) > 0)  # right-hand normals point out
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6
    assert volume == pytest.approx(4 / 3 * math.pi * r**3, rel=0.02)


def test_extract_mesh_errors():
    axis = np.linspace(-1, 1, 8)
    positive = np.ones((8, 8, 8))
    with pytest.raises(DataError, match="no zero level set in the box: min 1, max 1"):
        extract_mesh(positive, (axis, axis, axis))
    field = np.random.default_rng(0).normal(size=(8, 8, 8))
    with pytest.raises(DataError, match=r"axes\[1\] has shape \(7,\) but values has 8 nodes"):
        extract_mesh(field, (axis, axis[:-1], axis))
    with pytest.raises(DataError, match=r"axes\[2\] is not a uniform increasing grid"):
        extract_mesh(field, (axis, axis, axis**3))


# ---------------------------------------------------------------------------------------------
# Files and surface samples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".ply", ".obj"])
def test_write_mesh_round_trip(tmp_path, suffix):
    vertices, faces = tetrahedron()
    vertices = vertices * 0.3 + 0.125
    path = tmp_path / "sub" / f"shape{suffix}"
    write_mesh(path, vertices, faces)
    read = meshio.read(path)
    assert np.allclose(read.points, vertices, atol=1e-6)
    assert np.array_equal(read.cells_dict["triangle"], faces)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left


def test_write_mesh_rejects_other_suffixes(tmp_path):
    vertices, faces = tetrahedron()
    with pytest.raises(DataError, match=r"suffix '\.stl'; supported suffixes are \.ply, \.obj"):
        write_mesh(tmp_path / "shape.stl", vertices, faces)
    with pytest.raises(DataError, match="expected indices in 0..3"):
        write_mesh(tmp_path / "shape.ply", vertices, faces + 1)


def test_sample_surface_is_area_uniform_and_seeded():
    vertices, faces = tetrahedron()
    points, normals = sample_surface(vertices, faces, 6000, seed=3)
    assert points.shape == (6000, 3) and np.allclose(np.linalg.norm(normals, axis=1), 1)
    slanted = normals.sum(axis=1) > 0  # the face x + y + z = 1 has area sqrt(3) / 2 of 3/2 + sqrt(3)/2
    share = (math.sqrt(3) / 2) / (1.5 + math.sqrt(3) / 2)
    assert abs(slanted.mean() - share) < 5 * math.sqrt(share * (1 - share) / 6000)
    assert np.allclose(points[slanted].sum(axis=1), 1)
    assert np.allclose(normals[~slanted].sum(axis=1), -1)  # the other faces point out along -axes
    again, _ = sample_surface(vertices, faces, 6000, seed=3)
    assert np.array_equal(points, again)
    with pytest.raises(DataError, match="n must be a positive integer"):
        sample_surface(vertices, faces, 0)
