r"""Environment-map sampling times the clamped cosine at the shading point (exact pdf).

A light-transport estimator at a surface point with normal n integrates L(ω) · f(ω) · max(0, n·ω).
Sampling ω ∝ L alone wastes every sample that lands below the surface (a sun behind an object, the
ground under a floor). :class:`CosineProductSampler` samples, for the normal's bin, a density
proportional to L(ω) times a coarse, per-cell cosine factor, and returns its exact pdf:

.. math::

    p(\omega \mid n) = p_L(\omega)\,\Bigl(\varepsilon + (1 - \varepsilon)\,
        \frac{g_k(\mathrm{cell}(\omega))}{Z_k}\Bigr),
    \qquad Z_k = \sum_{\mathrm{cells}} P_L(\mathrm{cell})\, g_k(\mathrm{cell}),

where :math:`p_L` is the density of the sampled luminance on the sphere, :math:`k` the bin of the normal n (an
octahedral grid of ``normal_res``² bins, so that sampling and the pdf agree for the same n),
:math:`g_k` a conservative clamped cosine of the bin's normals over a cell of a coarse grid of
``coarse_shape`` cells (the largest over the bin and over each sub-block of the cell,
mass-weighted), and ε (``epsilon``) the defensive share: the pdf never falls below ε·p_L, so every
direction with radiance keeps a positive pdf (any BSDF, any side) and the variance is at most 1/ε
times that of sampling p_L alone. A zero normal (no surface) gives the density of the map's own luminance.

The sampled luminance is the map's luminance L, *compensated* for multiple importance sampling
(``compensation`` c, ``compensation_floor`` f; c = 0 keeps L):

.. math::

    L_c(\omega) = \max\bigl(L(\omega) - c\,\bar L,\; f\,L(\omega)\bigr),

with :math:`\bar L` the mean of L over the sphere. A renderer that combines these directions with
BSDF-sampled ones by MIS already covers the dim, smooth parts of the sky well through the BSDF;
subtracting the mean moves the emitter's samples to the bright lights (a sun, lamps), where BSDF
sampling fails, so the number of samples that hit them is larger and varies less (with
low-discrepancy samples that count is nearly fixed, and its rounding is most of the error). The
floor keeps every direction with radiance sampled: p(ω | n) >= ε · f · p(ω | no compensation)
for the plain luminance density, so the estimate stays unbiased for any BSDF. An estimator that
samples only the emitter (no MIS) should set c = 0.

:math:`p_L` is one of two densities (``interpolation``):

- ``"constant"``: the texels of an (H, W) lat-long map, constant over each texel in solid angle
  (:class:`~iadb_graphics.envmap.EnvMapDensity` with ``parametrisation="row-equal-area"``): row r
  covers θ ∈ [πr/H, π(r + 1)/H], column c covers φ/2π − ``phi_offset`` ∈ [c/W, (c + 1)/W];
- ``"bilinear"``: the density of Mitsuba 3's ``envmap`` emitter: (H, W) node values at
  θ = πr/(H − 1), φ/2π = ``phi_offset`` + c/W (periodic in φ), and in (φ/2π, θ/π) the bilinear
  interpolant of lum · sin θ between them, :math:`p_L = p_{uv} / (2\pi^2 \sin\theta)`.

Sampling descends a quadtree over the texels (zero-padded to powers of two), the way Mitsuba's
``Hierarchical2D`` warp does: at each level u0 picks the upper or lower child and u1 the left or
right one, each rescaled to [0, 1) inside the child, so that strata of a low-discrepancy u stay
compact on the sphere. The levels down to the coarse grid come from the normal's table (mass ×
cosine factor), the finer ones are shared; what is left of u places the point inside the texel
(uniform in solid angle, or bilinear). Tables are flat ``array('d')`` sequences read in pure Python,
so one direction costs a few microseconds: this is what a renderer calling back into Python once
per direction needs.

Axes: +Y up, θ from +Y, φ = atan2(x, −z) (those of :mod:`iadb_graphics.envmap` and Mitsuba 3).
"""
from __future__ import annotations

import math
from array import array

import numpy as np

from ._validation import as_points, check_choice, check_int
from .envmap import _row_edges

