"""Importance-sampling warps with an exact pdf: ``warp``, ``MeshWarp``, ``HierarchicalWarp``.

A warp T pushes a source density p0 (by default uniform on [0, 1)^2) onto a target; for a
sample y = T(x) the density of y is p0(x) / |det ∂T/∂x| — exact for every map that returns its
own log-determinant (the discrete IADB maps, DESIGN §2). ``MeshWarp`` bakes any map on a
triangulated grid (continuous, piecewise affine: exact pdf and inverse, O(1) per sample) and
refuses fold-overs; ``HierarchicalWarp`` is the classic mip-map descent on an image.
``normalized_nn_distance`` measures how blue an adapted (non-uniform) point set stays.

References
----------
Clarberg et al., "Wavelet importance sampling", SIGGRAPH 2005 (hierarchical warping).
Heitz, Belcour, Chambon, "Iterative α-(de)Blending", SIGGRAPH 2023.
"""
from __future__ import annotations

import sys
import warnings
from typing import NamedTuple

import numpy as np

from ._validation import as_points, check_int, describe
from .maps.base import to_numpy_io

__all__ = ["warp", "warped_pdf", "make_warp", "WARP_METHODS", "MeshWarp", "HierarchicalWarp",
           "normalized_nn_distance", "NNDistance", "local_periodogram", "LocalSpectrum"]

WARP_METHODS = ("grid", "mlp", "mesh", "inverse-cdf", "hierarchical")

_UNIT_SQUARE = np.array([[0.0, 1.0], [0.0, 1.0]])


# ----------------------------------------------------------------------------- warp()

def _source_pdf_values(x, source_pdf):
    if source_pdf is None:
        outside = np.any((x < 0.0) | (x > 1.0), axis=1)
        if np.any(outside):
            raise ValueError(f"points has {int(outside.sum())} point(s) outside [0, 1]^{x.shape[1]}, where the "
                             "default uniform source density is zero; pass source_pdf= for another source")
        return np.ones(x.shape[0])
    fn = source_pdf.pdf if hasattr(source_pdf, "pdf") else source_pdf
    if not callable(fn):
        raise TypeError(f"source_pdf must be None, a callable (n, d) -> (n,) or a Density, got {describe(source_pdf)}")
    p = np.asarray(fn(x), dtype=float).reshape(-1)
    if p.shape != (x.shape[0],) or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"source_pdf must return {x.shape[0]} finite values >= 0, got {describe(p)}")
    return p


def warp(points, map, *, source_pdf=None, **transform_kwargs):
    """Warp ``points`` (n, d) with ``map`` and return ``(warped (n, d), pdf (n,))``.

    .. math:: p(T(x)) = p_0(x) / |\\det \\partial T / \\partial x|

    Parameters
    ----------
    points : array (n, d) or torch tensor
        Samples of the source density (default: uniform on [0, 1]^d).
    map : object with ``transform(x, return_log_det=True) -> (y, log_det)``
        A fitted ``GridIADBMap``, ``IADBMap``, ``BakedMap``, :class:`MeshWarp`,
        :class:`HierarchicalWarp` or ``InverseCDFWarp``. The pdf is the exact density of the
        map as evaluated (for the discrete IADB maps: the Euler scheme actually run).
    source_pdf : None, callable or Density
        The density the points were drawn from; None = uniform on [0, 1]^d.
    **transform_kwargs
        Passed on to ``map.transform`` (e.g. ``n_steps``).

    Returns
    -------
    warped : (n, d) float64 array (torch in → torch out)
    pdf : (n,) float64 array, the density of the warped samples at ``warped``.
    """
    if not callable(getattr(map, "transform", None)):
        raise TypeError(f"map must have a transform method, got {describe(map)}")
    d = getattr(map, "d", None)
    x, restore = to_numpy_io(points, "points", d if isinstance(d, int) else None)
    p0 = _source_pdf_values(x, source_pdf)
    if isinstance(map, MeshWarp) and not map.is_injective:
        # a folded mesh: the density at y sums over every preimage (exact for the uniform source)
        if source_pdf is not None:
            raise ValueError("this MeshWarp folds over (built with allow_foldovers=True); its pdf is only "
                             "known for its own uniform source, so source_pdf must be None")
        y, pdf = map._sample_pdf(x)
        return restore(y), restore(pdf)
    try:
        out = map.transform(x, return_log_det=True, **transform_kwargs)
    except TypeError as exc:
        raise TypeError(f"{type(map).__name__}.transform does not return a log-determinant "
                        f"(return_log_det=True failed: {exc}); warp() needs a map with an exact Jacobian") from None
    y, log_det = out
    y = np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y, dtype=float)
    log_det = np.asarray(log_det.detach().cpu().numpy() if hasattr(log_det, "detach") else log_det,
                         dtype=float).reshape(-1)
    with np.errstate(over="ignore", divide="ignore"):
        pdf = p0 * np.exp(-log_det)
    return restore(y), restore(pdf)


