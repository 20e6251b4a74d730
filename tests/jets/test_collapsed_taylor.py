"""pinnfield's collapsed jets against jet-for-pytorch's collapsed Taylor mode (Dangel et al. 2025).

Both propagate the Laplacian lap u = sum_i d^2 u / dx_i^2 of a sine MLP as one collapsed
second-order stream; in float64 they must agree to rounding, values and parameter gradients.
Skipped where the optional package (``pip install jet-for-pytorch``, Python >= 3.12) is missing.
"""

import pytest
import torch

import pinnfield as pf
from pinnfield.jets import DerivativeRequest, compute_derivatives

try:
    jet = pytest.importorskip("jet")
except SyntaxError:  # the package's sources use Python 3.12 syntax
    pytest.skip("jet-for-pytorch needs Python >= 3.12", allow_module_level=True)
if not hasattr(jet, "laplacian"):
    pytest.skip("the installed 'jet' module is not jet-for-pytorch", allow_module_level=True)


def _field_and_points(d: int):
    field = pf.Siren(d, 1, width=24, depth=3, omega0=3.0, omega_hidden=2.0).double()
    x = torch.rand(17, d, generator=torch.Generator().manual_seed(4), dtype=torch.float64) * 2 - 1
    return field, x


def _jet_for_pytorch_laplacian(field: pf.Siren, x: torch.Tensor) -> torch.Tensor:
    """lap u (N, 1) by jet.laplacian on one point, batched with vmap."""

    def point(p):
        return field.body(p * field.input_scale + field.input_shift)

    laplacian = jet.laplacian(point, (torch.zeros(x.shape[1], dtype=x.dtype),))
    return torch.func.vmap(laplacian)(x)


@pytest.mark.parametrize("d", [2, 5])
def test_laplacian_and_its_parameter_gradient_match_jet_for_pytorch(d):
    field, x = _field_and_points(d)
    request = DerivativeRequest(quads=(tuple(((i, i), 1.0) for i in range(d)),))
    ours = compute_derivatives(field, x, request, "jet").quads[0]
    theirs = _jet_for_pytorch_laplacian(field, x)
    assert ours.shape == theirs.shape == (17, 1)
    scale = theirs.abs().max()
    assert scale > 1e-3  # a Laplacian that is not trivially zero
    assert (ours - theirs).abs().max() <= 1e-10 * scale

    parameters = list(field.parameters())
    ours_grad = torch.autograd.grad(ours.square().sum(), parameters, allow_unused=True, materialize_grads=True)
    theirs_grad = torch.autograd.grad(theirs.square().sum(), parameters, allow_unused=True, materialize_grads=True)
    assert torch.equal(ours_grad[-1], torch.zeros_like(ours_grad[-1]))  # lap u ignores the output bias
    for a, b in zip(ours_grad[:-1], theirs_grad[:-1]):
        assert (a - b).abs().max() <= 1e-10 * b.abs().max()
    assert (theirs_grad[-1] == 0).all()
