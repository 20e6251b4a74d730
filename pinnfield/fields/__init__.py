"""Neural fields: networks mapping points (N, in_dim) to values (N, out_dim) that propagate
derivative jets. :mod:`.base` (AbstractField), :mod:`.layers`, :mod:`.siren`, :mod:`.mlp`
(with the activations), :mod:`.piratenet`, :mod:`.factorization` (random weight
factorisation), :mod:`.encodings`, :mod:`.adf` (approximate distance functions) and
:mod:`.hard` (exactly imposed conditions, ``pf.hard``)."""

from .adf import AbstractADF as AbstractADF
from .base import AbstractField as AbstractField
from .encodings import AbstractEncoding as AbstractEncoding
from .encodings import FourierFeatures as FourierFeatures
from .encodings import PositionalEncoding as PositionalEncoding
from .hard import HardField as HardField
from .layers import Dense as Dense
from .layers import Linear as Linear
from .layers import ResidualSineBlock as ResidualSineBlock
from .layers import SineLayer as SineLayer
from .mlp import ACTIVATIONS as ACTIVATIONS
from .mlp import MLP as MLP
from .mlp import ActivationLayer as ActivationLayer
from .piratenet import PirateNet as PirateNet
from .siren import Siren as Siren