def warped_pdf(map, y, *, source_pdf=None, **transform_kwargs):
    """Density at arbitrary points ``y`` (n, d) of the samples ``warp`` produces (the claimed pdf).

    Uses ``map.pdf`` for :class:`MeshWarp` / :class:`HierarchicalWarp` (default source), else
    ``x = map.inverse_transform(y)`` and ``p0(x) / |det ∂T/∂x|``; points that ``T(x)`` does not
    reach back (outside the image of the source) get 0. This is what a χ² test of a warp needs.
    """
    if source_pdf is None and isinstance(map, (MeshWarp, HierarchicalWarp)):
        z, _ = to_numpy_io(y, "y", 2)
        return np.asarray(map.pdf(z), dtype=float)
    if not callable(getattr(map, "inverse_transform", None)):
        raise TypeError(f"map must have an inverse_transform method, got {describe(map)}")
    d = getattr(map, "d", None)
    z, _ = to_numpy_io(y, "y", d if isinstance(d, int) else None)
    box = getattr(map, "bounds", None)
    if box is not None and np.shape(box) == (z.shape[1], 2):  # no preimage outside the map's box
        box = np.asarray(box, dtype=float)
        keep = np.all((z >= box[:, 0]) & (z <= box[:, 1]), axis=1)
        out = np.zeros(z.shape[0])
        if np.any(keep):
            out[keep] = _warped_pdf_at(map, z[keep], source_pdf, transform_kwargs)
        return out
    return _warped_pdf_at(map, z, source_pdf, transform_kwargs)


def _warped_pdf_at(map, z, source_pdf, transform_kwargs):
    x = np.asarray(map.inverse_transform(z), dtype=float)
    if source_pdf is None:
        inside = np.all((x >= 0.0) & (x <= 1.0), axis=1)
        p0 = inside.astype(float)
    else:
        p0 = _source_pdf_values(x, source_pdf)
    y_back, log_det = map.transform(np.clip(x, 0.0, 1.0) if source_pdf is None else x, return_log_det=True,
                                    **transform_kwargs)
    scale = max(1.0, float(np.abs(z).max(initial=0.0)))
    reached = np.all(np.abs(np.asarray(y_back) - z) <= 1e-6 * scale, axis=1)
    with np.errstate(over="ignore"):
        return np.where(reached, p0 * np.exp(-np.asarray(log_det, dtype=float).reshape(-1)), 0.0)


