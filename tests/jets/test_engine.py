"""Choosing the derivative engine: jets, nested autograd, and what "auto" picks."""

import pytest
import torch

import pinnfield as pf
from pinnfield.jets import (
    DerivativeRequest,
    autograd_derivatives,
    compute_derivatives,
    jet_derivatives,
    reverse_mode_is_cheaper,
)


def _points(n=40):
    g = torch.Generator().manual_seed(2)
    return torch.rand(n, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 1.5]) + torch.tensor(
        [0.0, -1.0, 0.5], dtype=torch.float64
    )


def test_higher_orders_fall_back_to_autograd_in_auto_and_are_refused_by_jet():
    field = pf.Siren(1, 1, width=8, depth=2).double()
    x = torch.linspace(-1, 1, 7, dtype=torch.float64)[:, None]
    request = DerivativeRequest(frozenset({(3,), (4,)}))
    table = compute_derivatives(field, x, request, "auto")
    assert torch.allclose(table.partials[(4,)], autograd_derivatives(field, x, request).partials[(4,)])
    with pytest.raises(pf.EquationError, match="orders up to 2"):
        compute_derivatives(field, x, request, "jet")


def test_auto_takes_reverse_mode_for_gradients_of_fewer_outputs_than_inputs(monkeypatch):
    gradient = DerivativeRequest(frozenset({(1, 0, 0), (0, 1, 0), (0, 0, 1)}))
    laplacian = DerivativeRequest(frozenset({(0, 0, 0)}), ((((0, 0), 1.0), ((1, 1), 1.0), ((2, 2), 1.0)),))
    scalar, vector = pf.Siren(3, 1, width=8, depth=2).double(), pf.Siren(3, 3, width=8, depth=2).double()
    assert reverse_mode_is_cheaper(scalar, gradient)
    assert not reverse_mode_is_cheaper(vector, gradient)
    assert not reverse_mode_is_cheaper(scalar, laplacian)
    assert not reverse_mode_is_cheaper(pf.Siren(1, 1, width=8, depth=2), DerivativeRequest(frozenset({(1,)})))
    x = _points(9)
    jets = jet_derivatives(scalar, x, gradient)
    monkeypatch.setattr("pinnfield.jets.engine.jet_derivatives", lambda *a: pytest.fail("auto used jets"))
    table = compute_derivatives(scalar, x, gradient, "auto")
    for a in gradient.partials:
        torch.testing.assert_close(table.partials[a], jets.partials[a], rtol=1e-12, atol=1e-12)


def test_plain_torch_module_uses_autograd():
    module = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    x = _points(6)[:, :2]
    request = DerivativeRequest(frozenset({(0, 0), (1, 1)}), ((((0, 0), 1.0), ((1, 1), 1.0)),))
    table = compute_derivatives(module, x, request, "auto")
    assert table.partials[(1, 1)].shape == (6, 1)
    with pytest.raises(pf.EquationError, match="forward_jet"):
        compute_derivatives(module, x, request, "jet")
