"""Pearson χ² goodness-of-fit of samples against the pdf they claim to follow.

The method of Mitsuba's ``ChiSquareTest``: histogram the samples on a regular grid, integrate
the pdf over each cell for the expected counts (adaptive quadrature, as Mitsuba does; here an
embedded Gauss–Kronrod pair with anisotropic box splitting), pool cells whose expectation is
below ``min_expected`` into one bin, and compare with the χ² distribution.

References
----------
Jakob et al., Mitsuba renderer, ``ChiSquareTest`` (chi2.py / chi2test.h).
"""
from __future__ import annotations

import itertools
import warnings
from typing import NamedTuple

import numpy as np
from scipy import stats

from .._validation import as_points, check_bounds, check_float, check_int

__all__ = ["chi2_test", "Chi2Result", "cell_integrals"]

# Gauss–Kronrod pair on [0, 1]: the 5-point Kronrod rule (degree 7) and the 2-point Gauss rule
# (degree 3) on two of its nodes. Open rules: no node on a box side, where pixel edges often lie.
_NODES = 0.5 + 0.5 * np.array([-np.sqrt(6 / 7), -1 / np.sqrt(3), 0.0, 1 / np.sqrt(3), np.sqrt(6 / 7)])
_W_FINE = np.array([98.0, 243.0, 308.0, 243.0, 98.0]) / 990.0
_W_COARSE = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
_PROBE = 1e-6  # probes of the strips between the outer nodes and the sides, in box units
_DEFAULT_SUBDIVISIONS = {1: 20, 2: 10}  # 5 in d >= 3
_CHUNK = 1 << 20  # points per pdf call
_ZERO = 1e-12  # a cell integral below this fraction of the total counts as zero
_COUNT_TOL = 0.05  # chi2_test: error of each expected count <= this x sqrt(mean expected count)


class Chi2Result(NamedTuple):
    statistic: float
    p_value: float
    dof: int
    observed: np.ndarray  # (bins,) * d counts per cell
    expected: np.ndarray  # (bins,) * d expected counts per cell


class _Pdf:
    """``pdf`` evaluated in chunks, with its output checked and the evaluations counted."""

    def __init__(self, pdf):
        if not callable(pdf):
            raise TypeError(f"pdf must be a callable (m, d) -> (m,), got {type(pdf).__name__}")
        self.pdf = pdf
        self.evals = 0

    def __call__(self, pts):
        out = np.empty(len(pts))
        for s in range(0, len(pts), _CHUNK):
            chunk = pts[s:s + _CHUNK]
            v = np.asarray(self.pdf(chunk), dtype=float).reshape(-1)
            if v.shape != (len(chunk),):
                raise ValueError(f"pdf must return one value per point: got {v.size} values for {len(chunk)} points")
            bad = ~np.isfinite(v) | (v < 0)
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"pdf returned {int(bad.sum())} negative, NaN or infinite value(s), e.g. "
                                 f"{v[i]} at {chunk[i].tolist()}")
            out[s:s + _CHUNK] = v
        self.evals += len(pts)
        return out


def _contract(values, weights):
    """Tensor-product rule on ``values`` (k, 5, ..., 5) with one 1D weight vector per axis → (k,)."""
    out = values
    for w in weights:
        out = np.tensordot(out, w, axes=([1], [0]))
    return out


def _rules(values, d):
    """Fine (Kronrod), coarse (Gauss) and per-axis-coarse (Gauss along that axis) means of each box."""
    fine = _contract(values, [_W_FINE] * d)
    coarse = _contract(values, [_W_COARSE] * d)
    axis = np.stack([_contract(values, [_W_COARSE if j == k else _W_FINE for j in range(d)])
                     for k in range(d)], axis=1) if d > 1 else coarse[:, None]
    return fine, coarse, axis


