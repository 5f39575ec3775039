"""``MeshWarp``: any 2D map baked on a triangulated grid: continuous, piecewise affine, exact pdf."""
from __future__ import annotations

import sys
import warnings

import numpy as np

from .._validation import as_points, check_int, describe
from ..maps.base import BaseMap, to_numpy_io

__all__ = ["MeshWarp"]

_UNIT_SQUARE = np.array([[0.0, 1.0], [0.0, 1.0]])


def _segments_cross(p, q, r, s):
    """Proper crossings between segments p→q and r→s (broadcast), touching excluded."""
    def orient(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])

    return ((orient(p, q, r) * orient(p, q, s) < 0) & (orient(r, s, p) * orient(r, s, q) < 0))


def _boundary_crossings(poly, chunk=256):
    """Pairs of non-adjacent edges of the closed polygon ``poly`` (B, 2) that cross: (k, 2) int."""
    b = poly.shape[0]
    p, q = poly, np.roll(poly, -1, axis=0)
    found = []
    idx = np.arange(b)
    for start in range(0, b, chunk):
        i = idx[start:start + chunk, None]
        hit = _segments_cross(p[i], q[i], p[None, :], q[None, :])
        adjacent = (np.abs(i - idx[None, :]) <= 1) | (np.abs(i - idx[None, :]) == b - 1)
        hit &= ~adjacent & (idx[None, :] > i)
        r, c = np.nonzero(hit)
        found.append(np.stack([r + start, c], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), np.int64)


