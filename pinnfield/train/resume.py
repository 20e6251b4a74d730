"""Writing the training state to a checkpoint and continuing from one (``fit(checkpoint=, resume=)``).

A checkpoint (see :mod:`pinnfield.train.checkpoints` for the file) holds a
:class:`~pinnfield.train.state.Boundary` of the run with everything that changes while training:
the networks' ``state_dict`` s, the learned parameters' raw values, the current phase and the
iterations done in each phase, the current phase's optimiser state, the weighting scheme's state,
the point streams of every rank, the history, the cumulative wall time, the fit settings and a
signature of the problem. A resumed run checks the signature and the settings (a phase's ``steps``
may grow) and continues step for step.
"""

from __future__ import annotations

import warnings

import torch

from ..errors import CheckpointError
from .checkpoints import check_problem, problem_signature, read_training_state, write_checkpoint

__all__ = ["Checkpointer", "check_phases", "on_cpu"]


def on_cpu(value):
    """``value`` with every tensor in its nested dicts, lists and tuples moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: on_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(on_cpu(v) for v in value)
    return value


def _refuse(path: str, key: str, given, saved) -> CheckpointError:
    return CheckpointError(
        f"fit(resume={path!r}) was given {key}={given!r}, but the checkpoint was trained with {key}={saved!r}. "
        "Resume with the same settings (only a phase's steps may grow), or start a new run without resume=."
    )


def check_phases(saved: dict, current: dict, path: str, done: list[int], phase: int) -> None:
    """CheckpointError naming a fit setting that differs from the checkpoint's.

    Every phase's ``steps`` may change, but not below what is done, and not for a phase that is
    over once a later one has started.
    """
    for key, value in current.items():
        if key != "phases" and saved.get(key) != value:
            raise _refuse(path, key, value, saved.get(key))
    old, new = saved["phases"], current["phases"]
    if [p.get("optimizer") for p in old] != [p.get("optimizer") for p in new]:
        raise _refuse(path, "optimizer phases", [p.get("optimizer") for p in new], [p.get("optimizer") for p in old])
    for k, (before, after) in enumerate(zip(old, new)):
        for key, value in after.items():
            if key != "steps" and before.get(key) != value:
                raise _refuse(path, key, value, before.get(key))
        what = "steps" if k == 0 else f"steps of phase {k + 1} ({after.get('optimizer')})"
        if after["steps"] < done[k]:
            raise CheckpointError(
                f"fit(resume={path!r}) was given {what}={after['steps']}, but the checkpoint has done {done[k]} "
                f"steps already; pass {what} >= {done[k]}."
            )
        if k < phase and after["steps"] != before["steps"]:
            raise CheckpointError(
                f"fit(resume={path!r}) was given {what}={after['steps']}, but the checkpoint is past that phase "
                f"(it ended after {before['steps']} steps); pass {what}={before['steps']}."
            )


class Checkpointer:
    """Writes a run's checkpoints to ``path`` every ``every`` iterations and restores them."""

    def __init__(self, path: str | None, every: int, settings: dict, plan, state, context):
        self.path, self.every, self.settings, self.context = path, every, settings, context
        self.signature = problem_signature(plan.problem, state.modules, plan.names)
        self.saved: list[int] = []
        self.earlier_seconds = 0.0

    def training_state(self, run, at, streams: list) -> dict:
        """The ``training`` entry of a checkpoint at boundary ``at``; ``streams``: every rank's."""
        state = run.state
        phase = run.phases[state.phase]
        optimizer = None if state.optimizer is None else phase.state_dict(state.optimizer)
        return {
            "settings": self.settings, "problem": self.signature, "phase": at.phase, "done": list(at.done),
            "world_size": self.context.world,
            "modules": [{k: v.detach().cpu() for k, v in m.state_dict().items()} for m in state.modules],
            "parameters": {n: v.detach().cpu() for n, v in state.parameters.raw.items()},
            "optimizer": optimizer, "optimizer_phase": state.phase,
            "streams": streams[0] if self.context.world == 1 else {"ranks": streams},
            "weighting": on_cpu(at.weighting), "history": state.history, "wall_seconds": run.seconds(),
        }

    def save(self, run, at, solution) -> None:
        """Rank 0 writes the checkpoint, with every rank's point streams (all ranks call this)."""
        streams = self.context.gather(on_cpu(at.streams))
        if self.context.main:
            write_checkpoint(self.path, solution, self.training_state(run, at, streams))
        self.context.barrier()
        self.saved.append(at.total)

    def due(self, before: int, after: int, total: int) -> bool:
        """Whether a checkpoint falls between ``before`` and ``after`` iterations (not at the end)."""
        return bool(self.path) and after // self.every > before // self.every and after < total

    def restore(self, run_state, phases, resume: str) -> list | None:
        """Set ``run_state`` from the checkpoint at ``resume``; return the current batch, if any."""
        saved = read_training_state(resume)
        check_problem(saved["problem"], self.signature, resume)
        check_phases(saved["settings"], self.settings, resume, saved["done"], saved["phase"])
        for module, weights in zip(run_state.modules, saved["modules"]):
            module.load_state_dict(weights)
        with torch.no_grad():
            for name, raw in run_state.parameters.raw.items():
                raw.copy_(saved["parameters"][name])
        run_state.phase, run_state.done = saved["phase"], list(saved["done"])
        if saved["optimizer"] is not None and saved["optimizer_phase"] == saved["phase"]:
            phase = phases[saved["phase"]]
            run_state.optimizer = phase.init(run_state.variables)
            phase.load_state_dict(run_state.optimizer, saved["optimizer"], saved["settings"]["phases"][saved["phase"]])
        for key, values in saved["history"].items():
            run_state.history.setdefault(key, [])[:] = values
        run_state.weighting = saved["weighting"]
        self.earlier_seconds = float(saved["wall_seconds"])
        return self._restore_streams(run_state.streams, saved, resume)

    def _restore_streams(self, streams, saved: dict, resume: str) -> list | None:
        """The point streams (this rank's) and current batch of the checkpoint; on another number
        of ranks, new streams and a new batch."""
        world, state = saved.get("world_size", 1), saved["streams"]
        if world == self.context.world:
            return streams.restore(state if world == 1 else state["ranks"][self.context.rank])
        if self.context.main:
            warnings.warn(
                f"Resuming {resume!r}, written by {world} rank(s), on {self.context.world}: training continues "
                "from its state with new sampling streams, so the run is not a step-for-step "
                "continuation of the original.", stacklevel=4)
        streams.reseed(sum(saved["done"]))
        first = state if world == 1 else state["ranks"][0]
        return streams.sample() if first["drawn"] else None
