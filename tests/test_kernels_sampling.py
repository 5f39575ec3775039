import numpy as np
import pytest

from iadb_graphics._kernels import sampling as K
from tests.naive import sampling as naive


@pytest.mark.parametrize("k", [1, 2, 7, 1000])
def test_alias_table_encodes_the_weights(rng, k):
    w = rng.random(k) * (rng.random(k) < 0.7)
    w[0] += 0.1  # positive sum
    prob, alias = K.build_alias(w)
    np.testing.assert_allclose(naive.alias_probabilities(prob, alias), w / w.sum(), atol=1e-12)
    assert np.all(w[alias[prob < 1]] > 0), "an alias points at a zero-weight column"


def test_alias_draw_matches_numpy_twin(rng):
    w = rng.random(300)
    prob, alias = K.build_alias(w)
    u = rng.random(50_000)
    np.testing.assert_array_equal(K.alias_draw(prob, alias, u), naive.alias_draw(prob, alias, u))


@pytest.mark.parametrize("n", [1000, K.PARALLEL_MIN + 5])
def test_sample_pixels_matches_numpy_twin(rng, n):
    h, w = 13, 17
    prob, alias = K.build_alias(rng.random(h * w))
    u = rng.random((n, 3))
    args = (prob, alias, w, -1.0, 2.0, 0.25, 0.5, u)
    np.testing.assert_array_equal(K.sample_pixels(*args), naive.sample_pixels(*args))
