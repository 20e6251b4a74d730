"""Random weight factorisation (RWF, Wang, Wang, Seidman and Perdikaris 2023, "Random weight
factorization improves the training of continuous neural representations") as a field option.

Each factorised dense layer stores its weight as W = diag(exp(s)) V (W, V: (out, in); s: (out,)),
with s ~ N(mu, sigma^2) drawn at initialisation and V = W0 / exp(s) for the layer's usual
initial weight W0, so the network computes the same function at initialisation and only the
training dynamics change (see :class:`~pinnfield.fields.layers.Dense`).
"""

from __future__ import annotations

from torch import nn

from ..errors import EquationError, check_number
from .layers import Dense

__all__ = ["PAPER_FACTORIZATION", "factorization_option", "factorize_dense_layers"]

PAPER_FACTORIZATION = (1.0, 0.1)
"""(mu, sigma) of the RWF and PirateNet papers."""


def factorization_option(value, what: str) -> tuple[float, float] | None:
    """``what`` (for example "Siren factorize") as None (off) or (mu, sigma): None and False are
    off, True is :data:`PAPER_FACTORIZATION`, a pair (mu, sigma) with sigma >= 0 is itself."""
    if value is None or value is False:
        return None
    if value is True:
        return PAPER_FACTORIZATION
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise EquationError(
            f"{what} must be None or False (off), True (the paper's mu=1.0, sigma=0.1) or a pair "
            f"(mu, sigma) of the normal distribution of the log-scales; received {value!r}."
        )
    mu = check_number(value[0], f"{what} mu", error=EquationError)
    sigma = check_number(value[1], f"{what} sigma", low=0, error=EquationError)
    return (mu, sigma)


def factorize_dense_layers(module: nn.Module, factorization: tuple[float, float] | None, generator) -> None:
    """Factorise the current weights of every factorised :class:`Dense` layer of ``module``,
    in module order (drawing their log-scales from ``generator`` after all other weights, so the
    other draws are those of the unfactorised network)."""
    if factorization is None:
        return
    for layer in module.modules():
        if isinstance(layer, Dense) and layer.factorized:
            layer.factorize_(*factorization, generator)
