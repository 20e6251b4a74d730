"""Neural fields: SIREN and MLP networks mapping points (N, in_dim) to values (N, out_dim).

Every field normalises its inputs to [-1, 1] on the box of the problem's domain (set by
:class:`pinnfield.Problem` through :meth:`AbstractField.set_input_box`), and implements both
``forward`` and ``forward_jet`` (see :mod:`pinnfield.jets`) with the same layers, so the
jet engine differentiates exactly the function that ``forward`` computes.

Randomness is explicit: :meth:`AbstractField.reset_parameters` takes a ``torch.Generator``,
and :func:`pinnfield.fit` re-initialises a copy of every field from its ``seed``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .encodings import AbstractEncoding, encoding_from_config
from .errors import DataError, EquationError
from .jets import Jet

__all__ = ["AbstractField", "Siren", "MLP", "ACTIVATIONS"]


def _check_positive_int(value, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise EquationError(
            f"{owner} {name} must be a positive integer; received {value!r}. "
            f"Pass for example {name}=64."
        )
    return value


class AbstractField(nn.Module):
    """Base of pinnfield's fields: input normalisation, shape checks, seeded initialisation.

    Subclasses build ``self.body`` (an ``nn.Sequential`` of layers with ``forward`` and
    ``forward_jet``), implement ``_init_body(generator)`` and ``config()``.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.in_dim = _check_positive_int(in_dim, "in_dim", type(self).__name__)
        self.out_dim = _check_positive_int(out_dim, "out_dim", type(self).__name__)
        self.register_buffer("input_shift", torch.zeros(in_dim))
        self.register_buffer("input_scale", torch.ones(in_dim))

    def set_input_box(self, lower, upper) -> None:
        """Map the box [lower, upper] affinely onto [-1, 1]^in_dim before the first layer."""
        lower = torch.as_tensor(lower, dtype=self.input_shift.dtype)
        upper = torch.as_tensor(upper, dtype=self.input_shift.dtype)
        span = torch.where(upper > lower, upper - lower, torch.ones_like(upper))
        self.input_scale.copy_(2.0 / span)
        self.input_shift.copy_(-(lower + upper) / span)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw all weights afresh from the field's initialisation scheme."""
        with torch.no_grad():
            self._init_body(generator)

    def _check_points(self, x: torch.Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise DataError(
                f"{type(self).__name__} expects points of shape (N, {self.in_dim}); received "
                f"shape {tuple(x.shape)}. Pass one row per point and one column per coordinate."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Values (N, out_dim) at points x (N, in_dim)."""
        self._check_points(x)
        return self.body(x * self.input_scale + self.input_shift)

    def forward_jet(self, jet: Jet) -> Jet:
        """Propagate a jet of the raw input coordinates through the field."""
        self._check_points(jet.value)
        jet = jet.affine_diagonal(self.input_scale, self.input_shift)
        for layer in self.body:
            jet = layer.forward_jet(jet)
        return jet

    def config(self) -> dict:
        """Constructor arguments, so a saved field can be rebuilt: ``type(f)(**f.config())``."""
        raise NotImplementedError


class Linear(nn.Linear):
    """Affine layer a W^T + b (no activation): the output layer of every field."""

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(self.weight, self.bias)


class SineLayer(nn.Linear):
    """z = sin(omega (x W^T + b)).

    The bias sits inside the product with omega, as in the SIREN reference: omega scales the
    whole pre-activation, so the bias is in units of the normalised input (its initial range
    is PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    """

    def __init__(self, in_features: int, out_features: int, omega: float):
        super().__init__(in_features, out_features)
        self.omega = float(omega)

    def _scaled(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(omega W, omega b): omega folded into the affine map, one product per weight, not per point."""
        return self.omega * self.weight, None if self.bias is None else self.omega * self.bias

    def forward(self, x):
        return torch.sin(F.linear(x, *self._scaled()))

    def forward_jet(self, jet: Jet) -> Jet:
        return jet.linear(*self._scaled()).sine()


class ResidualSineBlock(nn.Module):
    """z = (x + sin(omega (x W^T + b))) / 2: a sine layer with an identity skip, width kept."""

    def __init__(self, width: int, omega: float):
        super().__init__()
        self.sine = SineLayer(width, width, omega)

    @property
    def weight(self):
        return self.sine.weight

    @property
    def bias(self):
        return self.sine.bias

    def forward(self, x):
        return 0.5 * (x + self.sine(x))

    def forward_jet(self, jet: Jet) -> Jet:
        return (jet + self.sine.forward_jet(jet)).scale(0.5)


def _uniform_(tensor: torch.Tensor, bound: float, generator) -> None:
    """Fill ``tensor`` with U(-bound, bound) drawn on the CPU by ``generator`` (the same values
    whatever the tensor's device)."""
    with torch.no_grad():
        tensor.copy_(torch.empty(tensor.shape, dtype=tensor.dtype, device="cpu").uniform_(-bound, bound,
                                                                                         generator=generator))


class Siren(AbstractField):
    """Sine-activation MLP (Sitzmann et al. 2020).

    Layers: ``sin(omega0 (x W_0^T + b_0))``, then ``depth - 1`` hidden layers
    ``sin(omega_hidden (h W_l^T + b_l))`` of ``width`` units (residual blocks
    ``(h + sin(...)) / 2`` if ``residual``), then a linear output layer; ``depth`` counts the
    hidden (sine) layers. Initialisation as in the paper: first layer weights
    U(-1/fan_in, 1/fan_in), later weights (output layer included)
    U(-sqrt(6/fan_in)/omega_hidden, +sqrt(6/fan_in)/omega_hidden), so every pre-activation is
    distributed like the first one; biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

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
    ):
        super().__init__(in_dim, out_dim)
        _check_positive_int(width, "width", "Siren")
        _check_positive_int(depth, "depth", "Siren")
        for name, value in (("omega0", omega0), ("omega_hidden", omega_hidden)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise EquationError(
                    f"Siren {name} must be a positive number; received {value!r}. "
                    "The paper uses 30."
                )
        self._config = dict(
            in_dim=in_dim, out_dim=out_dim, width=width, depth=depth,
            omega0=float(omega0), omega_hidden=float(omega_hidden), residual=bool(residual),
        )
        hidden = ResidualSineBlock if residual else (lambda w, o: SineLayer(w, w, o))
        layers = [SineLayer(in_dim, width, omega0)]
        layers += [hidden(width, omega_hidden) for _ in range(depth - 1)]
        layers.append(Linear(width, out_dim))
        self.body = nn.Sequential(*layers)
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        omega = self._config["omega_hidden"]
        for index, layer in enumerate(self.body):
            fan_in = layer.weight.shape[1]
            bound = 1.0 / fan_in if index == 0 else math.sqrt(6.0 / fan_in) / omega
            _uniform_(layer.weight, bound, generator)
            _uniform_(layer.bias, 1.0 / math.sqrt(fan_in), generator)

    def config(self) -> dict:
        return dict(self._config)


def _tanh(a):
    t = torch.tanh(a)
    d = 1 - t * t
    return t, d, -2 * t * d


def _softplus(a):
    s = torch.sigmoid(a)
    return torch.nn.functional.softplus(a), s, s * (1 - s)


def _gelu(a):
    pdf = torch.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + torch.erf(a / math.sqrt(2)))
    return a * cdf, cdf + a * pdf, pdf * (2 - a * a)


def _relu(a):
    step = (a > 0).to(a.dtype)
    return a * step, step, torch.zeros_like(a)


def _sigmoid(a):
    s = torch.sigmoid(a)
    d = s * (1 - s)
    return s, d, d * (1 - 2 * s)


def _sin(a):
    s, c = torch.sin(a), torch.cos(a)
    return s, c, -s


ACTIVATIONS = {
    "tanh": _tanh,
    "softplus": _softplus,
    "gelu": _gelu,
    "relu": _relu,
    "sigmoid": _sigmoid,
    "sin": _sin,
}
"""Activation name -> function returning (s(a), s'(a), s''(a))."""

_VALUES = {
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "gelu": F.gelu,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "sin": torch.sin,
}
"""Activation name -> s alone, for plain forward passes (no derivatives computed)."""


class ActivationLayer(nn.Linear):
    """z = s(x W^T + b) for an activation s in :data:`ACTIVATIONS`."""

    def __init__(self, in_features: int, out_features: int, activation: str):
        super().__init__(in_features, out_features)
        self.activation = activation
        self._derivatives = ACTIVATIONS[activation]
        self._value = _VALUES[activation]

    def forward(self, x):
        return self._value(super().forward(x))

    def forward_jet(self, jet: Jet) -> Jet:
        a = jet.linear(self.weight, self.bias)
        return a.elementwise(*self._derivatives(a.value))


class MLP(AbstractField):
    """Multilayer perceptron with an optional input encoding in front.

    ``depth`` hidden layers of ``width`` units with activation ``tanh``, ``softplus``,
    ``gelu``, ``relu``, ``sigmoid`` or ``sin``, then a linear output layer; Glorot-uniform
    weights and zero biases. ``encoding`` (``PositionalEncoding`` or ``FourierFeatures``) is
    applied to the normalised inputs. Note that ReLU has zero second derivatives, so it cannot
    represent PDE solutions through a Laplacian. Shapes: (N, in_dim) -> (N, out_dim).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int = 1,
        width: int = 64,
        depth: int = 3,
        activation: str = "tanh",
        encoding: AbstractEncoding | None = None,
    ):
        super().__init__(in_dim, out_dim)
        _check_positive_int(width, "width", "MLP")
        _check_positive_int(depth, "depth", "MLP")
        if activation not in ACTIVATIONS:
            raise EquationError(
                f"MLP activation {activation!r} is not known; expected one of "
                f"{sorted(ACTIVATIONS)}. Pick one of those."
            )
        if isinstance(encoding, dict):
            encoding = encoding_from_config(encoding)
        if encoding is not None and not isinstance(encoding, AbstractEncoding):
            raise EquationError(
                f"MLP encoding must be a PositionalEncoding or FourierFeatures; received "
                f"{type(encoding).__name__}."
            )
        self._config = dict(
            in_dim=in_dim, out_dim=out_dim, width=width, depth=depth, activation=activation,
            encoding=None if encoding is None else encoding.config(),
        )
        layers: list[nn.Module] = []
        features = in_dim
        if encoding is not None:
            encoding.bind(in_dim)
            layers.append(encoding)
            features = encoding.out_dim
        for _ in range(depth):
            layers.append(ActivationLayer(features, width, activation))
            features = width
        layers.append(Linear(features, out_dim))
        self.body = nn.Sequential(*layers)
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        for layer in self.body:
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                _uniform_(layer.weight, math.sqrt(6.0 / (fan_in + fan_out)), generator)
                layer.bias.zero_()

    def config(self) -> dict:
        return dict(self._config)
