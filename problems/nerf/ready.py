"""NeRF as a pinnfield problem: two radiance fields fitted to posed images through ``pf.fit``.

``problem(data)`` builds a :class:`pinnfield.Problem` with

* fields: the coarse :class:`~pinnfield.problems.nerf.model.NeRFField` (sigma_c, r_c, g_c, b_c) and
  the fine one (sigma, r, g, b), both of (x, y, z, d_x, d_y, d_z); with n_fine = 0 only the fine
  field, rendered at the coarse samples;
* one constraint: :class:`~pinnfield.problems.nerf.loss.Photometric` (MSE of the coarse plus the
  fine render against the pixel colours) on ``rays`` random training rays a step from the region
  :class:`~pinnfield.problems.nerf.region.Rays`.

``data``: a dataset folder :func:`~pinnfield.problems.nerf.data.load_views` reads (Blender,
instant-ngp, LLFF, tiny-NeRF), or None for the analytic scene :data:`SCENE` written by
:func:`~pinnfield.problems.nerf.scenes.write_scene`. The scene must lie in the box
[-bound, bound]^3 (the Blender scenes and the generated ones do with 1.5). near and far come from
the arguments, else from the data, else :data:`DEFAULT_NEAR` and :data:`DEFAULT_FAR` (the Blender
scenes' 2 and 6).

:data:`DEFAULTS` (with :data:`PROBLEM` and :data:`FIELD`) is the CPU configuration: 64 x 3 fields
with PE L = 8 / 2, Nc = 16, Nf = 32, 512 rays a step, a 32^3 occupancy grid, Adam 5e-3 decaying
to 5e-4 over 24,000 steps (20 minutes on a 2-core CPU; :data:`SCENE_FIT`: 800 steps on the
generated scene). ``paper=True`` (``pinnfield run nerf --paper``) is the paper's: 8 x 256 fields
with a skip at layer 4, PE L = 10 / 4, Nc = 64, Nf = 128, 4096 rays a step, Adam 5e-4 decaying
exponentially to 5e-5 over 200,000 steps, no occupancy grid (a GPU run).
"""

from __future__ import annotations

import os
import tempfile

import sympy as sp

import pinnfield as pf
from pinnfield.errors import DataError

from .._data import remember_data
from .data import load_views
from .views import Views
from .loss import COARSE, FINE, Photometric, RenderSettings
from .model import PAPER_FIELD, NeRFField
from .region import COORDS, Rays
from .scenes import write_scene

__all__ = ["problem", "solve", "views", "scene_views", "decay_to_tenth", "DEFAULTS", "PAPER", "PROBLEM", "FIELD",
           "SCENE", "SCENE_FIT", "DEFAULT_NEAR", "DEFAULT_FAR", "BOUND"]

DEFAULT_NEAR, DEFAULT_FAR = 2.0, 6.0
"""Ray-distance bounds when neither the arguments nor the data give them (the Blender scenes')."""

BOUND = 1.5
"""Half side of the scene box [-BOUND, BOUND]^3 (the Blender synthetic scenes')."""

SCENE = dict(scene="ball", size=32, n_train=24, n_val=4)
"""The analytic scene trained on without ``data`` (:func:`~pinnfield.problems.nerf.scenes.write_scene`)."""

FIELD = dict(width=64, depth=3, skip=None, colour_width=32, L_position=8, L_direction=2, kind="mlp",
             density="softplus", view_dependent=True)
"""The CPU field (both coarse and fine)."""

PROBLEM = dict(rays=512, n_coarse=16, n_fine=32, grid=32, bound=BOUND)
"""problem() settings of the CPU configuration."""


def decay_to_tenth(step: int, steps: int) -> float:
    """Learning-rate factor 0.1^(step / steps): 5e-4 -> 5e-5 over the run, the paper's decay."""
    return 0.1 ** (step / max(steps, 1))


DEFAULTS = dict(steps=24_000, lbfgs_steps=0, lr=5e-3, schedule=decay_to_tenth, seed=0, derivatives="autograd")
"""fit() settings of the CPU configuration, sized for 20 minutes of training on a 2-core CPU: on
the 100 x 100 bunny (``shared/data/nerf_bunny``) 0.038 to 0.046 s a step on one core; 3,000 steps
reached 27.8 dB mean val PSNR (depth error 0.052), 12,000 steps (7.5 minutes on one core) 30.2 dB
and a median depth error of 0.034; the default 24,000 steps 31.26 dB and 0.024 in 862 s on one core."""

SCENE_FIT = dict(steps=800)
"""fit() settings over :data:`DEFAULTS` for the generated scene (``data=None``): about a minute on
one core (0.07 s a step), 32.2 dB mean val PSNR on the 32 x 32 ball."""

PAPER = dict(problem=dict(rays=4096, n_coarse=64, n_fine=128, grid=0, field=PAPER_FIELD),
             fit=dict(steps=200_000, lr=5e-4))
"""The paper's scale (a GPU run): ``solve(paper=True)``."""

