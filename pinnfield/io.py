"""Files a user can open: JSON, NumPy .npz, ParaView .vtu, checkpoints; all written atomically.

Every writer goes through :func:`atomic_path`: the data is written to a temporary file in the
target's folder and renamed over the target, so an interrupted run never leaves a truncated
file and never destroys the previous one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile

import numpy as np

__all__ = ["atomic_path", "write_json", "write_npz", "write_vtu", "write_vtu_series", "grid_points"]


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix or os.path.splitext(path)[1])
    os.close(handle)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path: str, data: dict) -> None:
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, default=_plain)
        handle.write("\n")


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_npz(path: str, **arrays) -> None:
    with atomic_path(path, ".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def grid_points(axes) -> np.ndarray:
    """(M, d) points of the tensor grid of 1-D node arrays ``axes`` ('ij' order, last fastest)."""
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _grid_cells(shape) -> tuple[str, np.ndarray]:
    index = np.arange(int(np.prod(shape))).reshape(shape)
    if len(shape) == 1:
        return "line", np.stack([index[:-1], index[1:]], axis=1)
    if len(shape) == 2:
        a, b = index[:-1, :-1], index[1:, :-1]
        c, d = index[1:, 1:], index[:-1, 1:]
        return "quad", np.stack([a, b, c, d], axis=-1).reshape(-1, 4)
    if len(shape) == 3:
        n0, n1, n2 = shape
        v = lambda i, j, k: index[i:n0 - 1 + i, j:n1 - 1 + j, k:n2 - 1 + k]  # noqa: E731
        cube = [v(0, 0, 0), v(1, 0, 0), v(1, 1, 0), v(0, 1, 0), v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1)]
        return "hexahedron", np.stack(cube, axis=-1).reshape(-1, 8)
    raise ValueError(f"grids of dimension {len(shape)} cannot be written as cells")


def write_vtu(path: str, axes, point_data: dict[str, np.ndarray]) -> None:
    """Write fields on the tensor grid ``axes`` (1-3 axes) as an unstructured VTK grid.

    ``point_data`` maps a name to values of shape (M,) or the grid's shape, M = prod(len(a)).
    Points are padded to 3-D as ParaView expects.
    """
    import meshio

    shape = tuple(len(a) for a in axes)
    points = grid_points(axes)
    points = np.pad(points, ((0, 0), (0, 3 - points.shape[1])))
    kind, cells = _grid_cells(shape)
    data = {name: np.asarray(v, dtype=float).reshape(-1) for name, v in point_data.items()}
    mesh = meshio.Mesh(points, [(kind, cells)], point_data=data)
    with atomic_path(path, ".vtu") as tmp:
        meshio.write(tmp, mesh, file_format="vtu")


def write_vtu_series(path: str, space_axes, times, point_data: dict[str, np.ndarray]) -> list[str]:
    """Write a time series for ParaView: one ``.vtu`` per time plus a ``.pvd`` collection at ``path``.

    ``point_data`` maps a name to values of shape (len(space_axes[0]), ..., len(times)): the
    time axis last. Frame k goes to ``<stem>_<k>.vtu`` next to ``path``; the ``.pvd`` lists the
    frames with their times, so ParaView plays them as one animated dataset. Returns the paths.
    """
    stem = os.path.splitext(path)[0]
    frames = []
    for k, time in enumerate(times):
        frame = f"{stem}_{k:04d}.vtu"
        write_vtu(frame, space_axes, {name: np.asarray(v)[..., k] for name, v in point_data.items()})
        frames.append((float(time), frame))
    entries = "\n".join(
        f'    <DataSet timestep="{time!r}" group="" part="0" file="{os.path.basename(frame)}"/>'
        for time, frame in frames
    )
    text = ('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n  <Collection>\n'
            f"{entries}\n  </Collection>\n</VTKFile>\n")
    with atomic_path(path, ".pvd") as tmp, open(tmp, "w") as handle:
        handle.write(text)
    return [path] + [frame for _, frame in frames]
