"""Mitsuba 3's 2D sampling distributions behind the warp interface (optional: needs ``mitsuba``).

Mitsuba samples the *bilinear interpolant* of an array of values at grid vertices. To sample
the same image as the other warps, :class:`MitsubaWarp` puts one bilinear patch on every pixel
and sets each vertex to the mean of the (up to four) pixels around it, so the patches' masses
follow the image and the pdf is continuous. Mitsuba's array row 0 is y = 0, the image's row 0
is the top (y = 1): the rows are flipped. Scalar variants draw one sample per call, so the
methods loop in Python (about a microsecond per point).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_choice
from ..maps.base import BaseMap, to_numpy_io
from .image import as_image_density, check_unit_square_source, primary_points

__all__ = ["MitsubaWarp", "MITSUBA_KINDS", "vertex_values"]

#: kind → Mitsuba class name
MITSUBA_KINDS = {"hierarchical": "Hierarchical2D0", "marginal-continuous": "MarginalContinuous2D0",
                 "marginal-discrete": "MarginalDiscrete2D0"}


def vertex_values(pixels):
    """(H + 1, W + 1) vertex values from an (H, W) array: each vertex gets the mean of its adjacent pixels."""
    p = np.asarray(pixels, dtype=float)
    pad = np.pad(p, 1, mode="edge")
    return 0.25 * (pad[:-1, :-1] + pad[1:, :-1] + pad[:-1, 1:] + pad[1:, 1:])


def _mitsuba():
    try:
        import mitsuba as mi
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("MitsubaWarp needs the optional 'mitsuba' package (pip install mitsuba)") from exc
    if mi.variant() is None:
        mi.set_variant("scalar_rgb")
    return mi


class MitsubaWarp(BaseMap):
    """One of Mitsuba 3's ``Hierarchical2D0`` / ``MarginalContinuous2D0`` / ``MarginalDiscrete2D0``.

    Parameters
    ----------
    kind : {"hierarchical", "marginal-continuous", "marginal-discrete"}

    Notes
    -----
    ``transform(u, return_log_det=True)`` returns Mitsuba's sample and ``-log`` of the pdf it
    reports, so :func:`~iadb_graphics.warps.warp` works; :meth:`pdf` is Mitsuba's ``eval``
    (the normalised bilinear interpolant) and :meth:`inverse_transform` its ``invert``.
    Mitsuba computes in single precision.
    """

    has_log_det = True
    has_inverse = True

    def __init__(self, *, kind="hierarchical"):
        self.kind = check_choice(kind, "kind", tuple(MITSUBA_KINDS))

    def fit(self, source=None, target=None, *, rng=None, progress=None):
        """Build Mitsuba's distribution on ``target``'s pixel masses (they become the bilinear patches,
        see :func:`vertex_values`); ``source`` is the uniform unit square (None or ``Uniform()``)."""
        check_unit_square_source(source)
        density = as_image_density(target)
        dom = density.domain
        if not np.allclose(dom, [[0.0, 1.0], [0.0, 1.0]]):
            raise ValueError(f"MitsubaWarp needs the unit-square domain, got {dom.tolist()}")
        mi = _mitsuba()
        self.density_ = density
        self.vertices_ = vertex_values(density.mass[::-1])  # row 0 = y = 0
        self._mi = mi
        self._distr = getattr(mi, MITSUBA_KINDS[self.kind])(self.vertices_.astype(np.float32))
        self.d = 2
        self.bounds = dom.copy()
        return self

    def patch_mass(self):
        """Mass of each bilinear patch (H, W), rows from the top like the image: the mean of its corners."""
        v = self.vertices_
        m = 0.25 * (v[:-1, :-1] + v[1:, :-1] + v[:-1, 1:] + v[1:, 1:])
        return (m / m.sum())[::-1]

    def transform(self, u, *, return_log_det=False):
        """Mitsuba's ``sample`` for every row of ``u`` (n, 2) in [0, 1]²."""
        self._check_fitted()
        u, restore = primary_points(u)
        point, sample = self._mi.Point2f, self._distr.sample
        y = np.empty_like(u)
        pdf = np.empty(len(u))
        for k, (a, b) in enumerate(u.tolist()):
            p, pdf[k] = sample(point(a, b))
            y[k] = p[0], p[1]
        y = np.clip(y, 0.0, 1.0)
        if return_log_det:
            with np.errstate(divide="ignore"):
                return restore(y), restore(-np.log(pdf))
        return restore(y)

    def pdf(self, y):
        """Mitsuba's ``eval`` at ``y`` (n, 2): the pdf of its samples (0 outside the unit square)."""
        y, _ = to_numpy_io(y, "y", 2)
        point, ev = self._mi.Point2f, self._distr.eval
        inside = np.all((y >= 0.0) & (y <= 1.0), axis=1)
        out = np.zeros(len(y))
        for k in np.nonzero(inside)[0]:
            out[k] = ev(point(float(y[k, 0]), float(y[k, 1])))
        return out

    def inverse_transform(self, y, *, return_log_det=False):
        """Mitsuba's ``invert`` for every row of ``y`` (n, 2); optionally log|det| of the inverse (n,)."""
        self._check_fitted()
        y, restore = to_numpy_io(y, "y", 2)
        point, inv = self._mi.Point2f, self._distr.invert
        u = np.empty_like(y)
        for k, (a, b) in enumerate(y.tolist()):
            p, _ = inv(point(a, b))
            u[k] = p[0], p[1]
        if return_log_det:
            with np.errstate(divide="ignore"):
                return restore(u), restore(np.log(self.pdf(y)))
        return restore(u)

    def __repr__(self):
        if not self.is_fitted:
            return f"MitsubaWarp({MITSUBA_KINDS[self.kind]}, not fitted)"
        return f"MitsubaWarp({MITSUBA_KINDS[self.kind]}, {self.density_.width}x{self.density_.height} image)"