def _eval_boxes(f, lo, width):
    """Integrate the boxes ``lo``, ``width`` (k, d) with the Gauss–Kronrod pair.

    Returns the Kronrod integrals (k,), their error estimates (k,) and the part of the error due
    to each axis (k, d), which says along which axes to halve a box. The error is |Kronrod −
    Gauss| plus, per axis, a probe of the gaps between the outermost nodes and the box sides
    (pdf values just inside each side compared with the linear extrapolation of the two
    outermost nodes): an edge there, invisible to both rules, still triggers refinement.
    """
    k, d = lo.shape
    grid = np.stack(np.meshgrid(*([_NODES] * d), indexing="ij"), axis=-1).reshape(-1, d)  # (5^d, d)
    others = grid[: 5 ** (d - 1), 1:]  # the nodes of a face, (5^(d-1), d-1)
    probes = [np.insert(others, ax, t, axis=1) for ax in range(d) for t in (_PROBE, 1.0 - _PROBE)]
    local = np.concatenate([grid] + probes)  # (5^d + 2 d 5^(d-1), d)
    pts = (lo[:, None, :] + width[:, None, :] * local[None]).reshape(-1, d)
    allv = f(pts).reshape(k, -1)
    values = allv[:, : 5 ** d].reshape((k,) + (5,) * d)
    probe = allv[:, 5 ** d:].reshape(k, d, 2, 5 ** (d - 1))
    fine, coarse, axis = _rules(values, d)
    vol = np.prod(width, axis=1)
    gap_err = np.zeros((k, d))
    gap = _NODES[0] - _PROBE  # width of the unseen strip, in box units
    step = gap / (_NODES[1] - _NODES[0])
    for ax in range(d):
        v = np.moveaxis(values, ax + 1, 1).reshape(k, 5, -1)
        near = (v[:, 0] + step * (v[:, 0] - v[:, 1]), v[:, 4] + step * (v[:, 4] - v[:, 3]))
        jump = np.abs(probe[:, ax, 0] - near[0]).max(axis=1) + np.abs(probe[:, ax, 1] - near[1]).max(axis=1)
        gap_err[:, ax] = gap * jump
    err = np.abs(fine - coarse) + gap_err.sum(axis=1)
    e_axis = np.abs(fine[:, None] - axis) + gap_err
    return fine * vol, err * vol, e_axis * vol[:, None]


class _Leaves:
    """The current partition of the cells into boxes, with their quadrature results."""

    def __init__(self, lo, width, cell, depth, value, err, e_axis):
        self.lo, self.width, self.cell, self.depth = lo, width, cell, depth
        self.value, self.err, self.e_axis = value, err, e_axis


