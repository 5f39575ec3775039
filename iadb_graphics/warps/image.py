"""Exact warps of an image density: pbrt's inverse CDF and the hierarchical (mip-map) descent.

Both map [0, 1)² onto an :class:`~iadb_graphics.densities.ImageDensity` with a pdf that is
exactly the image density (piecewise constant), and both are exactly invertible.

References
----------
Pharr, Jakob & Humphreys, *Physically Based Rendering*, 4th ed., §A.5 (PiecewiseConstant2D).
Clarberg et al., "Wavelet importance sampling", SIGGRAPH 2005 (hierarchical warping).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_int, count_outside_unit_cube, describe
from ..densities import ImageDensity
from ..maps.base import BaseMap, to_numpy_io

__all__ = ["InverseCDFWarp", "HierarchicalWarp", "ExactImageWarp", "primary_points"]


def check_unit_square_source(source):
    """The image warps map the uniform unit square: ``source`` must be None or ``Uniform()``."""
    from ..densities import Uniform

    if source is None:
        return
    if not (isinstance(source, Uniform) and source.d == 2 and np.all(source.low == 0) and np.all(source.high == 1)):
        raise ValueError(f"source must be None or Uniform() (the unit square these warps map), got {describe(source)}")


def as_image_density(target, name="target") -> ImageDensity:
    """An :class:`ImageDensity` as it is; an image array (H, W[, C]) or file path becomes one."""
    if isinstance(target, ImageDensity):
        return target
    if target is None:
        raise TypeError(f"{name} must be an ImageDensity, an image array or an image path, got None")
    return ImageDensity(target)


def primary_points(u, name="u"):
    """``u`` (n, 2) of the unit square as ``(float64 array, restore)`` (see :func:`to_numpy_io`);
    a point outside [0, 1]² is a ValueError naming how many and their range."""
    u, restore = to_numpy_io(u, name, 2)
    outside = count_outside_unit_cube(u)
    if outside:
        raise ValueError(f"{name} must lie in [0, 1]^2: {outside} point(s) outside, values in "
                         f"[{u.min():g}, {u.max():g}]")
    return u, restore


class ExactImageWarp(BaseMap):
    """Common part of the warps of [0, 1]² whose pdf is the image density itself.

    ``fit(source, target)`` builds the warp's tables from ``target`` (an ImageDensity, an image
    array or a path; ``source`` is the uniform unit square: None or ``Uniform()``). Subclasses
    implement ``_build(density)``. Fitted attributes: ``density_`` (the ImageDensity), ``d_`` (2),
    ``bounds_`` (its domain).
    """

    #: ``transform(u, return_log_det=True)`` gives the exact log|det| (= −log pdf).
    has_log_det = True
    #: ``inverse_transform`` is exact.
    has_inverse = True

    def fit(self, source=None, target=None, *, rng=None, progress=None):
        """Build the tables of the warp from the uniform unit square onto ``target``; returns ``self``.

        ``rng`` and ``progress`` are accepted for the protocol: building is deterministic and fast.
        """
        check_unit_square_source(source)
        density = as_image_density(target)
        self._build(density)
        self.density_ = density
        self.d = 2
        self.bounds = density.domain.copy()
        return self

    def _build(self, density):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def _forward(self, u, need_log_det):  # pragma: no cover - every subclass overrides
        """``(y, log_det)`` for checked points ``u`` (n, 2) of the unit square (``log_det`` None unless asked)."""
        raise NotImplementedError

    def _inverse(self, y):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def _fused_warp(self, kernel, u, *tables):
        """Run a fused Numba warp ``kernel(*tables, lo, step, u, y, log_det)`` (``lo``: the domain's
        lower corner, ``step``: the pixel size) on checked ``u``; returns ``(y, log_det)``."""
        y = np.empty_like(u)
        log_det = np.empty(len(u))
        dens = self.density_
        kernel(*tables, dens.domain[:, 0], dens.cell, np.ascontiguousarray(u), y, log_det)
        return y, log_det

    def _pixel_coordinates(self, y):
        """Points ``y`` (n, 2) of the domain in pixel units ``g`` (x from the left, y from the bottom),
        their pixels ``ij`` (n, 2) and ``restore`` (see :func:`to_numpy_io`). A point outside the
        domain, non-finite, or in a zero-mass pixel (no preimage) is a ValueError."""
        z, restore = to_numpy_io(y, "y", 2)
        dens = self.density_
        g = (z - dens.domain[:, 0]) / dens.cell
        size = np.array([dens.width, dens.height])
        ij = np.clip(np.floor(np.nan_to_num(g)).astype(np.int64), 0, size - 1)
        bad = np.any((g < -1e-9) | (g > size + 1e-9), axis=1) | ~np.all(np.isfinite(g), axis=1)
        bad |= dens.mass[dens.height - 1 - ij[:, 1], ij[:, 0]] <= 0
        if np.any(bad):
            raise ValueError(f"y has {int(bad.sum())} point(s) outside the image domain or in zero-mass pixels, "
                             "where the warp has no preimage")
        return g, ij, restore

    def transform(self, u, *, return_log_det=False):
        """Warp ``u`` (n, 2) in [0, 1]² to points of the domain; optionally log|det ∂T/∂u| (n,) = −log pdf."""
        self._check_fitted()
        u, restore = primary_points(u)
        y, log_det = self._forward(u, return_log_det)
        if return_log_det:
            return restore(y), restore(log_det)
        return restore(y)

    def inverse_transform(self, y, *, return_log_det=False):
        """Exact inverse: points (n, 2) of the domain → ``u`` in [0, 1]²; optionally log|det ∂T⁻¹/∂y|
        (n,), which is the log-pdf at ``y``."""
        self._check_fitted()
        u = self._inverse(y)
        if return_log_det:
            z, restore = to_numpy_io(y, "y", 2)
            return u, restore(self.density_.log_pdf(z))
        return u

    def pdf(self, x):
        """The warp's pdf at points (n, 2) of the domain: exactly the image density's pdf."""
        self._check_fitted()
        return self.density_.pdf(x)

    def log_pdf(self, x):
        """Log of :meth:`pdf`."""
        self._check_fitted()
        return self.density_.log_pdf(x)

    def sample(self, n, *, rng=None):
        """``n`` warped uniform samples (n, 2)."""
        n = check_int(n, "n", minimum=0)
        return self.transform(as_generator(rng).random((n, 2)))


class InverseCDFWarp(ExactImageWarp):
    r"""The classic 2D warp of an image density: marginal in y, then conditional in x.

    pbrt's ``PiecewiseConstant2D`` semantics: ``u[:, 1]`` picks a row through the marginal CDF
    of the row masses (rows ordered by increasing y, i.e. from the bottom of the image) and
    ``u[:, 0]`` a column through that row's conditional CDF; inside a cell the CDFs are linear
    (the pdf is piecewise constant). So ``transform`` maps [0, 1)² onto the image density's
    ``domain``, its pdf is exactly :meth:`ImageDensity.pdf <iadb_graphics.densities.ImageDensity.pdf>`,
    the Jacobian is triangular with log|det| = −log pdf(T(u)), and ``inverse_transform`` (the two
    CDFs) is exact. No hyperparameters: ``InverseCDFWarp().fit(None, image_density)``.

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics.warps import InverseCDFWarp
    >>> w = InverseCDFWarp().fit(None, np.array([[1.0, 3.0], [0.0, 4.0]]))
    >>> y, log_det = w.transform(np.array([[0.5, 0.5]]), return_log_det=True)
    >>> bool(np.allclose(w.pdf(y), np.exp(-log_det)))
    True
    """

    def __init__(self):
        pass

    def _build(self, image_density):
        mass = image_density.mass[::-1].astype(float)  # row 0 = bottom (lowest y)
        h, w = mass.shape
        rows = mass.sum(axis=1)
        self.row_mass_ = rows / rows.sum()
        self.marginal_cdf_ = np.concatenate([[0.0], np.cumsum(self.row_mass_)])
        self.marginal_cdf_ /= self.marginal_cdf_[-1]
        cond = np.zeros((h, w + 1))
        cond[:, 1:] = np.cumsum(mass, axis=1)
        empty = cond[:, -1] <= 0
        cond[empty, 1:] = np.arange(1, w + 1)  # zero rows: uniform (never sampled)
        cond /= cond[:, -1:]
        self.conditional_cdf_ = cond
        self.cond_mass_ = np.diff(cond, axis=1)
        self._flat_cdf = (cond + np.arange(h)[:, None]).ravel()
        self._last_row = int(np.nonzero(self.row_mass_ > 0)[0][-1])

    def _forward(self, u, need_log_det):
        h, w = self.conditional_cdf_.shape[0], self.conditional_cdf_.shape[1] - 1
        cdf = self.marginal_cdf_
        j = np.searchsorted(cdf, u[:, 1], side="right") - 1
        j = np.minimum(j, self._last_row)
        pj = self.row_mass_[j]
        fy = np.clip((u[:, 1] - cdf[j]) / pj, 0.0, 1.0)
        flat = np.searchsorted(self._flat_cdf, u[:, 0] + j, side="right") - 1
        i = flat - j * (w + 1)
        # u0 + j may round onto a row boundary (u0 within j ulps of 1): redo those in row-local terms
        bad = (i < 0) | (i >= w)
        i = np.clip(i, 0, w - 1)
        bad |= self.cond_mass_[j, i] <= 0
        for k in np.nonzero(bad)[0]:
            row = self.conditional_cdf_[j[k]]
            pos = np.nonzero(self.cond_mass_[j[k]] > 0)[0]
            cand = np.searchsorted(row, u[k, 0], side="right") - 1
            i[k] = pos[np.clip(np.searchsorted(pos, cand, side="right") - 1, 0, len(pos) - 1)]
        pij = self.cond_mass_[j, i]
        fx = np.clip((u[:, 0] - self.conditional_cdf_[j, i]) / pij, 0.0, 1.0)
        dom = self.density_.domain
        x = np.empty_like(u)
        x[:, 0] = dom[0, 0] + (i + fx) * (dom[0, 1] - dom[0, 0]) / w
        x[:, 1] = dom[1, 0] + (j + fy) * (dom[1, 1] - dom[1, 0]) / h
        if not need_log_det:
            return x, None
        area = (dom[0, 1] - dom[0, 0]) * (dom[1, 1] - dom[1, 0])
        return x, np.log(area) - np.log(w * h * pj * pij)  # = −log pdf(x)

    def _inverse(self, x):
        """The two CDFs: points (n, 2) of the domain → u in [0, 1]² (exact inverse of ``transform``)."""
        x, restore = to_numpy_io(x, "x", 2)
        dom = self.density_.domain
        outside = np.any((x < dom[:, 0]) | (x > dom[:, 1]), axis=1)
        if np.any(outside):
            raise ValueError(f"x has {int(outside.sum())} point(s) outside the image domain {dom.tolist()}")
        h, w = self.conditional_cdf_.shape[0], self.conditional_cdf_.shape[1] - 1
        ty = (x[:, 1] - dom[1, 0]) / (dom[1, 1] - dom[1, 0]) * h
        tx = (x[:, 0] - dom[0, 0]) / (dom[0, 1] - dom[0, 0]) * w
        j = np.clip(np.floor(ty).astype(np.int64), 0, h - 1)
        i = np.clip(np.floor(tx).astype(np.int64), 0, w - 1)
        u = np.empty_like(x)
        u[:, 1] = self.marginal_cdf_[j] + (ty - j) * self.row_mass_[j]
        u[:, 0] = self.conditional_cdf_[j, i] + (tx - i) * self.cond_mass_[j, i]
        return restore(np.clip(u, 0.0, 1.0))


class HierarchicalWarp(ExactImageWarp):
    """Mip-map descent warp of the unit square onto an image density (exact pdf, exact inverse).

    At every level of a mip-map pyramid (padded to a power of two) the first uniform coordinate
    picks the left or right column by mass and the second picks the row within it, each
    rescaled to [0, 1) for the next level; the last level places the point affinely in its pixel.
    The map is piecewise affine and discontinuous (it breaks stratification at pixel splits), and
    its pdf is exactly the image density. No hyperparameters: ``HierarchicalWarp().fit(None, image_density)``.
    """

    def __init__(self):
        pass

    def _build(self, image_density):
        h, w = image_density.height, image_density.width
        self.levels_ = max(0, int(np.ceil(np.log2(max(h, w)))))
        size = 2 ** self.levels_
        m = np.zeros((size, size))
        m[:w, :h] = image_density.mass[::-1, :].T  # m[ix, iy], iy counted from the bottom
        self._mip = [m]
        for _ in range(self.levels_):
            m = m[0::2, 0::2] + m[1::2, 0::2] + m[0::2, 1::2] + m[1::2, 1::2]
            self._mip.insert(0, m)
        # the kernel's split table and the log-density of the finest level
        from .._kernels.hierarchical import split_table

        self._splits, self._offsets = split_table(self._mip)
        with np.errstate(divide="ignore"):
            self._log_pdf = np.log(self._mip[-1] / (image_density.cell[0] * image_density.cell[1]))

    def _forward(self, u, need_log_det):
        """The mip-map descent (Numba, parallel); the kernel computes the log-det anyway."""
        from .._kernels.hierarchical import hierarchical_warp

        return self._fused_warp(hierarchical_warp, u, self._splits, self._offsets, self.levels_, self._log_pdf)

    def _inverse(self, y):
        """Exact inverse: ``y`` (n, 2) in pixels of positive mass → ``u`` (n, 2) in [0, 1)^2."""
        g, i, restore = self._pixel_coordinates(y)
        ux, uy = np.clip(g[:, 0] - i[:, 0], 0, 1), np.clip(g[:, 1] - i[:, 1], 0, 1)
        ix, iy = i[:, 0], i[:, 1]
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

    def __repr__(self):
        if not self.is_fitted:
            return "HierarchicalWarp(not fitted)"
        return f"HierarchicalWarp({self.density_.width}x{self.density_.height} image, {self.levels_} levels)"
