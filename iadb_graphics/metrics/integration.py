"""Monte Carlo integration error of point sets on test integrands with closed-form integrals.

Two families over the unit square: smooth random Gaussians and discontinuous
random-hyperplane Heavisides. Each integrand is a small object with ``__call__(x)`` → (n,) and
``.integral`` (exact over [0, 1]^d), so that other benchmarks (e.g. importance sampling with
weights) can use them: ``estimate = mean(f(y) * w)``.

References
----------
Pilleboue, Singh, Coeurjolly, Kazhdan, Ostromoukhov, "Variance analysis for Monte Carlo
integration", ACM TOG 2015 (MSE vs N slopes: white −1, jittered −1.5 on smooth (−1.5 also on
Heavisides in 2D), blue noise / QMC between).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._validation import as_generator, as_points, check_int, describe

__all__ = ["GaussianIntegrand", "HeavisideIntegrand", "random_gaussians", "random_heavisides",
           "INTEGRAND_FAMILIES", "IntegrationError", "integration_error", "loglog_slope"]


class GaussianIntegrand:
    """f(x) = exp(−Σ_k (x_k − μ_k)² / (2 σ_k²)), axis-aligned (peak value 1).

    .. math:: \\int_{[0,1]^d} f = \\prod_k \\sigma_k \\sqrt{\\pi/2}
              \\left[\\operatorname{erf}\\frac{1-\\mu_k}{\\sqrt2\\sigma_k}
              - \\operatorname{erf}\\frac{-\\mu_k}{\\sqrt2\\sigma_k}\\right]

    Parameters
    ----------
    mean : (d,) float, sigma : (d,) float > 0 (or a scalar)
    """

    def __init__(self, mean, sigma):
        self.mean = np.asarray(mean, dtype=float).ravel()
        self.d = self.mean.size
        self.sigma = np.broadcast_to(np.asarray(sigma, dtype=float), (self.d,)).copy()
        if self.d == 0 or not np.all(np.isfinite(self.mean)):
            raise ValueError(f"mean must be a finite (d,) vector, got {describe(mean)}")
        if not np.all(self.sigma > 0) or not np.all(np.isfinite(self.sigma)):
            raise ValueError(f"sigma must be finite and > 0, got {self.sigma.tolist()}")
        s = self.sigma * math.sqrt(2.0)
        self.integral = float(np.prod(self.sigma * math.sqrt(math.pi / 2)
                                      * (special.erf((1 - self.mean) / s) - special.erf(-self.mean / s))))

    def __call__(self, x):
        x = as_points(x, "x", d=self.d)
        return np.exp(-0.5 * (((x - self.mean) / self.sigma) ** 2).sum(axis=1))

    def __repr__(self):
        return f"GaussianIntegrand(mean={self.mean.tolist()}, sigma={self.sigma.tolist()})"


def _clip_polygon(poly, normal, offset):
    """Sutherland–Hodgman: the part of convex polygon ``poly`` (m, 2) where normal·x >= offset."""
    out = []
    m = len(poly)
    for i in range(m):
        a, b = poly[i], poly[(i + 1) % m]
        sa, sb = a @ normal - offset, b @ normal - offset
        if sa >= 0:
            out.append(a)
        if (sa >= 0) != (sb >= 0):
            out.append(a + (b - a) * (sa / (sa - sb)))
    return np.array(out).reshape(-1, 2)


def _polygon_area(poly):
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))


class HeavisideIntegrand:
    """f(x) = 1 where normal·x >= offset, else 0, on [0, 1]^2 (a random-hyperplane step).

    ``integral`` is the exact area of the unit square clipped by the half-plane (polygon
    clipping, shoelace formula).

    Parameters
    ----------
    normal : (2,) float, not zero
    offset : float
    """

    d = 2

    def __init__(self, normal, offset):
        self.normal = np.asarray(normal, dtype=float).ravel()
        if self.normal.shape != (2,) or not np.all(np.isfinite(self.normal)) or not np.any(self.normal):
            raise ValueError(f"normal must be a finite non-zero (2,) vector, got {describe(normal)}")
        self.offset = float(offset)
        square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        self.integral = _polygon_area(_clip_polygon(square, self.normal, self.offset))

    def __call__(self, x):
        x = as_points(x, "x", d=2)
        return (x @ self.normal >= self.offset).astype(float)

    def __repr__(self):
        return f"HeavisideIntegrand(normal={self.normal.tolist()}, offset={self.offset:g})"


def random_gaussians(count, *, d=2, sigma=(0.05, 0.3), rng=None):
    """``count`` Gaussians, centres uniform in [0, 1]^d, σ_k log-uniform in ``sigma``."""
    count = check_int(count, "count", minimum=1)
    rng = as_generator(rng)
    lo, hi = np.log(sigma[0]), np.log(sigma[1])
    return [GaussianIntegrand(rng.random(d), np.exp(rng.uniform(lo, hi, d))) for _ in range(count)]


def random_heavisides(count, *, rng=None):
    """``count`` steps through a uniform point of the square, with a uniform direction."""
    count = check_int(count, "count", minimum=1)
    rng = as_generator(rng)
    out = []
    for _ in range(count):
        p = rng.random(2)
        a = rng.uniform(0, 2 * np.pi)
        nrm = np.array([np.cos(a), np.sin(a)])
        out.append(HeavisideIntegrand(nrm, float(nrm @ p)))
    return out


#: family name → ``f(count, *, rng)`` → list of integrands (2D)
INTEGRAND_FAMILIES = {"gaussian": random_gaussians, "heaviside": random_heavisides}


def loglog_slope(ns, mse) -> float:
    """Least-squares slope of log(mse) against log(n) (NaN if fewer than 2 positive values)."""
    ns, mse = np.asarray(ns, float), np.asarray(mse, float)
    ok = (mse > 0) & np.isfinite(mse)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(ns[ok]), np.log(mse[ok]), 1)[0])


@dataclass
class IntegrationError:
    """MSE of the plain MC estimate mean_i f(x_i) per (point set, integrand family).

    Attributes
    ----------
    ns : (k,) int
    mse : dict (pointset, family) → (k,) float64, averaged over trials and integrands
    slopes : dict (pointset, family) → float, fitted log-log slope of MSE vs N
    n_trials : int
    """

    ns: np.ndarray
    mse: dict = field(default_factory=dict)
    slopes: dict = field(default_factory=dict)
    n_trials: int = 0

    def rows(self):
        """One dict per (point set, family, N) for a CSV."""
        return [dict(pointset=p, family=f, n=int(n), mse=float(m), slope=self.slopes[(p, f)])
                for (p, f), v in self.mse.items() for n, m in zip(self.ns, v)]


def integration_error(pointsets, integrands=None, ns=(64, 256, 1024), n_trials=16, *, rng=None,
                      progress=None) -> IntegrationError:
    """Monte Carlo integration MSE vs N and fitted log-log slopes.

    For every point set, N and trial, draw one realisation ``x = make(N, rng=...)`` and
    estimate every integrand of every family by mean f(x); the squared errors against the
    closed-form integrals are averaged over trials and integrands.

    Parameters
    ----------
    pointsets : mapping name → callable ``make(n, *, rng)`` → (n, 2) in [0, 1)^2, or a sequence
        of names of :data:`iadb_graphics.pointsets.POINT_SETS`
    integrands : mapping family → sequence of integrands (``__call__``, ``.integral``);
        default 32 random Gaussians and 32 random Heavisides (drawn from ``rng``)
    ns : sequence of int >= 1
    n_trials : int >= 1
    rng : None | int | Generator
    progress : None | bool, progress bar (None: on a terminal only)

    Returns
    -------
    IntegrationError
    """
    from .._progress import progress_bar

    rng = as_generator(rng)
    if not hasattr(pointsets, "items"):
        from ..pointsets import POINT_SETS

        names = list(pointsets)
        for name in names:
            if name not in POINT_SETS:
                raise ValueError(f"unknown point set {name!r}; choose from {sorted(POINT_SETS)}")
        pointsets = {name: POINT_SETS[name] for name in names}
    if not pointsets:
        raise ValueError("pointsets is empty")
    if integrands is None:
        integrands = {fam: make(32, rng=rng) for fam, make in INTEGRAND_FAMILIES.items()}
    for fam, items in integrands.items():
        if len(items) == 0 or not all(callable(f) and hasattr(f, "integral") for f in items):
            raise TypeError(f"integrands[{fam!r}] must be a non-empty sequence of integrands "
                            f"with __call__ and .integral")
    ns = np.array([check_int(n, "ns[i]", minimum=1) for n in ns], dtype=np.int64)
    if ns.size == 0:
        raise ValueError("ns is empty")
    n_trials = check_int(n_trials, "n_trials", minimum=1)
    exact = {fam: np.array([f.integral for f in items]) for fam, items in integrands.items()}
    result = IntegrationError(ns=ns, n_trials=n_trials)
    with progress_bar(len(pointsets) * ns.size * n_trials, desc="integration error",
                      progress=progress) as bar:
        for pname, make in pointsets.items():
            sq = {fam: np.zeros(ns.size) for fam in integrands}
            for i, n in enumerate(ns):
                for _ in range(n_trials):
                    x = make(int(n), rng=rng)
                    for fam, items in integrands.items():
                        est = np.array([f(x).mean() for f in items])
                        sq[fam][i] += np.mean((est - exact[fam]) ** 2)
                    bar.update(1)
            for fam in integrands:
                mse = sq[fam] / n_trials
                result.mse[(pname, fam)] = mse
                result.slopes[(pname, fam)] = loglog_slope(ns, mse)
    return result
