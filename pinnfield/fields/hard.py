"""Hard (exactly imposed) boundary and initial conditions: u = g + phi N.

``pf.hard(network, value=g, on=region)`` is a field whose values are

    u(x) = g(x) + phi(x) N(x),

with N the wrapped network, g a sympy expression of the coordinates and phi an approximate
distance function of the region (:mod:`pinnfield.fields.adf`): phi = 0 exactly on it and
phi > 0 inside the domain. So u = g on the region whatever the weights of N, and training only
has to fit the PDE.

Shapes: points (N, d) whose columns follow the region's coordinates; the field returns
(N, out_dim).
"""

from __future__ import annotations

import sympy as sp
import torch
from sympy.core.function import AppliedUndef
from torch import nn

from ..errors import EquationError
from ..jets import Jet, autograd_jet
from ..lower import Env, LoweringContext, lower
from .adf import AbstractADF, adf
from .base import AbstractField

__all__ = ["HardField", "hard"]


def _check_value(expression, coords, on) -> sp.Expr:
    try:
        expression = sp.sympify(expression)
    except (sp.SympifyError, TypeError):
        raise EquationError(
            f"pf.hard value {expression!r} is not a sympy expression; expected a number or an "
            f"expression of the coordinates ({', '.join(map(str, coords))})."
        ) from None
    functions = expression.atoms(AppliedUndef)
    if functions:
        raise EquationError(
            f"pf.hard value {expression} uses the function {sorted(map(str, functions))[0]}; "
            f"expected a known expression of the coordinates ({', '.join(map(str, coords))}). "
            "Express the boundary data with sympy functions of the coordinates."
        )
    unknown = sorted(expression.free_symbols - set(coords), key=str)
    if unknown:
        raise EquationError(
            f"pf.hard value {expression} uses symbol '{unknown[0]}', which is not a coordinate of "
            f"{on!r} ({', '.join(map(str, coords))}); expected an expression of the coordinates "
            f"only. Substitute a number for it: value.subs({unknown[0]}, ...)."
        )
    return expression


class _Value:
    """g: points (N, d) -> (N, k), one lowered sympy expression per output column."""

    def __init__(self, expressions, coords):
        self.expressions = tuple(expressions)
        context = LoweringContext(coords=coords, slots={}, module_args=(), where="pf.hard value")
        self.lowered = [lower(e, context) for e in self.expressions]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        env = Env(x)
        return torch.stack([f(env) for f in self.lowered], dim=1)


class HardField(AbstractField):
    """u(x) = g(x) + phi(x) N(x): equal to g on the region ``on`` for any weights of N.

    ``network`` N: (N, d) -> (N, k); ``value`` g: one sympy expression of ``coords`` per output
    (or one for all); ``phi``: an :class:`AbstractADF` (N, d) -> (N, 1). Points (N, d) follow
    ``coords`` (the region's coordinates); returns (N, k). Input normalisation and seeded
    initialisation are the wrapped network's. Jets: N by its own ``forward_jet`` (nested
    autograd if it has none), g and phi by autograd at the points, joined by the product rule.
    """

    def __init__(self, network: nn.Module, value, phi: AbstractADF, coords, on=None):
        out_dim = getattr(network, "out_dim", None)
        values = _values(value, out_dim, coords, on)
        super().__init__(len(coords), out_dim or len(values))
        self.network, self.phi, self.coords, self.on = network, phi, tuple(coords), on
        self.g = _Value(values * (self.out_dim if len(values) == 1 else 1), self.coords)

    def set_input_box(self, lower, upper) -> None:
        if isinstance(self.network, AbstractField):
            self.network.set_input_box(lower, upper)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        if isinstance(self.network, AbstractField):
            self.network.reset_parameters(generator)

    def check_arguments(self, arguments) -> None:
        """Raise unless a field with these argument symbols feeds this field's columns in order."""
        if tuple(arguments) != self.coords:
            raise EquationError(
                f"A pf.hard field on {self.on!r} takes ({', '.join(map(str, self.coords))}) but the "
                f"field is a function of ({', '.join(map(str, arguments))}); expected the region's "
                f"coordinates in its order. Write u = sp.Function('u')({', '.join(map(str, self.coords))})."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """u = g + phi N at points x (N, d) -> (N, k)."""
        self._check_points(x)
        return self.g(x) + self.phi(x) * self.network(x)

    def forward_jet(self, jet: Jet) -> Jet:
        """Jet of g + phi N from the jets of g, phi and N (product rule)."""
        self._check_points(jet.value)
        if hasattr(self.network, "forward_jet"):
            inner = self.network.forward_jet(jet)
        else:
            inner = autograd_jet(self.network, jet, create_graph=True)
        phi = autograd_jet(self.phi, jet, create_graph=False)
        g = autograd_jet(self.g, jet, create_graph=False)
        return g + phi * inner

    def extra_repr(self) -> str:
        return f"value={list(self.g.expressions)}, on={self.on!r}"


def _values(value, out_dim, coords, on) -> list:
    if isinstance(value, (list, tuple)):
        if out_dim is not None and len(value) != out_dim:
            raise EquationError(
                f"pf.hard value has {len(value)} expressions but the network has out_dim="
                f"{out_dim}; expected one expression per output, or a single one for all."
            )
        return [_check_value(v, coords, on) for v in value]
    return [_check_value(value, coords, on)]


def hard(network: nn.Module, value=0, *, on) -> HardField:
    """Field u = g + phi N equal to ``value`` (g) exactly on ``on``.

    ``network``: the field N to wrap, for example ``pf.Siren(in_dim=2, out_dim=1)``, taking
    points (N, d) whose columns are the region's coordinates. ``value``: a number or a sympy
    expression of those coordinates (a tuple of them for several outputs). ``on``: a region
    (see :data:`pinnfield.fields.adf.SUPPORTED`) or a list of regions, for example
    ``[spacetime.boundary, spacetime.initial]``.

    >>> import sympy as sp, torch, pinnfield as pf
    >>> x, y = sp.symbols("x y")
    >>> square = pf.Box((0, 0), (1, 1), coords=(x, y))
    >>> u = pf.hard(pf.Siren(in_dim=2, out_dim=1, width=16), value=x * y, on=square.boundary)
    >>> u(torch.tensor([[1.0, 0.5]])).detach()[0, 0].item()
    0.5
    """
    if not isinstance(network, nn.Module):
        raise EquationError(
            f"pf.hard network must be a torch module such as pf.Siren(in_dim=2, out_dim=1); "
            f"received {type(network).__name__}."
        )
    phi, coords = adf(on)
    in_dim = getattr(network, "in_dim", len(coords))
    if in_dim != len(coords):
        raise EquationError(
            f"pf.hard network takes in_dim={in_dim} inputs but {on!r} has {len(coords)} "
            f"coordinates ({', '.join(map(str, coords))}); expected in_dim={len(coords)}."
        )
    return HardField(network, value, phi, coords, on)
