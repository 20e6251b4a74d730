"""SIREN: the sine-activation network of Sitzmann et al. (2020), (N, in_dim) -> (N, out_dim)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import EquationError, check_number
from .base import AbstractField, positive_int, uniform_
from .factorization import factorization_option, factorize_dense_layers
from .layers import Linear, ResidualSineBlock, SineLayer

__all__ = ["Siren"]


class Siren(AbstractField):
    """Sine-activation MLP (Sitzmann et al. 2020).

    Layers: ``sin(omega0 (x W_0^T + b_0))``, then ``depth - 1`` hidden layers
    ``sin(omega_hidden (h W_l^T + b_l))`` of ``width`` units (residual blocks
    ``(h + sin(...)) / 2`` if ``residual``), then a linear output layer; ``depth`` counts the
    hidden (sine) layers. Initialisation as in the paper: first layer weights
    U(-1/fan_in, 1/fan_in), later weights (output layer included)
    U(-sqrt(6/fan_in)/omega_hidden, +sqrt(6/fan_in)/omega_hidden), so every pre-activation is
    distributed like the first one; biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    ``factorize``: None (plain weights) or True / (mu, sigma) for random weight factorisation
    of every layer (see :mod:`pinnfield.fields.factorization`; True is the paper's (1.0, 0.1)):
    the same function at initialisation for the same seed, other training dynamics.

    Shapes: (N, in_dim) -> (N, out_dim).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int = 1,
        width: int = 64,
        depth: int = 3,
        omega0: float = 30.0,
        omega_hidden: float = 30.0,
        residual: bool = False,
        factorize=None,
    ):
        super().__init__(in_dim, out_dim)
        positive_int(width, "width", "Siren")
        positive_int(depth, "depth", "Siren")
        for name, value in (("omega0", omega0), ("omega_hidden", omega_hidden)):
            check_number(value, f"Siren {name} (the paper uses 30)", low=0, low_open=True, error=EquationError)
        factorization = factorization_option(factorize, "Siren factorize")
        self._config = dict(
            in_dim=in_dim, out_dim=out_dim, width=width, depth=depth,
            omega0=float(omega0), omega_hidden=float(omega_hidden), residual=bool(residual),
            factorize=factorization,
        )
        rwf = factorization is not None
        hidden = ResidualSineBlock if residual else (lambda w, o, f: SineLayer(w, w, o, f))
        layers = [SineLayer(in_dim, width, omega0, rwf)]
        layers += [hidden(width, omega_hidden, rwf) for _ in range(depth - 1)]
        layers.append(Linear(width, out_dim, rwf))
        self.body = nn.Sequential(*layers)
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        omega = self._config["omega_hidden"]
        for index, layer in enumerate(self.body):
            fan_in = layer.weight.shape[1]
            bound = 1.0 / fan_in if index == 0 else math.sqrt(6.0 / fan_in) / omega
            uniform_(layer.weight, bound, generator)
            uniform_(layer.bias, 1.0 / math.sqrt(fan_in), generator)
        factorize_dense_layers(self.body, self._config["factorize"], generator)

    def config(self) -> dict:
        return dict(self._config)
