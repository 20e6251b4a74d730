"""The error taxonomy and the shared input checks.

Every message names the offending thing, what was expected, what was received and the fix.
The subclasses are also ``ValueError`` (``TrainingError``: ``RuntimeError``) so generic handlers
keep working. The ``check_*`` functions are the one place where common inputs (counts, numbers,
choices, types, boxes) are validated; each returns the checked value in its canonical type.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "PinnfieldError", "EquationError", "DomainError", "DataError", "OptionError", "CheckpointError",
    "TrainingError", "check_int", "check_number", "check_choice", "check_instance", "check_box",
]


class PinnfieldError(Exception):
    """Base class of every error pinnfield raises on purpose."""


class EquationError(PinnfieldError, ValueError):
    """A residual, field or parameter cannot be lowered or does not fit the problem."""


class DomainError(PinnfieldError, ValueError):
    """A domain, sampling region or point set is malformed."""


class DataError(PinnfieldError, ValueError):
    """Input data (arrays, files, devices) is missing or inconsistent."""


class OptionError(PinnfieldError, ValueError):
    """An unknown or ill-typed option: the message lists the valid choices."""


class CheckpointError(PinnfieldError, ValueError):
    """A saved solution or checkpoint cannot be read, or does not belong to this run."""


class TrainingError(PinnfieldError, RuntimeError):
    """Training cannot go on (a loss became NaN or infinite)."""


def check_int(value, what: str, *, minimum: int | None = 0, error: type = OptionError) -> int:
    """``value`` as an int, refusing bools, non-integers and values below ``minimum``.

    >>> check_int(3, "steps")
    3
    >>> check_int(-1, "fit steps")
    Traceback (most recent call last):
    ...
    pinnfield.errors.OptionError: fit steps must be an integer >= 0; received -1.
    """
    integral = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not integral or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise error(f"{what} must be an integer{bound}; received {value!r}.")
    return int(value)


def check_number(value, what: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, error: type = OptionError) -> float:
    """``value`` as a finite float inside [low, high] (an end open when ``*_open``).

    >>> check_number(0.5, "alpha", low=0, high=1)
    0.5
    >>> check_number(0, "fit lr", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    pinnfield.errors.OptionError: fit lr must be a finite number > 0; received 0.
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    ok = number and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        limits = []
        if low is not None:
            limits.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            limits.append(f"{'<' if high_open else '<='} {high:g}")
        raise error(f"{what} must be a finite number{' ' + ' and '.join(limits) if limits else ''}; received {value!r}.")
    return float(value)


def check_choice(value, choices: Iterable | Mapping, what: str, *, error: type = OptionError):
    """``value`` if it is one of ``choices`` (a mapping: the value it maps to), else an error
    listing them.

    >>> check_choice("adam", ("adam", "sgd"), "optimizer")
    'adam'
    >>> check_choice("adma", ("adam", "sgd"), "optimizer")
    Traceback (most recent call last):
    ...
    pinnfield.errors.OptionError: optimizer 'adma' is not known; expected one of ['adam', 'sgd'].
    """
    try:
        known = value in choices
    except TypeError:
        known = False
    if not known:
        raise error(f"{what} {value!r} is not known; expected one of {sorted(map(str, choices))}.")
    return choices[value] if isinstance(choices, Mapping) else value


def check_instance(value, kind: type | tuple, what: str, example: str, *, error: type = OptionError):
    """``value`` if it is an instance of ``kind``; otherwise an error with an ``example`` of a
    valid value.

    >>> check_instance(2, int, "count", "3")
    2
    >>> check_instance("a", int, "count", "count=3")
    Traceback (most recent call last):
    ...
    pinnfield.errors.OptionError: count must be a int, such as count=3; received str 'a'.
    """
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise error(f"{what} must be a {names}, such as {example}; received {type(value).__name__} {value!r}.")
    return value


def check_box(lower, upper, what: str, *, error: type = DomainError) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) as float arrays of one length d >= 1 with lower < upper in every entry.

    >>> check_box((0, 0), (1, 2), "Box")
    (array([0., 0.]), array([1., 2.]))
    >>> check_box((0, 1), (1, 1), "Box")
    Traceback (most recent call last):
    ...
    pinnfield.errors.DomainError: Box needs lower < upper in every coordinate; received lower (0.0, 1.0) and upper (1.0, 1.0).
    """
    try:
        lo, hi = np.asarray(lower, dtype=float).reshape(-1), np.asarray(upper, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise error(f"{what} lower and upper must be sequences of numbers; received {lower!r} and {upper!r}.") from None
    if lo.size == 0 or lo.shape != hi.shape or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise error(f"{what} lower and upper must be finite and of one length >= 1; received {lower!r} and {upper!r}.")
    if np.any(lo >= hi):
        raise error(f"{what} needs lower < upper in every coordinate; received lower {tuple(lo.tolist())} "
                    f"and upper {tuple(hi.tolist())}.")
    return lo, hi
