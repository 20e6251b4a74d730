"""SIREN: the sine-activation network of Sitzmann et al. (2020), (N, in_dim) -> (N, out_dim)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import EquationError, check_number
from .base import AbstractField, positive_int, uniform_
from .factorization import factorization_option, factorize_dense_layers
from .layers import Linear, ResidualSineBlock, SineLayer

__all__ = ["Siren", "FITTING_FREQUENCIES", "PDE_FREQUENCIES"]

FITTING_FREQUENCIES = (30.0, 30.0)
"""(omega0, omega_hidden) of a Siren fitted to values only (images, audio): the paper's."""

PDE_FREQUENCIES = (3.0, 3.0)
"""(omega0, omega_hidden) of a Siren whose derivatives a PDE takes, on inputs normalised to
[-1, 1]: chosen on the untuned suite (``benchmarks/untuned.py``), where 30 gives noise-like
fields whose derivatives the residual cannot control."""


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

    ``omega0`` and ``omega_hidden`` left as None are chosen by use when training starts:
    :data:`PDE_FREQUENCIES` (3, 3) when the problem takes derivatives of the field,
    :data:`FITTING_FREQUENCIES` (30, 30, the paper's) when it only fits values. A Siren used on
    its own has the latter.

    Shapes: (N, in_dim) -> (N, out_dim).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int = 1,
        width: int = 64,
        depth: int = 3,
        omega0: float | None = None,
        omega_hidden: float | None = None,
        residual: bool = False,
        factorize=None,
    ):
        super().__init__(in_dim, out_dim)
        positive_int(width, "width", "Siren")
        positive_int(depth, "depth", "Siren")
        self._unset = tuple(name for name, value in (("omega0", omega0), ("omega_hidden", omega_hidden))
                            if value is None)
        omega0 = FITTING_FREQUENCIES[0] if omega0 is None else omega0
        omega_hidden = FITTING_FREQUENCIES[1] if omega_hidden is None else omega_hidden
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

    def choose_defaults(self, differentiated: bool) -> None:
        chosen = dict(zip(("omega0", "omega_hidden"), PDE_FREQUENCIES if differentiated else FITTING_FREQUENCIES))
        for name in self._unset:
            self._config[name] = chosen[name]
        sines = [layer.sine if isinstance(layer, ResidualSineBlock) else layer for layer in self.body[:-1]]
        sines[0].omega = self._config["omega0"]
        for layer in sines[1:]:
            layer.omega = self._config["omega_hidden"]

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
