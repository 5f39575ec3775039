"""Densities you can sample and, where one exists, evaluate.

One protocol for all: ``.d`` (dimension), ``.sample(n, *, rng=None) -> (n, d)`` float64,
``.bounds`` (a ``(d, 2)`` box holding (almost) all the mass) and, when ``has_pdf`` is True,
``.pdf(x)`` / ``.log_pdf(x)`` of shape ``(n,)``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

from ._validation import as_generator, as_points, check_bounds, check_float, check_int, describe

__all__ = [
    "Density",
    "Uniform",
    "Gaussian",
    "GaussianMixture",
    "Checkerboard",
    "SampledToy",
    "ImageDensity",
    "Empirical",
    "toy2d",
    "TOY2D_NAMES",
    "as_density",
]


class Density:
    """Base class: subclasses set ``d`` and implement ``_sample(n, rng)``; ``_log_pdf`` if any."""

    d: int
    has_pdf: bool = True

    def sample(self, n, *, rng=None) -> np.ndarray:
        """Draw ``n`` samples, shape ``(n, d)`` float64."""
        n = check_int(n, "n", minimum=0)
        rng = as_generator(rng)
        if n == 0:
            return np.empty((0, self.d))
        return self._sample(n, rng)

    def log_pdf(self, x) -> np.ndarray:
        """Log density at ``x`` (n, d) → (n,); ``-inf`` outside the support."""
        if not self.has_pdf:
            raise NotImplementedError(f"{type(self).__name__} has no density to evaluate (sample it instead)")
        return self._log_pdf(as_points(x, "x", d=self.d))

    def pdf(self, x) -> np.ndarray:
        """Density at ``x`` (n, d) → (n,)."""
        return np.exp(self.log_pdf(x))

    @property
    def bounds(self) -> np.ndarray:
        """A ``(d, 2)`` box of [low, high] per axis holding (almost) all the mass."""
        return self._bounds()

    def _bounds(self):  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class Uniform(Density):
    """Uniform density on the box ``[low, high]`` (each of length d). Default: the unit square.

    Examples
    --------
    >>> from iadb_graphics import Uniform
    >>> u = Uniform((0, 0, 0), (1, 2, 4))
    >>> u.sample(5, rng=0).shape, round(float(u.pdf([[0.5, 0.5, 0.5]])[0]), 6)
    ((5, 3), 0.125)
    """

    def __init__(self, low=(0.0, 0.0), high=(1.0, 1.0)):
        low = np.atleast_1d(np.asarray(low, dtype=float))
        high = np.atleast_1d(np.asarray(high, dtype=float))
        if low.ndim != 1 or low.shape != high.shape:
            raise ValueError(f"low and high must be 1D of equal length, got shapes {low.shape} and {high.shape}")
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(f"low and high must be finite, got {low} and {high}")
        if np.any(high <= low):
            raise ValueError(f"high must exceed low on every axis, got low={low}, high={high}")
        self.low, self.high, self.d = low, high, low.shape[0]
        self._log_volume = float(np.sum(np.log(high - low)))

    def _sample(self, n, rng):
        return self.low + (self.high - self.low) * rng.random((n, self.d))

    def _log_pdf(self, x):
        inside = np.all((x >= self.low) & (x <= self.high), axis=1)
        return np.where(inside, -self._log_volume, -np.inf)

    def _bounds(self):
        return np.stack([self.low, self.high], axis=1)


def _as_cov(cov, d, name):
    """Scalar variance, (d,) diagonal or (d, d) matrix → (d, d) symmetric positive definite."""
    cov = np.asarray(cov, dtype=float)
    if cov.ndim == 0:
        cov = np.eye(d) * float(cov)
    elif cov.ndim == 1:
        if cov.shape[0] != d:
            raise ValueError(f"{name} has shape {cov.shape}; a diagonal needs length d={d}")
        cov = np.diag(cov)
    if cov.shape != (d, d):
        raise ValueError(f"{name} must be a scalar, (d,) or (d, d) with d={d}, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric, got {cov.tolist()}")
    try:
        return cov, np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite, got eigenvalues {np.linalg.eigvalsh(cov)}") from None


class Gaussian(Density):
    """Normal density N(mean, cov); ``cov`` a scalar variance, a (d,) diagonal or a (d, d) matrix."""

    def __init__(self, mean=(0.5, 0.5), cov=0.01):
        mean = np.atleast_1d(np.asarray(mean, dtype=float))
        if mean.ndim != 1 or not np.all(np.isfinite(mean)):
            raise ValueError(f"mean must be a finite 1D vector, got {describe(mean)}")
        self.mean, self.d = mean, mean.shape[0]
        self.cov, self._chol = _as_cov(cov, self.d, "cov")
        self._log_norm = -0.5 * self.d * math.log(2 * math.pi) - float(np.sum(np.log(np.diag(self._chol))))

    def _sample(self, n, rng):
        return self.mean + rng.standard_normal((n, self.d)) @ self._chol.T

    def _log_pdf(self, x):
        from scipy.linalg import solve_triangular

        z = solve_triangular(self._chol, (x - self.mean).T, lower=True)
        return self._log_norm - 0.5 * np.sum(z * z, axis=0)

    def _bounds(self):
        s = 4.5 * np.sqrt(np.diag(self.cov))
        return np.stack([self.mean - s, self.mean + s], axis=1)


class GaussianMixture(Density):
    """Mixture of Gaussians: ``means`` (k, d), ``covs`` (k,) | (k, d) | (k, d, d), ``weights`` (k,)."""

    def __init__(self, means, covs, weights=None):
        means = np.asarray(means, dtype=float)
        if means.ndim != 2 or means.shape[0] == 0:
            raise ValueError(f"means must have shape (k, d) with k >= 1, got shape {means.shape}")
        k, d = means.shape
        scalar = isinstance(covs, (int, float)) or (isinstance(covs, np.ndarray) and covs.ndim == 0)
        covs = [covs] * k if scalar else list(covs)  # each a scalar, (d,) or (d, d)
        if len(covs) != k:
            raise ValueError(f"covs has {len(covs)} entries but means has k={k}")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (k,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"weights must be k={k} non-negative numbers with a positive sum, got {weights}")
        self.components = [Gaussian(means[i], covs[i]) for i in range(k)]
        self.weights = weights / weights.sum()
        self.means, self.d = means, d

    def _sample(self, n, rng):
        counts = rng.multinomial(n, self.weights)
        parts = [c.sample(m, rng=rng) for c, m in zip(self.components, counts)]
        x = np.concatenate(parts, axis=0)
        return x[rng.permutation(n)]

    def _log_pdf(self, x):
        logs = np.stack([c._log_pdf(x) for c in self.components], axis=0)
        return special.logsumexp(logs, axis=0, b=self.weights[:, None])

    def _bounds(self):
        b = np.stack([c.bounds for c in self.components])
        return np.stack([b[:, :, 0].min(0), b[:, :, 1].max(0)], axis=1)


class Checkerboard(Density):
    """Uniform density on the dark squares of an ``n_squares`` × ``n_squares`` board over ``[low, high]²``."""

    def __init__(self, n_squares=4, low=0.0, high=1.0):
        self.n_squares = check_int(n_squares, "n_squares", minimum=2)
        self.low = check_float(low, "low")
        self.high = check_float(high, "high")
        if self.high <= self.low:
            raise ValueError(f"high must exceed low, got low={low}, high={high}")
        self.d = 2
        m = self.n_squares
        self._n_dark = (m * m + 1) // 2
        self._log_p = -math.log(self._n_dark * ((self.high - self.low) / m) ** 2)

    def _cells(self, x):
        m = self.n_squares
        ij = np.floor((x - self.low) / (self.high - self.low) * m).astype(np.int64)
        return ij

    def _sample(self, n, rng):
        m = self.n_squares
        dark = np.array([(i, j) for i in range(m) for j in range(m) if (i + j) % 2 == 0])
        pick = dark[rng.integers(0, len(dark), n)]
        return self.low + (pick + rng.random((n, 2))) * (self.high - self.low) / m

    def _log_pdf(self, x):
        ij = self._cells(x)
        m = self.n_squares
        inside = np.all((ij >= 0) & (ij < m), axis=1) & np.all((x >= self.low) & (x <= self.high), axis=1)
        ij = np.clip(ij, 0, m - 1)
        dark = inside & ((ij[:, 0] + ij[:, 1]) % 2 == 0)
        return np.where(dark, self._log_p, -np.inf)

    def _bounds(self):
        return np.array([[self.low, self.high]] * 2)


class SampledToy(Density):
    """A 2D toy density known only through its sampler (no closed-form pdf)."""

    has_pdf = False

    def __init__(self, name, sampler, bounds, params):
        self.name, self._sampler, self._box, self.params, self.d = name, sampler, np.asarray(bounds, float), params, 2

    def _sample(self, n, rng):
        return self._sampler(n, rng, **self.params)

    def _bounds(self):
        return self._box

    def __repr__(self):
        return f"toy2d({self.name!r}, **{self.params})"


# ----------------------------------------------------------------------------- toy samplers
# All defaults fit inside the unit square [0, 1]^2 (up to the Gaussian noise tails).

def _moons(n, rng, noise=0.05):
    # sklearn's two moons (x in [-1, 2], y in [-0.5, 1]) scaled by 0.3 and centred at (0.5, 0.5)
    t = np.pi * rng.random(n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return (pts - np.array([0.5, 0.25])) * 0.3 + 0.5


def _rings(n, rng, n_rings=4, noise=0.008):
    radii = 0.1 * np.arange(1, n_rings + 1) * (4 / n_rings)
    which = rng.choice(n_rings, size=n, p=radii / radii.sum())  # uniform along the total length
    theta = 2 * np.pi * rng.random(n)
    r = radii[which] + noise * rng.standard_normal(n)
    return 0.5 + np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)


def _spiral(n, rng, turns=2.0, noise=0.01):
    # two interleaved arms, radius growing linearly with angle, uniform along the curve parameter
    s = np.sqrt(rng.random(n))  # denser towards the outside, as the arm length grows
    theta = s * turns * 2 * np.pi
    arm = rng.integers(0, 2, n) * np.pi
    r = 0.42 * s
    pts = np.stack([r * np.cos(theta + arm), r * np.sin(theta + arm)], axis=1)
    return 0.5 + pts + noise * rng.standard_normal((n, 2))


def _swissroll(n, rng, noise=0.01):
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    pts = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (4.5 * np.pi) * 0.42
    return 0.5 + pts + noise * rng.standard_normal((n, 2))


def _eight_gaussians(radius=0.35, std=0.03):
    angles = np.arange(8) * np.pi / 4
    means = 0.5 + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(means, np.full(8, std ** 2))


_TOY_SAMPLERS = {"moons": _moons, "rings": _rings, "spiral": _spiral, "swissroll": _swissroll}
TOY2D_NAMES = ("8gaussians", "checkerboard", "moons", "rings", "spiral", "swissroll")


def toy2d(name: str, **params) -> Density:
    """A named 2D toy density, scaled to fit the unit square.

    Parameters
    ----------
    name : {"moons", "8gaussians", "checkerboard", "rings", "spiral", "swissroll"}
    **params
        ``moons``: ``noise=0.05`` (in sklearn's units, before the 0.3 scaling);
        ``8gaussians``: ``radius=0.35``, ``std=0.03`` (a :class:`GaussianMixture`, with pdf);
        ``checkerboard``: ``n_squares=4``, ``low=0``, ``high=1`` (a :class:`Checkerboard`, with pdf);
        ``rings``: ``n_rings=4``, ``noise=0.008`` (radii 0.1 … 0.4 about the centre);
        ``spiral``: ``turns=2.0``, ``noise=0.01`` (two arms, outer radius 0.42);
        ``swissroll``: ``noise=0.01`` (outer radius 0.42).
    """
    if not isinstance(name, str) or name not in TOY2D_NAMES:
        raise ValueError(f"unknown toy density {name!r}; valid names: {', '.join(TOY2D_NAMES)}")
    try:
        if name == "8gaussians":
            return _eight_gaussians(**params)
        if name == "checkerboard":
            return Checkerboard(**params)
        sampler = _TOY_SAMPLERS[name]
        sampler(1, np.random.default_rng(0), **params)  # checks the parameter names now
    except TypeError as exc:
        raise TypeError(f"toy2d({name!r}): bad parameters {params}: {exc}") from None
    return SampledToy(name, sampler, [[0.0, 1.0], [0.0, 1.0]], dict(params))


# ----------------------------------------------------------------------------- image density

_LUMA = np.array([0.2126, 0.7152, 0.0722])


def _image_intensity(image, name):
    """Array ``(H, W)``, ``(H, W, 1|2|3|4)`` → float intensity (H, W) in image units."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(float)
    if not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name} must be a numeric array or an image path, got {describe(image)}")
    scale = float(np.iinfo(arr.dtype).max) if np.issubdtype(arr.dtype, np.integer) else 1.0
    arr = arr.astype(float) / scale
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"{name} has shape {arr.shape}, which looks channel-first; "
                         f"pass (H, W) or (H, W, C), e.g. image.transpose(1, 2, 0)")
    if arr.ndim == 3:
        c = arr.shape[2]
        if c == 1:
            arr = arr[:, :, 0]
        elif c == 2:  # gray + alpha
            arr = arr[:, :, 0] * arr[:, :, 1]
        elif c == 3:
            arr = arr @ _LUMA
        elif c == 4:  # RGB + alpha: luminance weighted by coverage
            arr = (arr[:, :, :3] @ _LUMA) * arr[:, :, 3]
        else:
            raise ValueError(f"{name} has {c} channels (shape {arr.shape}); expected 1, 2, 3 or 4")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have shape (H, W) or (H, W, C) with H, W >= 1, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains {int(np.count_nonzero(~np.isfinite(arr)))} NaN or infinite value(s)")
    return arr


