"""The base of pinnfield's fields: networks mapping points (N, in_dim) to values (N, out_dim).

Every field normalises its inputs to [-1, 1] on the box of the problem's domain (set by
:class:`pinnfield.Problem` through :meth:`AbstractField.set_input_box`), and implements both
``forward`` and ``forward_jet`` (see :mod:`pinnfield.jets`) with the same layers, so the
jet engine differentiates exactly the function that ``forward`` computes.

Randomness is explicit: :meth:`AbstractField.reset_parameters` takes a ``torch.Generator``,
and :func:`pinnfield.fit` re-initialises a copy of every field from its ``seed``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import DataError, EquationError, check_int
from ..jets import Jet

__all__ = ["AbstractField", "positive_int", "uniform_"]


def positive_int(value, name: str, owner: str) -> int:
    """``value`` if it is an integer >= 1, else an :class:`EquationError` naming ``owner``'s ``name``."""
    return check_int(value, f"{owner} {name}", minimum=1, error=EquationError)


def uniform_(tensor: torch.Tensor, bound: float, generator) -> None:
    """Fill ``tensor`` with U(-bound, bound) drawn on the CPU by ``generator`` (the same values
    whatever the tensor's device)."""
    with torch.no_grad():
        tensor.copy_(torch.empty(tensor.shape, dtype=tensor.dtype, device="cpu").uniform_(-bound, bound,
                                                                                         generator=generator))


class AbstractField(nn.Module):
    """Base of pinnfield's fields: input normalisation, shape checks, seeded initialisation.

    Subclasses build ``self.body`` (an ``nn.Sequential`` of layers with ``forward`` and
    ``forward_jet``), implement ``_init_body(generator)`` and ``config()``.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.in_dim = positive_int(in_dim, "in_dim", type(self).__name__)
        self.out_dim = positive_int(out_dim, "out_dim", type(self).__name__)
        self.register_buffer("input_shift", torch.zeros(in_dim))
        self.register_buffer("input_scale", torch.ones(in_dim))

    def set_input_box(self, lower, upper) -> None:
        """Map the box [lower, upper] affinely onto [-1, 1]^in_dim before the first layer."""
        lower = torch.as_tensor(lower, dtype=self.input_shift.dtype)
        upper = torch.as_tensor(upper, dtype=self.input_shift.dtype)
        span = torch.where(upper > lower, upper - lower, torch.ones_like(upper))
        self.input_scale.copy_(2.0 / span)
        self.input_shift.copy_(-(lower + upper) / span)

    def choose_defaults(self, differentiated: bool) -> None:
        """Settle the options left to be chosen by use (given as None), before training starts:
        ``differentiated`` says whether the problem takes derivatives of this field (a PDE) or
        only fits its values. The base passes the choice on to the fields it wraps."""
        for child in self.children():
            if isinstance(child, AbstractField):
                child.choose_defaults(differentiated)

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