__all__ = ["CosineProductSampler", "octahedral_bin", "octahedral_bin_normals", "octahedral_bin_radii",
           "DEFAULT_NORMAL_RES", "DEFAULT_EPSILON", "DEFAULT_COARSE_SHAPE", "DEFAULT_COMPENSATION",
           "DEFAULT_COMPENSATION_FLOOR"]

TWO_PI = 2.0 * math.pi
INTERPOLATIONS = ("constant", "bilinear")
_BELOW_ONE = 1.0 - 2.0 ** -53
DEFAULT_NORMAL_RES = 16
DEFAULT_EPSILON = 0.1
DEFAULT_COARSE_SHAPE = (32, 64)
DEFAULT_COMPENSATION = 1.0
DEFAULT_COMPENSATION_FLOOR = 0.03


def octahedral_bin(nx, ny, nz, res):
    """Bin index in [0, res²) of a normal (any length > 0) on a res × res octahedral grid (+Y pole at the centre)."""
    inv = 1.0 / (abs(nx) + abs(ny) + abs(nz))
    a, b = nx * inv, nz * inv
    if ny < 0.0:
        a, b = (1.0 - abs(b)) * (1.0 if a >= 0.0 else -1.0), (1.0 - abs(a)) * (1.0 if b >= 0.0 else -1.0)
    i = int((a + 1.0) * 0.5 * res)
    j = int((b + 1.0) * 0.5 * res)
    return min(i, res - 1) * res + min(j, res - 1)


def _octahedral_decode(a, b):
    """Unit vectors (..., 3) of octahedral coordinates a, b in [−1, 1] (+Y pole at a = b = 0)."""
    y = 1.0 - np.abs(a) - np.abs(b)
    lower = y < 0
    a2 = np.where(lower, (1.0 - np.abs(b)) * np.where(a >= 0, 1.0, -1.0), a)
    b2 = np.where(lower, (1.0 - np.abs(a)) * np.where(b >= 0, 1.0, -1.0), b)
    n = np.stack([a2, y, b2], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def octahedral_bin_normals(res):
    """Unit normals (res², 3) at the centres of the bins of :func:`octahedral_bin`."""
    res = check_int(res, "res", minimum=1)
    c = (np.arange(res) + 0.5) / res * 2.0 - 1.0
    a, b = np.meshgrid(c, c, indexing="ij")
    return _octahedral_decode(a.ravel(), b.ravel())


def octahedral_bin_radii(res, points=9):
    """Angular radius (res²,) of each bin of :func:`octahedral_bin`: the largest angle (radians) between its
    centre normal and a ``points`` × ``points`` grid over the bin, edges included."""
    res = check_int(res, "res", minimum=1)
    f = np.linspace(0.0, 1.0, check_int(points, "points", minimum=2))
    lo = np.arange(res) / res * 2.0 - 1.0
    a = (lo[:, None] + f[None, :] * 2.0 / res)  # (res, points)
    aa = np.broadcast_to(a[:, None, :, None], (res, res, len(f), len(f)))
    bb = np.broadcast_to(a[None, :, None, :], (res, res, len(f), len(f)))
    grid = _octahedral_decode(aa, bb).reshape(res * res, -1, 3)
    centre = octahedral_bin_normals(res)
    return np.arccos(np.clip(np.einsum("kpi,ki->kp", grid, centre), -1.0, 1.0)).max(axis=1)


def _texel_directions(h, w, phi_offset):
    """Unit directions (h, w, 3) of the texel centres (mid cos θ of each row, mid φ of each column)."""
    edges = _row_edges(h)
    cos_t = 0.5 * (edges[:-1] + edges[1:])
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t ** 2))
    phi = TWO_PI * ((np.arange(w) + 0.5) / w + phi_offset)
    return np.stack([np.sin(phi)[None, :] * sin_t[:, None], np.broadcast_to(cos_t[:, None], (h, w)),
                     -np.cos(phi)[None, :] * sin_t[:, None]], axis=-1)


def _sample_linear(a, b, u):
    """x in [0, 1] with density ∝ a (1 − x) + b x (a, b >= 0) at the quantile u (stable for a ≈ b)."""
    if a == b:
        return u
    return min(1.0, max(0.0, u * (a + b) / (a + math.sqrt(a * a + (b * b - a * a) * u))))