def make_warp(method, image_density, *, resolution=128, rng=None, progress=None, map_kwargs=None,
              fit_kwargs=None, snap_boundary=True, allow_foldovers=False):
    """A warp of the unit square onto ``image_density`` by ``method`` (one of :data:`WARP_METHODS`).

    ``"grid"``: a ``GridIADBMap`` fitted from the uniform square; ``"mlp"``: an ``IADBMap``
    (trained: slow); ``"mesh"``: the grid map baked into a :class:`MeshWarp` of ``resolution``
    cells per axis (``snap_boundary``, ``allow_foldovers`` as in :meth:`MeshWarp.from_map`);
    ``"inverse-cdf"``: ``InverseCDFWarp``; ``"hierarchical"``:
    :class:`HierarchicalWarp`. ``map_kwargs``/``fit_kwargs`` go to the IADB map's constructor
    and ``fit``. Every result works with :func:`warp`.
    """
    from ._validation import as_generator, check_choice
    from .densities import ImageDensity, Uniform

    check_choice(method, "method", WARP_METHODS)
    if not isinstance(image_density, ImageDensity):
        raise TypeError(f"image_density must be an ImageDensity, got {describe(image_density)}")
    rng = as_generator(rng)
    map_kwargs = dict(map_kwargs or {})
    fit_kwargs = dict(fit_kwargs or {})
    if method == "inverse-cdf":
        from .transport import InverseCDFWarp

        return InverseCDFWarp(image_density)
    if method == "hierarchical":
        return HierarchicalWarp(image_density)
    if method == "mlp":
        from .maps.iadb import IADBMap

        return IADBMap(**map_kwargs).fit(Uniform(), image_density, rng=rng, progress=progress, **fit_kwargs)
    from .maps.grid import GridIADBMap

    grid = GridIADBMap(**map_kwargs).fit(Uniform(), image_density, rng=rng, progress=progress, **fit_kwargs)
    if method == "grid":
        return grid
    return MeshWarp.from_map(grid, resolution, progress=progress, snap_boundary=snap_boundary,
                             allow_foldovers=allow_foldovers)


