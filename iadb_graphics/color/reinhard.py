"""Reinhard et al.'s colour transfer: match per-channel mean and standard deviation."""
from __future__ import annotations

import numpy as np

from .._validation import as_points
from ..maps.base import BaseMap, to_numpy_io

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

    def fit(self, source, target, *, rng=None, progress=None):
        """Estimate means and standard deviations of ``source`` (n, d) and ``target`` (m, d)."""
        xs = as_points(source, "source", allow_empty=False)
        xt = as_points(target, "target", d=xs.shape[1], allow_empty=False)
        self.source_mean_, self.target_mean_ = xs.mean(0), xt.mean(0)
        ss, st = xs.std(0), xt.std(0)
        self.gain_ = np.where(ss > 1e-12, st / np.where(ss > 1e-12, ss, 1.0), 1.0)
        self.d = xs.shape[1]
        both = np.concatenate([xs, xt])
        self.bounds = np.stack([both.min(0), both.max(0)], axis=1)
        return self

    def transform(self, x):
        """Apply the affine map to points (n, d)."""
        self._check_fitted()
        x, restore = to_numpy_io(x, "x", self.d)
        return restore(self.target_mean_ + self.gain_ * (x - self.source_mean_))

    def inverse_transform(self, y):
        """Undo the affine map."""
        self._check_fitted()
        y, restore = to_numpy_io(y, "y", self.d)
        return restore(self.source_mean_ + (y - self.target_mean_) / self.gain_)
