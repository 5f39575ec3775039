"""Plain-numpy twin of iadb_graphics._kernels.sinkhorn."""
import numpy as np
from scipy.special import logsumexp


def softmin(x, y, h, eps):
    """out_i = −eps · log Σ_j exp((h_j − |x_i − y_j|²) / eps) from the dense cost matrix."""
    cost = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=2)
    return -eps * logsumexp((h[None, :] - cost) / eps, axis=1)
