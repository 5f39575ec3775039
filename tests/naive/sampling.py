"""Numpy twins of iadb_graphics._kernels.sampling."""
import numpy as np


def alias_draw(prob, alias, u):
    k = prob.shape[0]
    t = u * k
    i = np.minimum(t.astype(np.int64), k - 1)
    coin = t - i
    return np.where(coin < prob[i], i, alias[i])


def sample_pixels(prob, alias, width, x0, y0, cell_w, cell_h, u):
    k = prob.shape[0]
    height = k // width
    p = alias_draw(prob, alias, u[:, 0])
    r, c = p // width, p % width
    return np.stack([x0 + (c + u[:, 1]) * cell_w, y0 + (height - 1 - r + u[:, 2]) * cell_h], axis=1)


def alias_probabilities(prob, alias):
    """The exact distribution an alias table encodes: P(i) = (prob[i] + Σ_{j: alias[j]=i} (1 − prob[j])) / K."""
    k = prob.shape[0]
    p = prob.copy()
    np.add.at(p, alias, 1.0 - prob)
    return p / k