class ImageDensity(Density):
    """A 2D piecewise-constant density from an image: brighter = denser (unless ``invert``).

    Pixel (row r, column c) of an H×W image covers x ∈ [c/W, (c+1)/W], y ∈ [1 − (r+1)/H, 1 − r/H]
    of the unit domain (row 0 at the top, as displayed), mapped affinely onto ``domain``.
    Colour images use Rec. 709 luminance; an alpha channel multiplies it. The mass of a pixel is
    ``value ** gamma`` with value in [0, 1] (integers are divided by their dtype's maximum);
    ``invert`` uses ``1 − value``. Sampling draws a pixel from an alias table (Numba) and a
    uniform point inside it.

    Parameters
    ----------
    image : array (H, W) or (H, W, C), or a path to an image file
    domain : ((x_min, x_max), (y_min, y_max))
    invert : bool
    gamma : float > 0
    """

    def __init__(self, image, *, domain=((0.0, 1.0), (0.0, 1.0)), invert=False, gamma=1.0):
        from .io import read_image

        if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
            image = read_image(image, name="image")
        value = _image_intensity(image, "image")
        if value.min() < 0:
            raise ValueError(f"image has negative values (min {value.min():g}); a density needs values >= 0")
        gamma = check_float(gamma, "gamma", minimum=0.0, strict_min=True)
        if invert:
            if value.max() > 1:
                raise ValueError(f"invert=True needs values in [0, 1], got max {value.max():g}")
            value = 1.0 - value
        mass = value ** gamma
        total = mass.sum()
        if not total > 0:
            raise ValueError("image has zero total mass (all pixels are zero"
                             + (" after invert" if invert else "") + "); nothing to sample")
        domain = check_bounds(domain, "domain", d=2)
        self.d = 2
        self.domain = domain
        self.mass = mass / total
        self.height, self.width = mass.shape
        self.cell = (domain[:, 1] - domain[:, 0]) / np.array([self.width, self.height])
        self._density = self.mass / (self.cell[0] * self.cell[1])
        self._alias = None

    def _table(self):
        if self._alias is None:
            from ._kernels.sampling import build_alias

            self._alias = build_alias(self.mass.ravel())
        return self._alias

    def _sample(self, n, rng):
        from ._kernels.sampling import sample_pixels

        prob, alias = self._table()
        u = rng.random((n, 3))
        return sample_pixels(prob, alias, self.width, self.domain[0, 0], self.domain[1, 0],
                             self.cell[0], self.cell[1], u)

    def pixel_index(self, x):
        """Row and column of the pixel holding each point, and whether it lies in the domain."""
        x = as_points(x, "x", d=2)
        c = np.floor((x[:, 0] - self.domain[0, 0]) / self.cell[0]).astype(np.int64)
        r = self.height - 1 - np.floor((x[:, 1] - self.domain[1, 0]) / self.cell[1]).astype(np.int64)
        inside = ((x[:, 0] >= self.domain[0, 0]) & (x[:, 0] <= self.domain[0, 1])
                  & (x[:, 1] >= self.domain[1, 0]) & (x[:, 1] <= self.domain[1, 1]))
        return np.clip(r, 0, self.height - 1), np.clip(c, 0, self.width - 1), inside

    def _log_pdf(self, x):
        r, c, inside = self.pixel_index(x)
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(self._density[r, c]), -np.inf)

    def density_grid(self) -> np.ndarray:
        """The density per pixel, shape (H, W), row 0 at the top."""
        return self._density.copy()

    def _bounds(self):
        return self.domain.copy()


