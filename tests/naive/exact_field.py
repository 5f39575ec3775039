"""Plain-numpy twin of ``iadb_graphics._kernels.exact_field`` (vectorised over points)."""
import numpy as np

from iadb_graphics.maps.exact_field import _COLLAPSE


def _axis_pieces(edges, lo, hi, ref):
    """One axis of box queries at scattered points: the interval ``[lo, hi]`` (n,) clipped to the
    cells, cut into a partial cell at each end and the whole cells between.

    Returns a dict of (n,) arrays: ``c_lo``, ``c_hi`` (cells of the ends), ``first``, ``last``
    (whole cells ``first … last − 1``; empty when equal), ``L_lo``, ``L_hi`` (lengths of the
    partial pieces), ``M_lo``, ``M_hi`` (integrals of ``t − ref`` over them), ``ref``, and
    ``scale``, the clipped length (1 for an interval collapsed to a point, which counts as the
    cell holding it with unit length).
    """
    n = edges.size - 1
    lo = np.clip(lo, edges[0], edges[-1])
    hi = np.maximum(np.clip(hi, edges[0], edges[-1]), lo)
    c_lo = np.clip(np.searchsorted(edges, lo, side="right") - 1, 0, n - 1)
    c_hi = np.clip(np.searchsorted(edges, hi, side="right") - 1, 0, n - 1)
    same = c_lo == c_hi
    a_end = np.where(same, hi, edges[c_lo + 1])
    b_start = np.where(same, hi, edges[c_hi])
    length = hi - lo
    point = length <= _COLLAPSE * (edges[-1] - edges[0])
    pieces = {"c_lo": c_lo, "c_hi": c_hi, "first": np.where(same, c_lo, c_lo + 1), "last": np.where(same, c_lo, c_hi),
              "L_lo": np.where(point, 1.0, a_end - lo), "L_hi": np.where(point, 0.0, hi - b_start),
              "M_lo": np.where(point, lo - ref, 0.5 * ((a_end - ref) ** 2 - (lo - ref) ** 2)),
              "M_hi": np.where(point, 0.0, 0.5 * ((hi - ref) ** 2 - (b_start - ref) ** 2)),
              "ref": ref, "scale": np.where(point, 1.0, length)}
    return pieces


def _box_sum(density, sums, pieces, kinds, x):
    """Σ_ij density_ij · fx_i · fy_j over the boxes of ``pieces`` (per axis), divided by the two
    clipped lengths; ``kinds`` per axis: "L" (overlap length) or "M" (integral of ``t − ref``)."""
    px, py = pieces
    kx, ky = kinds
    total = np.zeros(x.shape[0])
    for end_x in ("lo", "hi"):  # partial x cell × (partial y cells + whole y cells)
        cx, wx = px["c_" + end_x], px[kx + "_" + end_x]
        for end_y in ("lo", "hi"):
            total += density[cx, py["c_" + end_y]] * wx * py[ky + "_" + end_y]
        rows = sums["rows"]
        whole_y = rows["L"][cx, py["last"]] - rows["L"][cx, py["first"]]
        if ky == "M":
            whole_y = (rows["M"][cx, py["last"]] - rows["M"][cx, py["first"]]) - py["ref"] * whole_y
        total += wx * whole_y
    cols = sums["cols"]
    for end_y in ("lo", "hi"):  # whole x cells × partial y cells
        cy, wy = py["c_" + end_y], py[ky + "_" + end_y]
        whole_x = cols["L"][px["last"], cy] - cols["L"][px["first"], cy]
        if kx == "M":
            whole_x = (cols["M"][px["last"], cy] - cols["M"][px["first"], cy]) - px["ref"] * whole_x
        total += wy * whole_x
    sat = sums["sat"]

    def rect(table):
        return (table[px["last"], py["last"]] - table[px["first"], py["last"]]
                - table[px["last"], py["first"]] + table[px["first"], py["first"]])

    whole = rect(sat["LL"])
    if kx == "M":
        whole = rect(sat["ML"]) - px["ref"] * whole
    elif ky == "M":
        whole = rect(sat["LM"]) - py["ref"] * whole
    return (total + whole) / (px["scale"] * py["scale"])


def box_velocity(table, low, high, x, alpha):
    """The kernel's result for a PiecewiseConstant2D ``table``: velocity (n, 2) at ``x`` (n, 2), ``alpha`` (n,) in (0, 1)."""
    a = alpha[:, None]
    lo = (x - (1.0 - a) * high) / a
    hi = (x - (1.0 - a) * low) / a
    pieces = [_axis_pieces(table.edges[k], lo[:, k], hi[:, k], x[:, k]) for k in range(2)]
    sums = table.sums()
    mass = _box_sum(table.density, sums, pieces, ("L", "L"), x)
    moment = [_box_sum(table.density, sums, pieces, ("M", "L"), x), _box_sum(table.density, sums, pieces, ("L", "M"), x)]
    return np.stack(moment, axis=1) / (mass[:, None] * (1.0 - a))
