"""Training-state checkpoints: what :func:`pinnfield.fit` writes with ``checkpoint=`` and reads with ``resume=``.

A checkpoint file is a :meth:`pinnfield.Solution.save` file (so ``pf.Solution.load`` reads it)
with one more entry, ``"training"``, holding everything needed to continue exactly:

- ``modules``: every network's ``state_dict``; ``parameters``: the raw values of learnable
  :class:`pinnfield.Parameter` s;
- ``optimizer`` and ``scheduler``: the first-order optimiser's and the LR schedule's state;
- ``sampler``: every sampling generator's state before the current batch was drawn, and whether
  one was (the current batch is redrawn from them on resume, so it is not stored); with an
  adaptive sampling scheme (:mod:`pinnfield.sampling`) also, as ``"adaptive"``, each adapted
  group's current points, its generator's state after drawing them and the residual
  magnitudes observed on them;
- ``weighting``: the state of an adaptive weighting scheme (:mod:`pinnfield.weighting`: the
  current weights, ReLoBRaLo's reference losses and random stream), None for fixed weights;
- ``adam_steps`` and ``lbfgs_steps``: the first-order steps and L-BFGS iterations done (L-BFGS
  progress is saved at round boundaries only, see ``fit(lbfgs_resample_every=)``);
- ``history``, ``wall_seconds`` (cumulative), ``settings`` (the fit settings) and ``problem`` (field
  names, network classes and weight shapes, term names, parameter names), checked on resume.

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

from .errors import CheckpointError, DataError
from .io import atomic_path
from .storage import TRAINING_ONLY_FORMAT, read_file

__all__ = ["write_checkpoint", "read_training_state", "saved_settings", "problem_signature",
           "check_problem", "check_settings", "sigint_deferred", "FREE_SETTINGS"]

TRAINING_FORMAT = "pinnfield.training/1"

FREE_SETTINGS = ("steps", "lbfgs_steps")
"""Settings a resumed run may change (to train longer); every other one must match."""


def write_checkpoint(path: str, solution, training: dict) -> None:
    """Write ``solution`` (its :meth:`Solution.saved_state`) plus ``training`` to ``path`` atomically."""
    try:
        state = solution.saved_state()
    except DataError:
        state = {"format": TRAINING_ONLY_FORMAT}
    state["training"] = {"format": TRAINING_FORMAT, **training}
    with atomic_path(path, ".pt") as tmp:
        torch.save(state, tmp)


TRAINING_KEYS = ("settings", "problem", "adam_steps", "lbfgs_steps", "modules", "parameters", "optimizer",
                 "scheduler", "sampler", "history", "wall_seconds")
"""The entries every training state holds (``weighting`` and ``world_size`` may be absent)."""


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
    """What a checkpoint must match to be resumed on ``problem``: names, network classes, shapes."""
    return {
        "coordinates": [str(c) for c in problem.coords],
        "fields": [[str(f) for f in fs] for fs in problem.functions],
        "networks": [
            [type(m).__name__] + [f"{k}{list(v.shape)}" for k, v in m.state_dict().items()] for m in modules
        ],
        "terms": list(terms),
        "parameters": sorted(problem.parameters),
    }


def check_problem(saved: dict, current: dict, path: str) -> None:
    """DataError naming the first part of the problem that differs from the checkpoint's."""
    for key, value in current.items():
        if saved.get(key) != value:
            raise DataError(
                f"The checkpoint {path!r} was written for a problem whose {key} are {saved.get(key)}; "
                f"this problem's {key} are {value}. Resume with the problem it was trained on, or "
                "start a new run without resume=."
            )


def check_settings(saved: dict, current: dict, path: str, adam_done: int, lbfgs_done: int) -> None:
    """DataError naming a fit setting that differs from the checkpoint's.

    ``steps`` and ``lbfgs_steps`` may change, but not below what is done, and ``steps`` not
    once L-BFGS has started.
    """
    for key, value in current.items():
        if key not in FREE_SETTINGS and saved.get(key) != value:
            raise DataError(
                f"fit(resume={path!r}) was given {key}={value!r}, but the checkpoint was trained "
                f"with {key}={saved.get(key)!r}. Resume with the same settings (only steps and "
                "lbfgs_steps may change), or start a new run without resume=."
            )
    if current["steps"] < adam_done:
        raise DataError(
            f"fit(resume={path!r}) was given steps={current['steps']}, but the checkpoint has done "
            f"{adam_done} steps already; pass steps >= {adam_done}."
        )
    if lbfgs_done and current["steps"] != saved["steps"]:
        raise DataError(
            f"fit(resume={path!r}) was given steps={current['steps']}, but the checkpoint is in its "
            f"L-BFGS phase after steps={saved['steps']}; pass steps={saved['steps']}."
        )
    if current["lbfgs_steps"] < lbfgs_done:
        raise DataError(
            f"fit(resume={path!r}) was given lbfgs_steps={current['lbfgs_steps']}, but the "
            f"checkpoint has done {lbfgs_done} L-BFGS iterations; pass lbfgs_steps >= {lbfgs_done}."
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
