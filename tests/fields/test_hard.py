"""Hard boundary and initial conditions: ADFs, exactness of u = g on the region, derivatives."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson
from pinnfield.fields import HardField
from pinnfield.fields.adf import adf
from pinnfield.jets import DerivativeRequest, autograd_derivatives, compute_derivatives, jet_derivatives

x, y, t = sp.symbols("x y t")
SQUARE = pf.Box((0, 0), (1, 1), coords=(x, y))
DISK = pf.Disk((0.5, 0.5), 0.3, coords=(x, y))
DOMAINS = {"box": SQUARE, "disk": DISK, "box_minus_disk": SQUARE - pf.Disk((0.5, 0.5), 0.25, coords=(x, y))}
G = 1 + x * y - sp.sin(2 * y)

PARTIALS = frozenset([(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)])
REQUEST = DerivativeRequest(PARTIALS, ((((0, 0), 1.0), ((1, 1), 1.0)), (((0, 0), 1.0), ((0, 1), -2.5))))


def _sample(region, n, seed=0):
    return region.sample(n, torch.Generator().manual_seed(seed)).points


def _g(points):
    return sp.lambdify((x, y), G, "numpy")(*np.asarray(points, dtype=np.float64).T)


def _hard_siren(domain, dtype=torch.float32):
    net = pf.Siren(in_dim=2, out_dim=1, width=32, omega0=3.0, omega_hidden=3.0)
    net.reset_parameters(torch.Generator().manual_seed(3))
    return pf.hard(net, value=G, on=domain.boundary).to(dtype)


def _assert_tables_close(a, b, atol):
    for k in PARTIALS:
        assert torch.isfinite(a.partials[k]).all() and torch.isfinite(b.partials[k]).all()
        assert torch.allclose(a.partials[k], b.partials[k], rtol=1e-10, atol=atol), k
    for qa, qb in zip(a.quads, b.quads):
        assert torch.allclose(qa, qb, rtol=1e-10, atol=atol)


def test_a_hole_rim_alone():
    hole = pf.Disk((0.5, 0.5), 0.25, coords=(x, y))
    plate = SQUARE - hole
    field = pf.hard(pf.Siren(2, 1, width=8), value=G, on=plate.boundary_of(hole))
    rim = _sample(plate.boundary_of(hole), 500).float()
    outer = _sample(plate.boundary_of(SQUARE), 500).float()
    assert np.abs(field(rim)[:, 0].detach().double().numpy() - _g(rim)).max() <= 1e-6
    assert field.phi(_sample(plate.interior, 500).float()).min() > 0
    assert field.phi(outer).min() > 0
    with pytest.raises(pf.DomainError, match=r"in the union .* runs through the interior"):
        pf.hard(pf.Siren(2, 1, width=8), value=0, on=(SQUARE | hole).boundary_of(hole))


@pytest.mark.parametrize("name", DOMAINS)
def test_untrained_hard_field_equals_g_on_the_boundary(name):
    domain = DOMAINS[name]
    points = _sample(domain.boundary, 2000).float()
    u = _hard_siren(domain)(points)
    assert u.shape == (2000, 1)
    error = np.abs(u[:, 0].detach().double().numpy() - _g(points))
    assert error.max() <= 1e-6
    inside = _sample(domain.interior, 500).float()
    assert np.abs(_hard_siren(domain)(inside)[:, 0].detach().numpy() - _g(inside)).max() > 1e-3


@pytest.mark.parametrize("name", DOMAINS)
def test_boundary_stays_exact_through_a_short_fit(name):
    domain = DOMAINS[name]
    u = sp.Function("u")(x, y)
    u_exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y) + G
    f = -pf.lap(u_exact, (x, y))
    value = G if name == "box" else u_exact  # sin(pi x) sin(pi y) vanishes on the square only
    net = pf.Siren(in_dim=2, out_dim=1, width=32, depth=2, omega0=3.0, omega_hidden=3.0)
    problem = pf.Problem(
        fields={u: pf.hard(net, value=value, on=domain.boundary)},
        constraints=[pf.Constraint(poisson.residual(u, f, space=(x, y)), on=domain.interior, n=256)],
        exact={u: u_exact},
    )
    grid = domain.grid(41)
    start = pf.fit(problem, steps=0, seed=0, progress=False)
    solution = pf.fit(problem, steps=200, lr=3e-3, seed=0, progress=False)
    before = pf.metrics.rel_l2(start, u, grid)
    after = pf.metrics.rel_l2(solution, u, grid)
    assert after < 0.5 * before
    boundary = _sample(domain.boundary, 2000, seed=5).float().double().numpy()
    expected = sp.lambdify((x, y), value, "numpy")(*boundary.T)
    assert np.abs(solution.evaluate("u", boundary) - expected).max() <= 1e-6


@pytest.mark.parametrize("name", DOMAINS)
def test_jets_match_autograd_in_float64(name):
    field = _hard_siren(DOMAINS[name], torch.float64)
    points = torch.cat([_sample(DOMAINS[name].interior, 30), _sample(DOMAINS[name].boundary, 30)])
    _assert_tables_close(jet_derivatives(field, points, REQUEST), autograd_derivatives(field, points, REQUEST), 1e-9)


def test_corners_give_finite_derivatives():
    field = _hard_siren(SQUARE, torch.float64)
    corners = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    jets = jet_derivatives(field, corners, REQUEST)
    _assert_tables_close(jets, autograd_derivatives(field, corners, REQUEST), 1e-9)
    assert torch.allclose(jets.partials[(0, 0)][:, 0], torch.as_tensor(_g(corners.numpy())))


class _Analytic(torch.nn.Module):
    """N(x, y) = sin(x) exp(y / 2) (N, 2) -> (N, 1): a torch module without jets."""

    out_dim = 1

    def forward(self, p):
        return (torch.sin(p[:, 0]) * torch.exp(p[:, 1] / 2))[:, None]


@pytest.mark.parametrize("engine", ["jet", "autograd"])
def test_derivatives_match_sympy(engine):
    slab_x, slab_y = x * (1 - x), y * (1 - y)
    phi_box = slab_x + slab_y - sp.sqrt(slab_x**2 + slab_y**2)
    phi_disk = (0.3**2 - (x - 0.5) ** 2 - (y - 0.5) ** 2) / 0.6
    for domain, phi in ((SQUARE, phi_box), (DISK, phi_disk)):
        field = pf.hard(_Analytic(), value=G, on=domain.boundary).double()
        u = G + phi * sp.sin(x) * sp.exp(y / 2)
        points = _sample(domain.interior, 40, seed=1)
        table = compute_derivatives(field, points, REQUEST, engine)
        for a in PARTIALS:
            exact = sp.lambdify((x, y), sp.diff(u, x, a[0], y, a[1]), "numpy")(*points.numpy().T)
            assert np.allclose(table.partials[a][:, 0].detach().numpy(), exact, rtol=1e-9, atol=1e-11), a
        laplacian = sp.lambdify((x, y), pf.lap(u, (x, y)), "numpy")(*points.numpy().T)
        assert np.allclose(table.quads[0][:, 0].detach().numpy(), laplacian, rtol=1e-9, atol=1e-11)


def test_initial_condition_is_exact_on_a_space_time_domain():
    spacetime = pf.Interval(0, 1, x) * pf.TimeInterval(0.5, 2.0, t)
    g = sp.sin(sp.pi * x) + x * (t - 0.5)
    phi, coords = adf(spacetime.initial)
    assert coords == (x, t)
    points = _sample(spacetime.interior, 100)
    assert torch.equal(phi(points)[:, 0], points[:, 1] - 0.5)
    assert torch.equal(adf(spacetime.final)[0](points)[:, 0], 2.0 - points[:, 1])
    assert torch.equal(adf(spacetime.face(x, 1))[0](points)[:, 0], 1.0 - points[:, 0])

    u = sp.Function("u")(x, t)
    net = pf.Siren(in_dim=2, out_dim=1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)
    problem = pf.Problem(
        fields={u: pf.hard(net, value=g, on=[spacetime.boundary, spacetime.initial])},
        constraints=[pf.Constraint(u.diff(t) - 0.1 * u.diff(x, 2), on=spacetime.interior, n=128)],
    )
    solution = pf.fit(problem, steps=20, lr=1e-3, seed=0, progress=False)
    exact = sp.lambdify((x, t), g, "numpy")
    for region in (spacetime.initial, spacetime.boundary):
        sampled = _sample(region, 1000).float().double().numpy()
        assert np.abs(solution.evaluate(u, sampled) - exact(*sampled.T)).max() <= 1e-6
    inside = _sample(spacetime.interior, 200).numpy()
    assert np.abs(solution.evaluate(u, inside) - exact(*inside.T)).max() > 1e-4


def test_several_outputs_take_one_value_each():
    field = pf.hard(pf.Siren(2, 2, width=8), value=(x, 2), on=SQUARE.boundary)
    points = _sample(SQUARE.boundary, 200).float()
    values = field(points).detach()
    assert torch.allclose(values[:, 0], points[:, 0], atol=1e-6)
    assert torch.allclose(values[:, 1], torch.full((200,), 2.0), atol=1e-6)
    assert isinstance(field, HardField) and field.out_dim == 2


def test_unsupported_regions_are_named():
    net = pf.Siren(2, 1, width=8)
    with pytest.raises(pf.DomainError, match=r"Box\(\(0, 0\), \(1, 1\)\)\.interior"):
        pf.hard(net, value=0, on=SQUARE.interior)
    with pytest.raises(pf.DomainError, match=r"is a domain, not a region.*\.boundary"):
        pf.hard(net, value=0, on=SQUARE)
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    mesh = pf.Mesh(vertices, faces, sp.symbols("a b c"))
    with pytest.raises(pf.DomainError, match=r"Mesh\(V=4, F=4\)\.surface"):
        pf.hard(pf.Siren(3, 1, width=8), value=0, on=mesh.surface)


def test_bad_values_and_arguments_are_named():
    net = pf.Siren(2, 1, width=8)
    k = sp.Symbol("k")
    with pytest.raises(pf.EquationError, match=r"symbol 'k', which is not a coordinate .*\(x, y\)"):
        pf.hard(net, value=k * x, on=SQUARE.boundary)
    with pytest.raises(pf.EquationError, match=r"in_dim=3 inputs but .* 2 coordinates"):
        pf.hard(pf.Siren(3, 1, width=8), value=0, on=SQUARE.boundary)
    with pytest.raises(pf.EquationError, match=r"2 expressions but the network has out_dim=1"):
        pf.hard(net, value=(x, y), on=SQUARE.boundary)
    swapped = sp.Function("u")(y, x)
    with pytest.raises(pf.EquationError, match=r"takes \(x, y\) but the field is a function of \(y, x\)"):
        pf.Problem(
            fields={swapped: pf.hard(net, value=0, on=SQUARE.boundary)},
            constraints=[pf.Constraint(swapped, on=SQUARE.interior, n=8)],
        )


def test_saving_a_hard_field_says_it_cannot_be_rebuilt(tmp_path):
    u = sp.Function("u")(x, y)
    box = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(fields={u: pf.hard(pf.Siren(2, 1, width=8, depth=2), value=0, on=box.boundary)},
                         constraints=[pf.Constraint(pf.lap(u, (x, y)) + 1, on=box.interior, n=16)])
    solution = pf.fit(problem, steps=1, progress=False)
    with pytest.raises(pf.DataError, match="Cannot save a field of type HardField.*state_dict yourself"):
        solution.save(str(tmp_path / "hard.pt"))