_FUNCTIONS = {
    FINE: tuple(sp.Function(name)(*COORDS) for name in ("sigma", "r", "g", "b")),
    COARSE: tuple(sp.Function(name)(*COORDS) for name in ("sigma_c", "r_c", "g_c", "b_c")),
}


def scene_views(split: str = "train", folder=None, **scene) -> Views:
    """The views of the analytic scene ``scene`` (:data:`SCENE` updated by ``scene``) of ``split``,
    written to ``folder`` (a temporary folder, removed afterwards, when None)."""
    settings = {**SCENE, **scene}
    if folder is not None:
        return load_views(write_scene(folder, **settings), split)
    with tempfile.TemporaryDirectory() as tmp:
        return load_views(write_scene(tmp, **settings), split)


def views(data, split: str = "train", *, downscale: int = 1, background="white", scene: dict | None = None):
    """The ``split`` views of the dataset at ``data``, or of the analytic scene when ``data`` is None."""
    if data is None:
        return scene_views(split, **(scene or {}))
    return load_views(os.fspath(data), split, downscale=downscale, background=background)


def _bounds(near, far, loaded, source: str) -> tuple[float, float]:
    near = loaded.near if near is None else near
    far = loaded.far if far is None else far
    near = DEFAULT_NEAR if near is None else float(near)
    far = DEFAULT_FAR if far is None else float(far)
    if not 0 <= near < far:
        raise DataError(
            f"NeRF near = {near:g} and far = {far:g} for {source}; expected 0 <= near < far (ray distances "
            "from the camera). Pass near= and far= with near < far."
        )
    return near, far


def _box(bound) -> tuple[list[float], list[float]]:
    try:
        if isinstance(bound, (int, float)):
            lower, upper = [-float(bound)] * 3, [float(bound)] * 3
        else:
            lower, upper = ([float(v) for v in side] for side in bound)
        ok = len(lower) == len(upper) == 3 and all(lo < hi for lo, hi in zip(lower, upper))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(
            f"NeRF bound={bound!r} is not a box; expected a half side b > 0 (the box [-b, b]^3) or a pair "
            "(lower, upper) of three numbers each with lower < upper. Pass bound=1.5."
        )
    return lower, upper


def problem(data=None, *, rays: int = PROBLEM["rays"], n_coarse: int = PROBLEM["n_coarse"],
            n_fine: int = PROBLEM["n_fine"], grid: int = PROBLEM["grid"], bound=BOUND, near=None, far=None,
            downscale: int = 1, background="white", field: dict | None = None, coarse_field: dict | None = None,
            scene: dict | None = None, chunk: int = 4096) -> pf.Problem:
    """The NeRF problem on the training views of ``data`` (see the module docstring).

    ``rays``: rays a step. ``n_coarse``, ``n_fine``: samples per ray. ``grid``: occupancy grid
    cells per axis on the fine field (0: none). ``bound``: the scene box. ``field``: NeRFField
    settings (default :data:`FIELD`); ``coarse_field``: the coarse field's (default ``field``).
    ``scene``: settings of the generated scene when ``data`` is None. ``downscale``,
    ``background``: as in :func:`~pinnfield.problems.nerf.data.load_views`.
    """
    loaded = views(data, "train", downscale=downscale, background=background, scene=scene)
    near, far = _bounds(near, far, loaded, "the generated scene" if data is None else repr(os.fspath(data)))
    lower, upper = _box(bound)
    fine_settings = {**FIELD, **(field or {})}
    networks = {_FUNCTIONS[FINE]: NeRFField(**{**fine_settings, "grid": grid})}
    if n_fine:
        networks[_FUNCTIONS[COARSE]] = NeRFField(**{**fine_settings, **(coarse_field or {}), "grid": 0})
    region = Rays(loaded, near=near, far=far, lower=lower, upper=upper)
    loss = Photometric(RenderSettings(n_coarse, n_fine, tuple(loaded.background), chunk))
    return pf.Problem(fields=networks, constraints=[pf.Constraint(loss, on=region, n=rays, name="photometric")])


def solve(data=None, paper: bool = False, problem_settings: dict | None = None, **fit_overrides) -> pf.Solution:
    """Train :func:`problem` with :data:`DEFAULTS` (and :data:`SCENE_FIT` without ``data``) updated
    by ``fit_overrides`` (``paper``: at :data:`PAPER` scale; ``problem_settings``: more
    :func:`problem` arguments). The data path and the problem settings are recorded in
    ``solution.info`` for the report."""
    scale = PAPER if paper else {"problem": {}, "fit": SCENE_FIT if data is None else {}}
    settings = {**scale["problem"], **(problem_settings or {})}
    built = problem(data, **settings)
    solution = pf.fit(built, **{**DEFAULTS, **scale["fit"], **fit_overrides})
    loss = built.constraints[0].residual
    region = built.constraints[0].on
    recorded = {**settings, "near": region.near, "far": region.far, "lower": region.lower.tolist(),
                "upper": region.upper.tolist(), "n_coarse": loss.settings.n_coarse, "n_fine": loss.settings.n_fine,
                "background": list(loss.settings.background)}
    if data is None:
        recorded["scene"] = {**SCENE, **(settings.get("scene") or {})}
    return remember_data(solution, data, recorded)