def _split(index, a, b, u):
    """Child ``index`` (mass a) or ``index + 1`` (mass b) for u ∈ [0, 1), and u rescaled to [0, 1) inside it."""
    x = u * (a + b)
    if (x < a and a > 0.0) or not b > 0.0:
        index, u = index, (x / a if a > 0.0 else 0.5)
    else:
        index, u = index + 1, (x - a) / b
    return index, (_BELOW_ONE if u > _BELOW_ONE else (0.0 if u < 0.0 else u))


def _masses(lum, interpolation):
    """Node values q (``"bilinear"``: lum · sin θ; else None) and the mass (∝ the integral of lum over solid
    angle) of each texel or bilinear cell."""
    if interpolation == "bilinear":
        # nodes at θ = πr/(H − 1), φ/2π = phi_offset + c/W; between them the bilinear lum · sin θ
        q = lum * np.sin(np.linspace(0.0, np.pi, lum.shape[0]))[:, None]
        q[0], q[-1] = lum[0] * 0.0, lum[-1] * 0.0
        return q, 0.25 * (q[:-1] + q[1:] + np.roll(q[:-1], -1, axis=1) + np.roll(q[1:], -1, axis=1))
    return None, lum * (_row_edges(lum.shape[0])[:-1] - _row_edges(lum.shape[0])[1:])[:, None]


def _flat(a):
    return array("d", np.ascontiguousarray(a, dtype=np.float64).tobytes())