def _refine(f, leaves, n_cells, *, rtol, atol, max_depth, max_evals):
    """Split the boxes of unconverged cells (largest errors first) until every cell's error
    estimate is within ``max(rtol · |cell|, atol)``, the boxes reach ``max_depth`` halvings per
    axis, or ``max_evals`` pdf evaluations are spent."""
    d = leaves.lo.shape[1]
    per_box = 5 ** d + 2 * d * 5 ** (d - 1)  # nodes and side probes
    while True:
        err = leaves.err
        cell_err = np.bincount(leaves.cell, err, minlength=n_cells)
        cell_val = np.bincount(leaves.cell, leaves.value, minlength=n_cells)
        tol = np.maximum(rtol * np.abs(cell_val), atol)
        active = cell_err > tol
        if not np.any(active):
            return leaves, True
        n_leaf = np.bincount(leaves.cell, minlength=n_cells)
        # axes to halve: those whose own coarse rule disagrees most with the fine one
        e_axis = leaves.e_axis
        split = e_axis >= 0.5 * e_axis.max(axis=1, keepdims=True)
        split &= leaves.depth < max_depth
        cand = active[leaves.cell] & (err > tol[leaves.cell] / n_leaf[leaves.cell]) & split.any(axis=1)
        idx = np.flatnonzero(cand)
        if len(idx) == 0:
            return leaves, False
        cost = per_box * 2 ** split[idx].sum(axis=1)
        budget = max_evals - f.evals
        if cost.sum() > budget:  # the largest errors first
            idx = idx[np.argsort(-err[idx], kind="stable")]
            cost = per_box * 2 ** split[idx].sum(axis=1)
            idx = idx[np.cumsum(cost) <= budget]
            if len(idx) == 0:
                return leaves, False
        # children: every combination of halves along the split axes
        s = split[idx]
        w_half = leaves.width[idx] * np.where(s, 0.5, 1.0)
        parts = []
        for o in itertools.product((0, 1), repeat=d):
            o = np.array(o)
            ok = np.all(s | (o == 0), axis=1)
            parts.append((leaves.lo[idx][ok] + o * w_half[ok], w_half[ok], leaves.cell[idx][ok],
                          leaves.depth[idx][ok] + s[ok]))
        lo_c, w_c, cell_c, depth_c = (np.concatenate(a) for a in zip(*parts))
        value, err_c, e_axis = _eval_boxes(f, lo_c, w_c)
        keep = np.ones(len(leaves.cell), dtype=bool)
        keep[idx] = False
        leaves = _Leaves(*(np.concatenate([a[keep], b]) for a, b in (
            (leaves.lo, lo_c), (leaves.width, w_c), (leaves.cell, cell_c), (leaves.depth, depth_c),
            (leaves.value, value), (leaves.err, err_c), (leaves.e_axis, e_axis))))


