"""The training state: everything that changes while training, exactly what a checkpoint holds.

:class:`TrainState` holds the networks, the learned parameters, the phase being run and the
iterations done in each phase, the current phase's optimiser state, the weighting scheme's
state, the point streams and the history. :class:`Boundary` is a point where all of it is
consistent: after a whole first-order step or a whole L-BFGS round. Checkpoints record
boundaries, and an interrupt rolls back to the last one.
"""

from __future__ import annotations

import dataclasses
import math

import torch

__all__ = ["LearnedParameters", "TrainState", "Boundary"]


class LearnedParameters:
    """Learnable scalar :class:`~pinnfield.Parameter` s: raw tensors theta and their values.

    A parameter with bounds (low, high) is low + (high - low) sigmoid(theta), so it stays inside.
    """

    def __init__(self, symbols: dict, device, dtype):
        self.symbols = symbols
        self.raw = {}
        for name, p in symbols.items():
            start = p.init
            if p.bounds is not None:
                low, high = p.bounds
                fraction = (start - low) / (high - low)
                start = math.log(fraction / (1 - fraction))
            self.raw[name] = torch.nn.Parameter(torch.tensor(start, device=device, dtype=dtype))

    def values(self) -> dict[str, torch.Tensor]:
        """name -> 0-d tensor, the constrained value (differentiable in theta)."""
        out = {}
        for name, theta in self.raw.items():
            bounds = self.symbols[name].bounds
            out[name] = theta if bounds is None else bounds[0] + (bounds[1] - bounds[0]) * torch.sigmoid(theta)
        return out


@dataclasses.dataclass
class Boundary:
    """A consistent point of a run: in phase ``phase`` with ``done[k]`` iterations of each phase
    k done, the point streams' :meth:`~pinnfield.train.sampling.streams.PointStreams.state`,
    ``rows`` history rows and the weighting state. ``variables``: the parameter values there,
    kept while an L-BFGS round runs so that an interrupt rolls back to its start."""

    phase: int
    done: list[int]
    streams: dict
    rows: int
    weighting: dict
    variables: list | None = None

    @property
    def total(self) -> int:
        """Iterations done over all phases."""
        return sum(self.done)


@dataclasses.dataclass
class TrainState:
    """What changes while training (see the module docstring).

    ``modules``: the networks being trained; ``parameters``: :class:`LearnedParameters`;
    ``phase``: index of the phase being run; ``done``: iterations done per phase; ``optimizer``:
    the current phase's state (what its ``init`` made); ``weighting``: the scheme's state;
    ``streams``: the point streams; ``batches``: the current batch per constraint (None before
    the first draw); ``history``: lists per column, one row per loss evaluation.
    """

    modules: list
    parameters: LearnedParameters
    phase: int
    done: list[int]
    optimizer: object
    weighting: dict
    streams: object
    history: dict
    batches: list | None = None

    @property
    def variables(self) -> list[torch.Tensor]:
        """Every trainable tensor: the networks' parameters, then the learned parameters' raw values."""
        return [p for m in self.modules for p in m.parameters()] + list(self.parameters.raw.values())

    def boundary(self) -> Boundary:
        """The state now, as a consistent point (call only between whole steps or rounds)."""
        return Boundary(self.phase, list(self.done), self.streams.state(), len(self.history["step"]),
                        self.weighting)
