"""Training from parts: a plan built once, a state that is what a checkpoint holds, phases run by a loop.

- :mod:`~pinnfield.train.fit`: :func:`fit`, the orchestration;
- :mod:`~pinnfield.train.options`: fit's keywords mapped to objects, in one place;
- :mod:`~pinnfield.train.plan`: what is fixed before the first step;
- :mod:`~pinnfield.train.state`: what changes while training;
- :mod:`~pinnfield.train.loop`: the run a phase sees, and the loop over phases;
- :mod:`~pinnfield.train.optimizers`, :mod:`~pinnfield.train.weighting`,
  :mod:`~pinnfield.train.sampling`: the extension contracts and their schemes, one a file;
- :mod:`~pinnfield.train.checkpoints`, :mod:`~pinnfield.train.resume`: the checkpoint file and resuming;
- :mod:`~pinnfield.train.distributed`: data-parallel training under torchrun.
"""

from . import distributed as distributed
from . import optimizers as optimizers
from . import sampling as sampling
from . import weighting as weighting
from .fit import fit as fit
from .options import resolve_device as resolve_device
from .schedules import SCHEDULES as SCHEDULES
