r"""Environment maps: a latitude–longitude HDR image as a density of directions on the sphere.

Axis and orientation convention (the same as Mitsuba 3's ``envmap`` emitter)
------------------------------------------------------------------------------
A direction ``d = (x, y, z)`` has polar angle θ from the **+Y axis** (up) and azimuth
φ = atan2(x, −z) ∈ [0, 2π):

.. math:: d = (\sin\phi \sin\theta,\; \cos\theta,\; -\cos\phi \sin\theta).

Image column ``c`` of a W-column lat-long image covers φ ∈ [2πc/W, 2π(c+1)/W] (column 0
starts at φ = 0, the direction −Z, and φ grows with the column index); row ``r`` of H rows
covers θ ∈ [πr/H, π(r+1)/H] (row 0 at the top of the image is the +Y pole). The square the
warps live on is the unit square of :class:`~iadb_graphics.densities.ImageDensity`: s = φ/2π
horizontally and t from 1 at the top row to 0 at the bottom row.

- **Mitsuba 3** (``envmap``, default ``to_world``): the same axes and the same u = φ/2π,
  v = θ/π texture coordinates. Mitsuba interpolates its radiance bilinearly between nodes at
  φ = 2π(c + ½)/W (texel centres) and θ = πr/(H − 1) (the first and last rows sit on the poles);
  :mod:`iadb_graphics.mitsuba_emitter` samples that bilinear radiance.
- **pbrt-v4** (``ImageInfiniteLight``) stores the sphere as an equal-area octahedral square
  (Clarberg's mapping, ``EqualAreaSquareToSphere``) in a +Z-up light frame, and its ``imgtool
  makeequiarea`` resamples a lat-long image with θ = acos(z), φ = atan2(y, x). The same image
  therefore gives pbrt's light-frame direction ``(−z, x, y)`` for our ``(x, y, z)`` (a reflection:
  use a mirroring ``Scale`` in pbrt's light transform to see the map from the same side).

Solid-angle pdf
---------------
The warp targets the image mass of every texel times its solid angle, lum · (cos θ0 − cos θ1) ·
2π/W, so rows near the poles are neither over- nor under-sampled. Inside a row the square maps to
the sphere in one of two ways (``parametrisation``):

- ``"row-equal-area"`` (default): t is linear in cos θ within each row, so a piecewise-constant
  square density becomes a piecewise-constant solid-angle density,
  :math:`p_\omega = p_{st} / (2\pi H (\cos\theta_0 - \cos\theta_1))`, exactly proportional to the
  texel luminance for the exact warps, with no singularity at the poles;
- ``"latlong"``: t = 1 − θ/π (the texture coordinate itself),
  :math:`p_\omega = p_{st} / (2\pi^2 \sin\theta)`.

References
----------
Pharr, Jakob & Humphreys, *Physically Based Rendering*, 4th ed., §12.5 (image infinite lights).
Clarberg, "Fast equal-area mapping of the (hemi)sphere using SIMD", JGT 13(3), 2008.
"""
from __future__ import annotations

import functools

import numpy as np

from ._validation import as_generator, as_points, check_choice, check_int, describe
from .densities import Density, ImageDensity, _image_intensity

__all__ = ["EnvMapDensity", "PARAMETRISATIONS", "envmap_luminance", "square_to_direction", "direction_to_square"]

PARAMETRISATIONS = ("row-equal-area", "latlong")


def envmap_luminance(image, *, name="image"):
    """Rec. 709 luminance (H, W) float64 of a lat-long environment map (array or file path).

    Accepts (H, W), (H, W, 1), (H, W, 3) (linear RGB) and (H, W, 4) arrays (alpha ignored); raises ``ValueError`` naming
    ``name`` for another channel count, non-finite or negative pixels, or an all-zero map.
    """
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        from .io import read_image

        image = read_image(image, name=name)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} has {arr.shape[2]} channels (shape {arr.shape}); an environment map "
                         "needs 1 (luminance), 3 (linear RGB) or 4 (RGBA, alpha ignored)")
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if np.any(bad):
            raise ValueError(f"{name} has {int(bad.sum())} non-finite (NaN or infinite) value(s); "
                             "an environment map needs finite radiance")
        if np.any(arr < 0):
            raise ValueError(f"{name} has {int((arr < 0).sum())} negative value(s) (min {float(arr.min()):g}); "
                             "an environment map needs radiance >= 0")
    lum = _image_intensity(arr, name)
    if lum.min() < 0:  # e.g. a negative luminance from an (H, W) array
        raise ValueError(f"{name} has negative values (min {lum.min():g}); an environment map needs radiance >= 0")
    if not lum.sum() > 0:
        raise ValueError(f"{name} is black everywhere (zero total luminance); nothing to sample")
    return lum


