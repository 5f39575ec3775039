r"""How straight are a map's particle paths: path energy and normalised path energy (NPE).

A map that integrates a velocity field exposes ``trajectory(x, ...)`` → ``(T+1, n, d)``, the
particles at α_0 = 0 < α_1 < … < α_T = 1. Its path energy is the kinetic energy of the
discretised paths,

.. math:: E = \frac1n \sum_i \sum_t \frac{\|x_{t+1,i} - x_{t,i}\|^2}{\alpha_{t+1} - \alpha_t},

which is ≥ the squared length of each path's chord, hence ≥ the transport cost of the map, hence
≥ W2²(path[0], path[-1]). NPE = |E − W2²| / W2² (the flow-matching literature's definition) is 0
only for straight, constant-speed paths of an optimal map. For a straight-line map (EMD,
Sinkhorn, sliced: x moves on the segment to T(x) at constant speed) E is the transport cost, so
NPE = optimality ratio − 1 (:func:`straight_npe`).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_points, describe
from .distances import optimality_ratio, w2_squared

__all__ = ["path_energy", "normalized_path_energy", "straight_npe"]


def _as_path(path, alphas):
    if hasattr(path, "detach"):
        path = path.detach().cpu().numpy()
    try:
        path = np.asarray(path, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"path must be an array of shape (T+1, n, d), got {describe(path)}") from exc
    if path.ndim != 3 or path.shape[0] < 2 or path.shape[1] < 1 or path.shape[2] < 1:
        raise ValueError(f"path must have shape (T+1, n, d) with T >= 1, n >= 1, d >= 1, got shape {path.shape}")
    if not np.all(np.isfinite(path)):
        raise ValueError(f"path contains {int(np.count_nonzero(~np.isfinite(path)))} NaN or infinite value(s)")
    n_t = path.shape[0]
    if alphas is None:
        alphas = np.linspace(0.0, 1.0, n_t)
    else:
        alphas = np.asarray(alphas, dtype=np.float64)
        if alphas.shape != (n_t,):
            raise ValueError(f"alphas must have shape ({n_t},) to match path of shape {path.shape}, "
                             f"got shape {alphas.shape}")
        if not np.all(np.isfinite(alphas)) or np.any(np.diff(alphas) <= 0):
            raise ValueError(f"alphas must be finite and strictly increasing, got {alphas.tolist()[:8]}...")
    return path, alphas


def path_energy(path, *, alphas=None) -> float:
    r"""Mean over particles of :math:`\sum_t \|\Delta x_t\|^2 / \Delta\alpha_t`.

    Parameters
    ----------
    path : array (T+1, n, d) — positions of n particles at T+1 times.
    alphas : array (T+1,), strictly increasing; default uniform on [0, 1].
    """
    path, alphas = _as_path(path, alphas)
    step = np.diff(path, axis=0)
    per_step = np.sum(step ** 2, axis=2) / np.diff(alphas)[:, None]
    return float(np.mean(np.sum(per_step, axis=0)))


def normalized_path_energy(path, *, alphas=None) -> float:
    r"""NPE = :math:`|E - W_2^2(x_0, x_T)| / W_2^2(x_0, x_T)`, with :math:`E` = :func:`path_energy`.

    W2² is exact (``metrics.w2_squared``, O(n³)): keep n to a few thousand particles.
    """
    path, alphas = _as_path(path, alphas)
    energy = path_energy(path, alphas=alphas)
    w2sq = w2_squared(path[0], path[-1])
    if w2sq <= 0.0:
        return 0.0 if energy <= 0.0 else float("inf")
    return float(abs(energy - w2sq) / w2sq)


def straight_npe(x, y) -> float:
    """NPE of the straight constant-speed paths x → y (n, d): ``|optimality_ratio(x, y) − 1|``."""
    x = as_points(x, "x", allow_empty=False)
    return float(abs(optimality_ratio(x, y) - 1.0))
