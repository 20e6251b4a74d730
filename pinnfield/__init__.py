"""pinnfield: physics-informed neural fields.

Write a PDE as a sympy expression, solve it on SIREN fields with exact Taylor-mode
derivatives, and validate against analytic and finite-difference references.
"""

from . import distributed as distributed
from . import metrics as metrics
from . import sampling as sampling
from . import shape_metrics as shape_metrics
from . import weighting as weighting
from .constraints import Causal as Causal
from .constraints import Constraint as Constraint
from .domains import Ball as Ball
from .domains import Box as Box
from .domains import Disk as Disk
from .domains import Interval as Interval
from .domains import Points as Points
from .domains import TimeInterval as TimeInterval
from .pixels import Pixels as Pixels
from .signals import Samples1D as Samples1D
from .fields.encodings import AbstractEncoding as AbstractEncoding
from .fields.encodings import FourierFeatures as FourierFeatures
from .fields.encodings import PositionalEncoding as PositionalEncoding
from .errors import DataError as DataError
from .errors import DomainError as DomainError
from .errors import CheckpointError as CheckpointError
from .errors import EquationError as EquationError
from .errors import OptionError as OptionError
from .errors import PinnfieldError as PinnfieldError
from .errors import TrainingError as TrainingError
from .fields.hard import hard as hard
from .mesh import Mesh as Mesh
from .fields.base import AbstractField as AbstractField
from .fields.mlp import MLP as MLP
from .fields.siren import Siren as Siren
from .problem import Problem as Problem
from .problem import Solution as Solution
from .symbolic import Parameter as Parameter
from .symbolic import div as div
from .symbolic import dt as dt
from .symbolic import grad as grad
from .symbolic import lap as lap
from .symbolic import normal_derivative as normal_derivative
from .symbolic import requirements as requirements
from .train import fit as fit

__version__ = "0.1.0"