@functools.lru_cache(maxsize=16)
def _row_edges(h):
    """cos θ at the h + 1 row edges θ = πr/h (exactly ±1 at the poles), read-only."""
    cos = np.cos(np.linspace(0.0, np.pi, h + 1))
    cos[0], cos[-1] = 1.0, -1.0
    cos.flags.writeable = False
    return cos


def square_to_direction(st, *, height, parametrisation="row-equal-area", phi_offset=0.0):
    """Points ``st`` (n, 2) of the unit square → unit directions (n, 3) and the Jacobian (n,).

    The Jacobian is dΩ / ds dt, so that :math:`p_\\omega = p_{st} / J`. ``height`` is the number of
    rows of the map (it sets the rows of ``"row-equal-area"``); ``phi_offset`` (turns) shifts φ:
    φ = 2π (s + phi_offset). See the module docstring for the axes.
    """
    st = as_points(st, "st", d=2)
    height = check_int(height, "height", minimum=1)
    check_choice(parametrisation, "parametrisation", PARAMETRISATIONS)
    phi = 2.0 * np.pi * (st[:, 0] + phi_offset)
    if parametrisation == "latlong":
        theta = np.pi * (1.0 - st[:, 1])
        cos_t, sin_t = np.cos(theta), np.sin(theta)
        jac = 2.0 * np.pi ** 2 * sin_t
    else:
        edges = _row_edges(height)
        g = (1.0 - st[:, 1]) * height
        r = np.clip(np.floor(g).astype(np.int64), 0, height - 1)
        f = np.clip(g - r, 0.0, 1.0)
        dc = edges[r] - edges[r + 1]
        cos_t = np.clip(edges[r] - f * dc, -1.0, 1.0)
        sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t * cos_t))
        jac = 2.0 * np.pi * height * dc
    d = np.stack([np.sin(phi) * sin_t, cos_t, -np.cos(phi) * sin_t], axis=1)
    return d, jac


def direction_to_square(directions, *, height, parametrisation="row-equal-area", phi_offset=0.0):
    """Inverse of :func:`square_to_direction`: directions (n, 3) → ``st`` (n, 2) and the Jacobian (n,).

    Directions are normalised first; a zero vector raises ``ValueError``.
    """
    d = as_points(directions, "directions", d=3)
    height = check_int(height, "height", minimum=1)
    check_choice(parametrisation, "parametrisation", PARAMETRISATIONS)
    norm = np.linalg.norm(d, axis=1)
    if np.any(norm <= 0):
        raise ValueError(f"directions has {int((norm <= 0).sum())} zero vector(s); a direction needs length > 0")
    d = d / norm[:, None]
    s = (np.arctan2(d[:, 0], -d[:, 2]) / (2.0 * np.pi) - phi_offset) % 1.0
    s = np.where(s >= 1.0, 0.0, s)
    cos_t = np.clip(d[:, 1], -1.0, 1.0)
    if parametrisation == "latlong":
        theta = np.arccos(cos_t)
        t = 1.0 - theta / np.pi
        jac = 2.0 * np.pi ** 2 * np.sin(theta)
    else:
        edges = _row_edges(height)
        r = np.clip(np.searchsorted(-edges, -cos_t, side="right") - 1, 0, height - 1)
        dc = edges[r] - edges[r + 1]
        f = np.clip((edges[r] - cos_t) / dc, 0.0, 1.0)
        t = 1.0 - (r + f) / height
        jac = 2.0 * np.pi * height * dc
    return np.stack([s, np.clip(t, 0.0, 1.0)], axis=1), jac


def _default_method():
    from . import warps

    return getattr(warps, "DEFAULT_WARP_METHOD", "inverse-cdf")


