"""PirateNet and random weight factorisation: exact jets against nested autograd in float64, the
identity initialisation, factorisation that keeps the initial function, save/load, clear errors
for bad options, and a short Poisson fit that lowers the error."""

import itertools

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.fields import Dense
from pinnfield.fields.piratenet import PirateBlock
from pinnfield.jets import DerivativeRequest, compute_derivatives

a, b, c = sp.symbols("a b c")
BOX = pf.Box((0.0, -1.0, 0.5), (1.0, 1.0, 2.0), coords=(a, b, c))

PARTIALS = [p for p in itertools.product(range(3), repeat=3) if sum(p) <= 2]
"""Every partial derivative of order 0, 1 and 2 in three variables, mixed ones included."""
FORM = (((0, 0), 1.0), ((1, 1), -0.5), ((0, 2), 2.0))
REQUEST = DerivativeRequest(frozenset(PARTIALS), (FORM,))

FACTORIZED = {
    "piratenet": lambda: pf.PirateNet(3, 2, width=8, blocks=2),
    "piratenet_plain": lambda: pf.PirateNet(3, 2, width=6, blocks=1, rwf=False, fourier_scale=2.0),
    "siren": lambda: pf.Siren(3, 2, width=8, depth=3, omega0=3.0, omega_hidden=3.0, factorize=True),
    "siren_residual": lambda: pf.Siren(3, 2, width=8, depth=2, residual=True, factorize=(0.5, 0.3)),
    "mlp_tanh": lambda: pf.MLP(3, 2, width=8, depth=2, factorize=True),
    "mlp_fourier": lambda: pf.MLP(3, 2, width=8, depth=2, encoding=pf.FourierFeatures(m=4, sigma=1.0),
                                  activation="gelu", factorize=True),
}


def _field(name):
    field = FACTORIZED[name]().double()
    field.reset_parameters(torch.Generator().manual_seed(1))
    field.set_input_box(BOX.lower.tolist(), BOX.upper.tolist())
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for module in field.modules():
            if isinstance(module, PirateBlock):  # leave the identity start
                module.alpha.copy_(torch.rand((), generator=generator, dtype=torch.float64) + 0.2)
    return field


def _points(n=25):
    return BOX.interior.sample(n, torch.Generator().manual_seed(2)).points.double()


def _relative_error(got, expected):
    return ((got - expected).abs().max() / expected.abs().max().clamp_min(1e-12)).item()


@pytest.mark.parametrize("name", sorted(FACTORIZED))
def test_jets_equal_nested_autograd_for_every_partial_up_to_order_two(name):
    field, x = _field(name), _points()
    jets = compute_derivatives(field, x, REQUEST, "jet")
    reference = compute_derivatives(field, x, REQUEST, "autograd")
    for key in PARTIALS:
        assert jets.partials[key].shape == (len(x), 2)
        assert reference.partials[key].abs().max() > 1e-6, key
        assert _relative_error(jets.partials[key], reference.partials[key]) <= 1e-12, key
    assert _relative_error(jets.quads[0], reference.quads[0]) <= 1e-12


@pytest.mark.parametrize("name", sorted(FACTORIZED))
def test_jets_train_every_parameter_like_autograd(name):
    field, x = _field(name), _points(10)
    request = DerivativeRequest(frozenset([(0, 0, 0), (1, 0, 0), (0, 1, 1)]), (FORM,))
    grads = []
    for engine in ("jet", "autograd"):
        table = compute_derivatives(field, x, request, engine)
        loss = sum(v.square().sum() for v in table.partials.values()) + table.quads[0].square().sum()
        grads.append(torch.autograd.grad(loss, list(field.parameters())))
    for (pname, _), g_jet, g_ref in zip(field.named_parameters(), *grads):
        assert _relative_error(g_jet, g_ref) <= 1e-11, pname


def test_piratenet_starts_as_the_output_layer_of_the_embedding():
    field = pf.PirateNet(2, 3, width=16, blocks=3).double()
    field.set_input_box([0.0, 0.0], [2.0, 4.0])
    x = torch.rand(50, 2, dtype=torch.float64) * torch.tensor([2.0, 4.0], dtype=torch.float64)
    normalised = x * torch.tensor([1.0, 0.5], dtype=torch.float64) - 1.0
    B = field.embedding.frequencies
    phi = torch.cat([torch.cos(normalised @ B.T), torch.sin(normalised @ B.T)], dim=1)
    W = torch.exp(field.output.log_scale)[:, None] * field.output.weight
    expected = phi @ W.T + field.output.bias
    assert all(block.alpha.item() == 0.0 for block in field.blocks)
    torch.testing.assert_close(field(x), expected, rtol=1e-14, atol=1e-14)
    # the blocks do act once alpha leaves 0
    with torch.no_grad():
        field.blocks[0].alpha.fill_(0.5)
    assert (field(x) - expected).abs().max() > 1e-3