def _caller_stacklevel() -> int:
    """``stacklevel`` for a warning raised here that points at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__ + "."):
        frame, level = frame.f_back, level + 1
    return level


class MeshWarp(BaseMap):
    """A 2D map baked on a triangulated regular grid: continuous, piecewise affine, exact pdf.

    Each cell of an ``rx × ry`` grid over the source box is cut along its rising diagonal into
    two triangles; the mesh vertices are the map applied to the grid nodes. Inside a triangle
    the warp is affine, so its Jacobian is constant and the pdf of the warped uniform source is
    exactly ``1 / (area(source box) · |det J|)`` there. ``transform`` is O(1) per sample (cell
    lookup, barycentric weights); ``inverse_transform`` and ``pdf`` locate points in the warped
    mesh through a uniform bucket grid (Numba).

    A triangle with negative signed area (relative to the map's orientation), or a warped
    boundary that crosses itself, means the mesh folds over: building raises a ValueError saying
    how many and where, unless ``allow_foldovers=True`` — then ``pdf`` sums over every preimage
    (still exact), ``is_injective_`` is False and there is no inverse.

    ``MeshWarp(resolution=..., map=...).fit(source, target)`` fits ``map`` (default: a
    :class:`~iadb_graphics.maps.grid.GridIADBMap`; a fitted map is used as it is) from ``source``
    (default: the uniform unit square) to ``target`` and bakes it; :meth:`from_map` bakes a fitted
    map and :meth:`from_vertices` takes the warped grid nodes directly.

    Parameters
    ----------
    resolution : int or (int, int)
        Cells per axis (the mesh has ``2 · rx · ry`` triangles).
    snap_boundary : bool
        Move the warped boundary nodes onto the box's sides (see :meth:`from_map`).
    allow_foldovers : bool
        Keep a folded mesh (pdf summed over preimages, no inverse) instead of raising.
    map : a 2D map, optional
        The map baked by :meth:`fit`.

    Fitted attributes: ``source_bounds_`` (2, 2), ``cells_`` (rx, ry), ``vertices_`` (rx+1, ry+1, 2),
    ``log_det_`` (T,) per triangle, ``foldovers_`` (indices of folded triangles),
    ``boundary_crossings_`` (count), ``is_injective_``, ``bounds_`` (2, 2) box of source and image.
    """

    has_log_det = True
    has_inverse = True

    def __init__(self, *, resolution=128, snap_boundary=True, allow_foldovers=False, map=None):
        _resolution(resolution)
        self.resolution = resolution
        self.snap_boundary = bool(snap_boundary)
        self.allow_foldovers = bool(allow_foldovers)
        self.map = map

    def fit(self, source=None, target=None, *, rng=None, progress=None):
        """Fit ``map`` from ``source`` (None: the uniform unit square) to ``target`` unless it is fitted, and
        bake it; returns ``self``."""
        from ..densities import Uniform
        from ..maps.grid import GridIADBMap

        inner = GridIADBMap() if self.map is None else self.map
        if not getattr(inner, "is_fitted", True):
            inner.fit(Uniform() if source is None else source, target, rng=rng, progress=progress)
        vertices, box = _bake_nodes(inner, self.resolution, None, progress, {})
        if self.snap_boundary:
            _snap_sides(vertices, box)
        self._set_vertices(vertices, box)
        return self

    # -- construction
    @classmethod
    def from_map(cls, map, resolution, *, bounds=None, snap_boundary=False, allow_foldovers=False, progress=None,
                 **transform_kwargs):
        """Bake ``map`` (anything with ``transform(x)``, d = 2) on a triangulated grid.

        Parameters
        ----------
        map : fitted 2D map
        resolution : int or (int, int)
            Cells per axis (the mesh has ``2 · rx · ry`` triangles).
        bounds : (2, 2), optional
            Source box baked; default the unit square.
        snap_boundary : bool
            For a map of the box onto itself: move the warped boundary nodes onto the box's
            boundary (each side onto its own side, its along-side coordinates rescaled so its
            ends land on the corners), so that the mesh covers the whole box even where the map
            shrinks it slightly. The mesh is then a
            slightly different map than ``map`` near the boundary, with its own exact pdf.
        allow_foldovers : bool
            Keep a folded mesh (pdf summed over preimages, no inverse) instead of raising.
        progress : None or bool
            Progress bar while evaluating the map.
        **transform_kwargs
            Passed on to ``map.transform`` (e.g. ``n_steps``).
        """
        out, sb = _bake_nodes(map, resolution, bounds, progress, transform_kwargs)
        if snap_boundary:
            _snap_sides(out, sb)
        new = cls(resolution=resolution, snap_boundary=snap_boundary, allow_foldovers=allow_foldovers, map=map)
        new._set_vertices(out, sb)
        return new

    @classmethod
    def from_vertices(cls, vertices, *, bounds=None, allow_foldovers=False):
        """A mesh from the warped grid nodes ``vertices`` (rx+1, ry+1, 2) (node (i, j) at x_i, y_j)."""
        v = np.array(vertices, dtype=float)
        if v.ndim != 3 or v.shape[2] != 2 or v.shape[0] < 2 or v.shape[1] < 2:
            raise ValueError(f"vertices must have shape (rx+1, ry+1, 2) with rx, ry >= 1, got shape {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"vertices contain {int(np.count_nonzero(~np.isfinite(v)))} NaN or infinite value(s); "
                             "the map is undefined at some grid nodes")
        new = cls(resolution=(v.shape[0] - 1, v.shape[1] - 1), snap_boundary=False, allow_foldovers=allow_foldovers)
        new._set_vertices(v, _box(bounds))
        return new

    def _set_vertices(self, vertices, source_bounds):
        self.source_bounds_ = source_bounds
        self.cells_ = (vertices.shape[0] - 1, vertices.shape[1] - 1)
        self.vertices_ = vertices
        self._build()
        self.d = 2

    def _build(self):
        rx, ry = self.cells_
        sb = self.source_bounds_
        self._h = (sb[:, 1] - sb[:, 0]) / np.array([rx, ry])
        self._p0 = 1.0 / np.prod(sb[:, 1] - sb[:, 0])
        i, j = np.meshgrid(np.arange(rx), np.arange(ry), indexing="ij")
        n00 = (i * (ry + 1) + j).ravel()
        n10, n11, n01 = n00 + (ry + 1), n00 + (ry + 1) + 1, n00 + 1
        # triangle 2c: (00, 10, 11) holds s >= t; triangle 2c+1: (00, 11, 01) holds s < t
        tris = np.empty((2 * rx * ry, 3), dtype=np.int64)
        tris[0::2] = np.stack([n00, n10, n11], axis=1)
        tris[1::2] = np.stack([n00, n11, n01], axis=1)
        self.triangles_ = tris
        flat = self.vertices_.reshape(-1, 2)
        self._tri_xy = np.ascontiguousarray(flat[tris])  # (T, 3, 2)
        e1 = self._tri_xy[:, 1] - self._tri_xy[:, 0]
        e2 = self._tri_xy[:, 2] - self._tri_xy[:, 0]
        signed = 0.5 * (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
        orientation = 1.0 if signed.sum() >= 0 else -1.0
        self.orientation_ = int(orientation)
        src_area = 0.5 * self._h[0] * self._h[1]
        with np.errstate(divide="ignore"):
            self.log_det_ = np.log(np.abs(signed)) - np.log(src_area)
        degenerate = int(np.count_nonzero(signed == 0))
        if degenerate:
            raise ValueError(f"MeshWarp: {degenerate} of {len(signed)} triangles have zero area: the map sends a "
                             "region of positive area onto a segment or a point, so the warped samples have no pdf")
        self.foldovers_ = np.flatnonzero(signed * orientation < 0)
        boundary = np.concatenate([self.vertices_[:, 0], self.vertices_[-1, 1:], self.vertices_[-2::-1, -1],
                                   self.vertices_[0, -2:0:-1]])
        crossings = _boundary_crossings(boundary)
        self.boundary_crossings_ = len(crossings)
        self.is_injective_ = len(self.foldovers_) == 0 and self.boundary_crossings_ == 0
        if not self.is_injective_:
            msg = self._foldover_message(boundary, crossings)
            if not self.allow_foldovers:
                raise ValueError(msg + "; use a finer resolution or a smoother map, or pass allow_foldovers=True "
                                 "(--allow-foldovers on the command line) "
                                 "(pdf then sums over all preimages; no inverse)")
            warnings.warn(msg + "; pdf() sums over all preimages and inverse_transform is unavailable",
                          stacklevel=_caller_stacklevel())
        with np.errstate(divide="ignore"):
            self._weight = self._p0 * np.exp(-self.log_det_)
        lo = np.minimum(flat.min(0), sb[:, 0])
        hi = np.maximum(flat.max(0), sb[:, 1])
        self.bounds = np.stack([lo, hi], axis=1)
        self._make_buckets()

    def _foldover_message(self, boundary, crossings):
        parts = []
        if len(self.foldovers_):
            cells = self.foldovers_ // 2
            ry = self.cells_[1]
            centres = self.source_bounds_[:, 0] + (np.stack([cells // ry, cells % ry], axis=1) + 0.5) * self._h
            where = ", ".join(f"({a:.3g}, {b:.3g})" for a, b in centres[:5])
            parts.append(f"{len(self.foldovers_)} of {len(self.triangles_)} triangles are folded (negative signed "
                         f"area), e.g. in the source cells around {where}")
        if self.boundary_crossings_:
            where = ", ".join(f"({a:.3g}, {b:.3g})" for a, b in boundary[crossings[:5, 0]])
            parts.append(f"the warped boundary crosses itself {self.boundary_crossings_} time(s) (overlapping "
                         f"triangles), e.g. near {where}")
        return "MeshWarp: the map is not invertible on this mesh: " + "; ".join(parts)

    def _make_buckets(self):
        from .._kernels.mesh import build_buckets

        flat = self._tri_xy.reshape(-1, 2)
        lo, hi = flat.min(0), flat.max(0)
        span = np.maximum(hi - lo, 1e-12)
        margin = 1e-6 * span
        self._b_origin = lo - margin
        nb = max(1, int(np.sqrt(len(self.triangles_) / 2.0)))
        self._nb = (nb, nb)
        self._b_inv = nb / (span + 2 * margin)
        self._b_offsets, self._b_items = build_buckets(self._tri_xy, self._b_origin, self._b_inv, nb, nb,
                                                       1e-9 * float(span.max()))

    def _locate(self, y, tol):
        from .._kernels.mesh import locate

        return locate(np.ascontiguousarray(y), self._tri_xy, self._b_offsets, self._b_items, self._b_origin,
                      self._b_inv, self._nb[0], self._nb[1], self._weight, tol)

    # -- evaluation
    def _cells(self, u):
        sb = self.source_bounds_
        tol = 1e-9 * (sb[:, 1] - sb[:, 0])
        outside = np.any((u < sb[:, 0] - tol) | (u > sb[:, 1] + tol), axis=1)
        if np.any(outside):
            raise ValueError(f"u has {int(outside.sum())} point(s) outside the source box {sb.tolist()} "
                             "of this MeshWarp")
        g = (u - sb[:, 0]) / self._h
        res = np.array(self.cells_)
        c = np.clip(np.floor(g).astype(np.int64), 0, res - 1)
        st = np.clip(g - c, 0.0, 1.0)
        upper = st[:, 0] < st[:, 1]
        tri = 2 * (c[:, 0] * self.cells_[1] + c[:, 1]) + upper
        return tri, st, upper

    def transform(self, u, *, return_log_det=False):
        """Warp ``u`` (n, 2) in the source box → ``y`` (n, 2) [, ``log|det J|`` (n,)].

        With fold-overs allowed the log-det is the local one of each triangle; use :meth:`pdf`
        (or :func:`warp`) for the density of the warped samples.
        """
        self._check_fitted()
        x, restore = to_numpy_io(u, "u", 2)
        tri, st, upper = self._cells(x)
        s, t = st[:, 0], st[:, 1]
        # weights of the triangle's three vertices (see _build for the vertex order)
        w = np.where(upper[:, None], np.stack([1 - t, s, t - s], axis=1), np.stack([1 - s, s - t, t], axis=1))
        y = np.einsum("nk,nkd->nd", w, self._tri_xy[tri])
        if return_log_det:
            return restore(y), restore(self.log_det_[tri])
        return restore(y)

    def _sample_pdf(self, u):
        """``(y, pdf)`` for source points ``u`` of a folded mesh: the pdf sums every sheet over ``y``.

        The sample's own triangle always counts (robust on edges); the other sheets count where
        ``y`` lies strictly inside them (margin 1e-9 in barycentric coordinates).
        """
        tri, st, upper = self._cells(u)
        y = self.transform(u)
        s, t = st[:, 0], st[:, 1]
        own_min = np.where(upper, np.minimum(np.minimum(1 - t, s), t - s), np.minimum(np.minimum(1 - s, s - t), t))
        strict = 1e-9
        _, _, wsum, _ = self._locate(y, -strict)
        pdf = wsum + np.where(own_min <= strict, self._weight[tri], 0.0)
        return y, pdf

    def inverse_transform(self, y, *, return_log_det=False):
        """Exact inverse by point location: ``y`` (n, 2) in the warped domain → ``u`` (n, 2); optionally
        log|det ∂T⁻¹/∂y| (n,) of the triangle each point lies in."""
        self._check_fitted()
        if not self.is_injective_:
            raise ValueError("this MeshWarp folds over (built with allow_foldovers=True): it has no inverse")
        z, restore = to_numpy_io(y, "y", 2)
        first, _, _, bary = self._locate(z, 1e-10)
        missing = first < 0
        if np.any(missing):
            raise ValueError(f"y has {int(missing.sum())} point(s) outside the warped domain (the image of the "
                             f"source box), e.g. {z[np.argmax(missing)].tolist()}")
        rx, ry = self.cells_
        cell = first // 2
        upper = (first % 2).astype(bool)
        corner = self.source_bounds_[:, 0] + np.stack([cell // ry, cell % ry], axis=1) * self._h
        lb, lc = bary[:, 1], bary[:, 2]
        # local (s, t) of the vertices: lower (0,0),(1,0),(1,1); upper (0,0),(1,1),(0,1)
        s = np.where(upper, lb, lb + lc)
        t = np.where(upper, lb + lc, lc)
        u = restore(corner + np.stack([s, t], axis=1) * self._h)
        if return_log_det:
            return u, restore(-self.log_det_[first])
        return u

    def pdf(self, y):
        """Density (n,) of the warped uniform source at ``y`` (n, 2); 0 outside the warped domain."""
        self._check_fitted()
        z, restore = to_numpy_io(y, "y", 2)
        if self.is_injective_:
            first, _, _, _ = self._locate(z, 1e-12)
            out = np.where(first >= 0, self._weight[np.maximum(first, 0)], 0.0)
        else:
            _, _, wsum, _ = self._locate(z, 0.0)
            out = wsum
        return restore(out)

    def log_pdf(self, y):
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(y))

    def __repr__(self):
        if not self.is_fitted:
            return f"MeshWarp(resolution={self.resolution!r}, not fitted)"
        rx, ry = self.cells_
        state = "injective" if self.is_injective_ else f"{len(self.foldovers_)} folded triangles"
        return f"MeshWarp({rx}x{ry} cells, {state})"


def _bake_nodes(map, resolution, bounds, progress, transform_kwargs):
    """``map`` at the nodes of an ``rx × ry`` grid over ``bounds``: ((rx+1, ry+1, 2), source box)."""
    if not callable(getattr(map, "transform", None)):
        raise TypeError(f"map must have a transform method, got {describe(map)}")
    if getattr(map, "d", 2) != 2:
        raise ValueError(f"MeshWarp needs a 2D map, got a map with d={map.d}")
    rx, ry = _resolution(resolution)
    sb = _box(bounds)
    gx = np.linspace(sb[0, 0], sb[0, 1], rx + 1)
    gy = np.linspace(sb[1, 0], sb[1, 1], ry + 1)
    nodes = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1).reshape(-1, 2)
    from .._progress import progress_bar

    chunk = 65536
    out = np.empty_like(nodes)
    with progress_bar(len(nodes), desc="baking mesh", progress=progress, unit="pt") as bar:
        for s in range(0, len(nodes), chunk):
            y = map.transform(nodes[s:s + chunk], **transform_kwargs)
            out[s:s + chunk] = as_points(y, "map.transform output", d=2)
            bar.update(min(chunk, len(nodes) - s))
    return out.reshape(rx + 1, ry + 1, 2), sb


def _snap_sides(v, box):
    """Move the boundary nodes of ``v`` (rx+1, ry+1, 2) onto the sides of ``box`` in place.

    Each side keeps its own along-side coordinates, rescaled affinely so that its two ends land
    on the box's corners (order and spacing kept; clipping could merge nodes into zero-area
    triangles). Interior nodes do not move.
    """
    def rescale(a, lo, hi):
        span = a[-1] - a[0]
        if span == 0:
            return np.linspace(lo, hi, len(a))
        return lo + (a - a[0]) * ((hi - lo) / span)

    for j in (0, -1):  # bottom and top rows: x along the side, y on it
        v[:, j, 0] = rescale(v[:, j, 0], box[0, 0], box[0, 1])
        v[:, j, 1] = box[1, 0] if j == 0 else box[1, 1]
    for i in (0, -1):  # left and right columns
        v[i, :, 1] = rescale(v[i, :, 1], box[1, 0], box[1, 1])
        v[i, :, 0] = box[0, 0] if i == 0 else box[0, 1]


def _resolution(resolution):
    if isinstance(resolution, (tuple, list)):
        if len(resolution) != 2:
            raise ValueError(f"resolution must be an int or a pair (rx, ry), got {resolution!r}")
        return (check_int(resolution[0], "resolution[0]", minimum=1),
                check_int(resolution[1], "resolution[1]", minimum=1))
    r = check_int(resolution, "resolution", minimum=1)
    return r, r


def _box(bounds):
    if bounds is None:
        return _UNIT_SQUARE.copy()
    b = np.array(bounds, dtype=float)
    if b.shape != (2, 2) or not np.all(np.isfinite(b)) or np.any(b[:, 1] <= b[:, 0]):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)) with min < max, got {describe(bounds)}")
    return b
