"""Exceptions raised for user mistakes.

Every message names the offending thing, what was expected, what was received and the fix.
The subclasses are also ``ValueError`` so generic handlers keep working.
"""


class PinnfieldError(Exception):
    """Base class of every error pinnfield raises on purpose."""


class EquationError(PinnfieldError, ValueError):
    """A residual, field or parameter cannot be lowered or does not fit the problem."""


class DomainError(PinnfieldError, ValueError):
    """A domain, sampling region or point set is malformed."""


class DataError(PinnfieldError, ValueError):
    """Input data (arrays, files, devices, checkpoints) is missing or inconsistent."""


class TrainingError(PinnfieldError, RuntimeError):
    """Training cannot go on (a loss became NaN or infinite)."""
