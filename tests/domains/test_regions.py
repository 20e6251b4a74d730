"""Every region's sampling: determinism, methods, exact counts, dtype, and the errors of bad inputs."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield.domains as D
from pinnfield.errors import DomainError

x, y, z, t = sp.symbols("x y z t")

BOX = D.Box((0, 0), (1, 1), (x, y))
HOLE = D.Disk((0.5, 0.5), 0.2, (x, y))


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


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
