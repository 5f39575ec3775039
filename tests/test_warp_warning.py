"""The MeshWarp fold-over warning points at the caller's line, whichever constructor is used."""
import warnings

import numpy as np

from iadb_graphics.warps import MeshWarp


class Folded:
    """x → (|2x - 1|, y): folds the square onto its right half (every triangle folds or overlaps)."""

    d = 2

    def transform(self, x):
        x = np.asarray(x, dtype=float)
        return np.stack([np.abs(2 * x[:, 0] - 1) * 0.999 + 0.0005 * x[:, 1], x[:, 1]], axis=1)


def _folded_vertices():
    v = np.stack(np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5), indexing="ij"), -1)
    v[2, 2] = [0.9, 0.9]  # an interior node pushed past its neighbours: folded triangles
    return v


def _record(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build()
    hits = [w for w in caught if "not invertible" in str(w.message)]
    assert len(hits) == 1, [str(w.message) for w in caught]
    return hits[0]


def test_foldover_warning_points_at_the_caller_from_vertices():
    w = _record(lambda: MeshWarp.from_vertices(_folded_vertices(), allow_foldovers=True))
    assert w.filename == __file__
    assert issubclass(w.category, UserWarning)


def test_foldover_warning_points_at_the_caller_from_map():
    w = _record(lambda: MeshWarp.from_map(Folded(), 8, allow_foldovers=True))
    assert w.filename == __file__
