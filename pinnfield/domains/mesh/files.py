"""Reading triangle meshes from files (OBJ, PLY, STL, OFF) with trimesh, an optional dependency."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ...errors import DataError

__all__ = ["SUFFIXES", "read_mesh"]

SUFFIXES = (".obj", ".ply", ".stl", ".off")
"""File types :func:`read_mesh` reads."""


def read_mesh(path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) and triangles (F, 3) of the mesh file ``path``, read with
    ``trimesh.load(path, force="mesh", process=True)``: duplicate vertices are merged (STL
    triangle soups become closed meshes), polygons are triangulated, several objects are
    concatenated. Raises :class:`DataError` naming the file for every way reading can fail."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError(
            f"Mesh file {str(path)!r} does not exist; expected the path of a mesh file "
            f"({', '.join(SUFFIXES)}). Check the path and the working folder."
        )
    if suffix not in SUFFIXES:
        raise DataError(
            f"Mesh file {str(path)!r} has suffix {suffix or '(none)'!r}; supported suffixes are "
            f"{', '.join(SUFFIXES)}. Convert the file, e.g. with meshio or MeshLab."
        )
    try:
        import trimesh
    except ImportError:
        raise DataError(
            f"Reading {str(path)!r} needs the trimesh package, which is not installed. Install "
            "it with pip install trimesh."
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = trimesh.load(str(path), force="mesh", process=True)
    except Exception as error:  # trimesh raises many types for malformed files
        raise DataError(
            f"Mesh file {str(path)!r} cannot be read as {suffix[1:].upper()}: "
            f"{type(error).__name__}: {error}. Expected a valid {', '.join(SUFFIXES)} file; "
            "re-export it or check that the suffix matches the content."
        ) from None
    if len(getattr(loaded, "faces", ())) == 0:
        try:
            points = len(getattr(trimesh.load(str(path), process=False), "vertices", ()))
        except Exception:
            points = 0
        if points:
            raise DataError(
                f"Mesh file {str(path)!r} has {points} points but no faces; a surface with "
                "normals needs triangles. Reconstruct a surface from the points first (e.g. "
                "Poisson reconstruction) or use them as a Points set."
            )
        raise DataError(
            f"Mesh file {str(path)!r} is empty: no vertices and no faces; expected a triangle "
            "mesh. Check the file."
        )
    return np.asarray(loaded.vertices), np.asarray(loaded.faces)
