"""Printing estimates whose exact value is 0 for a perfect sampler, so that none reads better.

KL(q‖p) is >= 0 and 0 only for q = p; the excess of a divergence over what an exact sample scores
has expectation 0 for an exact sampler; the energy U-statistic has expectation 0 for equal laws.
Their Monte-Carlo estimates scatter around those values, so a raw estimate can be negative, or
below an exact sampler's, by chance alone. These helpers print such an estimate as a number only
when it is significantly above 0 (at least two standard errors), and otherwise as "as exact" with
the upper confidence bound the data allow.
"""
from __future__ import annotations

import math

__all__ = ["read_nonnegative", "read_energy_z"]


def read_nonnegative(estimate, se, *, fmt=".4f", signed=False) -> str:
    """Text for an estimate of a quantity that is >= 0 and exactly 0 for a perfect sampler.

    Parameters
    ----------
    estimate, se : float
        The estimate and its standard error (same units).
    fmt : str
        Format of the numbers.
    signed : bool
        Print a leading "+" (for an excess over a reference value).

    Returns
    -------
    str
        ``"inf"`` for an infinite estimate; ``"estimate ± se"`` when ``estimate >= 2 se``;
        otherwise ``"as exact (≤ bound)"`` with ``bound = max(estimate + 2 se, 0)``, which is
        never negative.
    """
    estimate, se = float(estimate), float(se)
    if math.isnan(estimate) or math.isnan(se) or se < 0:
        raise ValueError(f"estimate and se must be numbers with se >= 0, got {estimate} and {se}")
    sign = "+" if signed else ""
    if math.isinf(estimate):
        return f"{sign}inf"
    if estimate >= 2 * se:
        return f"{sign}{estimate:{fmt}} ± {se:{fmt}}"
    return f"as exact (≤ {sign}{max(estimate + 2 * se, 0.0):{fmt}})"


def read_energy_z(z) -> str:
    """Text for an energy two-sample z-score: ``"z = …"`` when it shows a difference (z >= 2),
    else ``"as exact"`` (the U-statistic has mean 0 for equal laws; z < 2, negative values
    included, is what an exact sampler scores)."""
    z = float(z)
    if math.isnan(z):
        raise ValueError("z must be a number, got nan")
    return f"z = {z:.1f}" if z >= 2 else "as exact"
