"""Files a user can open: JSON, NumPy .npz, ParaView .vtu, checkpoints; all written atomically.

Every writer goes through :func:`atomic_path`: the data is written to a temporary file in the
target's folder and renamed over the target, so an interrupted run never leaves a truncated
file and never destroys the previous one.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import math
import numbers
import os
import tempfile

import numpy as np

__all__ = ["atomic_path", "write_json", "write_npz", "write_png", "write_vtu", "write_vtu_series", "grid_points",
           "history_columns", "write_history", "write_tensorboard"]


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


def write_png(path: str, image: np.ndarray) -> None:
    """An image with values in [0, 1] (clipped), (H, W) grey or (H, W, 3) colour, as a PNG."""
    from matplotlib.image import imsave

    with atomic_path(path, ".png") as tmp:
        imsave(tmp, np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, format="png")


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


def _number_list(values, length: int | None) -> list | None:
    """``values`` as a list of Python ints/floats, or None if it is not a list of real numbers
    (of ``length`` items, when given)."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            return None
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        return None
    if length is not None and len(values) != length:
        return None
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            return None
        out.append(int(v) if isinstance(v, numbers.Integral) else float(v))
    return out


def history_columns(history: dict) -> dict[str, list]:
    """The columns of a training history, in order: ``step``, ``loss``, then every other key.

    The history's length n is that of ``history["step"]`` (else of ``history["loss"]``); a key
    whose value is a list of n real numbers is a column (per-term losses, ``"param:<name>"``
    trajectories, ``"weight:<term>"`` adaptive loss weights), a dict of such lists is flattened to columns ``"<key>:<sub-key>"``, and any
    other key (a list of another length, non-numbers, a scalar) is skipped. Without a ``step``
    column the steps are 0, ..., n - 1. Returns ``{column: list of n ints or floats}``.
    """
    history = dict(history or {})
    n = None
    for key in ("step", "loss"):
        values = _number_list(history.get(key), None)
        if values is not None:
            n = len(values)
            break
    if n is None:
        n = 0
    steps = _number_list(history.get("step"), n)
    columns = {"step": steps if steps is not None else list(range(n))}
    for key, values in history.items():
        if key == "step":
            continue
        if isinstance(values, dict):
            for sub, inner in values.items():
                inner = _number_list(inner, n)
                if inner is not None:
                    columns[f"{key}:{sub}"] = inner
            continue
        values = _number_list(values, n)
        if values is not None:
            columns[str(key)] = values
    if "loss" in columns:
        columns = {"step": columns.pop("step"), "loss": columns.pop("loss"), **columns}
    return columns


def _finite_or_none(value):
    return value if isinstance(value, int) or math.isfinite(value) else None


def write_history(out_dir: str, name: str, history: dict, *, tensorboard: bool = True) -> list[str]:
    """Write a training history as ``NAME_history.csv`` and ``NAME_history.json`` in ``out_dir``.

    Columns are those of :func:`history_columns` (``step``, ``loss``, each term, each
    ``param:<name>``). The CSV has a header row and one row per recorded step; floats are
    written with ``repr`` so they read back exactly (``nan``/``inf`` as such). The JSON is one
    object ``{column: [n values]}`` in the same order, non-finite floats as ``null``. Both are
    written atomically. With ``tensorboard`` (default) the columns also go to
    :func:`write_tensorboard` in ``out_dir/tensorboard`` when the ``tensorboard`` package is
    installed. Returns the paths written (the TensorBoard folder last, if written).
    """
    columns = history_columns(history)
    names = list(columns)
    rows = zip(*columns.values()) if names else ()
    csv_path = os.path.join(out_dir, f"{name}_history.csv")
    with atomic_path(csv_path, ".csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in rows:
            writer.writerow([repr(v) for v in row])
    json_path = os.path.join(out_dir, f"{name}_history.json")
    plain = {k: [_finite_or_none(v) for v in values] for k, values in columns.items()}
    with atomic_path(json_path, ".json") as tmp, open(tmp, "w") as handle:
        json.dump(plain, handle)
        handle.write("\n")
    written = [csv_path, json_path]
    if tensorboard:
        folder = write_tensorboard(os.path.join(out_dir, "tensorboard"), columns)
        if folder is not None:
            written.append(folder)
    return written


def _summary_writer():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter


def _scalar_tag(column: str) -> str:
    if column == "loss":
        return "loss/total"
    if ":" in column:
        return column.replace(":", "/", 1)
    return f"loss/{column}"


def write_tensorboard(log_dir: str, history: dict) -> str | None:
    """Write a history as TensorBoard scalars in ``log_dir`` if ``tensorboard`` is installed.

    ``history``: a training history or the columns of :func:`history_columns`. Tags: the
    weighted total ``loss/total``, each term ``loss/<term>``, each ``param:<name>`` as
    ``param/<name>``, each ``weight:<term>`` as ``weight/<term>``; the ``step`` column is the global step. Event files written earlier to
    ``log_dir`` are removed first, so the folder holds one run. Returns ``log_dir``, or None
    (writing nothing) when ``torch.utils.tensorboard`` cannot be imported.
    """
    writer_class = _summary_writer()
    if writer_class is None:
        return None
    columns = history_columns(history)
    os.makedirs(log_dir, exist_ok=True)
    for old in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        os.remove(old)
    writer = writer_class(log_dir=log_dir)
    try:
        steps = columns.pop("step")
        for column, values in columns.items():
            tag = _scalar_tag(column)
            for step, value in zip(steps, values):
                writer.add_scalar(tag, value, global_step=int(step))
        writer.flush()
    finally:
        writer.close()
    return log_dir
