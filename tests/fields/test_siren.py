"""SIREN: initialisation as in the paper, seeded."""

import math

import torch

import pinnfield as pf


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
