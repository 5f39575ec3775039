"""metrics.reading: estimates of quantities that are 0 for a perfect sampler never print below it."""
import re

import numpy as np
import pytest

from iadb_graphics.metrics import energy_test, kl_divergence, read_energy_z, read_nonnegative


def _numbers(text):
    return [float(t) for t in re.findall(r"[-+]?\d+\.\d+", text)]


@pytest.mark.parametrize("seed", range(20))
def test_kl_of_an_exact_sampler_never_prints_negative(seed):
    # q = p: log q - log p = 0 up to a small noise of either sign, so the raw estimate is often < 0
    rng = np.random.default_rng(seed)
    log_p = rng.normal(size=400)
    log_q = log_p + rng.normal(0, 1e-3, 400)
    kl, se = kl_divergence(log_q, log_p, return_se=True)
    text = read_nonnegative(kl, se)
    assert all(v >= 0 for v in _numbers(text)), text
    if kl < 2 * se:
        assert text.startswith("as exact (≤ ")


def test_significant_estimates_print_with_their_error():
    assert read_nonnegative(0.0096, 0.0011) == "0.0096 ± 0.0011"
    assert read_nonnegative(0.78, 0.35, fmt=".2f", signed=True) == "+0.78 ± 0.35"
    assert read_nonnegative(0.5, 0.25, fmt=".2f") == "0.50 ± 0.25"  # exactly 2 s.e.: significant


def test_estimates_near_or_below_zero_print_their_upper_bound():
    assert read_nonnegative(0.3, 0.2, fmt=".2f", signed=True) == "as exact (≤ +0.70)"
    assert read_nonnegative(-0.0006, 0.0006) == "as exact (≤ 0.0006)"
    assert read_nonnegative(-1.0, 0.1, fmt=".2f") == "as exact (≤ 0.00)"  # far below 0: noise, bound 0
    assert read_nonnegative(np.inf, 0.0) == "inf"


def test_bad_numbers_are_refused():
    with pytest.raises(ValueError, match="se >= 0"):
        read_nonnegative(0.1, -0.01)
    with pytest.raises(ValueError, match="se >= 0"):
        read_nonnegative(np.nan, 0.1)
    with pytest.raises(ValueError, match="nan"):
        read_energy_z(np.nan)


def test_energy_z_reads_as_exact_for_equal_laws_and_shows_a_difference():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    same = energy_test(x, y, rng=0)
    assert same.z < 2 and read_energy_z(same.z) == "as exact"
    diff = energy_test(x + 0.5, y, rng=0)
    assert read_energy_z(diff.z) == f"z = {diff.z:.1f}" and diff.z >= 2
    assert read_energy_z(-3.2) == "as exact"
