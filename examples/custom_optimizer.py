"""An optimiser phase of your own: Lion (Chen et al. 2023) before L-BFGS, on Poisson.

Lion steps theta <- theta - lr sign(b1 m + (1 - b1) g), then m <- b2 m + (1 - b2) g, with g the
gradient of the weighted loss. The phase draws a new batch every step, and its momentum is
saved in checkpoints like Adam's. Prints the relative L2 error against the exact solution and
writes custom_optimizer.png (the losses).
"""

import torch

import pinnfield as pf
from pinnfield.io import grid_points
from pinnfield.plot import loss_panel, panels_figure, save_figure
from pinnfield.problems import poisson


class Lion(pf.AbstractOptimizer):
    def __init__(self, steps: int, lr: float = 1e-4, betas=(0.9, 0.99)):
        super().__init__(steps)
        self.lr, self.betas = lr, betas

    def settings(self):
        return {"optimizer": "lion", "steps": self.steps, "lr": self.lr, "betas": list(self.betas)}

    def init(self, variables):
        return [torch.zeros_like(v) for v in variables]

    def advance(self, run, momentum, done):
        run.resample()
        gradients = torch.autograd.grad(run.loss(run.offset + done, adapt=True), run.variables)
        (b1, b2), rate = self.betas, self.lr * (1 - done / self.steps)
        with run.committing(done + 1), torch.no_grad():
            for v, m, g in zip(run.variables, momentum, gradients):
                v -= rate * torch.sign(b1 * m + (1 - b1) * g)
                m.mul_(b2).add_(g, alpha=1 - b2)

    def state_dict(self, momentum):
        return {"momentum": [m.detach().cpu() for m in momentum]}

    def load_state_dict(self, momentum, saved, saved_settings):
        for m, kept in zip(momentum, saved["momentum"]):
            m.copy_(kept)


# Solve
solution = pf.fit(poisson.problem(), optimizer=[Lion(steps=1000), pf.LBFGS(steps=500)], seed=0, progress=False)
error = pf.metrics.rel_l2(solution, "u", grid_points(poisson.evaluation_axes()))

# Plot
fig, axes = panels_figure(1)
loss_panel(axes[0], solution.history, switch_step=1000)
save_figure(fig, "custom_optimizer.png")
print(f"relative L2 error against the exact solution: {error:.2e}")