def _integrate(f, bounds, bins, subdivisions, *, rtol, atol, max_depth, max_evals, cells=None):
    """Core of :func:`cell_integrals`; ``cells`` (k,) flat indices restricts it to some cells."""
    d = bounds.shape[0]
    b = -(-subdivisions // 5)  # initial boxes per axis and cell
    span = bounds[:, 1] - bounds[:, 0]
    n_cells = bins ** d
    if cells is None:
        cells = np.arange(n_cells)
    sub = np.stack(np.meshgrid(*([np.arange(b)] * d), indexing="ij"), axis=-1).reshape(-1, d)
    cell_idx = np.stack(np.unravel_index(cells, (bins,) * d), axis=1)
    width1 = span / (bins * b)
    lo = (bounds[:, 0] + (cell_idx[:, None, :] * b + sub[None]) * width1).reshape(-1, d)
    width = np.broadcast_to(width1, lo.shape).copy()
    cell = np.repeat(cells, len(sub))
    leaves = _Leaves(lo, width, cell, np.zeros(lo.shape, dtype=np.int64), *_eval_boxes(f, lo, width))
    if atol is None:
        atol = rtol * float(np.sum(leaves.value)) / len(cells)
    leaves, converged = _refine(f, leaves, n_cells, rtol=rtol, atol=atol, max_depth=max_depth,
                                max_evals=max_evals)
    values = np.bincount(leaves.cell, leaves.value, minlength=n_cells)
    errors = np.bincount(leaves.cell, leaves.err, minlength=n_cells)
    return values, errors, converged


def cell_integrals(pdf, bounds, bins, subdivisions=None, *, rtol=1e-4, atol=None, max_depth=20,
                   max_evals=None, return_error=False):
    """Integral of ``pdf`` over each cell of a regular grid on ``bounds`` (d, 2) → ``(bins,) * d``.

    Adaptive quadrature (Mitsuba's χ² test integrates its cells adaptively too), vectorised over
    all cells: each cell starts as ``ceil(subdivisions / 5)^d`` boxes, each integrated with the
    5-point Gauss–Kronrod rule per axis (degree 7) and with the 2-point Gauss rule embedded in it
    (degree 3). In cells where the summed difference exceeds ``max(rtol · |cell|, atol)``, the
    boxes with the largest differences are halved (only along the axes where the two rules
    disagree most, so that an axis-aligned edge such as a pixel boundary costs O(depth) boxes,
    not O(2^depth)) and integrated again, until every cell converges, a box has been halved
    ``max_depth`` times along an axis, or ``max_evals`` pdf evaluations are spent. The rules
    have no node on a box side, so pixel edges on the grid lines cost nothing.

    Parameters
    ----------
    pdf : callable
        Vectorised density, (m, d) → (m,), finite and >= 0.
    bounds : array_like, (d, 2)
        The box, low and high per axis.
    bins : int
        Cells per axis.
    subdivisions : int, optional
        Initial sampling resolution: pdf nodes per axis and cell before any refinement (rounded
        up to a multiple of 5). Default 20, 10, 5 in 1, 2, >= 3 dimensions. Raise it for pdfs
        with features much thinner than a cell (a feature that falls between all initial nodes
        is invisible to any quadrature).
    rtol : float
        Relative tolerance per cell (on the conservative error estimate |fine − coarse|).
    atol : float, optional
        Absolute tolerance per cell; default ``rtol`` × the mean cell integral.
    max_depth : int
        Most halvings of a box per axis.
    max_evals : int, optional
        Evaluation budget, default ``max(2**22, 2 ×`` the initial evaluations).
    return_error : bool
        Also return the per-cell error estimates (same shape; conservative: |Kronrod − Gauss|,
        the error of the lower-order rule, usually far above the error of the returned values).

    Returns
    -------
    integrals : ndarray, (bins,) * d
    errors : ndarray, (bins,) * d
        Only with ``return_error=True``.
    """
    bounds = check_bounds(bounds)
    d = bounds.shape[0]
    bins = check_int(bins, "bins", minimum=1)
    if subdivisions is None:
        subdivisions = _DEFAULT_SUBDIVISIONS.get(d, 5)
    subdivisions = check_int(subdivisions, "subdivisions", minimum=1)
    rtol = check_float(rtol, "rtol", minimum=0.0)
    if atol is not None:
        atol = check_float(atol, "atol", minimum=0.0)
    max_depth = check_int(max_depth, "max_depth", minimum=0)
    if max_evals is None:
        max_evals = max(1 << 22, 2 * _initial_evals(bins, subdivisions, d))
    max_evals = check_int(max_evals, "max_evals", minimum=1)
    f = _Pdf(pdf)
    values, errors, _ = _integrate(f, bounds, bins, subdivisions, rtol=rtol, atol=atol, max_depth=max_depth,
                                   max_evals=max_evals)
    shape = (bins,) * d
    return (values.reshape(shape), errors.reshape(shape)) if return_error else values.reshape(shape)


def _initial_evals(bins, subdivisions, d):
    """pdf evaluations of the first pass: boxes × (nodes + side probes) per box."""
    boxes = (-(-subdivisions // 5) * bins) ** d
    return boxes * (5 ** d + 2 * d * 5 ** (d - 1))


def chi2_test(samples, pdf, *, bounds, bins=None, subdivisions=None, min_expected=5.0,
              max_evals=None) -> Chi2Result:
    """χ² test of ``samples`` (n, d) against ``pdf`` (callable (m, d) → (m,)) on ``bounds`` (d, 2).

    Samples outside ``bounds`` and the pdf mass outside it form one extra bin. ``bins`` per axis
    defaults to (n/20)^(1/d) clipped to [4, 64]. The expected counts come from
    :func:`cell_integrals` (adaptive Gauss–Kronrod; ``subdivisions`` is its initial resolution). A
    cell whose integral is 0 while it holds samples is integrated again at 16× that resolution
    per axis (up to 64 such cells); only if it is still 0 (below 1e-12 of the total) is the test
    a certain failure (statistic inf, p-value 0). ``max_evals`` bounds the pdf evaluations in all
    (default ``max(2**22, 2 ×`` the first pass's)); lower it for a slow pdf (a warp's pdf needs an
    inverse per point). The first pass always runs: at least ``bins^d · (5^d + 2d·5^(d−1))``
    evaluations (the default ``subdivisions`` is lowered to leave half a small budget to refinement). A small p-value
    (< 0.01) says the samples do not follow ``pdf``.
    """
    samples = as_points(samples, "samples", allow_empty=False)
    n, d = samples.shape
    bounds = check_bounds(bounds, d=d)
    if bins is None:
        bins = int(np.clip(round((n / 20.0) ** (1.0 / d)), 4, 64))
    bins = check_int(bins, "bins", minimum=1)
    min_expected = check_float(min_expected, "min_expected", minimum=0.0)
    if max_evals is not None:
        max_evals = check_int(max_evals, "max_evals", minimum=1)
    if subdivisions is None:
        subdivisions = _DEFAULT_SUBDIVISIONS.get(d, 5)
        while subdivisions > 5 and max_evals is not None and _initial_evals(bins, subdivisions, d) > max_evals // 2:
            subdivisions -= 5  # a small budget: a coarser first pass leaves some of it for refinement
    subdivisions = check_int(subdivisions, "subdivisions", minimum=1)
    if max_evals is None:
        max_evals = max(1 << 22, 2 * _initial_evals(bins, subdivisions, d))

    observed, _ = np.histogramdd(samples, bins=bins, range=[tuple(b) for b in bounds])
    # accuracy that the test needs: count errors well below their Poisson noise sqrt(n · I)
    f = _Pdf(pdf)
    shape = (bins,) * d
    atol = _COUNT_TOL * np.sqrt(1.0 / (bins ** d * n))
    flat, errors, converged = _integrate(f, bounds, bins, subdivisions, rtol=1e-4, atol=atol, max_depth=20,
                                         max_evals=max_evals)
    zero = _ZERO * max(flat.sum(), 1e-300)
    missed = np.flatnonzero((flat <= zero) & (observed.reshape(-1) > 0))
    if 0 < len(missed) <= 64:
        # samples where the pdf claims no mass: look again, 16x finer, before calling it a failure
        again, _, _ = _integrate(_Pdf(pdf), bounds, bins, 16 * subdivisions, rtol=1e-4, atol=atol,
                                 max_depth=20, max_evals=max_evals, cells=missed)
        flat[missed] = again[missed]
    if not converged:
        bias = float(np.sum((n * errors) ** 2 / np.maximum(n * flat, max(min_expected, 1.0))))
        if bias > 0.25 * np.sqrt(2.0 * flat.size):
            warnings.warn(f"chi2_test: the pdf's cell integrals did not converge within {f.evals} evaluations; "
                          f"their estimated errors could add up to {bias:.3g} to the statistic (dof ~ {flat.size}). "
                          "Use fewer bins or a smoother pdf, or raise subdivisions", stacklevel=2)
    expected = flat.reshape(shape) * n
    outside_obs = n - observed.sum()
    outside_exp = max(n - expected.sum(), 0.0)

    obs = np.append(observed.ravel(), outside_obs)
    exp = np.append(expected.ravel(), outside_exp)
    # a sample where the pdf claims zero mass is a certain failure
    if np.any((exp <= zero * n) & (obs > 0)):
        return Chi2Result(float("inf"), 0.0, 0, observed, expected)
    keep = exp >= min_expected
    pooled_obs = obs[~keep].sum()
    pooled_exp = exp[~keep].sum()
    obs, exp = obs[keep], exp[keep]
    if pooled_exp > 0:
        obs = np.append(obs, pooled_obs)
        exp = np.append(exp, pooled_exp)
    elif pooled_obs > 0:
        return Chi2Result(float("inf"), 0.0, 0, observed, expected)
    dof = len(exp) - 1
    if dof < 1:
        raise ValueError(f"too few cells with expected count >= {min_expected} for a χ² test; "
                         f"draw more samples (n={n}) or use fewer bins ({bins})")
    statistic = float(np.sum((obs - exp) ** 2 / exp))
    return Chi2Result(statistic, float(stats.chi2.sf(statistic, dof)), dof, observed, expected)
