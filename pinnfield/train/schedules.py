"""Learning-rate schedules of the first-order phases: factor(step, steps) of the base rate."""

from __future__ import annotations

import math
from types import MappingProxyType

__all__ = ["SCHEDULES", "constant", "cosine", "exponential", "schedule_name"]


def constant(step: int, steps: int) -> float:
    """1 at every step."""
    return 1.0


def cosine(step: int, steps: int) -> float:
    """Cosine decay from 1 to 1e-2 over the steps."""
    return 1e-2 + 0.5 * (1 - 1e-2) * (1 + math.cos(math.pi * step / max(steps, 1)))


def exponential(step: int, steps: int) -> float:
    """Exponential decay from 1 to 1e-2 over the steps."""
    return 1e-2 ** (step / max(steps, 1))


SCHEDULES = MappingProxyType({"constant": constant, "cosine": cosine, "exponential": exponential})
"""Learning-rate factor(step, steps) by name; ``schedule`` may also be such a callable."""


def schedule_name(value) -> str:
    """A schedule's name, or a callable's qualified name: how a resumed run compares them."""
    for name, function in SCHEDULES.items():
        if value is function:
            return name
    if isinstance(value, str):
        return value
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"
