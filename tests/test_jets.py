"""Jet engine against nested autograd and against sympy, in float64, for every field type."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.fields import ActivationLayer, Linear, ResidualSineBlock, SineLayer
from pinnfield.encodings import AbstractEncoding
from pinnfield import fused
from pinnfield.jets import (
    _SineJet,
    DerivativeRequest,
    autograd_derivatives,
    compute_derivatives,
    jet_derivatives,
    reverse_mode_is_cheaper,
)

FIELDS = {
    "siren": lambda: pf.Siren(3, 2, width=8, depth=3),
    "siren_residual": lambda: pf.Siren(3, 2, width=8, depth=3, residual=True),
    "siren_low_omega": lambda: pf.Siren(3, 2, width=8, depth=2, omega0=3.0, omega_hidden=2.0),
    "mlp_tanh": lambda: pf.MLP(3, 2, width=8, depth=2, activation="tanh"),
    "mlp_softplus": lambda: pf.MLP(3, 2, width=8, depth=2, activation="softplus"),
    "mlp_gelu": lambda: pf.MLP(3, 2, width=8, depth=2, activation="gelu"),
    "mlp_sigmoid": lambda: pf.MLP(3, 2, width=8, depth=2, activation="sigmoid"),
    "mlp_sin": lambda: pf.MLP(3, 2, width=8, depth=2, activation="sin"),
    "mlp_positional": lambda: pf.MLP(3, 2, width=8, depth=2, encoding=pf.PositionalEncoding(L=3)),
    "mlp_fourier": lambda: pf.MLP(3, 2, width=8, depth=2, encoding=pf.FourierFeatures(m=6, sigma=1.0)),
}

# Orders 0 to 2: value, every first derivative, every pure and mixed second derivative,
# plus two collapsed forms: the Laplacian and a wave-like mixed combination.
ALL_PARTIALS = frozenset(
    tuple(int(k == i) + int(k == j) for k in range(3)) for i in range(-1, 3) for j in range(i, 3)
)
REQUEST = DerivativeRequest(
    ALL_PARTIALS,
    (
        (((0, 0), 1.0), ((1, 1), 1.0), ((2, 2), 1.0)),
        (((0, 0), 1.0), ((1, 2), -2.5), ((2, 2), -4.0)),
    ),
)


def _field(name):
    field = FIELDS[name]().double()
    field.reset_parameters(torch.Generator().manual_seed(1))
    field.set_input_box([0.0, -1.0, 0.5], [1.0, 1.0, 2.0])
    return field


def _points(n=40):
    g = torch.Generator().manual_seed(2)
    return torch.rand(n, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 1.5]) + torch.tensor(
        [0.0, -1.0, 0.5], dtype=torch.float64
    )


def _assert_tables_close(a, b, rtol):
    assert set(a.partials) == set(b.partials)
    for key in a.partials:
        scale = a.partials[key].abs().max().clamp_min(1e-12)
        assert ((a.partials[key] - b.partials[key]).abs().max() / scale).item() <= rtol, key
    assert len(a.quads) == len(b.quads)
    for qa, qb in zip(a.quads, b.quads):
        assert ((qa - qb).abs().max() / qa.abs().max().clamp_min(1e-12)).item() <= rtol


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_jet_equals_nested_autograd(name):
    field, x = _field(name), _points()
    _assert_tables_close(autograd_derivatives(field, x, REQUEST), jet_derivatives(field, x, REQUEST), 1e-10)



@pytest.mark.parametrize("name", ["siren", "siren_residual", "mlp_sin"])
def test_parameter_gradients_of_jets_equal_nested_autograd(name):
    """The training gradient: d/dtheta of a loss built from every derivative and both forms."""
    field, x = _field(name), _points()

    def gradients(engine):
        table = engine(field, x, REQUEST)
        loss = sum((v * v.cos()).sum() for v in table.partials.values()) + sum((q ** 2).sum() for q in table.quads)
        return torch.autograd.grad(loss, list(field.parameters()))

    for a, j in zip(gradients(autograd_derivatives), gradients(jet_derivatives)):
        assert ((a - j).abs().max() / a.abs().max().clamp_min(1e-12)).item() <= 1e-10


@pytest.mark.parametrize("broadcast", [False, True], ids=["per_point_tangents", "shared_tangents"])
@pytest.mark.parametrize("curved", [False, True], ids=["flat_input", "curved_input"])
def test_sine_jet_backward_passes_gradcheck(broadcast, curved):
    """sin on a jet (value, tangents, forms) with its hand-written backward, against finite differences."""
    forms = ((((0, 0, 1.0), (1, 1, -4.0), (0, 2, 2.5)), ((2, 2, 1.0), (1, 2, -1.0))))
    g = torch.Generator().manual_seed(3)
    value = torch.randn(5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    tangents = torch.randn(3, 1 if broadcast else 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    quads = torch.randn(2, 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    if curved:
        assert torch.autograd.gradcheck(lambda a, t, q: _SineJet.apply(a, t, q, forms), (value, tangents, quads))
    else:
        assert torch.autograd.gradcheck(lambda a, t: _SineJet.apply(a, t, a.new_zeros(()), forms), (value, tangents))


@pytest.mark.parametrize("broadcast", [False, True], ids=["per_point_tangents", "shared_tangents"])
@pytest.mark.parametrize("curved", [False, True], ids=["flat_input", "curved_input"])
def test_fused_sine_jet_kernels_pass_gradcheck_and_equal_the_sine_jet(monkeypatch, broadcast, curved):
    """The kernels that fit(compile=True) compiles, run eagerly here: against finite differences
    and against the hand-written sine jet."""
    monkeypatch.setattr(fused, "_failure", ["run the kernels eagerly"])
    forms = ((((0, 0, 1.0), (1, 1, -4.0), (0, 2, 2.5)), ((2, 2, 1.0), (1, 2, -1.0))))
    g = torch.Generator().manual_seed(5)
    value = torch.randn(5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    tangents = torch.randn(3, 1 if broadcast else 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    quads = torch.randn(2, 5, 4, dtype=torch.float64, generator=g, requires_grad=True) if curved else value.new_zeros(())
    inputs = (value, tangents, quads) if curved else (value, tangents)

    def run(function):
        return lambda a, t, q=quads: function.apply(a, t, q, forms)

    assert torch.autograd.gradcheck(run(fused.FusedSineJet), inputs)
    weights = [torch.randn(o.shape, dtype=torch.float64, generator=g) for o in run(_SineJet)(*inputs)]
    results = []
    for function in (fused.FusedSineJet, _SineJet):
        outputs = run(function)(*inputs)
        loss = sum((w * o).sum() for w, o in zip(weights, outputs))
        results.append([*outputs, *torch.autograd.grad(loss, inputs)])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)

def _layer_to_sympy(layer, h):
    """The sympy expressions of one layer applied to the list of expressions h."""
    if isinstance(layer, AbstractEncoding):
        B = layer.frequencies.double().numpy()
        a = [sum(float(B[f, i]) * h[i] for i in range(len(h))) for f in range(B.shape[0])]
        return (list(h) if layer.include_input else []) + [sp.sin(v) for v in a] + [sp.cos(v) for v in a]
    if isinstance(layer, ResidualSineBlock):
        s = _layer_to_sympy(layer.sine, h)
        return [(hi + si) / 2 for hi, si in zip(h, s)]
    W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    a = [float(b[o]) + sum(float(W[o, i]) * h[i] for i in range(len(h))) for o in range(W.shape[0])]
    if isinstance(layer, SineLayer):
        return [sp.sin(layer.omega * v) for v in a]
    if isinstance(layer, ActivationLayer):
        act = {
            "tanh": sp.tanh,
            "softplus": lambda v: sp.log(1 + sp.exp(v)),
            "gelu": lambda v: v * (1 + sp.erf(v / sp.sqrt(2))) / 2,
            "sigmoid": lambda v: 1 / (1 + sp.exp(-v)),
            "sin": sp.sin,
        }[layer.activation]
        return [act(v) for v in a]
    assert isinstance(layer, Linear)
    return a


def _field_to_sympy(field, symbols):
    scale, shift = field.input_scale.numpy(), field.input_shift.numpy()
    h = [float(scale[i]) * s + float(shift[i]) for i, s in enumerate(symbols)]
    for layer in field.body:
        h = _layer_to_sympy(layer, h)
    return h


@pytest.mark.parametrize("name", ["siren", "siren_residual", "mlp_tanh", "mlp_gelu", "mlp_positional", "mlp_fourier"])
def test_jet_and_autograd_equal_sympy_derivatives(name):
    FIELDS_SMALL = {
        "siren": lambda: pf.Siren(3, 1, width=3, depth=2),
        "siren_residual": lambda: pf.Siren(3, 1, width=3, depth=2, residual=True),
        "mlp_tanh": lambda: pf.MLP(3, 1, width=3, depth=2),
        "mlp_gelu": lambda: pf.MLP(3, 1, width=3, depth=1, activation="gelu"),
        "mlp_positional": lambda: pf.MLP(3, 1, width=3, depth=1, encoding=pf.PositionalEncoding(L=2)),
        "mlp_fourier": lambda: pf.MLP(3, 1, width=3, depth=1, encoding=pf.FourierFeatures(m=3, sigma=0.5)),
    }
    field = FIELDS_SMALL[name]().double()
    field.reset_parameters(torch.Generator().manual_seed(3))
    field.set_input_box([0.0, -1.0, 0.5], [1.0, 1.0, 2.0])
    symbols = sp.symbols("a b c")
    (expression,) = _field_to_sympy(field, symbols)
    x = _points(12)
    jets = jet_derivatives(field, x, REQUEST)
    reference = autograd_derivatives(field, x, REQUEST)
    for key in ALL_PARTIALS:
        derivative = expression
        for axis, count in enumerate(key):
            if count:
                derivative = sp.diff(derivative, symbols[axis], count)
        exact = sp.lambdify(symbols, derivative, ["scipy", "numpy"])(*x.numpy().T)
        exact = np.broadcast_to(np.asarray(exact, dtype=float), (len(x),))
        scale = max(np.abs(exact).max(), 1e-12)
        for table in (jets, reference):
            got = table.partials[key][:, 0].detach().numpy()
            assert np.abs(got - exact).max() / scale <= 1e-10, (key, name)


def test_linear_network_has_zero_curvature_and_constant_tangents():
    field = pf.MLP(2, 1, width=4, depth=1, activation="relu").double()
    x = _points(5)[:, :2]
    request = DerivativeRequest(frozenset({(1, 0), (2, 0)}), ((((0, 0), 1.0), ((1, 1), 1.0)),))
    jets = jet_derivatives(field, x, request)
    assert jets.partials[(2, 0)].shape == (5, 1)
    assert torch.all(jets.partials[(2, 0)] == 0)
    _assert_tables_close(autograd_derivatives(field, x, request), jets, 1e-12)


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
    monkeypatch.setattr("pinnfield.jets.jet_derivatives", lambda *a: pytest.fail("auto used jets"))
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


def test_siren_initialisation_follows_the_paper():
    field = pf.Siren(2, 1, width=256, depth=3, omega0=30.0, omega_hidden=30.0)
    first, hidden, last = field.body[0], field.body[1], field.body[-1]
    assert first.weight.abs().max() <= 1 / 2
    assert first.weight.abs().max() > 0.45
    bound = math.sqrt(6 / 256) / 30
    assert hidden.weight.abs().max() <= bound
    assert hidden.weight.abs().max() > 0.95 * bound
    assert last.weight.abs().max() <= bound
    # the same generator state gives the same weights
    a, b = pf.Siren(2, 1), pf.Siren(2, 1)
    a.reset_parameters(torch.Generator().manual_seed(5))
    b.reset_parameters(torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
