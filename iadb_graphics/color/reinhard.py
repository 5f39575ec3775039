"""Reinhard et al.'s colour transfer: match per-channel mean and standard deviation."""
from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..maps.base import BaseMap, fit_points, to_numpy_io

__all__ = ["ReinhardMap"]


class ReinhardMap(BaseMap):
    r"""Per-channel affine map :math:`T(x)_c = \mu^1_c + \frac{\sigma^1_c}{\sigma^0_c}(x_c - \mu^0_c)`.

    The classic recipe works in Ruderman's lαβ space (``space="lalphabeta"`` in
    :func:`~iadb_graphics.color.fit_map`); any space works. A channel with zero spread in the
    source is shifted only (its scale is taken as 1).

    References
    ----------
    E. Reinhard, M. Ashikhmin, B. Gooch, P. Shirley, "Color transfer between images", IEEE CG&A 2001.
    """

    has_log_det = True

    def __init__(self, *, n_samples=65536):
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)

    def fit(self, source, target, *, rng=None, progress=None):
        """Estimate means and standard deviations of ``source`` (n, d) and ``target`` (m, d).

        Densities are sampled (``n_samples`` points); arrays are used as given.
        """
        from .._validation import as_generator

        rng = as_generator(rng)
        xs = fit_points(source, "source", self.n_samples, rng)
        xt = fit_points(target, "target", self.n_samples, rng)
        if xt.shape[1] != xs.shape[1]:
            raise ValueError(f"source has dimension d={xs.shape[1]} but target has d={xt.shape[1]}")
        self.source_mean_, self.target_mean_ = xs.mean(0), xt.mean(0)
        ss, st = xs.std(0), xt.std(0)
        self.gain_ = np.where(ss > 1e-12, st / np.where(ss > 1e-12, ss, 1.0), 1.0)
        self.d = xs.shape[1]
        both = np.concatenate([xs, xt])
        self.bounds = np.stack([both.min(0), both.max(0)], axis=1)
        return self

    def transform(self, x, *, return_log_det=False):
        """Apply the affine map to points (n, d); optionally its constant log|det| (n,)."""
        self._check_fitted()
        x, restore = to_numpy_io(x, "x", self.d)
        y = restore(self.target_mean_ + self.gain_ * (x - self.source_mean_))
        if return_log_det:
            return y, restore(np.full((x.shape[0], 1), np.sum(np.log(self.gain_))))[:, 0]
        return y

    def inverse_transform(self, y, *, return_log_det=False):
        """Undo the affine map; optionally its constant log|det| (n,)."""
        self._check_fitted()
        y, restore = to_numpy_io(y, "y", self.d)
        x = restore(self.source_mean_ + (y - self.target_mean_) / self.gain_)
        if return_log_det:
            return x, restore(np.full((y.shape[0], 1), -np.sum(np.log(self.gain_))))[:, 0]
        return x
