"""Plain-numpy twins of ``iadb_graphics._kernels.sot`` (the test oracle and benchmark baseline)."""
import numpy as np


def box_sum_quantile(u, a, b):
    """Vectorised quantile of U[0, a] + U[0, b] at levels ``u`` (broadcasting)."""
    u, a, b = np.broadcast_arrays(np.asarray(u, float), np.asarray(a, float), np.asarray(b, float))
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    out = u * hi + 0.5 * lo
    thin = lo <= 1e-12 * hi
    with np.errstate(invalid="ignore"):
        left = ~thin & (2.0 * hi * u < lo)
        right = ~thin & (2.0 * hi * (1.0 - u) < lo)
        out = np.where(left, np.sqrt(2.0 * lo * hi * u), out)
        out = np.where(right, lo + hi - np.sqrt(2.0 * lo * hi * (1.0 - u)), out)
    out = np.where(thin, u * hi, out)
    return np.where(hi <= 0, 0.0, out)


def _step(x, thetas, target, step):
    proj = x @ thetas.T                                  # (n, m)
    order = np.argsort(proj, axis=0, kind="stable")
    disp = np.empty_like(proj)
    np.put_along_axis(disp, order, target - np.take_along_axis(proj, order, axis=0), axis=0)
    return x + step * (disp @ thetas) / thetas.shape[0]


def sot_uniform2d(x0, dirs, step, n_threads=1):
    """Same iterations as the kernel, with ``np.argsort`` and matrix products (``n_threads`` unused)."""
    x = np.array(x0, dtype=float)
    n = x.shape[0]
    u = (np.arange(n) + 0.5) / n
    for it in range(dirs.shape[0]):
        th = dirs[it]
        offset = np.minimum(th[:, 0], 0) + np.minimum(th[:, 1], 0)
        target = offset[None, :] + box_sum_quantile(u[:, None], np.abs(th[:, 0])[None, :],
                                                    np.abs(th[:, 1])[None, :])
        x = _step(x, th, target, step)
    return x


def sot_tabulated(x0, table_dirs, table_q, idx, step, n_threads=1):
    """Same iterations as the kernel with tabulated target quantiles."""
    x = np.array(x0, dtype=float)
    for it in range(idx.shape[0]):
        x = _step(x, table_dirs[idx[it]], table_q[idx[it]].T, step)
    return x
