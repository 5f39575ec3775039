"""A pixel-exact warp that is continuous across the rows of the image: broken-line band boundaries.

pbrt's inverse CDF picks a row, then a column through that row's own conditional CDF, so the
warp jumps sideways at every row boundary by the difference of two neighbouring conditional
CDFs. :class:`ContinuousCDFWarp` keeps the row marginal (the bands of ``u_y``) but draws the
boundary between two pixel columns inside a band as a broken line (bottom, middle, top) whose
lower end is the upper end of the same boundary in the band below. Each pixel's preimage keeps
exactly the pixel's mass and is mapped onto the pixel with a constant Jacobian, so the pdf is
still exactly the image density and the inverse is closed form, while the map is continuous
across every band boundary where the two rows can share their boundary points.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_float
from ..maps.base import to_numpy_io
from .image import ExactImageWarp

__all__ = ["ContinuousCDFWarp", "band_widths"]


def band_widths(cond_mass, continuity=1.0):
    """Widths of every pixel's preimage at the bottom, middle and top of its band.

    Band k's conditional masses ``c_k = cond_mass[k]`` (rows sum to 1) fix the mean width of
    each preimage (``(bottom + 2 mid + top) / 4 == c_k``). At the boundary between bands k − 1 and
    k both sides use the widths ``λ s + (1 − λ) c`` (their own ``c``), where
    ``s = min(c_{k-1}, c_k) / S`` with ``S = Σ min(c_{k-1}, c_k)`` (one minus the total variation
    distance of the two rows) and ``λ = min(continuity, S / (1 − S))``: with λ = 1 both bands
    share the boundary and the warp is continuous across it; the cap keeps every width
    non-negative (bottom and top at most ``2 c``), and a pixel of zero mass has zero width.

    Parameters
    ----------
    cond_mass : array (K, W), rows >= 0 summing to 1
    continuity : float in [0, 1]; 0 gives pbrt's inverse CDF (vertical boundaries).

    Returns
    -------
    bottom, mid, top : arrays (K, W) of widths.
    lam : array (K - 1,), the blend at each interior band boundary (1 = continuous there).
    """
    c = np.asarray(cond_mass, dtype=float)
    low = np.minimum(c[:-1], c[1:])
    share = low.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(share >= 0.5, 1.0, share / (1.0 - share))
        shared = np.where(share[:, None] > 0, low / np.where(share > 0, share, 1.0)[:, None], 0.0)
    lam = np.minimum(lam, continuity)
    bottom = c.copy()
    top = c.copy()
    bottom[1:] = lam[:, None] * shared + (1 - lam[:, None]) * c[1:]
    top[:-1] = lam[:, None] * shared + (1 - lam[:, None]) * c[:-1]
    bottom = np.clip(bottom, 0.0, 2 * c)
    top = np.clip(top, 0.0, 2 * c)
    mid = np.maximum(0.5 * (4 * c - bottom - top), 0.0)
    return bottom, mid, top, lam


def _positions(widths):
    """Boundary positions (K, W + 1) from widths (K, W): cumulative sums from 0, ending at exactly 1."""
    pos = np.concatenate([np.zeros((widths.shape[0], 1)), np.cumsum(widths, axis=1)], axis=1)
    return pos / pos[:, -1:]


class ContinuousCDFWarp(ExactImageWarp):
    r"""Pixel-exact warp of [0, 1)² onto an image density, continuous across rows where it can be.

    ``u[:, 1]`` picks a row band through the marginal CDF of the row masses (rows ordered from
    the bottom of the image, rows of zero mass skipped) exactly as pbrt's ``PiecewiseConstant2D``.
    Inside a band, at local height ``t``, the boundary between columns ``i − 1`` and ``i`` sits at
    a position piecewise linear in ``t`` through the band's bottom, middle and top boundary
    points (:func:`band_widths`); the region between two boundaries, of area equal to the
    pixel's mass, is the pixel's preimage. A point at height ``t`` and at fraction ``s`` of the
    region's width at that height goes to ``fy = A(t) / A(1)`` (``A``: the region's area below
    ``t``) and ``fx = s`` inside the pixel: the Jacobian is constant on the region, so the pdf is
    exactly :meth:`ImageDensity.pdf <iadb_graphics.densities.ImageDensity.pdf>` and
    log|det ∂T/∂u| = −log pdf(T(u)). The inverse solves one quadratic per point.

    The map is continuous across a band boundary where the two rows share their boundary
    points (``lam_ == 1``); inside a band it can jump by less than one pixel vertically across a
    column boundary (the two neighbours' ``A`` differ).

    Parameters
    ----------
    continuity : float in [0, 1], default 1
        Upper bound of the blend λ of :func:`band_widths`; 0 reproduces ``InverseCDFWarp``.
    """

    def __init__(self, *, continuity=1.0):
        self.continuity = check_float(continuity, "continuity", minimum=0.0, maximum=1.0)

    def _build(self, image_density):
        mass = image_density.mass[::-1].astype(float)  # row 0 = bottom (lowest y)
        row_mass = mass.sum(axis=1)
        self.rows_ = np.nonzero(row_mass > 0)[0]
        band_mass = row_mass[self.rows_]
        band_mass = band_mass / band_mass.sum()
        cdf = np.concatenate([[0.0], np.cumsum(band_mass)])
        cdf /= cdf[-1]
        self.band_y0_ = cdf[:-1].copy()
        self.band_dy_ = np.diff(cdf)
        cond = mass[self.rows_] / mass[self.rows_].sum(axis=1, keepdims=True)
        widths = band_widths(cond, self.continuity)
        self.lam_ = widths[3]
        self.bottom_, self.mid_, self.top_ = (_positions(w) for w in widths[:3])
        self.last_col_ = np.array([np.nonzero(r > 0)[0][-1] for r in cond], dtype=np.int64)
        self.band_of_row_ = np.full(mass.shape[0], -1, dtype=np.int64)
        self.band_of_row_[self.rows_] = np.arange(len(self.rows_))
        self._log_pdf_pixel = np.log(np.where(mass > 0, image_density.density_grid()[::-1], 1.0))

    def _forward(self, u, need_log_det):
        """The band warp (Numba); the kernel computes the log-det anyway."""
        from .._kernels.bands import band_warp

        dens = self.density_
        y = np.empty_like(u)
        log_det = np.empty(len(u))
        band_warp(self.band_y0_, self.band_dy_, self.bottom_, self.mid_, self.top_, self.last_col_, self.rows_,
                  self._log_pdf_pixel, dens.domain[:, 0], dens.cell, np.ascontiguousarray(u), y, log_det)
        return y, log_det

    def _inverse(self, x):
        """Exact inverse: points (n, 2) in pixels of positive mass → ``u`` (n, 2) in [0, 1]²."""
        from .._kernels.bands import band_inverse

        x, restore = to_numpy_io(x, "x", 2)
        dens = self.density_
        g = (x - dens.domain[:, 0]) / dens.cell
        size = np.array([dens.width, dens.height])
        ij = np.clip(np.floor(g).astype(np.int64), 0, size - 1)
        band = self.band_of_row_[ij[:, 1]]
        outside = np.any((g < -1e-9) | (g > size + 1e-9), axis=1) | ~np.isfinite(g).all(axis=1)
        bad = outside | (band < 0)
        bad[~bad] = dens.mass[::-1][ij[~bad, 1], ij[~bad, 0]] <= 0
        if np.any(bad):
            raise ValueError(f"x has {int(bad.sum())} point(s) outside the image domain or in zero-mass pixels, "
                             "where the warp has no preimage")
        pix = np.stack([ij[:, 0], band], axis=1)
        frac = np.clip(g - ij, 0.0, 1.0)
        u = np.empty_like(x)
        band_inverse(self.band_y0_, self.band_dy_, self.bottom_, self.mid_, self.top_, pix, frac, u)
        return restore(u)

    def __repr__(self):
        if not self.is_fitted:
            return f"ContinuousCDFWarp(continuity={self.continuity}, not fitted)"
        shared = float(np.mean(self.lam_ >= 1)) if len(self.lam_) else 1.0
        return (f"ContinuousCDFWarp({self.density_.width}x{self.density_.height} image, "
                f"continuous across {shared:.0%} of the band boundaries)")
