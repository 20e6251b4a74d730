"""NeRF: radiance fields fitted to posed images by differentiable volume rendering.

``pinnfield run nerf [--data DIR] [--paper]`` trains :func:`solve` and writes :func:`report`'s
files. Modules: ``data`` (``load_views``, the format detection), ``transforms`` (Blender and
instant-ngp JSON), ``llff``, ``tiny_nerf`` (dataset formats), ``images`` (image loading),
``views`` (posed views and their checks), ``scenes`` (analytic scenes), ``rays``,
``sampling``, ``render`` (volume rendering), ``model`` (the field), ``occupancy`` (empty-space
skipping), ``region`` (training rays), ``loss`` (photometric loss), ``ready`` (problem, solve,
settings), ``evaluate`` (renders and metrics), ``report`` (the run's files).
"""

from .ready import DEFAULTS, FIELD, PAPER, PROBLEM, SCENE, SCENE_FIT, problem, solve
from .report import report

__all__ = ["DEFAULTS", "FIELD", "PAPER", "PROBLEM", "SCENE", "SCENE_FIT", "problem", "solve", "report"]