# ----------------------------------------------------------------------------- MeshWarp

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
    """``stacklevel`` for a warning raised in this module that points at the first caller outside it."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


class MeshWarp:
    """A 2D map baked on a triangulated regular grid: continuous, piecewise affine, exact pdf.

    Each cell of an ``rx × ry`` grid over the source box is cut along its rising diagonal into
    two triangles; the mesh vertices are the map applied to the grid nodes. Inside a triangle
    the warp is affine, so its Jacobian is constant and the pdf of the warped uniform source is
    exactly ``1 / (area(source box) · |det J|)`` there. ``transform`` is O(1) per sample (cell
    lookup, barycentric weights); ``inverse_transform`` and ``pdf`` locate points in the warped
    mesh through a uniform bucket grid (Numba).

    A triangle with negative signed area (relative to the map's orientation), or a warped
    boundary that crosses itself, means the mesh folds over: :meth:`from_vertices` raises a
    ValueError saying how many and where, unless ``allow_foldovers=True`` — then ``pdf`` sums
    over every preimage (still exact), ``is_injective`` is False and there is no inverse.

    Build with :meth:`from_map` or :meth:`from_vertices`. Attributes: ``d`` (2),
    ``source_bounds`` (2, 2), ``resolution`` (rx, ry), ``vertices`` (rx+1, ry+1, 2),
    ``log_det`` (T,) per triangle, ``foldovers`` (indices of folded triangles),
    ``boundary_crossings`` (count), ``is_injective``, ``bounds`` (2, 2) box of source and image.
    """

    d = 2

    def __init__(self):
        raise TypeError("build a MeshWarp with MeshWarp.from_map(map, resolution) or MeshWarp.from_vertices(...)")

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
        if not callable(getattr(map, "transform", None)):
            raise TypeError(f"map must have a transform method, got {describe(map)}")
        if getattr(map, "d", 2) != 2:
            raise ValueError(f"MeshWarp needs a 2D map, got a map with d={map.d}")
        rx, ry = _resolution(resolution)
        sb = _box(bounds)
        gx = np.linspace(sb[0, 0], sb[0, 1], rx + 1)
        gy = np.linspace(sb[1, 0], sb[1, 1], ry + 1)
        nodes = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1).reshape(-1, 2)
        from ._progress import progress_bar

        chunk = 65536
        out = np.empty_like(nodes)
        with progress_bar(len(nodes), desc="baking mesh", progress=progress, unit="pt") as bar:
            for s in range(0, len(nodes), chunk):
                y = map.transform(nodes[s:s + chunk], **transform_kwargs)
                out[s:s + chunk] = as_points(y, "map.transform output", d=2)
                bar.update(min(chunk, len(nodes) - s))
        out = out.reshape(rx + 1, ry + 1, 2)
        if snap_boundary:
            _snap_sides(out, sb)
        return cls.from_vertices(out, bounds=sb, allow_foldovers=allow_foldovers)

    @classmethod
    def from_vertices(cls, vertices, *, bounds=None, allow_foldovers=False):
        """A mesh from the warped grid nodes ``vertices`` (rx+1, ry+1, 2) (node (i, j) at x_i, y_j)."""
        v = np.array(vertices, dtype=float)
        if v.ndim != 3 or v.shape[2] != 2 or v.shape[0] < 2 or v.shape[1] < 2:
            raise ValueError(f"vertices must have shape (rx+1, ry+1, 2) with rx, ry >= 1, got shape {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"vertices contain {int(np.count_nonzero(~np.isfinite(v)))} NaN or infinite value(s); "
                             "the map is undefined at some grid nodes")
        self = object.__new__(cls)
        self.source_bounds = _box(bounds)
        self.resolution = (v.shape[0] - 1, v.shape[1] - 1)
        self.vertices = v
        self.allow_foldovers = bool(allow_foldovers)
        self._build()
        return self

    def _build(self):
        rx, ry = self.resolution
        sb = self.source_bounds
        self._h = (sb[:, 1] - sb[:, 0]) / np.array([rx, ry])
        self._p0 = 1.0 / np.prod(sb[:, 1] - sb[:, 0])
        i, j = np.meshgrid(np.arange(rx), np.arange(ry), indexing="ij")
        n00 = (i * (ry + 1) + j).ravel()
        n10, n11, n01 = n00 + (ry + 1), n00 + (ry + 1) + 1, n00 + 1
        # triangle 2c: (00, 10, 11) holds s >= t; triangle 2c+1: (00, 11, 01) holds s < t
        tris = np.empty((2 * rx * ry, 3), dtype=np.int64)
        tris[0::2] = np.stack([n00, n10, n11], axis=1)
        tris[1::2] = np.stack([n00, n11, n01], axis=1)
        self.triangles = tris
        flat = self.vertices.reshape(-1, 2)
        self._tri_xy = np.ascontiguousarray(flat[tris])  # (T, 3, 2)
        e1 = self._tri_xy[:, 1] - self._tri_xy[:, 0]
        e2 = self._tri_xy[:, 2] - self._tri_xy[:, 0]
        signed = 0.5 * (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
        orientation = 1.0 if signed.sum() >= 0 else -1.0
        self.orientation = int(orientation)
        src_area = 0.5 * self._h[0] * self._h[1]
        with np.errstate(divide="ignore"):
            self.log_det = np.log(np.abs(signed)) - np.log(src_area)
        degenerate = int(np.count_nonzero(signed == 0))
        if degenerate:
            raise ValueError(f"MeshWarp: {degenerate} of {len(signed)} triangles have zero area: the map sends a "
                             "region of positive area onto a segment or a point, so the warped samples have no pdf")
        self.foldovers = np.flatnonzero(signed * orientation < 0)
        boundary = np.concatenate([self.vertices[:, 0], self.vertices[-1, 1:], self.vertices[-2::-1, -1],
                                   self.vertices[0, -2:0:-1]])
        crossings = _boundary_crossings(boundary)
        self.boundary_crossings = len(crossings)
        self.is_injective = len(self.foldovers) == 0 and self.boundary_crossings == 0
        if not self.is_injective:
            msg = self._foldover_message(boundary, crossings)
            if not self.allow_foldovers:
                raise ValueError(msg + "; use a finer resolution or a smoother map, or pass allow_foldovers=True "
                                 "(--allow-foldovers on the command line) "
                                 "(pdf then sums over all preimages; no inverse)")
            warnings.warn(msg + "; pdf() sums over all preimages and inverse_transform is unavailable",
                          stacklevel=_caller_stacklevel())
        with np.errstate(divide="ignore"):
            self._weight = self._p0 * np.exp(-self.log_det)
        lo = np.minimum(flat.min(0), sb[:, 0])
        hi = np.maximum(flat.max(0), sb[:, 1])
        self.bounds = np.stack([lo, hi], axis=1)
        self._make_buckets()

    def _foldover_message(self, boundary, crossings):
        parts = []
        if len(self.foldovers):
            cells = self.foldovers // 2
            ry = self.resolution[1]
            centres = self.source_bounds[:, 0] + (np.stack([cells // ry, cells % ry], axis=1) + 0.5) * self._h
            where = ", ".join(f"({a:.3g}, {b:.3g})" for a, b in centres[:5])
            parts.append(f"{len(self.foldovers)} of {len(self.triangles)} triangles are folded (negative signed "
                         f"area), e.g. in the source cells around {where}")
        if self.boundary_crossings:
            where = ", ".join(f"({a:.3g}, {b:.3g})" for a, b in boundary[crossings[:5, 0]])
            parts.append(f"the warped boundary crosses itself {self.boundary_crossings} time(s) (overlapping "
                         f"triangles), e.g. near {where}")
        return "MeshWarp: the map is not invertible on this mesh: " + "; ".join(parts)

    def _make_buckets(self):
        from ._kernels.mesh import build_buckets

        flat = self._tri_xy.reshape(-1, 2)
        lo, hi = flat.min(0), flat.max(0)
        span = np.maximum(hi - lo, 1e-12)
        margin = 1e-6 * span
        self._b_origin = lo - margin
        nb = max(1, int(np.sqrt(len(self.triangles) / 2.0)))
        self._nb = (nb, nb)
        self._b_inv = nb / (span + 2 * margin)
        self._b_offsets, self._b_items = build_buckets(self._tri_xy, self._b_origin, self._b_inv, nb, nb,
                                                       1e-9 * float(span.max()))

    def _locate(self, y, tol):
        from ._kernels.mesh import locate

        return locate(np.ascontiguousarray(y), self._tri_xy, self._b_offsets, self._b_items, self._b_origin,
                      self._b_inv, self._nb[0], self._nb[1], self._weight, tol)

    # -- evaluation
    def _cells(self, u):
        sb = self.source_bounds
        tol = 1e-9 * (sb[:, 1] - sb[:, 0])
        outside = np.any((u < sb[:, 0] - tol) | (u > sb[:, 1] + tol), axis=1)
        if np.any(outside):
            raise ValueError(f"u has {int(outside.sum())} point(s) outside the source box {sb.tolist()} "
                             "of this MeshWarp")
        g = (u - sb[:, 0]) / self._h
        res = np.array(self.resolution)
        c = np.clip(np.floor(g).astype(np.int64), 0, res - 1)
        st = np.clip(g - c, 0.0, 1.0)
        upper = st[:, 0] < st[:, 1]
        tri = 2 * (c[:, 0] * self.resolution[1] + c[:, 1]) + upper
        return tri, st, upper

    def transform(self, u, *, return_log_det=False):
        """Warp ``u`` (n, 2) in the source box → ``y`` (n, 2) [, ``log|det J|`` (n,)].

        With fold-overs allowed the log-det is the local one of each triangle; use :meth:`pdf`
        (or :func:`warp`) for the density of the warped samples.
        """
        x, restore = to_numpy_io(u, "u", 2)
        tri, st, upper = self._cells(x)
        s, t = st[:, 0], st[:, 1]
        # weights of the triangle's three vertices (see _build for the vertex order)
        w = np.where(upper[:, None], np.stack([1 - t, s, t - s], axis=1), np.stack([1 - s, s - t, t], axis=1))
        y = np.einsum("nk,nkd->nd", w, self._tri_xy[tri])
        if return_log_det:
            return restore(y), restore(self.log_det[tri])
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

    def inverse_transform(self, y):
        """Exact inverse by point location: ``y`` (n, 2) in the warped domain → ``u`` (n, 2)."""
        if not self.is_injective:
            raise ValueError("this MeshWarp folds over (built with allow_foldovers=True): it has no inverse")
        z, restore = to_numpy_io(y, "y", 2)
        first, _, _, bary = self._locate(z, 1e-10)
        missing = first < 0
        if np.any(missing):
            raise ValueError(f"y has {int(missing.sum())} point(s) outside the warped domain (the image of the "
                             f"source box), e.g. {z[np.argmax(missing)].tolist()}")
        rx, ry = self.resolution
        cell = first // 2
        upper = (first % 2).astype(bool)
        corner = self.source_bounds[:, 0] + np.stack([cell // ry, cell % ry], axis=1) * self._h
        lb, lc = bary[:, 1], bary[:, 2]
        # local (s, t) of the vertices: lower (0,0),(1,0),(1,1); upper (0,0),(1,1),(0,1)
        s = np.where(upper, lb, lb + lc)
        t = np.where(upper, lb + lc, lc)
        return restore(corner + np.stack([s, t], axis=1) * self._h)

    def pdf(self, y):
        """Density (n,) of the warped uniform source at ``y`` (n, 2); 0 outside the warped domain."""
        z, restore = to_numpy_io(y, "y", 2)
        if self.is_injective:
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
        rx, ry = self.resolution
        state = "injective" if self.is_injective else f"{len(self.foldovers)} folded triangles"
        return f"MeshWarp({rx}x{ry} cells, {state})"


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


# ----------------------------------------------------------------------------- HierarchicalWarp

class HierarchicalWarp:
    """Mip-map descent warp of the unit square onto an image density (exact pdf, exact inverse).

    At every level of a mip-map pyramid (padded to a power of two) the first uniform coordinate
    picks the left or right column by mass and the second picks the row within it, each
    rescaled to [0, 1) for the next level; the last level places the point affinely in its pixel.
    The map is piecewise affine and discontinuous (it breaks stratification at pixel splits), and
    its pdf is exactly the image density.

    Parameters
    ----------
    image_density : ImageDensity or image array (H, W[, C])
    """

    d = 2

    def __init__(self, image_density):
        from .densities import ImageDensity

        if not isinstance(image_density, ImageDensity):
            image_density = ImageDensity(image_density)
        self.density = image_density
        self.bounds = image_density.domain.copy()
        h, w = image_density.height, image_density.width
        self.levels = max(0, int(np.ceil(np.log2(max(h, w)))))
        size = 2 ** self.levels
        m = np.zeros((size, size))
        m[:w, :h] = image_density.mass[::-1, :].T  # m[ix, iy], iy counted from the bottom
        self._mip = [m]
        for _ in range(self.levels):
            m = m[0::2, 0::2] + m[1::2, 0::2] + m[0::2, 1::2] + m[1::2, 1::2]
            self._mip.insert(0, m)

    def transform(self, u, *, return_log_det=False):
        """Warp ``u`` (n, 2) in [0, 1]^2 → ``y`` (n, 2) [, ``log|det J|`` (n,)]."""
        x, restore = to_numpy_io(u, "u", 2)
        if np.any((x < 0) | (x > 1)):
            raise ValueError(f"u has {int(np.any((x < 0) | (x > 1), axis=1).sum())} point(s) outside [0, 1]^2")
        top = np.nextafter(1.0, 0.0)
        ux, uy = np.minimum(x[:, 0], top), np.minimum(x[:, 1], top)
        ix = np.zeros(len(x), dtype=np.int64)
        iy = np.zeros(len(x), dtype=np.int64)
        for m in self._mip[1:]:
            ix, iy = 2 * ix, 2 * iy
            left = m[ix, iy] + m[ix, iy + 1]
            right = m[ix + 1, iy] + m[ix + 1, iy + 1]
            p = left / (left + right)
            go_right = ux >= p
            ux = np.minimum(np.where(go_right, (ux - p) / np.where(go_right, 1 - p, 1),
                                     ux / np.where(go_right, 1, p)), top)
            ix = ix + go_right
            col = m[ix, iy] + m[ix, iy + 1]
            q = m[ix, iy] / col
            go_up = uy >= q
            uy = np.minimum(np.where(go_up, (uy - q) / np.where(go_up, 1 - q, 1),
                                     uy / np.where(go_up, 1, q)), top)
            iy = iy + go_up
        dens = self.density
        y = dens.domain[:, 0] + np.stack([ix + ux, iy + uy], axis=1) * dens.cell
        if return_log_det:
            log_det = -np.log(self._mip[-1][ix, iy] / (dens.cell[0] * dens.cell[1]))
            return restore(y), restore(log_det)
        return restore(y)

    def inverse_transform(self, y):
        """Exact inverse: ``y`` (n, 2) in pixels of positive mass → ``u`` (n, 2) in [0, 1)^2."""
        z, restore = to_numpy_io(y, "y", 2)
        dens = self.density
        g = (z - dens.domain[:, 0]) / dens.cell
        i = np.clip(np.floor(g).astype(np.int64), 0, np.array([dens.width, dens.height]) - 1)
        ux, uy = np.clip(g[:, 0] - i[:, 0], 0, 1), np.clip(g[:, 1] - i[:, 1], 0, 1)
        ix, iy = i[:, 0], i[:, 1]
        size = np.array([dens.width, dens.height])
        bad = (self._mip[-1][ix, iy] <= 0) | np.any((g < -1e-9) | (g > size + 1e-9), axis=1)
        if np.any(bad):
            raise ValueError(f"y has {int(bad.sum())} point(s) outside the image domain or in zero-mass pixels, "
                             "where the warp has no preimage")
        for m in self._mip[:0:-1]:
            a, b = ix % 2, iy % 2
            px, py = ix - a, iy - b
            col = m[ix, py] + m[ix, py + 1]
            q = m[ix, py] / col
            uy = np.where(b == 1, q + uy * (1 - q), uy * q)
            left = m[px, py] + m[px, py + 1]
            right = m[px + 1, py] + m[px + 1, py + 1]
            p = left / (left + right)
            ux = np.where(a == 1, p + ux * (1 - p), ux * p)
            ix, iy = px // 2, py // 2
        return restore(np.stack([ux, uy], axis=1))

    def pdf(self, y):
        """The image density at ``y`` (n, 2) — exactly the density of the warped samples."""
        return self.density.pdf(y)

    def __repr__(self):
        return f"HierarchicalWarp({self.density.width}x{self.density.height} image, {self.levels} levels)"


# ----------------------------------------------------------------------------- adapted blue noise

class NNDistance(NamedTuple):
    mean: float
    p5: float
    values: np.ndarray  # (n,) r_i


def normalized_nn_distance(points, pdf) -> NNDistance:
    """Density-normalised nearest-neighbour distance r_i = d_NN(x_i) · sqrt(N · p(x_i)).

    For a set adapted to ``p`` the local spacing scales like 1 / sqrt(N p); blue noise keeps
    r high (≈ 0.7–0.9 for good blue noise) and narrow (high 5th percentile), white noise does
    not (mean ≈ 0.5, 5th percentile ≈ 0.13).

    Parameters
    ----------
    points : (n, 2+) array, n >= 2
    pdf : callable (n, d) -> (n,), a Density, or an array (n,) of pdf values at ``points``

    Returns
    -------
    NNDistance(mean, p5, values)
    """
    from scipy.spatial import cKDTree

    x = as_points(points, "points")
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"points needs at least 2 points for a nearest-neighbour distance, got {n}")
    p = _pdf_values(x, pdf)
    dist, _ = cKDTree(x).query(x, k=2)
    r = dist[:, 1] * np.sqrt(n * p)
    return NNDistance(float(r.mean()), float(np.percentile(r, 5)), r)


class LocalSpectrum(NamedTuple):
    freqs: np.ndarray         # (res,) frequency axis, in units of 1 / (local mean spacing)
    power: np.ndarray         # (res, res) mean tapered periodogram over the windows
    radial_k: np.ndarray      # (n_radial,) ring centres
    radial_power: np.ndarray  # (n_radial,) mean power per ring
    n_windows: int


def _pdf_values(x, pdf):
    if callable(getattr(pdf, "pdf", None)):
        p = pdf.pdf(x)
    elif callable(pdf):
        p = pdf(x)
    else:
        p = pdf
    p = np.asarray(p, dtype=float).reshape(-1)
    if p.shape != (x.shape[0],) or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"pdf must give {x.shape[0]} finite values >= 0 at the points, got {describe(p)}")
    return p


def local_periodogram(points, pdf, *, windows=4, res=33, k_max=2.0, min_points=32) -> LocalSpectrum:
    """Periodogram of an adapted 2D point set in windows, each rescaled by its local density.

    The bounding box of ``points`` is cut into ``windows × windows`` squares. In each square
    with at least ``min_points`` points, coordinates are scaled by ``sqrt(N · mean p)`` so the
    expected spacing is 1, a Hann taper removes the window edges, and
    ``P(k) = |Σ_j w_j exp(−2πi k·z_j)|² / Σ_j w_j²`` is evaluated on a ``res × res`` grid of
    frequencies in [−k_max, k_max]² (units: 1 / spacing). White noise gives P ≈ 1 away from
    k = 0; blue noise has a dip below |k| ≈ 1 and a peak near it; anisotropy from a shearing
    warp shows as a non-circular dip.

    Parameters
    ----------
    points : (n, 2) array
    pdf : callable, Density, or (n,) pdf values at ``points``
    windows, res, min_points : int;  k_max : float > 0

    Returns
    -------
    LocalSpectrum(freqs, power, radial_k, radial_power, n_windows)
    """
    from ._validation import check_float

    x = as_points(points, "points", d=2, allow_empty=False)
    p = _pdf_values(x, pdf)
    windows = check_int(windows, "windows", minimum=1)
    res = check_int(res, "res", minimum=3)
    min_points = check_int(min_points, "min_points", minimum=2)
    k_max = check_float(k_max, "k_max", minimum=0.0, strict_min=True)
    n = x.shape[0]
    lo, hi = x.min(0), x.max(0)
    side = np.maximum(hi - lo, 1e-12) / windows
    freqs = np.linspace(-k_max, k_max, res)
    kx, ky = np.meshgrid(freqs, freqs, indexing="ij")
    k = np.stack([kx.ravel(), ky.ravel()], axis=1)
    cell = np.minimum(((x - lo) / side).astype(np.int64), windows - 1)
    total = np.zeros(res * res)
    used = 0
    for i in range(windows):
        for j in range(windows):
            sel = (cell[:, 0] == i) & (cell[:, 1] == j)
            m = int(sel.sum())
            dens = p[sel].mean() if m else 0.0
            if m < min_points or dens <= 0:
                continue
            centre = lo + (np.array([i, j]) + 0.5) * side
            t = (x[sel] - centre) / side  # in [-1/2, 1/2]
            w = np.prod(np.cos(np.pi * t) ** 2, axis=1)
            z = (x[sel] - centre) * np.sqrt(n * dens)
            phase = np.exp(-2j * np.pi * (z @ k.T))  # (m, res²)
            total += np.abs(w @ phase) ** 2 / np.sum(w * w)
            used += 1
    if used == 0:
        raise ValueError(f"no window holds {min_points} points with a positive pdf; use fewer windows or more points")
    power = (total / used).reshape(res, res)
    r = np.hypot(kx, ky)
    edges = np.linspace(0.0, k_max, res // 2 + 1)
    ring = np.digitize(r, edges) - 1
    radial = np.array([power[ring == b].mean() if np.any(ring == b) else np.nan for b in range(len(edges) - 1)])
    return LocalSpectrum(freqs, power, 0.5 * (edges[1:] + edges[:-1]), radial, used)
