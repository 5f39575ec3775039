"""The benchmarks' sample-quality cells cannot read better than an exact sampler."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))

from _quality import ExactBaseline, energy_cell, sample_quality, sinkhorn_cell  # noqa: E402

from iadb_graphics.densities import Gaussian  # noqa: E402

TARGET = Gaussian((0.5, 0.5), 0.1)


@pytest.fixture(scope="module")
def baseline():
    return ExactBaseline(TARGET, n=256, draws=4, rng=0)


@pytest.mark.parametrize("seed", range(5))
def test_exact_sample_reads_as_exact_never_below(baseline, seed):
    r = sample_quality(TARGET.sample(baseline.points_needed, rng=100 + seed), baseline)
    s, e = sinkhorn_cell(r), energy_cell(r)
    # an exact sampler's excess has mean 0: it may not be printed as a negative (better) value
    assert "-" not in s and "−" not in s
    assert s.startswith("as exact") or s.startswith("+")
    assert e == "as exact" or e.startswith("z = ")


def test_a_shifted_sample_reads_worse(baseline):
    y = TARGET.sample(baseline.points_needed, rng=7) + np.array([0.05, 0.0])
    r = sample_quality(y, baseline)
    assert r["sinkhorn_excess"] > 2 * r["sinkhorn_excess_se"] > 0
    assert sinkhorn_cell(r).startswith("+")
    assert energy_cell(r).startswith("z = ") and r["energy_z"] >= 2


def test_too_few_points_is_refused(baseline):
    with pytest.raises(ValueError, match="needs 1024 points"):
        sample_quality(TARGET.sample(1000, rng=1), baseline)



def test_kl_cell_marks_infinite_kl_with_the_mass_outside():
    from _quality import kl_cell

    assert kl_cell({"kl": np.inf, "kl_se": np.nan, "outside": 0.0923}) == "inf (9.23 % outside)"
    assert kl_cell({"kl": -0.0006, "kl_se": 0.0006}) == "as exact (≤ 0.0006)"
