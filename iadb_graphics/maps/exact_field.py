r"""The exact IADB velocity between a uniform box and a piecewise-constant 2D density.

For independent :math:`x_0 \sim p_0`, :math:`x_1 \sim p_1` and
:math:`x_\alpha = (1 - \alpha)\,x_0 + \alpha\,x_1`, the IADB velocity is

.. math:: v(x, \alpha) = E[x_1 - x_0 \mid x_\alpha = x]
          = \frac{E[x_1 \mid x_\alpha = x] - x}{1 - \alpha},

and the posterior of :math:`x_1` given :math:`x_\alpha = x` is proportional to
:math:`p_1(x_1)\,p_0\big((x - \alpha x_1) / (1 - \alpha)\big)`. When :math:`p_0` is uniform on a
box :math:`[l, h]` this is :math:`p_1` restricted to the box
:math:`[(x - (1 - \alpha) h) / \alpha,\ (x - (1 - \alpha) l) / \alpha]`, and when :math:`p_1` is
piecewise constant on a tensor grid of cells (an image, a checkerboard, a box) its mass and first
moment over any box are sums of cell values times per-axis overlaps. On a tensor grid of nodes
the box of a node is separable too (its x-range depends only on the node's x, its y-range only on
its y), so the whole field is a few cumulative sums along each axis per α, O(bins · pixels):
exact, with no sampling noise (:meth:`ExactBlendField.on_grid`). At scattered points, each with
its own α (the regression targets of a learned map), summed-area tables give every box in O(1)
(:meth:`ExactBlendField.at_points`, a Numba kernel).

The reverse pairing (tabulated source, uniform target) is the same computation with the roles
of the two densities and of α and 1 − α exchanged: :math:`v(x, \alpha) = -\tilde v(x, 1 - \alpha)`.

Where the box holds no mass of the tabulated density (a black region of an image, late in α),
the density of :math:`x_\alpha` is zero and the velocity undefined; a tabulated density mixed with
10⁻⁶ of its mean over its domain defines it there (and changes it elsewhere by ~10⁻⁶): continuous,
finite, and the plain exact field wherever particles go.
"""
from __future__ import annotations

import numpy as np

from .._kernels.exact_field import box_velocity
from ..densities import Checkerboard, ImageDensity, Uniform

__all__ = ["PiecewiseConstant2D", "ExactBlendField", "exact_field_for", "choose_field", "tabulate", "FIELDS"]

#: The ``field`` option of the IADB maps: the exact field where available ("auto"), always ("exact",
#: an error where it is not available) or never ("samples": regress onto sampled pairs).
FIELDS = ("auto", "exact", "samples")
_MIX = 1e-6        # weight of the uniform mixed into the tabulated density (empty boxes)
_COLLAPSE = 1e-12  # an interval narrower than this (relative to the domain) is a point


