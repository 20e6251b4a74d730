"""L-BFGS with a strong Wolfe line search, on one batch or in rounds on fresh batches."""

from __future__ import annotations

import torch

from ...errors import check_int
from .base import AbstractOptimizer

__all__ = ["LBFGS"]


class LBFGS(AbstractOptimizer):
    """``steps`` iterations of L-BFGS (torch's, strong Wolfe line search, memory ``history_size``).

    On one batch, or with ``resample_every=k`` in rounds of k iterations, each on a fresh batch
    with a fresh curvature memory (so L-BFGS cannot overfit one set of points where the batch is
    sparse, as in space-time). Adaptive weights are refreshed at the start of every round and
    causal slab weights held fixed through it. Progress is saved at round boundaries: an
    interrupt inside a round resumes from the round's start.
    """

    def __init__(self, steps: int = 1000, resample_every: int | None = None, history_size: int = 50):
        super().__init__(steps)
        if resample_every is not None:
            resample_every = check_int(resample_every, "lbfgs_resample_every", minimum=1)
        self.resample_every = resample_every
        self.history_size = check_int(history_size, "LBFGS history_size", minimum=1)

    def settings(self) -> dict:
        return {"optimizer": "lbfgs", "steps": self.steps, "resample_every": self.resample_every,
                "history_size": self.history_size}

    def rounds(self) -> int:
        """The number of rounds (batches) of the phase."""
        return -(-self.steps // self.resample_every) if self.resample_every else min(self.steps, 1)

    def advance(self, run, state, done):
        iterations = min(self.steps - done, self.resample_every or self.steps)
        run.hold_variables()
        run.resample()
        run.start_round()
        optimiser = torch.optim.LBFGS(
            run.variables, lr=1.0, max_iter=iterations, max_eval=int(iterations * 1.25) + 1,
            history_size=self.history_size, tolerance_grad=1e-12, tolerance_change=1e-15,
            line_search_fn="strong_wolfe",
        )
        start, evaluations = run.rows, [0]

        def closure():
            optimiser.zero_grad(set_to_none=True)
            total = run.loss(start + evaluations[0], adapt=False)
            evaluations[0] += 1
            total.backward()
            if evaluations[0] <= iterations:
                run.progress(1)
            return run.average(total.detach())

        optimiser.step(closure)
        run.end_round()
        run.commit(done + iterations)