class CosineProductSampler:
    r"""Sample directions ∝ environment luminance × a per-cell clamped cosine for a normal; exact pdf.

    Parameters
    ----------
    luminance : array (H, W) >= 0
        Luminance of a lat-long map (row 0 at +Y): texel values (``"constant"``, H >= 1) or node values
        (``"bilinear"``, H >= 2).
    interpolation : {"constant", "bilinear"}
        The luminance density p_L between texels or nodes (module docstring).
    phi_offset : float
        Azimuth (in turns) of the left edge of column 0 (``"constant"``) or of node column 0
        (``"bilinear"``; 0.5 / W for Mitsuba's ``envmap``).
    coarse_shape : (int, int)
        At most this many rows and columns in the coarse grid the cosine factor is constant on: the
        finest quadtree level within both bounds.
    normal_res : int
        The normals are binned on a ``normal_res`` × ``normal_res`` octahedral grid (one table each).
    epsilon : float in (0, 1]
        Defensive share of plain luminance sampling; 1 ignores the normal.
    compensation : float >= 0
        The mean luminance times this is subtracted from the sampled luminance (module docstring);
        0 samples the luminance itself. Directions without a surface normal always use the plain
        (uncompensated) luminance density.
    compensation_floor : float in (0, 1]
        The compensated luminance never falls below this share of the luminance.
    subcells : int
        The cosine factor of a cell is the mass-weighted mean over ``subcells``² sub-blocks
        (each at its mass centroid direction).

    Attributes
    ----------
    coarse_shape : (int, int)
        The quadtree level used as the coarse grid (padding included).
    row_edges_, col_edges_ : ndarray of int
        Texel rows and columns where the coarse cells that hold texels begin and end.
    cell_factor : ndarray (normal_res², Hc, Wc)
        p(ω | n) / p_L(ω) on each of those cells for each normal bin (p_L: the sampled luminance's density).

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics.envmap_product import CosineProductSampler
    >>> sky = np.ones((16, 32)); sky[4, 5] = 500.0
    >>> sampler = CosineProductSampler(sky, coarse_shape=(8, 16), normal_res=5)
    >>> d, pdf = sampler.sample(np.random.default_rng(0).random((4, 2)), normals=(0.0, 1.0, 0.0))
    >>> bool(np.allclose(sampler.pdf(d, (0.0, 1.0, 0.0)), pdf))
    True
    """

    def __init__(self, luminance, *, interpolation="constant", phi_offset=0.0, coarse_shape=DEFAULT_COARSE_SHAPE,
                 normal_res=DEFAULT_NORMAL_RES, epsilon=DEFAULT_EPSILON, compensation=DEFAULT_COMPENSATION,
                 compensation_floor=DEFAULT_COMPENSATION_FLOOR, subcells=4):
        lum = np.asarray(luminance, dtype=np.float64)
        check_choice(interpolation, "interpolation", INTERPOLATIONS)
        min_rows = 2 if interpolation == "bilinear" else 1
        if lum.ndim != 2 or lum.shape[0] < min_rows or lum.shape[1] < 1:
            raise ValueError(f"luminance must have shape (H, W) with H >= {min_rows} ({interpolation!r}), "
                             f"got shape {lum.shape}")
        if not np.all(np.isfinite(lum)) or lum.min() < 0:
            raise ValueError("luminance must be finite and >= 0 everywhere")
        if len(tuple(coarse_shape)) != 2:
            raise ValueError(f"coarse_shape must be (rows, columns), got {coarse_shape!r}")
        hc = check_int(coarse_shape[0], "coarse_shape[0]", minimum=1)
        wc = check_int(coarse_shape[1], "coarse_shape[1]", minimum=1)
        self.normal_res = check_int(normal_res, "normal_res", minimum=1)
        subcells = check_int(subcells, "subcells", minimum=1)
        epsilon = float(epsilon)
        if not 0.0 < epsilon <= 1.0:
            raise ValueError(f"epsilon must be in (0, 1], got {epsilon!r}")
        phi_offset = float(phi_offset)
        if not np.isfinite(phi_offset):
            raise ValueError(f"phi_offset must be finite, got {phi_offset!r}")
        compensation = float(compensation)
        if not (compensation >= 0.0 and np.isfinite(compensation)):
            raise ValueError(f"compensation must be finite and >= 0, got {compensation!r}")
        compensation_floor = float(compensation_floor)
        if not 0.0 < compensation_floor <= 1.0:
            raise ValueError(f"compensation_floor must be in (0, 1], got {compensation_floor!r}")
        self.interpolation = interpolation
        q, mass = _masses(lum, interpolation)
        total = mass.sum()
        if not total > 0:
            raise ValueError("luminance is zero everywhere; nothing to sample")
        self.compensation, self.compensation_floor = compensation, compensation_floor
        self._plain = None  # the sampler of the uncompensated density, for directions without a normal
        if compensation > 0.0:
            self._plain = CosineProductSampler(lum, interpolation=interpolation, phi_offset=phi_offset,
                                               coarse_shape=coarse_shape, normal_res=1, epsilon=1.0,
                                               compensation=0.0)
            mean = total / _masses(np.ones_like(lum), interpolation)[1].sum()
            lum = np.maximum(lum - compensation * mean, compensation_floor * lum)
            q, mass = _masses(lum, interpolation)
            total = mass.sum()
        if interpolation == "bilinear":
            self._nodes = _flat(q)
        h, w = mass.shape
        self.height, self.width, self.phi_offset, self.epsilon = h, w, phi_offset, epsilon
        # a quadtree over the texels (zero-padded to powers of two); its level with at most hc × wc nodes is
        # the coarse grid that carries the cosine factor
        levels = [np.zeros((1 << (h - 1).bit_length(), 1 << (w - 1).bit_length()))]
        levels[0][:h, :w] = mass
        while levels[-1].shape != (1, 1):
            r, c = levels[-1].shape
            fr, fc = min(r, 2), min(c, 2)
            levels.append(levels[-1].reshape(r // fr, fr, c // fc, fc).sum(axis=(1, 3)))
        coarse = next(lv for lv, a in enumerate(levels) if a.shape[0] <= hc and a.shape[1] <= wc)
        hcp, wcp = levels[coarse].shape
        br, bc = levels[0].shape[0] // hcp, levels[0].shape[1] // wcp  # texels per coarse cell
        hc, wc = -(-h // br), -(-w // bc)  # coarse cells that hold texels
        self.coarse_shape = (hcp, wcp)
        re = np.minimum(np.arange(hc + 1) * br, h)
        ce = np.minimum(np.arange(wc + 1) * bc, w)
        self.row_edges_, self.col_edges_ = re, ce
        if epsilon < 1.0:
            self.cell_factor = self._cell_factors(levels[0], h, w, (br, bc), levels[coarse], subcells)[:, :hc, :wc]
        else:  # the normal is ignored
            self.cell_factor = np.ones((self.normal_res ** 2, hc, wc))
        factor = np.ones((self.normal_res ** 2 + 1, hcp, wcp))  # the last table: no normal (factor 1)
        factor[:-1, :hc, :wc] = self.cell_factor
        self._factor = _flat(factor)
        # sampling: the quadtree descends through each bin's weighted coarse levels, then the shared fine ones
        weighted = factor * levels[coarse][None]
        self._levels = []  # per level below the top: (rows, columns, table, entries per bin or 0)
        for lv in range(len(levels) - 1):
            if lv < coarse:
                self._levels.append((*levels[lv].shape, _flat(levels[lv]), 0))
            else:
                self._levels.append((*weighted.shape[1:], _flat(weighted), weighted.shape[1] * weighted.shape[2]))
                r, c = weighted.shape[1:]
                fr, fc = min(r, 2), min(c, 2)
                weighted = weighted.reshape(-1, r // fr, fr, c // fc, fc).sum(axis=(2, 4))
        # the descent from the root's children to the texels: (columns, table, entries per bin, the rows split,
        # the columns split, the level is the coarse grid)
        shapes = [a.shape for a in levels]
        self._descent = [(shapes[lv][1], self._levels[lv][2], self._levels[lv][3], shapes[lv][0] > shapes[lv + 1][0],
                          shapes[lv][1] > shapes[lv + 1][1], lv == coarse) for lv in range(len(levels) - 2, -1, -1)]
        del self._levels
        if interpolation == "bilinear":
            # p_ω = p_uv / (2π² sin θ) with p_uv = bilinear(q) · h · w / total on the unit (u, v) square
            self._scale = h * w / (TWO_PI * math.pi * total)
            self._texel_pdf = None
        else:
            # solid-angle density of p_L on each texel: mass / (total · ΔΩ), ΔΩ = band · 2π / W
            self._texel_pdf = _flat(lum * (w / (TWO_PI * total)))
        self._cos_edges = [float(c) for c in _row_edges(h)]
        self._cell_row = [r // br for r in range(h)]
        self._cell_col = [c // bc for c in range(w)]
        self._plain_bin = self.normal_res ** 2

    def _cell_factors(self, padded, h, w, block, cell_mass, subcells):
        """ε + (1 − ε) g_k / Z_k per bin and cell.

        g_k is the mass-weighted mean over the cell's sub-blocks of the largest clamped cosine between any
        normal of bin k and any direction of the sub-block: max(0, cos(max(0, ∠(n_k, ω_b) − r_k − r_b))),
        ω_b the sub-block's mass centroid direction, r_k and r_b the angular radii of bin and sub-block.
        Being conservative, it keeps a light just above the horizon of every normal of the bin likely.
        ``padded`` holds the texel masses (zero-padded), ``block`` the texels per coarse cell, ``cell_mass`` the
        coarse cells' masses; sub-blocks are about ``block / subcells`` texels (a power of two).
        """
        big_h, big_w = padded.shape
        sub_r = 1 << max(0, (block[0] // subcells).bit_length() - 1)  # sub-block size: a power of two
        sub_c = 1 << max(0, (block[1] // subcells).bit_length() - 1)

        def blocks(x):
            return x.reshape(big_h // sub_r, sub_r, big_w // sub_c, sub_c).sum(axis=(1, 3))

        d = np.pad(_texel_directions(h, w, self.phi_offset), ((0, big_h - h), (0, big_w - w), (0, 0)), mode="edge")
        sub_mass = blocks(padded)
        centroid = np.stack([blocks(padded * d[..., i]) for i in range(3)], axis=-1)
        norm = np.linalg.norm(centroid, axis=-1, keepdims=True)
        sub_dir = np.divide(centroid, norm, out=np.zeros_like(centroid), where=norm > 0)
        # angular radius of each sub-block around its centroid: the largest angle to its four corners
        ze = _row_edges(h)[np.minimum(np.arange(0, big_h + 1, sub_r), h)]
        pe = TWO_PI * (np.minimum(np.arange(0, big_w + 1, sub_c), w) / w + self.phi_offset)
        radius = np.zeros(sub_mass.shape)
        for z, ph in ((ze[:-1, None], pe[None, :-1]), (ze[:-1, None], pe[None, 1:]),
                      (ze[1:, None], pe[None, :-1]), (ze[1:, None], pe[None, 1:])):
            sz = np.sqrt(np.maximum(0.0, 1.0 - z * z))
            corner = np.stack(np.broadcast_arrays(np.sin(ph) * sz, z, -np.cos(ph) * sz), axis=-1)
            radius = np.maximum(radius, np.arccos(np.clip(np.sum(corner * sub_dir, axis=-1), -1.0, 1.0)))
        normals = octahedral_bin_normals(self.normal_res)  # (K, 3)
        bin_radius = octahedral_bin_radii(self.normal_res)  # (K,)
        # the largest clamped cosine between any normal of the bin and any direction of the sub-block
        angle = np.arccos(np.clip(sub_dir.reshape(-1, 3) @ normals.T, -1.0, 1.0))
        angle = np.maximum(0.0, angle - radius.reshape(-1, 1) - bin_radius[None, :])
        cos = np.maximum(0.0, np.cos(angle)) * sub_mass.reshape(-1, 1)  # (S, K)
        hcp, wcp = cell_mass.shape
        rows, cols = sub_mass.shape
        g_mass = cos.reshape(hcp, rows // hcp, wcp, cols // wcp, len(normals))
        g_mass = np.moveaxis(g_mass.sum(axis=(1, 3)), 2, 0)  # (K, hcp, wcp): Σ mass · dilated cosine
        total = cell_mass.sum()
        z = g_mass.sum(axis=(1, 2)) / total  # E_L[g_k]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(cell_mass[None] > 0, g_mass / cell_mass[None], 0.0)
            rel = np.where(z[:, None, None] > 0, g / z[:, None, None], 1.0)
        return self.epsilon + (1.0 - self.epsilon) * rel

    # ------------------------------------------------------------------ one direction (pure Python)

    def normal_bin(self, nx, ny, nz):
        """The table index of a normal: its octahedral bin, or the plain table for a zero / non-finite normal."""
        s = abs(nx) + abs(ny) + abs(nz)
        if not (s > 0.0 and s < math.inf):
            return self._plain_bin
        return octahedral_bin(nx, ny, nz, self.normal_res)

    def sample_one(self, u0, u1, nx=0.0, ny=0.0, nz=0.0):
        """Primary sample (u0, u1) ∈ [0, 1)² and a normal → (x, y, z, pdf) of one direction."""
        k = self.normal_bin(nx, ny, nz)
        if k == self._plain_bin and self._plain is not None:
            return self._plain.sample_one(u0, u1)
        i = j = ci = cj = 0
        for cols, t, per_bin, split_rows, split_cols, at_coarse in self._descent:
            base = k * per_bin
            if split_rows:
                top = base + 2 * i * cols
                if split_cols:
                    a, b = t[top + 2 * j] + t[top + 2 * j + 1], t[top + cols + 2 * j] + t[top + cols + 2 * j + 1]
                else:
                    a, b = t[top + j], t[top + cols + j]
                i, u0 = _split(2 * i, a, b, u0)
            if split_cols:
                row = base + i * cols + 2 * j
                j, u1 = _split(2 * j, t[row], t[row + 1], u1)
            if at_coarse:
                ci, cj = i, j
        r, c, f0, f1 = i, j, u0, u1
        h, w = self.height, self.width
        hc, wc = self.coarse_shape
        i, j = ci, cj
        factor = self._factor[(k * hc + i) * wc + j]
        if self._texel_pdf is None:
            v00, v10, v01, v11 = self._corners(r, c)
            fy = _sample_linear(v00 + v10, v01 + v11, f0)
            fx = _sample_linear(v00 + (v01 - v00) * fy, v10 + (v11 - v10) * fy, f1)
            theta = math.pi * (r + fy) / h
            phi = TWO_PI * ((c + fx) / w + self.phi_offset)
            sin_t = math.sin(theta)
            value = (v00 * (1.0 - fx) + v10 * fx) * (1.0 - fy) + (v01 * (1.0 - fx) + v11 * fx) * fy
            pdf = factor * value * self._scale / sin_t if sin_t > 0.0 else 0.0
            return math.sin(phi) * sin_t, math.cos(theta), -math.cos(phi) * sin_t, pdf
        c0, c1 = self._cos_edges[r], self._cos_edges[r + 1]
        cos_t = c0 - f0 * (c0 - c1)
        sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
        phi = TWO_PI * ((c + f1) / w + self.phi_offset)
        pdf = factor * self._texel_pdf[r * w + c]
        return math.sin(phi) * sin_t, cos_t, -math.cos(phi) * sin_t, pdf

    def _corners(self, r, c):
        """Node values (top-left, top-right, bottom-left, bottom-right) of bilinear cell (r, c)."""
        w, q = self.width, self._nodes
        c2 = c + 1 if c + 1 < w else 0
        return q[r * w + c], q[r * w + c2], q[(r + 1) * w + c], q[(r + 1) * w + c2]

    def pdf_one(self, x, y, z, nx=0.0, ny=0.0, nz=0.0):
        """Solid-angle pdf of :meth:`sample_one` at the direction (x, y, z) (any length > 0) for that normal."""
        k = self.normal_bin(nx, ny, nz)
        if k == self._plain_bin and self._plain is not None:
            return self._plain.pdf_one(x, y, z)
        norm = math.sqrt(x * x + y * y + z * z)
        if not norm > 0.0:
            return 0.0
        h, w = self.height, self.width
        theta = math.acos(min(1.0, max(-1.0, y / norm)))
        gy = theta * h / math.pi
        r = min(h - 1, int(gy))
        gx = ((math.atan2(x, -z) / TWO_PI - self.phi_offset) % 1.0) * w
        c = min(w - 1, int(gx))
        hc, wc = self.coarse_shape
        factor = self._factor[(k * hc + self._cell_row[r]) * wc + self._cell_col[c]]
        if self._texel_pdf is not None:
            return factor * self._texel_pdf[r * w + c]
        sin_t = math.sin(theta)
        if not sin_t > 0.0:
            return 0.0
        fy, fx = min(1.0, gy - r), min(1.0, gx - c)
        v00, v10, v01, v11 = self._corners(r, c)
        value = (v00 * (1.0 - fx) + v10 * fx) * (1.0 - fy) + (v01 * (1.0 - fx) + v11 * fx) * fy
        return factor * value * self._scale / sin_t

    # ------------------------------------------------------------------ batches

    def sample(self, u, normals=None):
        """Primary samples ``u`` (n, 2) and normals (n, 3) (or one (3,), or None) → directions (n, 3), pdf (n,)."""
        u = as_points(u, "u", d=2)
        nrm = self._normals(normals, len(u))
        out = np.array([self.sample_one(a, b, *m) for (a, b), m in zip(u.tolist(), nrm)], dtype=float)
        out = out.reshape(len(u), 4)
        return out[:, :3], out[:, 3]

    def pdf(self, directions, normals=None):
        """Solid-angle pdf (n,) at ``directions`` (n, 3) for ``normals`` (n, 3), one normal (3,), or None.

        Vectorised; the same value as :meth:`pdf_one` per direction.
        """
        d = as_points(directions, "directions", d=3)
        if self._texel_pdf is None:
            return np.array([self.pdf_one(*v, *m) for v, m in zip(d.tolist(), self._normals(normals, len(d)))],
                            dtype=float)
        bins = np.array([self.normal_bin(*m) for m in self._normals(normals, len(d))], dtype=np.int64)
        norm = np.linalg.norm(d, axis=1)
        h, w = self.height, self.width
        with np.errstate(divide="ignore", invalid="ignore"):
            cos_t = np.clip(d[:, 1] / norm, -1.0, 1.0)
        r = np.minimum(h - 1, (np.arccos(cos_t) * h / math.pi).astype(np.int64))
        s = (np.arctan2(d[:, 0], -d[:, 2]) / TWO_PI - self.phi_offset) % 1.0
        c = np.minimum(w - 1, (s * w).astype(np.int64))
        hc, wc = self.coarse_shape
        i, j = np.asarray(self._cell_row)[r], np.asarray(self._cell_col)[c]
        factor = np.frombuffer(self._factor, dtype=np.float64)[(bins * hc + i) * wc + j]
        p = factor * np.frombuffer(self._texel_pdf, dtype=np.float64)[r * w + c]
        plain = bins == self._plain_bin
        if self._plain is not None and plain.any():
            p[plain] = self._plain.pdf(d[plain])
        return np.where(norm > 0, p, 0.0)

    @staticmethod
    def _normals(normals, n):
        if normals is None:
            return [(0.0, 0.0, 0.0)] * n
        arr = np.asarray(normals, dtype=float)
        if arr.shape == (3,):
            return [tuple(arr.tolist())] * n
        if arr.shape != (n, 3):
            raise ValueError(f"normals must have shape (3,) or ({n}, 3), got shape {arr.shape}")
        return [tuple(v) for v in arr.tolist()]
