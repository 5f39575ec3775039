"""Plain-numpy twin of ``iadb_graphics._kernels.spectra``."""
import numpy as np


def periodogram2d(x, res):
    """Direct DFT over the points with a (n, m, m) phase tensor (small n and res only)."""
    k = np.arange(-res, res + 1)
    phase = np.exp(-2j * np.pi * (k[None, :, None] * x[:, 0, None, None] + k[None, None, :] * x[:, 1, None, None]))
    s = phase.sum(axis=0)
    return np.abs(s) ** 2 / x.shape[0]