class PiecewiseConstant2D:
    """A 2D density constant on the cells of a tensor grid.

    Parameters
    ----------
    x_edges, y_edges : (W + 1,), (H + 1,) increasing cell edges.
    density : (W, H) array >= 0, the density in cell ``[x_edges[i], x_edges[i+1]] × [y_edges[j], y_edges[j+1]]``
        (indexed x first; any positive scale: only ratios are used).
    """

    def __init__(self, x_edges, y_edges, density):
        self.edges = (np.asarray(x_edges, dtype=float), np.asarray(y_edges, dtype=float))
        density = np.asarray(density, dtype=float)
        if density.shape != (self.edges[0].size - 1, self.edges[1].size - 1):
            raise ValueError(f"density has shape {density.shape}; the edges give "
                             f"{(self.edges[0].size - 1, self.edges[1].size - 1)} cells")
        if not np.all(np.isfinite(density)) or np.any(density < 0) or not density.sum() > 0:
            raise ValueError("density must be finite, >= 0 and not all zero")
        widths = [np.diff(e) for e in self.edges]
        mass = density * widths[0][:, None] * widths[1][None, :]
        mean = mass.sum() / float(np.prod([e[-1] - e[0] for e in self.edges]))
        self.density = density + _MIX * mean
        mass = self.density * widths[0][:, None] * widths[1][None, :]
        centres = [0.5 * (e[1:] + e[:-1]) for e in self.edges]
        self.mean = np.array([np.sum(mass.sum(1) * centres[0]), np.sum(mass.sum(0) * centres[1])]) / mass.sum()
        self._widths, self._centres = widths, centres
        self._sums = None

    def sums(self):
        """Cumulative sums for box queries at scattered points (built on first use).

        ``"rows"``: per x cell, cumulative over y cells of ``density * wy`` ("L") and
        ``density * wy * cy`` ("M"); ``"cols"``: the same per y cell over x cells; ``"sat"``:
        summed-area tables of ``density * wx * wy`` ("LL"), ``… * cx`` ("ML") and ``… * cy`` ("LM");
        w the cell widths, c their centres. Index k of a cumulative axis sums cells ``< k``.
        """
        if self._sums is None:
            (wx, wy), (cx, cy), p = self._widths, self._centres, self.density

            def cum(a, axis):
                pad = [(0, 0), (0, 0)]
                pad[axis] = (1, 0)
                return np.pad(np.cumsum(a, axis=axis), pad)

            rows = {"L": cum(p * wy, 1), "M": cum(p * (wy * cy), 1)}
            cols = {"L": cum(p * wx[:, None], 0), "M": cum(p * (wx * cx)[:, None], 0)}
            area = p * wx[:, None] * wy[None, :]
            sat = {"LL": cum(cum(area, 0), 1), "ML": cum(cum(area * cx[:, None], 0), 1),
                   "LM": cum(cum(area * cy[None, :], 0), 1)}
            self._sums = {"rows": rows, "cols": cols, "sat": sat}
        return self._sums

    @property
    def domain(self) -> np.ndarray:
        """(2, 2) box covered by the cells."""
        return np.array([[e[0], e[-1]] for e in self.edges])


def tabulate(density):
    """A :class:`PiecewiseConstant2D` equal to ``density`` (up to scale), or None when it is not one.

    Tabulated: :class:`~iadb_graphics.densities.ImageDensity`, 2D
    :class:`~iadb_graphics.densities.Uniform` and :class:`~iadb_graphics.densities.Checkerboard`.
    """
    if type(density) is ImageDensity:
        h, w = density.height, density.width
        dom = density.domain
        # row 0 is the top of the image: the y axis runs over the rows reversed
        return PiecewiseConstant2D(np.linspace(dom[0, 0], dom[0, 1], w + 1), np.linspace(dom[1, 0], dom[1, 1], h + 1),
                                   density.density_grid()[::-1, :].T)
    if type(density) is Uniform and density.d == 2:
        return PiecewiseConstant2D([density.low[0], density.high[0]], [density.low[1], density.high[1]], [[1.0]])
    if type(density) is Checkerboard:
        m = density.n_squares
        edges = np.linspace(density.low, density.high, m + 1)
        i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
        return PiecewiseConstant2D(edges, edges, ((i + j) % 2 == 0).astype(float))
    return None


def exact_field_for(source, target):
    """The :class:`ExactBlendField` of the pair, or None when neither side is a 2D uniform box
    paired with a tabulated density (see :func:`tabulate`)."""
    if getattr(source, "d", None) != 2 or getattr(target, "d", None) != 2:
        return None
    if type(source) is Uniform:
        table = tabulate(target)
        if table is not None:
            return ExactBlendField(table, source.low, source.high, reverse=False)
    if type(target) is Uniform:
        table = tabulate(source)
        if table is not None:
            return ExactBlendField(table, target.low, target.high, reverse=True)
    return None


def choose_field(field, coupling, source, target):
    """The :class:`ExactBlendField` a map with options ``field`` (one of :data:`FIELDS`) and
    ``coupling`` uses for the pair, or None for sampled pairs; ``field="exact"`` where no exact
    field exists is a ValueError saying why."""
    if field == "samples":
        return None
    exact = exact_field_for(source, target) if coupling == "independent" else None
    if exact is None and field == "exact":
        why = (f"coupling={coupling!r} pairs samples by OT, which has no closed-form field" if coupling != "independent"
               else f"it needs a 2D Uniform paired with an ImageDensity, Checkerboard or Uniform; got "
                    f"{type(source).__name__} → {type(target).__name__}")
        raise ValueError(f"field='exact' is not available here: {why}")
    return exact


