import os

os.environ.setdefault("MPLBACKEND", "Agg")
# OpenMP threads (Numba's and torch's) spin-wait by default; on a loaded 2-core machine that
# slows parallel kernels 5-10x. Passive waiting costs nothing measurable when the machine is idle.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A fresh, seeded generator per test."""
    return np.random.default_rng(12345)
