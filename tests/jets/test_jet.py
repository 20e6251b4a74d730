"""Taylor jets of every built-in field against nested autograd and against sympy, in float64."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.fields import AbstractEncoding, ActivationLayer, Linear, ResidualSineBlock, SineLayer
from pinnfield.jets import DerivativeRequest, autograd_derivatives, jet_derivatives

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
