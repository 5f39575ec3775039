"""Plain-numpy twins of the Numba kernels: slow, obvious, and the oracle the kernels are tested against."""
