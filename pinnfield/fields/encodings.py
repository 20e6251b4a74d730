"""Input encodings placed in front of an MLP: NeRF positional encoding and Fourier features.

Both are gamma(x) = [x (optional), sin(x B^T), cos(x B^T)] for a fixed frequency matrix B of
shape (F, d), so both propagate jets exactly (a linear map followed by sin and cos).
Shapes: (N, d) -> (N, out_dim) with out_dim = 2 F (+ d with the input included).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import EquationError
from ..jets import Jet

__all__ = ["AbstractEncoding", "PositionalEncoding", "FourierFeatures", "encoding_from_config"]


class AbstractEncoding(nn.Module):
    """A sin/cos encoding; ``bind(in_dim)`` builds its frequency matrix B (F, in_dim)."""

    include_input: bool = False

    def bind(self, in_dim: int) -> None:
        self.in_dim = in_dim
        self.register_buffer("frequencies", self._frequencies(in_dim))

    @property
    def out_dim(self) -> int:
        f = self.frequencies.shape[0]
        return 2 * f + (self.in_dim if self.include_input else 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = x @ self.frequencies.T
        parts = [x] if self.include_input else []
        return torch.cat(parts + [torch.sin(a), torch.cos(a)], dim=-1)

    def forward_jet(self, jet: Jet) -> Jet:
        a = jet.linear(self.frequencies)
        s, c = torch.sin(a.value), torch.cos(a.value)
        parts = [jet] if self.include_input else []
        return Jet.cat(parts + [a.elementwise(s, c, -s), a.elementwise(c, -s, -c)])

    def _frequencies(self, in_dim: int) -> torch.Tensor:
        raise NotImplementedError

    def config(self) -> dict:
        raise NotImplementedError


class PositionalEncoding(AbstractEncoding):
    """NeRF's gamma(p) = (p, sin(2^0 pi p), cos(2^0 pi p), ..., sin(2^(L-1) pi p), cos(...)).

    Frequencies 2^l pi for l = 0 .. L-1 on every input coordinate (F = L d).
    """

    def __init__(self, L: int = 10, include_input: bool = True):
        super().__init__()
        if isinstance(L, bool) or not isinstance(L, int) or L <= 0:
            raise EquationError(
                f"PositionalEncoding L must be a positive integer; received {L!r}. "
                "NeRF uses L=10 for positions and L=4 for directions."
            )
        self.L = L
        self.include_input = bool(include_input)

    def _frequencies(self, in_dim: int) -> torch.Tensor:
        scales = (2.0 ** torch.arange(self.L, dtype=torch.float64)) * math.pi
        return torch.kron(scales[:, None], torch.eye(in_dim, dtype=torch.float64)).float()

    def config(self) -> dict:
        return {"class": "PositionalEncoding", "L": self.L, "include_input": self.include_input}


class FourierFeatures(AbstractEncoding):
    """Random Fourier features (Tancik et al. 2020): B = 2 pi G with G_ij ~ N(0, sigma^2).

    ``m`` frequencies (F = m), drawn from ``torch.Generator().manual_seed(seed)``.
    """

    def __init__(self, m: int = 256, sigma: float = 10.0, seed: int = 0, include_input: bool = False):
        super().__init__()
        if isinstance(m, bool) or not isinstance(m, int) or m <= 0:
            raise EquationError(f"FourierFeatures m must be a positive integer; received {m!r}.")
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
            raise EquationError(
                f"FourierFeatures sigma must be a positive number; received {sigma!r}. "
                "Tancik et al. use 1 to 100 depending on the signal's bandwidth."
            )
        self.m, self.sigma, self.seed = m, float(sigma), int(seed)
        self.include_input = bool(include_input)

    def _frequencies(self, in_dim: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        g = torch.randn(self.m, in_dim, generator=generator, dtype=torch.float64, device="cpu")
        return (2 * math.pi * self.sigma * g).float()

    def config(self) -> dict:
        return {
            "class": "FourierFeatures", "m": self.m, "sigma": self.sigma, "seed": self.seed,
            "include_input": self.include_input,
        }


def encoding_from_config(config: dict) -> AbstractEncoding:
    """Rebuild an encoding from its ``config()``."""
    kwargs = dict(config)
    cls = {"PositionalEncoding": PositionalEncoding, "FourierFeatures": FourierFeatures}[kwargs.pop("class")]
    return cls(**kwargs)
