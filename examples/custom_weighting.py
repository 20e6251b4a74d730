"""A weighting scheme of your own: each term weighted by its share of the loss, on Poisson.

Every ``every`` Adam steps each term i gets lambda_i = w_i (L_mean / L_i)^alpha, with L_i its
unweighted loss and L_mean the terms' mean, so a term that lags behind gains weight; L-BFGS then
keeps the last weights. Prints the relative L2 error against the exact solution and writes
custom_weighting.png (the losses and the weights).
"""

import torch

import pinnfield as pf
from pinnfield.io import grid_points
from pinnfield.plot import loss_panel, panels_figure, save_figure
from pinnfield.problems import poisson


class LossShare(pf.AbstractWeighting):
    def __init__(self, every: int = 50, alpha: float = 0.5):
        self.every, self.alpha = every, alpha

    def settings(self):
        return {"scheme": "LossShare", "every": self.every, "alpha": self.alpha}

    def init(self, names, weights, seed):
        return {"weights": list(weights), "base": list(weights)}

    def update(self, state, step, losses, view):
        if step % self.every:
            return state
        values = view.average(torch.stack([loss.detach() for loss in losses])).double()
        share = (values.mean() / values.clamp(min=1e-30)) ** self.alpha
        return {**state, "weights": [w * float(s) for w, s in zip(state["base"], share)]}


# Solve
solution = pf.fit(poisson.problem(), steps=1000, lbfgs_steps=500, weighting=LossShare(), seed=0, progress=False)
error = pf.metrics.rel_l2(solution, "u", grid_points(poisson.evaluation_axes()))

# Plot
fig, axes = panels_figure(1)
loss_panel(axes[0], solution.history, switch_step=1000)
save_figure(fig, "custom_weighting.png")
print(f"relative L2 error against the exact solution: {error:.2e}")