def test_piratenet_follows_the_paper_at_initialisation():
    field = pf.PirateNet(2, 1, width=64, blocks=2, fourier_scale=2.0)
    assert field.embedding.frequencies.shape == (32, 2)
    assert 1.6 < field.embedding.frequencies.std().item() < 2.4
    assert not any(p is field.embedding.frequencies for p in field.parameters())
    scales = torch.cat([m.log_scale for m in field.modules() if isinstance(m, Dense)])
    assert len(scales) == 2 * 64 + 2 * 3 * 64 + 1 and all(isinstance(m.log_scale, torch.nn.Parameter)
                                                           for m in field.modules() if isinstance(m, Dense))
    assert abs(scales.mean().item() - 1.0) < 0.02 and abs(scales.std().item() - 0.1) < 0.02
    a, b = pf.PirateNet(2, 1, width=8), pf.PirateNet(2, 1, width=8)
    a.reset_parameters(torch.Generator().manual_seed(5))
    b.reset_parameters(torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("make", [
    lambda f: pf.Siren(2, 3, width=16, depth=3, factorize=f),
    lambda f: pf.Siren(2, 3, width=16, depth=3, residual=True, factorize=f),
    lambda f: pf.MLP(2, 3, width=16, depth=3, activation="sin", factorize=f),
    lambda f: pf.MLP(2, 3, width=16, depth=2, encoding=pf.PositionalEncoding(L=2), factorize=f),
])
def test_factorisation_keeps_the_initial_function_for_the_same_seed(make):
    x = torch.rand(40, 2, dtype=torch.float64) * 2 - 1
    plain, factorized = make(None).double(), make((1.0, 0.1)).double()
    for field in (plain, factorized):
        field.reset_parameters(torch.Generator().manual_seed(7))
    assert factorized.config()["factorize"] == (1.0, 0.1) and plain.config()["factorize"] is None
    torch.testing.assert_close(factorized(x), plain(x), rtol=1e-13, atol=1e-13)
    dense = [m for m in factorized.modules() if isinstance(m, Dense)]
    assert dense and all(m.factorized and not torch.equal(m.weight, m.matrix()) for m in dense)
    assert not any(m.factorized for m in plain.modules() if isinstance(m, Dense))
    assert len(list(factorized.parameters())) == len(list(plain.parameters())) + len(dense)


def test_factorize_true_is_the_papers_distribution():
    assert pf.MLP(2, 1, factorize=True).config()["factorize"] == (1.0, 0.1)
    assert pf.Siren(2, 1, factorize=[0.0, 0.5]).config()["factorize"] == (0.0, 0.5)
    assert pf.PirateNet(2, 1).config()["rwf"] == (1.0, 0.1)
    assert pf.PirateNet(2, 1, rwf=False).config()["rwf"] is None


@pytest.mark.parametrize("make, message", [
    (lambda: pf.PirateNet(2, 1, width=7), "PirateNet width must be even"),
    (lambda: pf.PirateNet(2, 1, width=0), "PirateNet width"),
    (lambda: pf.PirateNet(2, 1, blocks=0), "PirateNet blocks"),
    (lambda: pf.PirateNet(2, 1, blocks=1.5), "PirateNet blocks"),
    (lambda: pf.PirateNet(2, 1, fourier_scale=0.0), "PirateNet fourier_scale must be a finite number > 0"),
    (lambda: pf.PirateNet(2, 1, rwf="yes"), r"PirateNet rwf must be None or False \(off\), True"),
    (lambda: pf.PirateNet(2, 1, rwf=(1.0, -0.1)), "PirateNet rwf sigma must be a finite number >= 0"),
    (lambda: pf.Siren(2, 1, factorize=(1.0,)), "Siren factorize must be None or False"),
    (lambda: pf.MLP(2, 1, factorize=(float("nan"), 0.1)), "MLP factorize mu must be a finite number"),
])
def test_bad_options_raise_clear_errors(make, message):
    with pytest.raises(pf.EquationError, match=message):
        make()


def test_piratenet_points_of_the_wrong_shape_are_refused():
    with pytest.raises(pf.DataError, match=r"PirateNet expects points of shape \(N, 2\)"):
        pf.PirateNet(2, 1, width=8)(torch.zeros(4, 3))


def _poisson_1d(net):
    x = sp.symbols("x")
    u = sp.Function("u")(x)
    exact = sp.sin(sp.pi * x)
    line = pf.Box((0,), (1,), coords=(x,))
    problem = pf.Problem(
        fields={u: net},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(exact, (x,)), (x,)), on=line.interior, n=128),
                     pf.Constraint(u - exact, on=line.boundary, n=2, weight=10.0)],
        exact={u: exact},
    )
    return problem, u, line


def test_a_short_poisson_fit_lowers_the_error_and_the_solution_round_trips(tmp_path):
    problem, u, line = _poisson_1d(pf.PirateNet(1, 1, width=16, blocks=2))
    grid = line.grid(101)
    start = pf.fit(problem, steps=1, lr=1e-12, progress=False, seed=0)
    solution = pf.fit(problem, steps=100, lr=1e-2, progress=False, seed=0)
    before, after = pf.metrics.rel_l2(start, u, grid), pf.metrics.rel_l2(solution, u, grid)
    assert after < 0.1 * before and after < 0.05
    assert any(block.alpha.item() != 0.0 for block in solution.modules[0].blocks)
    path = str(tmp_path / "pirate.pt")
    solution.save(path)
    loaded = pf.Solution.load(path)
    assert type(loaded.modules[0]) is pf.PirateNet and loaded.modules[0].config() == solution.modules[0].config()
    points = np.linspace(0, 1, 17)[:, None]
    np.testing.assert_array_equal(loaded.evaluate("u", points), solution.evaluate("u", points))


def test_autograd_engine_trains_a_piratenet_too():
    problem, u, line = _poisson_1d(pf.PirateNet(1, 1, width=8, blocks=1))
    histories = [pf.fit(problem, steps=5, lr=1e-3, progress=False, seed=0, derivatives=engine).history["loss"]
                 for engine in ("jet", "autograd")]
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-4)