class EnvMapDensity(Density):
    r"""A density of directions on the sphere proportional to an environment map's luminance.

    The texel masses lum · weight · (cos θ0 − cos θ1) form an
    :class:`~iadb_graphics.densities.ImageDensity` on the unit square; a warp of that square
    (any method of :func:`~iadb_graphics.warps.make_warp`) carries uniform primary samples to it,
    and :func:`square_to_direction` carries the square to the sphere. :meth:`pdf` is the exact
    solid-angle density of the directions :meth:`sample` returns (for the warps whose square pdf
    is not the image's, such as ``"grid"`` and ``"mesh"``, it is the warp's own pdf);
    :meth:`target_pdf` is the luminance density itself. Axes: +Y up, see the module docstring.

    Parameters
    ----------
    image : array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of linear radiance, or a path to an image file
        (``.hdr``, ``.exr``, ``.pfm`` and the other formats of :func:`iadb_graphics.io.read_image`)
        A latitude–longitude map, row 0 at the top (+Y).
    weight : None or array (H, W) >= 0
        Multiplies the luminance (e.g. a mask, or a product with another factor).
    method : str or None
        The warp (one of ``make_warp``'s methods); None = the package's default warp.
    parametrisation : {"row-equal-area", "latlong"}
        How a row of the square maps to its band of θ (module docstring).
    phi_offset : float
        Azimuth (in turns) of the left edge of column 0; 0 for a lat-long image.
    rng : None, int or Generator
        Seeds the fit of the learned warps (``"grid"``, ``"mesh"``, ``"mlp"``).
    warp_kwargs : dict or None
        More keyword arguments for ``make_warp`` (e.g. ``resolution``, ``map_kwargs``).

    Attributes
    ----------
    square_density : ImageDensity
        The density the warp targets on the unit square.
    warp_ : the fitted warp of [0, 1]² onto ``square_density``.

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics import EnvMapDensity
    >>> sky = np.ones((16, 32, 3), np.float32); sky[2, 5] = 500.0     # a small bright sun
    >>> env = EnvMapDensity(sky)
    >>> dirs = env.sample(20000, rng=0)                               # (n, 3) unit directions
    >>> round(float(np.mean(1.0 / env.pdf(dirs)) / (4 * np.pi)), 1)   # E[1/p] = area of the sphere
    1.0
    """

    d = 3

    def __init__(self, image, *, weight=None, method=None, parametrisation="row-equal-area", phi_offset=0.0,
                 rng=None, warp_kwargs=None):
        from .warps import make_warp

        lum = envmap_luminance(image, name="image")
        h, w = lum.shape
        if weight is not None:
            wt = np.asarray(weight, dtype=float)
            if wt.shape != (h, w):
                raise ValueError(f"weight must have the map's shape {(h, w)}, got {describe(weight)}")
            if not np.all(np.isfinite(wt)) or np.any(wt < 0):
                raise ValueError("weight must be finite and >= 0 everywhere")
            lum = lum * wt
        check_choice(parametrisation, "parametrisation", PARAMETRISATIONS)
        phi_offset = float(phi_offset)
        if not np.isfinite(phi_offset):
            raise ValueError(f"phi_offset must be finite, got {phi_offset!r}")
        edges = _row_edges(h)
        mass = lum * (edges[:-1] - edges[1:])[:, None]
        if not mass.sum() > 0:
            raise ValueError("image times weight has zero mass; nothing to sample")
        self.height, self.width = h, w
        self.parametrisation = parametrisation
        self.phi_offset = phi_offset
        self.method = _default_method() if method is None else method
        self.luminance = lum
        self.square_density = ImageDensity(mass)
        self.warp_ = make_warp(self.method, self.square_density, rng=as_generator(rng), **dict(warp_kwargs or {}))

    def _geometry(self):
        return {"height": self.height, "parametrisation": self.parametrisation, "phi_offset": self.phi_offset}

    def transform(self, u):
        """Primary samples ``u`` (n, 2) in [0, 1]² → directions (n, 3) and their solid-angle pdf (n,)."""
        from .warps import warp

        u = as_points(u, "u", d=2)
        st, p_st = warp(u, self.warp_)
        st = np.clip(st, 0.0, 1.0)
        d, jac = square_to_direction(st, **self._geometry())
        with np.errstate(divide="ignore"):
            return d, np.where(jac > 0, p_st / jac, np.inf)

    def inverse_transform(self, directions):
        """Directions (n, 3) → the primary samples (n, 2) that :meth:`transform` maps onto them."""
        st, _ = direction_to_square(directions, **self._geometry())
        return np.clip(np.asarray(self.warp_.inverse_transform(st), dtype=float), 0.0, 1.0)

    def _sample(self, n, rng):
        return self.transform(rng.random((n, 2)))[0]

    def pdf(self, directions):
        """Exact solid-angle density (n,) of :meth:`sample`'s directions at ``directions`` (n, 3)."""
        from .warps import warped_pdf

        st, jac = direction_to_square(directions, **self._geometry())
        own_pdf = getattr(self.warp_, "pdf", None)  # the exact warps' pdf needs no inverse
        p = np.asarray(own_pdf(st) if callable(own_pdf) else warped_pdf(self.warp_, st), dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(jac > 0, p / jac, np.where(p > 0, np.inf, 0.0))

    def _log_pdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(x))

    def target_pdf(self, directions):
        """The solid-angle density (n,) proportional to luminance × weight (what the warp aims at)."""
        st, jac = direction_to_square(directions, **self._geometry())
        p = self.square_density.pdf(st)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(jac > 0, p / jac, np.where(p > 0, np.inf, 0.0))

    def _bounds(self):
        return np.array([[-1.0, 1.0]] * 3)
