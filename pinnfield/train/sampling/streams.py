"""The point streams of one run: one seeded generator per constraint, batches shared by groups.

Constraints on the same region object with the same ``n`` share their batch: the points are
drawn once, from the first such constraint's stream. A group holding a term that the sampler
adapts draws through the sampler's :meth:`~pinnfield.train.sampling.AbstractSampler.draw`.

On rank r of a distributed run, a group draws its share of the points from a stream of rank r,
and a point set taken whole is split into shards (see :mod:`pinnfield.train.distributed`);
``scales[i]`` = W n_ri / n_i makes the ranks' mean of constraint i's loss the loss on the whole
batch (1 in one process).
"""

from __future__ import annotations

import numpy as np
import torch

from ...domains import Batch, Points
from ...errors import DataError
from .. import distributed as parallel

__all__ = ["PointStreams"]


class PointStreams:
    """Batches of every constraint for one run, reproducible from ``seed``.

    ``errors(members, points, data) -> (N,)``: the summed |residual| of the constraint indices
    ``members`` at new points (RAR-D); :meth:`observe` keeps the residuals of the last training
    evaluation (R3). :meth:`state` and :meth:`restore` save and rebuild the streams and the
    current batch exactly.
    """

    def __init__(self, constraints, names, seed: int, sampler, device, dtype, errors,
                 context: parallel.Context = parallel.SINGLE):
        self.constraints, self.context, self.seed = constraints, context, seed
        self.sampler, self.device, self.dtype, self.errors = sampler, device, dtype, errors
        self.reseed(0)
        keys: dict = {}
        for i, c in enumerate(constraints):
            keys.setdefault((id(c.on), c.n), []).append(i)
        self.groups: list[list[int]] = list(keys.values())
        self.whole, self.local, self.scales = [], [], [1.0] * len(constraints)
        for group in self.groups:
            self._share(group, names)
        self.before = [g.get_state() for g in self.generators]
        self.drawn = False
        adapted = sampler.adapted(constraints, list(names))
        members = {g: [i for i in group if i in adapted] for g, group in enumerate(self.groups)}
        self.members = {g: m for g, m in members.items() if m}
        self.populations: dict[int, Batch | None] = {g: None for g in self.members}
        self.watched = {i for m in self.members.values() for i in m}
        self.observed: dict[int, torch.Tensor] = {}
        self.after: dict[int, torch.Tensor] = {}

    def _share(self, group: list[int], names) -> None:
        c = self.constraints[group[0]]
        self.whole.append(isinstance(c.on, Points) and (c.n is None or c.n >= len(c.on)))
        total = len(c.on) if self.whole[-1] else c.n
        self.local.append(parallel.share(total, self.context))
        if self.local[-1] == 0:
            raise DataError(
                f"The term '{names[group[0]]}' draws {total} point(s) per step, fewer than the "
                f"{self.context.world} ranks; raise its n to at least {self.context.world}, or use fewer ranks."
            )
        for i in group:
            self.scales[i] = self.context.world * self.local[-1] / total

    def reseed(self, start: int) -> None:
        """New sampling streams from the run's seed: the single-process ones, or on several ranks
        this rank's streams for a run (re)started after ``start`` steps."""
        if self.context.world == 1:
            seeds = np.random.SeedSequence(self.seed).spawn(len(self.constraints))
        else:
            seeds = [self.context.stream(self.seed, i, start) for i in range(len(self.constraints))]
        self.generators = [
            torch.Generator().manual_seed(int(s.generate_state(1, dtype=np.uint64)[0] % (2**63))) for s in seeds
        ]

    def _uniform(self, g: int) -> Batch:
        """Group g's points, drawn without adaptation: this rank's share or shard."""
        c, generator = self.constraints[self.groups[g][0]], self.generators[self.groups[g][0]]
        if not self.whole[g]:
            return c.on.sample(self.local[g], generator, method=self.sampler.method)
        batch = c.on.sample(c.n, generator, method=self.sampler.method)
        part = parallel.shard(len(batch), self.context)
        return Batch(batch.points[part], {k: v[part] for k, v in batch.data.items()})

    def observe(self, i: int, residual: torch.Tensor) -> None:
        """Keep |residual| (N,) of constraint i on the current batch, if its group is adapted."""
        if i in self.watched:
            self.observed[i] = residual.detach().abs()

    def _draw(self, g: int) -> Batch:
        if g not in self.populations:
            return self._uniform(g)
        group, members = self.groups[g], self.members[g]
        c, generator = self.constraints[group[0]], self.generators[group[0]]

        def evaluate(batch) -> torch.Tensor:
            points = batch.points.to(self.device, self.dtype)
            data = {k: v.to(self.device, self.dtype) for k, v in batch.data.items()}
            return self.errors(members, points, data).double().cpu()

        seen = [self.observed.pop(i) for i in members if i in self.observed]
        observed = sum(seen).double().cpu() if len(seen) == len(members) else None
        self.populations[g] = self.sampler.draw(self.populations[g], c.on, self.local[g], generator, evaluate,
                                                observed)
        self.after[g] = generator.get_state()
        return self.populations[g]

    def _install(self, batches: list, group: list[int], batch: Batch) -> None:
        points = batch.points.to(self.device, self.dtype)
        data = {k: v.to(self.device, self.dtype) for k, v in batch.data.items()}
        for i in group:
            batches[i] = (points, data)

    def sample(self) -> list:
        """A new batch: per constraint, (points (N, d), data columns) on the device."""
        self.before = [g.get_state() for g in self.generators]
        self.drawn = True
        batches: list = [None] * len(self.constraints)
        for g, group in enumerate(self.groups):
            self._install(batches, group, self._draw(g))
        return batches

    def state(self) -> dict:
        """The generators' states before the current batch was drawn, and whether one was; with
        an adaptive sampler also each adapted group's population, its generator's state after
        the draw and the errors observed on it (``"adaptive"``)."""
        state = {"generators": self.before, "drawn": self.drawn}
        if self.populations:
            state["adaptive"] = {
                g: {"generator": self.after.get(g),
                    "population": None if batch is None else (batch.points, dict(batch.data)),
                    "observed": {i: self.observed[i] for i in self.members[g] if i in self.observed}}
                for g, batch in self.populations.items()
            }
        return state

    def restore(self, state: dict) -> list | None:
        """Set the generators from :meth:`state`; rebuild and return the current batch, if any."""
        if len(state["generators"]) != len(self.generators):
            raise DataError(
                f"The checkpoint has {len(state['generators'])} sampling streams; this problem has "
                f"{len(self.generators)}. Resume with the problem it was trained on."
            )
        for generator, saved in zip(self.generators, state["generators"]):
            generator.set_state(saved)
        if not state["drawn"]:
            return None
        self.before, self.drawn = list(state["generators"]), True
        batches: list = [None] * len(self.constraints)
        for g, group in enumerate(self.groups):
            if g not in self.populations:
                self._install(batches, group, self._uniform(g))
                continue
            saved = state["adaptive"][g]
            population = saved["population"]
            self.populations[g] = None if population is None else Batch(population[0], dict(population[1]))
            self.generators[group[0]].set_state(saved["generator"])
            self.after[g] = saved["generator"]
            self.observed.update({i: v.to(self.device) for i, v in saved["observed"].items()})
            self._install(batches, group, self.populations[g])
        return batches
