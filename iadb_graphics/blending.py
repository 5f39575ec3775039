"""α-blending maths shared by every IADB map: blends, training targets, schedules, integration.

Works on numpy arrays and torch tensors alike (the velocity function decides which).

References
----------
E. Heitz, L. Belcour, T. Chambon. Iterative α-(de)Blending: a Minimalist Deterministic
Diffusion Model. SIGGRAPH 2023.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_generator, as_points, check_choice, check_float, check_int

__all__ = ["blend", "deblend", "training_target", "alpha_schedule", "minibatch_ot_pairs", "integrate", "invert", "stochastic_iadb",
           "PARAMETRIZATIONS", "INTEGRATORS"]

PARAMETRIZATIONS = ("velocity", "endpoints")
INTEGRATORS = ("euler", "heun")


def blend(x0, x1, alpha):
    r"""Blend :math:`x_\alpha = (1-\alpha)\,x_0 + \alpha\,x_1`; ``alpha`` a scalar or (n,) / (n, 1)."""
    if getattr(alpha, "ndim", 0) == 1:
        alpha = alpha[:, None]
    return x0 + alpha * (x1 - x0)


def deblend(x, velocity, alpha):
    r"""Posterior-mean endpoints :math:`\bar x_0 = x - \alpha v`, :math:`\bar x_1 = x + (1-\alpha) v`."""
    if getattr(alpha, "ndim", 0) == 1:
        alpha = alpha[:, None]
    return x - alpha * velocity, x + (1 - alpha) * velocity


def training_target(x0, x1, parametrization="velocity"):
    """Regression target of the IADB loss: ``x1 − x0`` (n, d), or ``[x0, x1]`` (n, 2d) for "endpoints"."""
    if parametrization == "velocity":
        return x1 - x0
    if parametrization == "endpoints":
        cat = np.concatenate if isinstance(x0, np.ndarray) else _torch_cat
        return cat([x0, x1], 1)
    raise ValueError(f"parametrization must be one of {PARAMETRIZATIONS}, got {parametrization!r}")


def _torch_cat(parts, dim):
    import torch

    return torch.cat(parts, dim=dim)


def minibatch_ot_pairs(x0, x1, block):
    """Re-pair ``x1`` with ``x0`` by exact OT (``ot.emd``, squared Euclidean) inside blocks of ``block`` rows.

    Returns a copy of ``x1`` whose rows are permuted within each block so that row i is matched
    to ``x0[i]``; a block of fewer than 2 rows is kept as it is.
    """
    import ot

    out = np.array(x1, copy=True)
    n = x0.shape[0]
    for s in range(0, n, block):
        a, b = x0[s:s + block], x1[s:s + block]
        m = a.shape[0]
        if m < 2:
            continue
        w = np.full(m, 1.0 / m)
        plan = ot.emd(w, w, ot.dist(a, b), numItermax=10_000_000)
        out[s:s + m] = b[plan.argmax(axis=1)]
    return out


def alpha_schedule(n_steps, *, kind="uniform") -> np.ndarray:
    """The α grid ``(n_steps + 1,)`` from 0 to 1: ``uniform`` (the paper's) or ``cosine``.

    ``cosine`` (α = (1 − cos πs)/2) takes smaller steps near both ends, where fields are sharpest.
    """
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    s = np.linspace(0.0, 1.0, n_steps + 1)
    check_choice(kind, "kind", ("uniform", "cosine"))
    if kind == "cosine":
        s = 0.5 * (1.0 - np.cos(np.pi * s))
        s[0], s[-1] = 0.0, 1.0
    return s


def _logabsdet(m):
    if isinstance(m, np.ndarray):
        return np.linalg.slogdet(m)[1]
    import torch

    return torch.linalg.slogdet(m)[1]


def _eye_like(jac):
    d = jac.shape[-1]
    if isinstance(jac, np.ndarray):
        return np.eye(d, dtype=jac.dtype)
    import torch

    return torch.eye(d, dtype=jac.dtype, device=jac.device)


def _step(velocity, x, a, b, method, need_jac):
    """One Euler/Heun step from α=a to α=b: returns ``x'`` and, when ``need_jac``, ∂x'/∂x."""
    h = b - a
    if not need_jac:
        v = velocity(x, a, b, False)
        if method == "euler":
            return x + h * v, None
        v2 = velocity(x + h * v, b, b + h, False)
        return x + 0.5 * h * (v + v2), None
    v, jac = velocity(x, a, b, True)
    eye = _eye_like(jac)
    if method == "euler":
        return x + h * v, eye + h * jac
    xp = x + h * v
    v2, jac2 = velocity(xp, b, b + h, True)
    return x + 0.5 * h * (v + v2), eye + 0.5 * h * (jac + jac2 @ (eye + h * jac))


def integrate(velocity, x, alphas, *, method="euler", log_det=False, callback=None):
    r"""Integrate :math:`dx/d\alpha = v(x, \alpha)` along ``alphas`` (increasing: forward map;
    decreasing: the reversed ODE, an O(h) approximation of the inverse — see :func:`invert`).

    Parameters
    ----------
    velocity : callable ``(x, alpha, alpha_next, need_jac) -> v`` or ``(v, jac)``
        ``x`` (n, d), ``alpha`` the α at which to evaluate, ``alpha_next`` the α the step goes to
        (a re-blending parametrization needs it); returns the velocity (n, d) and, when
        ``need_jac``, its Jacobian ∂v/∂x (n, d, d).
    x : (n, d) array or tensor (not modified).
    alphas : (T + 1,) sequence of α values.
    method : {"euler", "heun"}
    log_det : bool
        Also return log|det J| (n,) of the *discrete* map: the sum over steps of
        log|det(I + h ∂v/∂x)| (Euler) or of the exact step Jacobian (Heun).
    callback : callable ``(step, x)``, optional, called after every step (trajectories, progress).

    Returns
    -------
    y, or ``(y, log_det)``.
    """
    check_choice(method, "method", INTEGRATORS)
    alphas = [float(a) for a in alphas]
    total = x[:, 0] * 0
    for t in range(len(alphas) - 1):
        x, jac = _step(velocity, x, alphas[t], alphas[t + 1], method, log_det)
        if log_det:
            total = total + _logabsdet(jac)
        if callback is not None:
            callback(t, x)
    return (x, total) if log_det else x


def invert(velocity, y, alphas, *, method="euler", n_iter=3, log_det=False):
    """Invert the discrete map of :func:`integrate` along the forward ``alphas``, step by step.

    Each step ``S(x) = y`` is solved by fixed-point iteration ``x ← x − (S(x) − y)`` from the
    reversed-Euler guess; it converges while ``h · Lip(v) < 1``, the condition under which the
    step is invertible at all. ``n_iter=0`` gives the plain reversed ODE (error O(h)).
    With ``log_det``, returns ``(x, log_det)`` with log_det (n,) = −log|det ∂T/∂x| at the solution.
    """
    check_choice(method, "method", INTEGRATORS)
    check_int(n_iter, "n_iter", minimum=0)
    alphas = [float(a) for a in alphas]
    total = y[:, 0] * 0
    for t in range(len(alphas) - 2, -1, -1):
        a, b = alphas[t], alphas[t + 1]
        target = y
        x = y - (b - a) * velocity(y, b, a, False)  # reversed Euler guess
        for _ in range(n_iter):
            x = x - (_step(velocity, x, a, b, method, False)[0] - target)
        if log_det:
            total = total - _logabsdet(_step(velocity, x, a, b, method, True)[1])
        y = x
    return (y, total) if log_det else y


def stochastic_iadb(x, source, target, *, n_steps=64, n_pairs=4096, bandwidth=None, rng=None):
    r"""The paper's stochastic iterative α-(de)blending (Algorithm 1), for demonstration.

    At each step the posterior :math:`p(x_0, x_1 \mid x_\alpha = x)` is approximated by a
    Gaussian kernel of width ``bandwidth`` over ``n_pairs`` fresh blended pairs; one pair is
    drawn from it per particle and re-blended at the next α. Paths are random; their end
    points are distributed as the target, and the paths converge to the deterministic ones as
    the kernel narrows and ``n_pairs`` grows.

    Parameters
    ----------
    x : (n, d) starting points (samples of ``source``).
    source, target : densities with ``sample(n, rng=...)``.
    bandwidth : float, optional
        Kernel width; default, at each step, ``0.2 * std(x_α) * n_pairs ** (-1 / (d + 4))`` (a
        narrow kernel: its bias shrinks the spread by about bandwidth²/variance per step).

    Returns
    -------
    (n, d) end points.
    """
    x = as_points(x, "x")
    rng = as_generator(rng)
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    n_pairs = check_int(n_pairs, "n_pairs", minimum=2)
    n, d = x.shape
    if bandwidth is not None:
        bandwidth = check_float(bandwidth, "bandwidth", minimum=0.0, strict_min=True)
    alphas = alpha_schedule(n_steps)
    for t in range(n_steps):
        x0 = source.sample(n_pairs, rng=rng)
        x1 = target.sample(n_pairs, rng=rng)
        xa = blend(x0, x1, alphas[t])
        h = bandwidth or 0.2 * float(np.mean(np.std(xa, axis=0))) * n_pairs ** (-1.0 / (d + 4))
        # squared distances (n, n_pairs) → kernel posterior over the pairs, one draw per particle
        d2 = (x * x).sum(1)[:, None] - 2 * x @ xa.T + (xa * xa).sum(1)[None, :]
        logw = -0.5 * d2 / h ** 2
        logw -= logw.max(1, keepdims=True)
        w = np.exp(logw)
        cdf = np.cumsum(w, axis=1)
        u = rng.random(n) * cdf[:, -1]
        pick = np.minimum((cdf < u[:, None]).sum(1), n_pairs - 1)
        x = blend(x0[pick], x1[pick], alphas[t + 1])
    return x
