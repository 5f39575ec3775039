"""Out-of-core maps: apply a fitted map to a Dask array of points, block by block.

Dask is an optional extra (``pip install "iadb_graphics[dask]"``). Without it, importing this
module works and :func:`map_points` accepts numpy arrays; only Dask inputs need it.

:func:`map_points` applies a fitted map to a ``dask.array`` ``(n, d)`` chunked along ``n``,
lazily, block by block (``map_blocks``). The map travels to the workers by value, once per
worker (one graph node shared by every block): maps are small (a few arrays, or a small torch
module; every map class pickles cleanly). Batch colour grading lives in
:mod:`iadb_graphics.color.batch`.
"""
from __future__ import annotations

import inspect
import uuid

import numpy as np

from ._validation import describe

__all__ = ["map_points", "require_dask", "DASK_HINT"]

#: Message of the ImportError raised when Dask is needed but missing.
DASK_HINT = 'this needs Dask; install it with: pip install "iadb_graphics[dask]"'


def require_dask():
    """Import and return ``dask.array``, or raise ImportError with the install hint."""
    try:
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(DASK_HINT) from exc
    return da


def _is_dask_array(x) -> bool:
    return type(x).__module__.startswith("dask.") and hasattr(x, "chunks") and hasattr(x, "map_blocks")


def _map_block(block, the_map, method, return_log_det, options):
    """Apply ``the_map.method`` to one block; with log-det, ``[y | log_det]`` as (n, d + 1)."""
    fn = getattr(the_map, method)
    if not return_log_det:
        return np.asarray(fn(block, **options), dtype=np.float64)
    y, ld = fn(block, return_log_det=True, **options)
    out = np.empty((y.shape[0], y.shape[1] + 1))
    out[:, :-1] = y
    out[:, -1] = ld
    return out


def map_points(points, map, *, inverse=False, return_log_det=False, **options):
    """Apply a fitted map to points that may not fit in memory.

    Parameters
    ----------
    points : dask.array (n, d), or ndarray / tensor (n, d)
        A Dask array chunked along ``n`` (a split along ``d`` is merged by rechunking: d <= 3).
        Any real dtype; blocks are read as float64.
    map : fitted map
        Anything with ``d`` and ``transform`` (``inverse_transform`` when ``inverse``):
        :class:`~iadb_graphics.maps.iadb.IADBMap`, :class:`~iadb_graphics.maps.grid.GridIADBMap`,
        :class:`~iadb_graphics.maps.baked.BakedMap`, the transport maps.
    inverse : bool
        Apply ``inverse_transform`` instead of ``transform``.
    return_log_det : bool
        Also return ``log|det ∂y/∂x|`` (n,) (the map's method must accept ``return_log_det``).
    **options
        Passed to the map's method (e.g. ``n_steps=64`` for ``IADBMap``).

    Returns
    -------
    y : dask.array (n, d) float64, lazy, same chunks along n — or ndarray for a non-Dask input
        (the map's own return type). With ``return_log_det``, ``(y, log_det)``; both views of one
        graph, so ``dask.compute(y, log_det)`` runs the map once.
    """
    method = "inverse_transform" if inverse else "transform"
    fn = getattr(map, method, None)
    if fn is None or not callable(fn):
        raise TypeError(f"map must be a fitted map with a {method} method, got {describe(map)}")
    if hasattr(map, "_check_fitted"):
        map._check_fitted()
    params = inspect.signature(fn).parameters
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    has_log_det = getattr(map, "has_log_det", "return_log_det" in params or takes_kwargs)
    if return_log_det and not has_log_det:
        raise ValueError(f"{type(map).__name__}.{method} has no exact log-determinant (return_log_det)")
    if "progress" in params and "progress" not in options:
        options = {**options, "progress": False}  # one bar per block would be noise
    if not _is_dask_array(points):
        return fn(points, return_log_det=True, **options) if return_log_det else fn(points, **options)

    import dask

    d = getattr(map, "d", None)
    if points.ndim != 2:
        raise ValueError(f"points must be a dask array of shape (n, d), got {points.ndim} dimension(s) "
                         f"(shape {points.shape})")
    if d is not None and points.shape[1] != d:
        raise ValueError(f"points has shape {points.shape} but the map was fitted in d={d}")
    if not (np.issubdtype(points.dtype, np.floating) or np.issubdtype(points.dtype, np.integer)):
        raise TypeError(f"points must hold real numbers, got dtype {points.dtype}")
    d = points.shape[1]
    if len(points.chunks[1]) > 1:
        points = points.rechunk({1: -1})
    width = d + 1 if return_log_det else d
    # One graph node holds the map; each block task depends on it (shipped once per worker).
    shared = dask.delayed(map, pure=False)
    out = points.map_blocks(_map_block, shared, method, bool(return_log_det), options,
                            dtype=np.float64, chunks=(points.chunks[0], (width,)),
                            meta=np.empty((0, width), dtype=np.float64), name=f"iadb-{method}-{uuid.uuid4().hex}")
    if not return_log_det:
        return out
    return out[:, :d], out[:, d]
