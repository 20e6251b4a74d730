"""PirateNet: the residual adaptive network of Wang, Li, Chen and Perdikaris (2024, JMLR,
"PirateNets: Physics-informed deep learning with residual adaptive networks"),
(N, in_dim) -> (N, out_dim).

With x the input normalised to [-1, 1] and sigma = tanh:

    phi = [cos(x B^T), sin(x B^T)]                  random Fourier features, B (width/2, in_dim) fixed
    U = sigma(phi W_u^T + b_u),  V = sigma(phi W_v^T + b_v)           gates, (N, width)
    h_0 = phi, then for each of ``blocks`` residual blocks l:
        f = sigma(h W_1^T + b_1),  z = f U + (1 - f) V
        g = sigma(z W_2^T + b_2),  z = g U + (1 - g) V
        r = sigma(z W_3^T + b_3),  h_{l+1} = alpha_l r + (1 - alpha_l) h_l
    u = h_L W^T + b

with a trained scalar alpha_l per block initialised to 0, so that at initialisation the
network is the linear output layer applied to the embedding. Every product above is written
as z = V + f (U - V) and h + alpha (r - h), which the jets propagate exactly with the product
rule (:meth:`pinnfield.jets.Jet.__mul__`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import EquationError, check_number
from ..jets import Jet
from .base import AbstractField, positive_int, uniform_
from .factorization import factorization_option, factorize_dense_layers
from .layers import Dense, Linear
from .mlp import ActivationLayer

__all__ = ["FourierEmbedding", "PirateBlock", "PirateNet"]


class FourierEmbedding(nn.Module):
    """phi(x) = [cos(x B^T), sin(x B^T)] for a fixed (untrained) B (m, d): (N, d) -> (N, 2m)."""

    def __init__(self, in_dim: int, m: int):
        super().__init__()
        self.register_buffer("frequencies", torch.zeros(m, in_dim))

    def draw_(self, scale: float, generator) -> None:
        """B_ij ~ N(0, scale^2), drawn on the CPU by ``generator``."""
        b = self.frequencies
        g = torch.empty(b.shape, dtype=b.dtype, device="cpu").normal_(0.0, scale, generator=generator)
        b.copy_(g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = x @ self.frequencies.T
        return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)

    def forward_jet(self, jet: Jet) -> Jet:
        a = jet.linear(self.frequencies)
        s, c = torch.sin(a.value), torch.cos(a.value)
        return Jet.cat([a.elementwise(c, -s, -c), a.elementwise(s, c, -s)])


class PirateBlock(nn.Module):
    """One residual gated block of width ``width``: (h, V, U - V) -> h + alpha (r - h), each (N, width)."""

    def __init__(self, width: int, factorized: bool):
        super().__init__()
        self.first = ActivationLayer(width, width, "tanh", factorized)
        self.second = ActivationLayer(width, width, "tanh", factorized)
        self.third = ActivationLayer(width, width, "tanh", factorized)
        self.alpha = nn.Parameter(torch.zeros(()))

    def forward(self, h, v, gap):
        z = v + self.first(h) * gap
        z = v + self.second(z) * gap
        return h + self.alpha * (self.third(z) - h)

    def forward_jet(self, h: Jet, v: Jet, gap: Jet) -> Jet:
        z = v + self.first.forward_jet(h) * gap
        z = v + self.second.forward_jet(z) * gap
        return h + (self.third.forward_jet(z) - h).scale(self.alpha)


class PirateNet(AbstractField):
    """PirateNet (Wang et al. 2024): random Fourier features, two tanh gates, ``blocks`` gated
    residual blocks with trained skip weights alpha (initially 0), a linear output layer.

    ``width``: the hidden width and the embedding size (width/2 frequencies; even; the paper
    uses 256, the default 64 trains in seconds on a CPU). ``fourier_scale``: the standard
    deviation s of the frequencies B ~ N(0, s^2) acting on inputs normalised to [-1, 1].
    ``rwf``: random weight factorisation of every dense layer, True for the paper's
    (mu, sigma) = (1.0, 0.1) (the default), a pair (mu, sigma), or False / None for plain
    weights. Dense weights are Glorot-uniform and biases zero (before factorisation); the
    frequencies are drawn from the same generator, so they are seeded like the weights, and
    stored with them (a buffer, never trained). The paper's least-squares initialisation of the
    output layer is not done. Shapes: (N, in_dim) -> (N, out_dim).
    """

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 64, blocks: int = 3,
                 fourier_scale: float = 1.0, rwf=True):
        super().__init__(in_dim, out_dim)
        positive_int(width, "width", "PirateNet")
        if width % 2:
            raise EquationError(
                f"PirateNet width must be even (the embedding has width/2 cosines and width/2 sines); "
                f"received {width}. Use for example width=64."
            )
        positive_int(blocks, "blocks", "PirateNet")
        scale = check_number(fourier_scale, "PirateNet fourier_scale", low=0, low_open=True, error=EquationError)
        factorization = factorization_option(rwf, "PirateNet rwf")
        self._config = dict(in_dim=in_dim, out_dim=out_dim, width=width, blocks=blocks,
                            fourier_scale=scale, rwf=factorization)
        factorized = factorization is not None
        self.embedding = FourierEmbedding(in_dim, width // 2)
        self.gate_u = ActivationLayer(width, width, "tanh", factorized)
        self.gate_v = ActivationLayer(width, width, "tanh", factorized)
        self.blocks = nn.ModuleList(PirateBlock(width, factorized) for _ in range(blocks))
        self.output = Linear(width, out_dim, factorized)
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        self.embedding.draw_(self._config["fourier_scale"], generator)
        for layer in self.modules():
            if isinstance(layer, Dense):
                fan_out, fan_in = layer.weight.shape
                uniform_(layer.weight, math.sqrt(6.0 / (fan_in + fan_out)), generator)
                layer.bias.zero_()
        for block in self.blocks:
            block.alpha.zero_()
        factorize_dense_layers(self, self._config["rwf"], generator)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding phi (N, width) of raw points x (N, in_dim)."""
        return self.embedding(x * self.input_scale + self.input_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Values (N, out_dim) at points x (N, in_dim)."""
        self._check_points(x)
        h = self.features(x)
        u, v = self.gate_u(h), self.gate_v(h)
        gap = u - v
        for block in self.blocks:
            h = block(h, v, gap)
        return self.output(h)

    def forward_jet(self, jet: Jet) -> Jet:
        """Propagate a jet of the raw input coordinates through the network."""
        self._check_points(jet.value)
        h = self.embedding.forward_jet(jet.affine_diagonal(self.input_scale, self.input_shift))
        u, v = self.gate_u.forward_jet(h), self.gate_v.forward_jet(h)
        gap = u - v
        for block in self.blocks:
            h = block.forward_jet(h, v, gap)
        return self.output.forward_jet(h)

    def config(self) -> dict:
        return dict(self._config)

