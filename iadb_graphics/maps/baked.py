r"""Any map baked on a regular lookup grid (2D displacement texture, 3D LUT).

The map is evaluated once at the nodes of a grid over ``bounds``; afterwards
:math:`T(x) = x + D(x)` with the displacement :math:`D` interpolated multilinearly (Numba,
parallel). Storing displacements rather than positions keeps points outside ``bounds`` moving
continuously (the displacement is clamped, i.e. extended constantly, outside the box).
The log-det of the baked map is exact: :math:`\log|\det(I + \partial D/\partial x)|` with the
derivative of the multilinear interpolant.
"""
from __future__ import annotations

import numpy as np

from .._progress import progress_bar
from .._validation import check_bounds, check_int, check_path, describe
from .._kernels.interp import grid_nodes, interp, interp_with_jacobian, logabsdet_eye_plus
from .base import BaseMap, to_numpy_io

__all__ = ["BakedMap"]

_CHUNK = 1 << 16


class BakedMap(BaseMap):
    """A map stored as displacement tables on a regular grid.

    ``BakedMap(resolution=..., map=...).fit(source, target)`` fits ``map`` (default: a
    :class:`~iadb_graphics.maps.grid.GridIADBMap`; a fitted map is baked as it is) and bakes it
    on ``resolution`` nodes per axis of its box; :meth:`from_map` bakes a fitted map directly.

    Parameters
    ----------
    resolution : int >= 2
        Nodes per axis.
    inverse : bool
        Also bake the inverse map.
    map : a fitted or unfitted map, optional

    Attributes
    ----------
    d : int; bounds : (d, 2) baked box.
    forward_ : (resolution,)*d + (d,) float64 displacements ``T(node) − node``.
    backward_ : same shape, or None: displacements ``T⁻¹(node) − node``.

    Notes
    -----
    ``apply_inverse`` interpolates the baked inverse map; it is the inverse of ``apply`` only up
    to the interpolation error (both converge as the resolution grows). Memory:
    ``resolution**d * d * 8`` bytes per table (2D 1024²: 16 MB; 3D 64³: 6 MB).
    """

    has_log_det = True
    can_save = True

    def __init__(self, *, resolution=256, inverse=True, map=None):
        self.resolution = check_int(resolution, "resolution", minimum=2)
        self.inverse = bool(inverse)
        self.map = map

    def fit(self, source, target, *, rng=None, progress=None):
        """Fit ``map`` from ``source`` to ``target`` unless it is fitted, then bake it; returns ``self``."""
        from .grid import GridIADBMap

        inner = GridIADBMap() if self.map is None else self.map
        if not getattr(inner, "is_fitted", True):
            inner.fit(source, target, rng=rng, progress=progress)
        baked = type(self).from_map(inner, self.resolution, inverse=self.inverse, progress=progress)
        self.forward_, self.backward_ = baked.forward_, baked.backward_
        self.d, self.bounds = baked.d, baked.bounds
        return self

    @classmethod
    def from_map(cls, map, resolution, *, bounds=None, inverse=True, progress=None) -> "BakedMap":
        """Evaluate ``map.transform`` (and ``map.inverse_transform``) at the grid nodes.

        Parameters
        ----------
        map : a fitted map with ``d``, ``bounds``, ``transform`` (and ``inverse_transform``).
        resolution : int >= 2, nodes per axis.
        bounds : (d, 2), optional; default ``map.bounds``.
        inverse : bool; also bake the inverse map.
        progress : None | bool.
        """
        resolution = check_int(resolution, "resolution", minimum=2)
        d = getattr(map, "d", None)
        if not isinstance(d, (int, np.integer)) or d not in (1, 2, 3):
            raise ValueError(f"map must be a fitted map of dimension 1, 2 or 3, got {describe(map)}")
        box = check_bounds(map.bounds if bounds is None else bounds, d=d)
        if inverse and not hasattr(map, "inverse_transform"):
            raise ValueError(f"inverse=True needs a map with inverse_transform; {type(map).__name__} has none")
        shape = (resolution,) * d
        step = (box[:, 1] - box[:, 0]) / (resolution - 1)
        nodes = grid_nodes(box[:, 0], step, shape)
        fns = [map.transform] + ([map.inverse_transform] if inverse else [])
        tables = [np.empty_like(nodes) for _ in fns]
        n = nodes.shape[0]
        with progress_bar(len(fns) * n, desc="bake", progress=progress, unit="node") as bar:
            for fn, table in zip(fns, tables):
                for s in range(0, n, _CHUNK):
                    part = nodes[s:s + _CHUNK]
                    table[s:s + _CHUNK] = np.asarray(fn(part), dtype=float) - part
                    bar.update(part.shape[0])
        out = cls(resolution=resolution, inverse=inverse)
        out.d, out.bounds = int(d), box.copy()
        out.forward_ = tables[0].reshape(shape + (d,))
        out.backward_ = tables[1].reshape(shape + (d,)) if inverse else None
        if not (np.all(np.isfinite(out.forward_)) and (out.backward_ is None or np.all(np.isfinite(out.backward_)))):
            raise ValueError(f"{type(map).__name__} returned NaN or infinite values at some grid nodes")
        return out

    @property
    def _lo(self):
        return self.bounds[:, 0]

    @property
    def _step(self):
        return (self.bounds[:, 1] - self.bounds[:, 0]) / (self.resolution - 1)

    def apply(self, x, *, return_log_det=False):
        """``T(x)`` (n, d) by multilinear interpolation; with ``return_log_det`` also
        ``log|det ∂T/∂x|`` (n,), exact for the interpolated map."""
        self._check_fitted()
        x, restore = to_numpy_io(x, "x", self.d)
        if return_log_det:
            disp, jac = interp_with_jacobian(self.forward_, self._lo, self._step, x)
            disp += x
            return restore(disp), restore(logabsdet_eye_plus(jac, 1.0))
        disp = interp(self.forward_, self._lo, self._step, x)
        disp += x
        return restore(disp)

    def apply_inverse(self, y):
        """``T⁻¹(y)`` (n, d) from the baked inverse table (needs ``inverse=True`` at baking)."""
        self._check_fitted()
        if self.backward_ is None:
            raise ValueError("this BakedMap was baked with inverse=False; bake it again with inverse=True")
        y, restore = to_numpy_io(y, "y", self.d)
        disp = interp(self.backward_, self._lo, self._step, y)
        disp += y
        return restore(disp)

    def transform(self, x, *, return_log_det=False):
        """Alias of :meth:`apply` (the map protocol)."""
        return self.apply(x, return_log_det=return_log_det)

    def inverse_transform(self, y, *, return_log_det=False):
        """Alias of :meth:`apply_inverse` (the map protocol); with ``return_log_det`` also
        log|det ∂T⁻¹/∂y| (n,), exact for the interpolated inverse table."""
        if not return_log_det:
            return self.apply_inverse(y)
        self._check_fitted()
        if self.backward_ is None:
            raise ValueError("this BakedMap was baked with inverse=False; bake it again with inverse=True")
        z, restore = to_numpy_io(y, "y", self.d)
        disp, jac = interp_with_jacobian(self.backward_, self._lo, self._step, z)
        disp += z
        return restore(disp), restore(logabsdet_eye_plus(jac, 1.0))

    def save(self, path):
        """Save to an ``.npz`` model file (no pickle)."""
        self._check_fitted()
        from ..io import save_model

        arrays = {"bounds": self.bounds, "forward": self.forward_}
        if self.backward_ is not None:
            arrays["backward"] = self.backward_
        save_model(check_path(path), "BakedMap", {"d": self.d, "resolution": self.resolution}, arrays)

    @classmethod
    def load(cls, path) -> "BakedMap":
        """Load a map saved by :meth:`save`."""
        from ..io import ModelFileError, load_model

        meta, arrays = load_model(path, "BakedMap")
        try:
            d, res = int(meta["d"]), int(meta["resolution"])
            shape = (res,) * d + (d,)
            fwd, bwd = arrays["forward"], arrays.get("backward")
            if d not in (1, 2, 3) or res < 2 or fwd.shape != shape or arrays["bounds"].shape != (d, 2) \
                    or (bwd is not None and bwd.shape != shape):
                raise ModelFileError(f"model file {path!r}: inconsistent BakedMap arrays")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"model file {path!r}: bad BakedMap header ({exc})") from None
        out = cls(resolution=res, inverse=bwd is not None)
        out.d = d
        out.bounds = arrays["bounds"].astype(float)
        out.forward_ = fwd.astype(float)
        out.backward_ = None if bwd is None else bwd.astype(float)
        return out

    def __repr__(self):
        if not self.is_fitted:
            return "BakedMap(empty)"
        return f"BakedMap(d={self.d}, resolution={self.resolution}, inverse={self.backward_ is not None})"
