"""The NeRF radiance field (Mildenhall et al. 2020, sec. 3 and appendix A) from pinnfield's own layers.

F(x, d) = (sigma, c): a density sigma >= 0 at the world point x (3,) and a colour c in [0, 1]^3
seen from the unit direction d (3,). With p = the point mapped affinely from the scene box
onto [-1, 1]^3 (the field's input box, set by :func:`pinnfield.fit`):

* trunk: gamma_L(p) = (p, sin(2^l pi p), cos(2^l pi p))_{l < L} (``pf.PositionalEncoding``,
  3 + 6 L features), then ``depth`` ReLU layers of ``width`` (``pf.MLP`` blocks); with ``skip=k``
  gamma_L(p) is concatenated again to the output of layer k (0-based: the paper's "skip
  connection to the fifth layer" is k = 4). A linear layer gives the raw density a and a feature
  vector h (``width``). ``kind="siren"`` replaces the encoding and ReLU layers by a ``pf.Siren``.
* sigma = relu(a) (``density="relu"``, the paper) or softplus(a - 1) (``"softplus"``, as in
  mip-NeRF: never exactly 0, so no ray starts dead).
* colour: c = sigmoid(W [h, gamma_Ld(d)]) through one ReLU layer of ``colour_width``
  (view-dependent); with ``view_dependent=False`` the trunk outputs the colour directly.

The paper's field is ``NeRFField(width=256, depth=8, skip=4, colour_width=128, L_position=10,
L_direction=4)``. As a pinnfield field it maps (N, 6) inputs (x, y, z, d_x, d_y, d_z) to (N, 4)
outputs (sigma, r, g, b); :meth:`NeRFField.radiance` is the renderer's ``field_fn``.

``grid=r > 0`` attaches an :class:`~pinnfield.problems.nerf.occupancy.OccupancyGrid` of r^3
cells over the box: a buffer, so it moves with the field, is saved and resumed with it.
Every tensor is created on the field's device and in its dtype.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

import pinnfield as pf
from pinnfield.errors import EquationError
from pinnfield.fields import AbstractField

from .occupancy import OccupancyGrid

__all__ = ["NeRFField", "KINDS", "DENSITIES", "PAPER_FIELD"]

KINDS = ("mlp", "siren")
DENSITIES = ("relu", "softplus")
SOFTPLUS_SHIFT = 1.0
"""sigma = softplus(a - SOFTPLUS_SHIFT) with ``density="softplus"``."""

PAPER_FIELD = dict(width=256, depth=8, skip=4, colour_width=128, L_position=10, L_direction=4,
                   kind="mlp", density="relu", view_dependent=True)
"""The network of the paper (appendix A): 8 x 256 ReLU, skip at layer 4, PE L = 10 / 4, colour head 128."""


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise EquationError(f"NeRFField {name} must be a positive integer; received {value!r}.")
    return value


class NeRFField(AbstractField):
    """Radiance field (N, 6) -> (N, 4): (x, y, z, d_x, d_y, d_z) -> (sigma, r, g, b); see the module docstring.

    ``skip``: None, or the 0-based layer 0 < k < depth - 1 after which gamma(p) is concatenated
    again. ``kind``: ``"mlp"`` (positional encoding + ReLU) or ``"siren"`` (``pf.Siren`` trunk of
    ``depth`` sine layers, ``omega0``; no encoding, no skip). ``grid``: cells per axis of the
    occupancy grid (0: none), updated at step ``grid_warmup`` and every ``grid_every`` steps after.
    """

    def __init__(self, width: int = 256, depth: int = 8, skip: int | None = 4, colour_width: int = 128,
                 L_position: int = 10, L_direction: int = 4, kind: str = "mlp", density: str = "relu",
                 view_dependent: bool = True, grid: int = 0, grid_every: int = 16, grid_warmup: int = 64,
                 omega0: float = 30.0):
        super().__init__(in_dim=6, out_dim=4)
        for name, value in (("width", width), ("depth", depth), ("colour_width", colour_width),
                            ("L_position", L_position), ("L_direction", L_direction)):
            _positive(value, name)
        if kind not in KINDS:
            raise EquationError(f"NeRFField kind={kind!r} is not known; expected one of {KINDS}.")
        if density not in DENSITIES:
            raise EquationError(f"NeRFField density={density!r} is not known; expected one of {DENSITIES}.")
        if skip is not None and (kind == "siren" or isinstance(skip, bool) or not isinstance(skip, int)
                                 or not 0 < skip < depth - 1):
            raise EquationError(
                f"NeRFField skip={skip!r} is not a layer of a {depth}-layer {kind} trunk; expected None or an "
                f"integer 0 < skip < depth - 1 = {depth - 1} (the paper: skip=4 with depth=8), and None for kind='siren'."
            )
        if isinstance(grid, bool) or not isinstance(grid, int) or grid < 0:
            raise EquationError(f"NeRFField grid={grid!r} must be an integer >= 0 (cells per axis; 0: no grid).")
        _positive(grid_every, "grid_every")
        _positive(grid_warmup, "grid_warmup")
        self._config = dict(width=width, depth=depth, skip=skip, colour_width=colour_width, L_position=L_position,
                            L_direction=L_direction, kind=kind, density=density,
                            view_dependent=bool(view_dependent), grid=grid, grid_every=grid_every,
                            grid_warmup=grid_warmup, omega0=float(omega0))
        features = width if view_dependent else 3
        self.view_dependent = bool(view_dependent)
        self.density_activation = density
        self.skip_encoding = None
        if kind == "siren":
            blocks = [pf.Siren(3, 1 + features, width=width, depth=depth, omega0=omega0, omega_hidden=30.0)]
        elif skip is None:
            blocks = [pf.MLP(3, 1 + features, width=width, depth=depth, activation="relu",
                             encoding=pf.PositionalEncoding(L_position))]
        else:
            self.skip_encoding = pf.PositionalEncoding(L_position)
            self.skip_encoding.bind(3)
            blocks = [pf.MLP(3, width, width=width, depth=skip, activation="relu",
                             encoding=pf.PositionalEncoding(L_position)),
                      pf.MLP(width + self.skip_encoding.out_dim, 1 + features, width=width,
                             depth=depth - skip - 1, activation="relu")]
        self.trunk = nn.ModuleList(blocks)
        self.direction_encoding = None
        self.colour = None
        if view_dependent:
            self.direction_encoding = pf.PositionalEncoding(L_direction)
            self.direction_encoding.bind(3)
            self.colour = pf.MLP(features + self.direction_encoding.out_dim, 3, width=colour_width, depth=1,
                                 activation="relu")
        self.grid = OccupancyGrid(grid, every=grid_every, warmup=grid_warmup) if grid else None
        self.reset_parameters(torch.Generator().manual_seed(0))

    def _init_body(self, generator) -> None:
        for block in list(self.trunk) + ([self.colour] if self.colour is not None else []):
            block._init_body(generator)
        if self.grid is not None:
            self.grid.reset()

    def config(self) -> dict:
        return dict(self._config)

    def to_unit(self, points: torch.Tensor) -> torch.Tensor:
        """World points (N, 3) -> the box coordinates p in [-1, 1]^3 (N, 3)."""
        return points * self.input_scale[:3] + self.input_shift[:3]

    def _features(self, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Density (N,) and trunk features (N, F) at box coordinates p (N, 3)."""
        h = self.trunk[0].body(p)
        if len(self.trunk) > 1:
            h = self.trunk[1].body(torch.cat((F.relu(h), self.skip_encoding(p)), dim=-1))
        a = h[:, 0]
        sigma = F.relu(a) if self.density_activation == "relu" else F.softplus(a - SOFTPLUS_SHIFT)
        return sigma, h[:, 1:]

    def density_at_unit(self, p: torch.Tensor) -> torch.Tensor:
        """sigma (N,) at box coordinates p (N, 3) (the colour head is skipped)."""
        return self._features(p)[0]

    def density(self, points: torch.Tensor) -> torch.Tensor:
        """sigma (N,) at world points (N, 3)."""
        return self.density_at_unit(self.to_unit(points))

    def radiance(self, points: torch.Tensor, directions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(sigma (N,), rgb (N, 3)) at world points (N, 3) seen along unit directions (N, 3)."""
        sigma, h = self._features(self.to_unit(points))
        if not self.view_dependent:
            return sigma, torch.sigmoid(h)
        return sigma, torch.sigmoid(self.colour.body(torch.cat((h, self.direction_encoding(directions)), dim=-1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(sigma, r, g, b) (N, 4) at inputs x (N, 6) = (point, unit direction)."""
        self._check_points(x)
        sigma, rgb = self.radiance(x[:, :3], x[:, 3:])
        return torch.cat((sigma[:, None], rgb), dim=-1)

    def forward_jet(self, jet):
        raise EquationError(
            "NeRFField does not propagate derivative jets; evaluate it with derivatives='autograd' "
            "(the NeRF problem's default)."
        )