def _interval_integrals(values, edges, lo, hi, ref):
    """Integrals of a piecewise-constant function over the intervals ``[lo, hi]`` (m,).

    ``values`` (n, k): k functions constant on the n cells of ``edges`` (n + 1,). Returns
    ``(mass, moment, length)``: ``mass`` (m, k) the integrals of each function and ``moment`` (m, k)
    those of ``(t − ref) × function``, both divided by the interval's length after clipping to the
    cells (``length``, (m,)); that makes the ratios the field needs scale-free. An interval of
    (almost) zero length is the limit: the values of the cell that holds the point, and
    ``(point − ref)`` times them. Cost O((n + m) k) by cumulative sums, evaluated exactly
    (linear / quadratic) inside a cell.
    """
    n = edges.size - 1
    lo = np.clip(lo, edges[0], edges[-1])
    hi = np.maximum(np.clip(hi, edges[0], edges[-1]), lo)
    width = np.diff(edges)[:, None]
    zero = np.zeros((1, values.shape[1]))
    cum0 = np.concatenate([zero, np.cumsum(values * width, axis=0)])
    cum1 = np.concatenate([zero, np.cumsum(values * (0.5 * (edges[1:] ** 2 - edges[:-1] ** 2))[:, None], axis=0)])
    c_lo = np.clip(np.searchsorted(edges, lo, side="right") - 1, 0, n - 1)
    c_hi = np.clip(np.searchsorted(edges, hi, side="right") - 1, 0, n - 1)
    same = c_lo == c_hi
    # the two partial cells exactly, relative to ref (no cancellation for short intervals) ...
    a_end = np.where(same, hi, edges[c_lo + 1])
    b_start = np.where(same, hi, edges[c_hi])
    r = ref[:, None]
    mass = values[c_lo] * (a_end - lo)[:, None] + values[c_hi] * (hi - b_start)[:, None]
    moment = (values[c_lo] * 0.5 * ((a_end[:, None] - r) ** 2 - (lo[:, None] - r) ** 2)
              + values[c_hi] * 0.5 * ((hi[:, None] - r) ** 2 - (b_start[:, None] - r) ** 2))
    # ... and the whole cells between them by cumulative sums (spanning at least one cell)
    first, last = np.where(same, c_lo, c_lo + 1), np.where(same, c_lo, c_hi)
    mid0 = cum0[last] - cum0[first]
    mass += mid0
    moment += (cum1[last] - cum1[first]) - r * mid0
    length = hi - lo
    point = length <= _COLLAPSE * (edges[-1] - edges[0])
    scale = np.where(point, 1.0, length)[:, None]
    mass /= scale
    moment /= scale
    if np.any(point):
        mass[point] = values[c_lo[point]]
        moment[point] = values[c_lo[point]] * (lo[point] - ref[point])[:, None]
    return mass, moment, np.where(point, 0.0, length)


