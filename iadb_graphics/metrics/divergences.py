r"""Divergences that cannot read "better than perfect": debiased Sinkhorn, unbiased energy
distance with a two-sample z-score, and KL / effective sample size from exact densities.

Which metric answers which question:

- :func:`sinkhorn_divergence` — how far are two *samples* apart, with the entropic bias of each
  set against itself removed: :math:`S_\varepsilon(\alpha, \beta) = OT_\varepsilon(\alpha, \beta)
  - \tfrac12 OT_\varepsilon(\alpha, \alpha) - \tfrac12 OT_\varepsilon(\beta, \beta)`. It is
  >= 0 and 0 only when the two measures are equal, and it is smooth in the points, so a
  set that is a little contracted towards its mean scores worse than an exact sample.
- :func:`energy_test` — is a map's output distinguishable from a target sample? The energy
  distance :math:`2E|X - Y| - E|X - X'| - E|Y - Y'|` as a U-statistic (unbiased: its mean is
  0 when both samples come from the same law, whatever N), with a jackknife standard error;
  ``z = value / se`` is a two-sample z-score (|z| < 2: indistinguishable at this N).
- :func:`kl_divergence` and :func:`effective_sample_size` — for importance sampling with a
  map whose density q is known (source density and log-det) against a target p known in
  closed form: :math:`KL(q\|p) = E_q[\log q - \log p]` (nats, >= 0) and the normalised ESS of
  the weights :math:`w = p/q`, :math:`(E w)^2 / E w^2` in [0, 1] (1: q = p).
  :func:`pushforward_log_density` gives :math:`\log q(T(x)) = \log p_0(x) - \log|\det \partial T/\partial x|`.

References
----------
J. Feydy et al. Interpolating between optimal transport and MMD using Sinkhorn divergences.
AISTATS 2019.
G. Székely, M. Rizzo. Energy statistics: a class of statistics based on distances. J. Stat.
Plann. Inference 143 (2013).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_points, check_float, check_int

__all__ = ["sinkhorn_divergence", "energy_test", "EnergyTest", "kl_divergence", "effective_sample_size",
           "pushforward_log_density", "DensityFit", "density_fit"]


def _two_sets(x, y):
    x = as_points(x, "x", allow_empty=False)
    y = as_points(y, "y", d=x.shape[1], allow_empty=False)
    return np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)


# ---------------------------------------------------------------------- Sinkhorn divergence

def sinkhorn_divergence(x, y, *, blur=None, scaling=0.5, n_final=3) -> float:
    r"""Debiased Sinkhorn divergence between the uniform measures on ``x`` (n, d) and ``y`` (m, d).

    :math:`S_\varepsilon = OT_\varepsilon(x, y) - \tfrac12 OT_\varepsilon(x, x) - \tfrac12 OT_\varepsilon(y, y)`
    with the cost :math:`|x - y|^2` and :math:`\varepsilon = \text{blur}^2`, each
    :math:`OT_\varepsilon` the optimal value of the entropic problem (its dual objective, with
    the entropy term): S >= 0, = 0 iff the measures are equal, and close to :math:`W_2^2` for
    features larger than ``blur``. Units: squared distance.

    Parameters
    ----------
    x, y : (n, d), (m, d) point sets.
    blur : float, optional
        Length scale below which differences are not resolved; default 5 % of the diameter of
        the two sets' common bounding box.
    scaling : float in (0, 1)
        ε-scaling: ε starts at the squared diameter and is multiplied by ``scaling**2`` per
        iteration down to ``blur**2`` (symmetric averaged updates).
    n_final : int
        Further iterations at the final ε.

    Returns
    -------
    float >= 0 (clipped at 0 against rounding).
    """
    from .._kernels.sinkhorn import softmin

    x, y = _two_sets(x, y)
    scaling = check_float(scaling, "scaling", minimum=0.0, maximum=1.0, strict_min=True)
    n_final = check_int(n_final, "n_final", minimum=1)
    lo = np.minimum(x.min(0), y.min(0))
    hi = np.maximum(x.max(0), y.max(0))
    diam = float(np.linalg.norm(hi - lo))
    if blur is None:
        blur = 0.05 * diam if diam > 0 else 1.0
    blur = check_float(blur, "blur", minimum=0.0, strict_min=True)
    eps_final = blur * blur
    eps_list = []
    e = max(diam * diam, eps_final)
    while e > eps_final:
        eps_list.append(e)
        e *= scaling * scaling
    eps_list += [eps_final] * n_final
    n, m = x.shape[0], y.shape[0]
    la, lb = -np.log(n), -np.log(m)

    def smin(p, q, pot, log_w, eps):
        out = np.empty(p.shape[0])
        softmin(p, q, pot + eps * log_w, eps, out)
        return out

    # potentials: f_xy on x, g_xy on y (cross problem), f_xx on x, g_yy on y (symmetric problems)
    eps = eps_list[0]
    f_xy = smin(x, y, np.zeros(m), lb, eps)
    g_xy = smin(y, x, np.zeros(n), la, eps)
    f_xx = smin(x, x, np.zeros(n), la, eps)
    g_yy = smin(y, y, np.zeros(m), lb, eps)
    for eps in eps_list:
        f_new = smin(x, y, g_xy, lb, eps)
        g_new = smin(y, x, f_xy, la, eps)
        f_xx = 0.5 * (f_xx + smin(x, x, f_xx, la, eps))
        g_yy = 0.5 * (g_yy + smin(y, y, g_yy, lb, eps))
        f_xy, g_xy = 0.5 * (f_xy + f_new), 0.5 * (g_xy + g_new)
    # a last full (non-averaged) update at the final ε
    f_xy, g_xy = smin(x, y, g_xy, lb, eps_final), smin(y, x, f_xy, la, eps_final)
    f_xx = smin(x, x, f_xx, la, eps_final)
    g_yy = smin(y, y, g_yy, lb, eps_final)
    value = float(np.mean(f_xy - f_xx) + np.mean(g_xy - g_yy))
    return max(value, 0.0)


# ---------------------------------------------------------------------- energy distance test

@dataclass(frozen=True)
class EnergyTest:
    """Unbiased energy distance between two samples and its two-sample z-score.

    Attributes
    ----------
    value : float
        U-statistic of :math:`2E|X - Y| - E|X - X'| - E|Y - Y'|` (pairs i = j excluded); its
        expectation is exactly 0 when both samples come from the same law, so small negative
        values occur and mean "indistinguishable".
    se : float
        Delete-a-block jackknife standard error of ``value``.
    z : float
        ``value / se``: about N(0, 1) when the laws are equal; >> 2 when they differ at this N.
    """

    value: float
    se: float
    z: float


def _block_distance_sums(a, b, blocks_a, blocks_b, same):
    """Sum of |a_i - b_j| over the pairs of every (block of a, block of b), (B, B); with ``same``
    (a is b) the pairs i = j are excluded (they are 0 anyway)."""
    from scipy.spatial.distance import cdist

    nb = len(blocks_a)
    out = np.zeros((nb, nb))
    for p, ia in enumerate(blocks_a):
        dist = cdist(a[ia], b)
        for q, ib in enumerate(blocks_b):
            if same and q < p:
                out[p, q] = out[q, p]
                continue
            out[p, q] = dist[:, ib].sum()
    return out


def energy_test(x, y, *, n_blocks=20, max_points=8192, rng=None) -> EnergyTest:
    """Unbiased energy distance between ``x`` (n, d) and ``y`` (m, d) with a jackknife z-score.

    Parameters
    ----------
    x, y : point sets (each >= 2 * ``n_blocks`` points).
    n_blocks : int
        Blocks of the delete-a-block jackknife (each sample is split in as many blocks).
    max_points : int
        Sets larger than this are subsampled without replacement (cost O(n²)).
    rng : None | int | Generator, for the subsampling and the block assignment.

    Returns
    -------
    EnergyTest
    """
    from .._validation import as_generator

    x, y = _two_sets(x, y)
    n_blocks = check_int(n_blocks, "n_blocks", minimum=2)
    max_points = check_int(max_points, "max_points", minimum=2 * n_blocks)
    rng = as_generator(rng)
    if x.shape[0] > max_points:
        x = x[rng.choice(x.shape[0], max_points, replace=False)]
    if y.shape[0] > max_points:
        y = y[rng.choice(y.shape[0], max_points, replace=False)]
    n, m = x.shape[0], y.shape[0]
    if min(n, m) < 2 * n_blocks:
        raise ValueError(f"energy_test needs at least 2 * n_blocks = {2 * n_blocks} points per set, "
                         f"got {n} and {m}")
    bx = np.array_split(rng.permutation(n), n_blocks)
    by = np.array_split(rng.permutation(m), n_blocks)
    sxx = _block_distance_sums(x, x, bx, bx, True)
    syy = _block_distance_sums(y, y, by, by, True)
    sxy = _block_distance_sums(x, y, bx, by, False)
    nx = np.array([len(b) for b in bx], float)
    ny = np.array([len(b) for b in by], float)

    def stat(kx, ky):
        """The U-statistic on the blocks kept (bool masks)."""
        cx, cy = nx[kx].sum(), ny[ky].sum()
        exy = sxy[np.ix_(kx, ky)].sum() / (cx * cy)
        exx = sxx[np.ix_(kx, kx)].sum() / (cx * (cx - 1))
        eyy = syy[np.ix_(ky, ky)].sum() / (cy * (cy - 1))
        return 2.0 * exy - exx - eyy

    keep = np.ones(n_blocks, bool)
    value = stat(keep, keep)
    loo = np.empty(n_blocks)
    for b in range(n_blocks):
        k = keep.copy()
        k[b] = False
        loo[b] = stat(k, k)  # block b of x and block b of y left out together
    se = float(np.sqrt((n_blocks - 1) / n_blocks * np.sum((loo - loo.mean()) ** 2)))
    z = value / se if se > 0 else (0.0 if value == 0 else np.copysign(np.inf, value))
    return EnergyTest(float(value), se, float(z))


# ---------------------------------------------------------------------- exact-density metrics

def _log_pair(log_q, log_p):
    log_q = np.asarray(log_q, dtype=np.float64).reshape(-1)
    log_p = np.asarray(log_p, dtype=np.float64).reshape(-1)
    if log_q.shape != log_p.shape or log_q.size == 0:
        raise ValueError(f"log_q and log_p must be non-empty and of the same length, got {log_q.size} and {log_p.size}")
    if np.any(np.isnan(log_q)) or np.any(np.isnan(log_p)):
        raise ValueError("log_q and log_p must not contain NaN")
    if np.any(log_q == -np.inf):
        raise ValueError("log_q must be > -inf: the points are samples of q, so q > 0 there")
    if np.any(log_p == np.inf):
        raise ValueError("log_p must be < +inf")
    return log_q, log_p


def kl_divergence(log_q, log_p, *, return_se=False):
    r"""Monte-Carlo :math:`KL(q\|p) = E_q[\log q - \log p]` in nats, from samples of q.

    Parameters
    ----------
    log_q, log_p : (n,) log densities of q and p at the same n samples drawn from q.
    return_se : bool
        Also return the Monte-Carlo standard error ``std(log q − log p) / sqrt(n)``.

    Returns
    -------
    float (or ``(kl, se)``). ``inf`` when any sample lies where p = 0 (q puts mass where the
    target has none: the divergence is infinite, not NaN) or where q = inf (a singular map);
    se is then ``inf`` too. An estimate
    a little below 0 is Monte-Carlo noise around an exact value >= 0.
    """
    log_q, log_p = _log_pair(log_q, log_p)
    if np.any(log_p == -np.inf) or np.any(log_q == np.inf):  # p = 0, or a singular map (q = inf)
        return (np.inf, np.inf) if return_se else np.inf
    diff = log_q - log_p
    kl = float(np.mean(diff))
    if return_se:
        return kl, float(np.std(diff) / np.sqrt(diff.size))
    return kl


def effective_sample_size(log_q, log_p) -> float:
    r"""Normalised effective sample size :math:`(E w)^2 / E w^2` of the weights :math:`w = p/q`.

    Parameters
    ----------
    log_q, log_p : (n,) log densities of the proposal q and the target p at n samples of q.

    Returns
    -------
    float in [0, 1]: 1 when q = p; the fraction of samples that is "worth" an exact sample of p.
    Samples where p = 0 get weight 0 (they reduce the ESS); 0 when every weight is 0.
    """
    log_q, log_p = _log_pair(log_q, log_p)
    log_w = log_p - log_q
    top = float(np.max(log_w))
    if top == -np.inf:
        return 0.0
    w = np.exp(log_w - top)
    return float(np.mean(w) ** 2 / np.mean(w * w))


def pushforward_log_density(transform, source, x):
    r"""Points ``y = T(x)`` and :math:`\log q(y) = \log p_0(x) - \log|\det \partial T/\partial x|`.

    Parameters
    ----------
    transform : callable ``x -> (y, log_det)`` (e.g. ``lambda x: m.transform(x, return_log_det=True)``).
    source : Density with ``log_pdf`` (the law of ``x``).
    x : (n, d) samples of ``source``.

    Returns
    -------
    (y (n, d), log_q (n,))
    """
    x = as_points(x, "x", d=source.d)
    y, log_det = transform(x)
    return np.asarray(y, dtype=float), source.log_pdf(x) - np.asarray(log_det, dtype=float)


@dataclass(frozen=True)
class DensityFit:
    """KL and ESS of a map's pushforward q against a target p known in closed form.

    Attributes
    ----------
    kl, kl_se : float
        :func:`kl_divergence` and its Monte-Carlo standard error (``inf`` if ``outside`` > 0).
    ess : float
        :func:`effective_sample_size`.
    outside : float
        Fraction of the samples where p = 0.
    """

    kl: float
    kl_se: float
    ess: float
    outside: float


def density_fit(transform, source, target, x) -> DensityFit:
    """:class:`DensityFit` of ``transform`` (``x -> (y, log_det)``) pushing ``source`` onto ``target``,
    from ``x`` (n, d) samples of ``source``."""
    y, log_q = pushforward_log_density(transform, source, x)
    log_p = target.log_pdf(y)
    kl, se = kl_divergence(log_q, log_p, return_se=True)
    return DensityFit(kl, se, effective_sample_size(log_q, log_p), float(np.mean(log_p == -np.inf)))
