"""Training-state checkpoints: what :func:`pinnfield.fit` writes with ``checkpoint=`` and reads with ``resume=``.

A checkpoint file is a :meth:`pinnfield.Solution.save` file (so ``pf.Solution.load`` reads it)
with one more entry, ``"training"``: the state a run needs to continue exactly, as
:class:`pinnfield.train.resume.Checkpointer` writes it (networks, learned parameters, the phase
and the iterations done per phase, the current phase's optimiser state, the weighting state, the
point streams of every rank, the history, the settings and a signature of the problem).

Where the solution cannot be saved (a network without ``config()``, such as a ``pf.hard`` field,
or an expression :mod:`pinnfield.storage` does not store), the file holds only
``{"format": "pinnfield.checkpoint/1", "training": ...}``: ``fit(resume=)`` reads it,
``Solution.load`` does not. Files are read with ``torch.load(weights_only=True)`` by
:func:`pinnfield.storage.read_file`; nothing in them is run.
"""

from __future__ import annotations

import contextlib
import signal
import threading

import torch

from ..errors import CheckpointError, DataError
from ..io import atomic_path
from ..storage import TRAINING_ONLY_FORMAT, read_file

__all__ = ["write_checkpoint", "read_training_state", "saved_settings", "problem_signature",
           "check_problem", "sigint_deferred"]

TRAINING_FORMAT = "pinnfield.training/2"

def write_checkpoint(path: str, solution, training: dict) -> None:
    """Write ``solution`` (its :meth:`Solution.saved_state`) plus ``training`` to ``path`` atomically."""
    try:
        state = solution.saved_state()
    except DataError:
        state = {"format": TRAINING_ONLY_FORMAT}
    state["training"] = {"format": TRAINING_FORMAT, **training}
    with atomic_path(path, ".pt") as tmp:
        torch.save(state, tmp)


TRAINING_KEYS = ("settings", "problem", "phase", "done", "world_size", "modules", "parameters", "optimizer",
                 "optimizer_phase", "streams", "weighting", "history", "wall_seconds")
"""The entries every training state holds (see :meth:`pinnfield.train.resume.Checkpointer.training_state`)."""


def read_training_state(path: str) -> dict:
    """The ``"training"`` entry of the checkpoint at ``path``, on CPU (read as tensors and plain
    data only, see :func:`pinnfield.storage.read_file`); CheckpointError if there is none or the
    file is missing or damaged."""
    training = read_file(path, "checkpoint")["training"]
    if training.get("format") != TRAINING_FORMAT:
        raise CheckpointError(
            f"{path!r} holds a training state of format {training.get('format')!r}; this version "
            f"resumes {TRAINING_FORMAT!r}. Start a new run without resume=."
        )
    missing = [key for key in TRAINING_KEYS if key not in training]
    if missing or not isinstance(training["settings"], dict):
        raise CheckpointError(
            f"{path!r} holds an incomplete training state (missing {', '.join(missing) or 'settings'}); "
            "the file is damaged. Start a new run without resume=, or resume from another checkpoint."
        )
    return training


def saved_settings(path: str) -> dict:
    """The fit settings (steps, lbfgs_steps, lr, seed, ...) recorded in the checkpoint at ``path``."""
    return dict(read_training_state(path)["settings"])


def problem_signature(problem, modules, terms) -> dict:
    """What a checkpoint must match to be resumed on ``problem``: names, network classes, shapes, weights."""
    return {
        "coordinates": [str(c) for c in problem.coords],
        "fields": [[str(f) for f in fs] for fs in problem.functions],
        "networks": [
            [type(m).__name__] + [f"{k}{list(v.shape)}" for k, v in m.state_dict().items()] for m in modules
        ],
        "terms": list(terms),
        "parameters": sorted(problem.parameters),
        "weights": [float(c.weight) for c in problem.constraints],
    }


def check_problem(saved: dict, current: dict, path: str) -> None:
    """CheckpointError naming the first part of the problem that differs from the checkpoint's."""
    for key, value in current.items():
        if saved.get(key) != value:
            raise CheckpointError(
                f"The checkpoint {path!r} was written for a problem whose {key} are {saved.get(key)}; "
                f"this problem's {key} are {value}. Resume with the problem it was trained on, or "
                "start a new run without resume=."
            )


@contextlib.contextmanager
def sigint_deferred():
    """Hold back Ctrl-C (SIGINT) until the block ends, then deliver it to the previous handler.

    Used around a parameter update so that an interrupt never leaves it half applied. Outside
    the main thread, or where SIGINT is not handled from Python, the block runs unprotected.
    """
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if not callable(previous):
        yield
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        previous(signal.SIGINT, received[0])
