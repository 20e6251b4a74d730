"""pinnfield: physics-informed neural fields.

Write a PDE as a sympy expression, solve it on SIREN fields with exact Taylor-mode
derivatives, and validate against analytic and finite-difference references.
"""

from . import metrics as metrics
from . import shape_metrics as shape_metrics
from .constraints import Causal as Causal
from .constraints import Constraint as Constraint
from .domains import AbstractDomain as AbstractDomain
from .domains import AbstractRegion as AbstractRegion
from .domains import Ball as Ball
from .domains import Box as Box
from .domains import Disk as Disk
from .domains import Interval as Interval
from .domains import Mesh as Mesh
from .domains import Pixels as Pixels
from .domains import Points as Points
from .domains import Samples1D as Samples1D
from .domains import TimeInterval as TimeInterval
from .errors import CheckpointError as CheckpointError
from .errors import DataError as DataError
from .errors import DomainError as DomainError
from .errors import EquationError as EquationError
from .errors import OptionError as OptionError
from .errors import PinnfieldError as PinnfieldError
from .errors import TrainingError as TrainingError
from .fields.base import AbstractField as AbstractField
from .fields.encodings import AbstractEncoding as AbstractEncoding
from .fields.encodings import FourierFeatures as FourierFeatures
from .fields.encodings import PositionalEncoding as PositionalEncoding
from .fields.hard import hard as hard
from .fields.mlp import MLP as MLP
from .fields.piratenet import PirateNet as PirateNet
from .fields.siren import Siren as Siren
from .problem import Problem as Problem
from .solution import Solution as Solution
from .symbolic import Parameter as Parameter
from .symbolic import div as div
from .symbolic import dt as dt
from .symbolic import grad as grad
from .symbolic import lap as lap
from .symbolic import normal_derivative as normal_derivative
from .symbolic import requirements as requirements
from .train import distributed as distributed
from .train import fit as fit
from .train import sampling as sampling
from .train import weighting as weighting
from .train.optimizers import LBFGS as LBFGS
from .train.optimizers import NaturalGradient as NaturalGradient
from .train.optimizers import SSBroyden as SSBroyden
from .train.optimizers import SGD as SGD
from .train.optimizers import AbstractOptimizer as AbstractOptimizer
from .train.optimizers import Adam as Adam
from .train.optimizers import AdamW as AdamW
from .train.sampling import AbstractSampler as AbstractSampler
from .train.weighting import AbstractWeighting as AbstractWeighting

__version__ = "0.1.0"
