"""The density of warped samples: ``warp`` and ``warped_pdf``.

A warp T pushes a source density p0 (by default uniform on [0, 1)^d) onto a target; for a
sample y = T(x) the density of y is p0(x) / |det ∂T/∂x|, exact for every map that returns its
own log-determinant.
"""
from __future__ import annotations

import numpy as np

from .._validation import count_outside_unit_cube, describe
from ..maps.base import to_numpy_io
from .image import ExactImageWarp
from .mesh import MeshWarp

__all__ = ["warp", "warped_pdf"]


def _source_pdf_values(x, source_pdf):
    if source_pdf is None:
        outside = count_outside_unit_cube(x)
        if outside:
            raise ValueError(f"points has {outside} point(s) outside [0, 1]^{x.shape[1]}, where the "
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

    Examples
    --------
    >>> import numpy as np
    >>> from iadb_graphics import ImageDensity, pointsets
    >>> from iadb_graphics.warps import make_warp, warp
    >>> target = ImageDensity(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> y, pdf = warp(pointsets.sobol(1024, rng=0), make_warp(image_density=target))
    >>> f = lambda p: p[:, 0] * target.pdf(p)                  # ∫ f over the unit square
    >>> round(float(np.mean(f(y) / pdf)), 3)                   # exact here: f / pdf = x
    0.55
    """
    if not callable(getattr(map, "transform", None)):
        raise TypeError(f"map must have a transform method, got {describe(map)}")
    d = getattr(map, "d", None)
    x, restore = to_numpy_io(points, "points", d if isinstance(d, int) else None)
    p0 = _source_pdf_values(x, source_pdf)
    if isinstance(map, MeshWarp) and not map.is_injective_:
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

    Uses ``map.pdf`` for :class:`MeshWarp` and the exact image warps (default source), else
    ``x = map.inverse_transform(y)`` and ``p0(x) / |det ∂T/∂x|``; points that ``T(x)`` does not
    reach back (outside the image of the source) get 0. This is what a χ² test of a warp needs.
    """
    if source_pdf is None and isinstance(map, (MeshWarp, ExactImageWarp)):
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