class ExactBlendField:
    """The exact IADB velocity of a uniform box paired with a :class:`PiecewiseConstant2D`.

    Parameters
    ----------
    table : PiecewiseConstant2D
        The tabulated density: the target (``reverse=False``) or the source (``reverse=True``).
    low, high : (2,) the uniform density's box.
    reverse : bool
        False: uniform source → tabulated target; True: tabulated source → uniform target.
    """

    def __init__(self, table, low, high, *, reverse=False):
        self.table = table
        self.low = np.asarray(low, dtype=float).reshape(2)
        self.high = np.asarray(high, dtype=float).reshape(2)
        self.reverse = bool(reverse)

    def _forward_on_grid(self, alpha, axes):
        """Velocity of uniform → table at ``alpha`` on the tensor nodes of ``axes``, (n0, n1, 2), and a
        weight (n0, n1) proportional to the density of :math:`x_\\alpha` there (zero on a face of
        the support, where the velocity is the limit from inside)."""
        t = self.table
        nodes = np.meshgrid(*axes, indexing="ij")
        shape = nodes[0].shape
        if alpha <= 0.0:  # v = E[x1] − x; x_0 has the uniform density
            return np.stack([t.mean[k] - nodes[k] for k in range(2)], axis=-1), np.ones(shape)
        if alpha >= 1.0:  # v = x − E[x0]; x_1 has the table's density
            centre = 0.5 * (self.low + self.high)
            cells = [np.clip(np.searchsorted(t.edges[k], axes[k], side="right") - 1, 0, t.edges[k].size - 2)
                     for k in range(2)]
            return (np.stack([nodes[k] - centre[k] for k in range(2)], axis=-1),
                    t.density[np.ix_(cells[0], cells[1])])
        x, y = (np.asarray(a, dtype=float) for a in axes)
        lo = [(axes[k] - (1.0 - alpha) * self.high[k]) / alpha for k in range(2)]
        hi = [(axes[k] - (1.0 - alpha) * self.low[k]) / alpha for k in range(2)]
        mass_x, moment_x, len_x = _interval_integrals(t.density, t.edges[0], lo[0], hi[0], x)  # (n0, H)
        mass, moment_y, len_y = _interval_integrals(mass_x.T, t.edges[1], lo[1], hi[1], y)     # (n1, n0)
        moment_x, _, _ = _interval_integrals(moment_x.T, t.edges[1], lo[1], hi[1], y)
        mass, moment_x, moment_y = mass.T, moment_x.T, moment_y.T
        v = np.stack([moment_x, moment_y], axis=-1) / (mass[..., None] * (1.0 - alpha))
        full = [(self.high[k] - self.low[k]) * (1.0 - alpha) / alpha for k in range(2)]
        weight = mass * np.outer(len_x / full[0], len_y / full[1])
        return v, weight

    def _forward_at_points(self, x, alpha):
        """Velocity of uniform → table at the points ``x`` (n, 2), each at its own ``alpha`` (n,) in (0, 1)."""
        t = self.table
        sums = t.sums()
        out = np.empty_like(x)
        box_velocity(t.edges[0], t.edges[1], t.density, sums["rows"]["L"], sums["rows"]["M"], sums["cols"]["L"],
                     sums["cols"]["M"], sums["sat"]["LL"], sums["sat"]["ML"], sums["sat"]["LM"], self.low, self.high,
                     np.ascontiguousarray(x), np.ascontiguousarray(alpha), _COLLAPSE, out)
        return out

    def at_points(self, x, alpha) -> np.ndarray:
        r"""The velocity :math:`v(x_i, \alpha_i)` at scattered points, each at its own α.

        Parameters
        ----------
        x : (n, 2) float array.
        alpha : (n,) floats in [0, 1] (or one float).

        Returns
        -------
        (n, 2) float64. Cost O(n) after O(cells) cumulative sums (built once).
        """
        x = np.asarray(x, dtype=float).reshape(-1, 2)
        alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (x.shape[0],))
        if np.any(~((alpha >= 0.0) & (alpha <= 1.0))):
            raise ValueError("alpha must lie in [0, 1]")
        a = 1.0 - alpha if self.reverse else alpha
        out = np.empty_like(x)
        start, end = a <= 0.0, a >= 1.0
        out[start] = self.table.mean - x[start]                      # v = E[x1] − x
        out[end] = x[end] - 0.5 * (self.low + self.high)             # v = x − E[x0]
        mid = ~(start | end)
        if np.any(mid):
            out[mid] = self._forward_at_points(x[mid], a[mid])
        return -out if self.reverse else out

    def on_grid(self, alpha, axes):
        r"""The velocity :math:`v(x, \alpha)` on the nodes ``meshgrid(*axes, indexing="ij")``.

        Parameters
        ----------
        alpha : float in [0, 1].
        axes : pair of 1D arrays, the node coordinates along x and y.

        Returns
        -------
        velocity : (len(axes[0]), len(axes[1]), 2) float64.
        weight : (len(axes[0]), len(axes[1])) float64, proportional (by a factor that depends on α
            only) to the density of :math:`x_\alpha` at the nodes: the weight with which a
            smoothing of the field averages it (:math:`G * (w v) / G * w` is the field that
            transports the smoothed densities exactly).
        """
        alpha = float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha!r}")
        if self.reverse:
            v, w = self._forward_on_grid(1.0 - alpha, axes)
            return -v, w
        return self._forward_on_grid(alpha, axes)