# ----------------------------------------------------------------------------- sample sets

class Empirical(Density):
    """A weighted sample set ``points`` (n, d); ``sample`` resamples with replacement by weight."""

    has_pdf = False

    def __init__(self, points, weights=None):
        self.points = as_points(points, "points", allow_empty=False)
        self.d = self.points.shape[1]
        n = self.points.shape[0]
        if weights is None:
            self.weights = None
        else:
            w = np.asarray(weights, dtype=float)
            if w.shape != (n,):
                raise ValueError(f"weights must have shape ({n},) to match points, got shape {w.shape}")
            if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
                raise ValueError("weights must be finite, non-negative and sum to a positive number")
            self.weights = w / w.sum()
        self._cdf = None if self.weights is None else np.cumsum(self.weights)

    def _sample(self, n, rng):
        if self._cdf is None:
            idx = rng.integers(0, self.points.shape[0], n)
        else:
            idx = np.minimum(np.searchsorted(self._cdf, rng.random(n) * self._cdf[-1], side="right"),
                             self.points.shape[0] - 1)
        return self.points[idx]

    def _bounds(self):
        return np.stack([self.points.min(0), self.points.max(0)], axis=1)


def as_density(obj, name: str) -> Density:
    """A :class:`Density` as it is; an ``(n, d)`` array as an :class:`Empirical` density."""
    if isinstance(obj, Density):
        return obj
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"{name} must be a Density or an (n, d) array of points, got {describe(obj)}")
    return Empirical(as_points(obj, name, allow_empty=False))
