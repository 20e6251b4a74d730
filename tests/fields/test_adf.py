"""Approximate distance functions: zero on the region, positive inside."""

import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.fields.adf import adf

x, y = sp.symbols("x y")
SQUARE = pf.Box((0, 0), (1, 1), coords=(x, y))
DOMAINS = {
    "box": SQUARE,
    "disk": pf.Disk((0.5, 0.5), 0.3, coords=(x, y)),
    "box_minus_disk": SQUARE - pf.Disk((0.5, 0.5), 0.25, coords=(x, y)),
}


def _sample(region, n, seed=0):
    return region.sample(n, torch.Generator().manual_seed(seed)).points


@pytest.mark.parametrize("name", DOMAINS)
def test_adf_is_zero_on_the_boundary_and_positive_inside(name):
    domain = DOMAINS[name]
    phi, coords = adf(domain.boundary)
    assert coords == (x, y)
    on = phi(_sample(domain.boundary, 2000).float())
    inside = phi(_sample(domain.interior, 2000).float())
    assert on.shape == (2000, 1)
    assert on.abs().max().item() <= 1e-6
    assert inside.min().item() > 0


def test_a_box_corner_has_finite_derivatives():
    box3 = pf.Box((0, 0, 0), (1, 2, 3), coords=sp.symbols("a b c"))
    phi, _ = adf(box3.boundary)
    corner = torch.tensor([[1.0, 2.0, 0.0]], requires_grad=True)
    (grad,) = torch.autograd.grad(phi(corner).sum(), corner, create_graph=True)
    (second,) = torch.autograd.grad(grad.sum(), corner)
    assert phi(corner).item() == 0 and torch.isfinite(grad).all() and torch.isfinite(second).all()
