"""Every built-in field type: its jets equal nested autograd in float64, eagerly and through a
compiled-kernels object whose compiler fails (one warning, then the eager result)."""

import warnings

import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.fields import ACTIVATIONS, AbstractField, SineLayer
from pinnfield.jets import CompiledSineKernels, DerivativeRequest, compute_derivatives

a, b, c = sp.symbols("a b c")
BOX = pf.Box((0.0, -1.0, 0.5), (1.0, 1.0, 2.0), coords=(a, b, c))

SMOOTH = sorted(name for name in ACTIVATIONS if name != "relu")
"""Activations with nonzero second derivatives (ReLU's vanish, so it has no Laplacian to test)."""

FIELDS = {
    "siren": lambda: pf.Siren(3, 2, width=8, depth=3),
    "siren_residual": lambda: pf.Siren(3, 2, width=8, depth=3, residual=True),
    **{f"mlp_{name}": (lambda name=name: pf.MLP(3, 2, width=8, depth=2, activation=name)) for name in SMOOTH},
    "mlp_positional": lambda: pf.MLP(3, 2, width=8, depth=2, encoding=pf.PositionalEncoding(L=3)),
    "mlp_fourier": lambda: pf.MLP(3, 2, width=8, depth=2, encoding=pf.FourierFeatures(m=6, sigma=1.0)),
    "piratenet": lambda: pf.PirateNet(3, 2, width=8, blocks=2),
    "hard_siren": lambda: pf.hard(pf.Siren(3, 2, width=8, depth=2, omega0=3.0, omega_hidden=3.0),
                                  value=(1 + a * b, sp.sin(c)), on=BOX.boundary),
}

VALUE, GRADIENT = (0, 0, 0), [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
MIXED = (0, 1, 1)
LAPLACIAN = (((0, 0), 1.0), ((1, 1), 1.0), ((2, 2), 1.0))
REQUEST = DerivativeRequest(frozenset([VALUE, *GRADIENT, MIXED]), (LAPLACIAN,))


def _field(name):
    field = FIELDS[name]().double()
    field.reset_parameters(torch.Generator().manual_seed(1))
    field.set_input_box(BOX.lower.tolist(), BOX.upper.tolist())
    return field


def _points(n=30):
    return BOX.interior.sample(n, torch.Generator().manual_seed(2)).points.double()


def _relative_error(got, expected):
    return ((got - expected).abs().max() / expected.abs().max().clamp_min(1e-12)).item()


def test_the_list_covers_every_built_in_field_type():
    built_in = {cls for cls in _subclasses(AbstractField) if cls.__module__.startswith("pinnfield.fields")}
    assert {type(FIELDS[name]()) for name in FIELDS} == built_in


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_jets_equal_nested_autograd(name):
    field, x = _field(name), _points()
    jets = compute_derivatives(field, x, REQUEST, "jet")
    reference = compute_derivatives(field, x, REQUEST, "autograd")
    for key in [VALUE, *GRADIENT, MIXED]:
        assert jets.partials[key].shape == (len(x), 2)
        assert _relative_error(jets.partials[key], reference.partials[key]) <= 1e-12, key
    assert _relative_error(jets.quads[0], reference.quads[0]) <= 1e-12


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_a_failing_compiler_warns_once_and_gives_the_eager_result(name):
    def raising(*args):
        raise RuntimeError("no working compiler")

    field, x = _field(name), _points()
    uses_sine_layers = any(isinstance(m, SineLayer) for m in field.modules())
    eager = compute_derivatives(field, x, REQUEST, "jet")
    kernels = CompiledSineKernels(compiler=lambda kernel: raising)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = [compute_derivatives(field, x, REQUEST, "jet", kernels=kernels) for _ in range(2)]
        for table in tables:
            loss = sum(v.square().sum() for v in table.partials.values()) + table.quads[0].square().sum()
            torch.autograd.grad(loss, list(field.parameters()))
    failures = [w for w in caught if "sine-jet kernels failed (RuntimeError: no working compiler)" in str(w.message)]
    assert len(failures) == (1 if uses_sine_layers else 0)
    assert (kernels.failure is not None) == uses_sine_layers
    for table in tables:
        for key in eager.partials:
            assert torch.equal(table.partials[key], eager.partials[key]), key
        assert torch.equal(table.quads[0], eager.quads[0])
