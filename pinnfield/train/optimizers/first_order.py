"""First-order phases: Adam, AdamW and SGD with a learning-rate schedule."""

from __future__ import annotations

import torch

from ...errors import check_choice, check_int, check_number
from ..schedules import SCHEDULES, schedule_name
from .base import AbstractOptimizer

__all__ = ["AbstractFirstOrder", "Adam", "AdamW", "SGD"]


class AbstractFirstOrder(AbstractOptimizer):
    """``steps`` steps of a torch optimiser at learning rate ``lr`` times ``schedule(step, steps)``
    (a name of :data:`~pinnfield.train.schedules.SCHEDULES` or such a callable), with a new batch
    every ``resample_every`` steps."""

    name = ""
    torch_class: type = torch.optim.Optimizer

    def __init__(self, steps: int = 3000, lr: float = 1e-3, schedule="cosine", resample_every: int = 1):
        super().__init__(steps)
        self.lr = check_number(lr, f"{type(self).__name__} lr", low=0, low_open=True)
        if isinstance(schedule, str) or not callable(schedule):
            schedule = check_choice(schedule, SCHEDULES, "schedule")
        self.schedule = schedule
        self.resample_every = check_int(resample_every, f"{type(self).__name__} resample_every", minimum=1)

    def settings(self) -> dict:
        return {"optimizer": self.name, "steps": self.steps, "lr": self.lr, "schedule": schedule_name(self.schedule),
                "resample_every": self.resample_every}

    def init(self, variables):
        optimiser = self.torch_class(variables, lr=self.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: self.schedule(s, self.steps))
        return optimiser, scheduler

    def advance(self, run, state, done):
        optimiser, scheduler = state
        if done % self.resample_every == 0:
            run.resample()
        optimiser.zero_grad(set_to_none=True)
        run.loss(run.offset + done, adapt=True).backward()
        with run.committing(done + 1):
            optimiser.step()
            scheduler.step()

    def state_dict(self, state):
        return {"optimizer": state[0].state_dict(), "scheduler": state[1].state_dict()}

    def load_state_dict(self, state, saved, saved_settings):
        optimiser, scheduler = state
        optimiser.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        if saved_settings["steps"] != self.steps:
            for group in optimiser.param_groups:
                group["lr"] = group["initial_lr"] * self.schedule(scheduler.last_epoch, self.steps)


class Adam(AbstractFirstOrder):
    """Adam (Kingma & Ba 2015) with torch's defaults besides ``lr``."""

    name = "adam"
    torch_class = torch.optim.Adam


class AdamW(AbstractFirstOrder):
    """AdamW (decoupled weight decay, torch's default 1e-2)."""

    name = "adamw"
    torch_class = torch.optim.AdamW


class SGD(AbstractFirstOrder):
    """Plain stochastic gradient descent."""

    name = "sgd"
    torch_class = torch.optim.SGD
