"""Private Numba kernels: arrays and scalars in, arrays out.

Every kernel has a plain-numpy twin in ``tests/naive/`` that the tests compare it against.
Random numbers always come from the caller (a numpy Generator), never from inside a kernel.
"""
