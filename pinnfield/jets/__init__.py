"""Derivative engines: forward-mode Taylor jets (:mod:`.jet`), the one sine-layer kernel
(:mod:`.sine`), nested autograd as the reference (:mod:`.autograd`), and the choice between
them (:mod:`.engine`)."""

from .autograd import autograd_derivatives as autograd_derivatives
from .autograd import autograd_jet as autograd_jet
from .engine import ENGINES as ENGINES
from .engine import compute_derivatives as compute_derivatives
from .engine import jet_derivatives as jet_derivatives
from .engine import resolve_engine as resolve_engine
from .engine import reverse_mode_is_cheaper as reverse_mode_is_cheaper
from .engine import supports_jets as supports_jets
from .jet import MAX_JET_ORDER as MAX_JET_ORDER
from .jet import DerivativeRequest as DerivativeRequest
from .jet import DerivativeTable as DerivativeTable
from .jet import Jet as Jet
from .jet import JetPlan as JetPlan
from .jet import plan_jet as plan_jet
from .sine import CompiledSineKernels as CompiledSineKernels
from .sine import SineJet as SineJet
