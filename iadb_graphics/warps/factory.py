"""``make_warp``: one call from an image density to any of the importance-sampling warps."""
from __future__ import annotations

from .._validation import describe
from .continuous import ContinuousCDFWarp
from .image import HierarchicalWarp, InverseCDFWarp
from .kdtree import EqualMassKDWarp
from .mesh import MeshWarp

__all__ = ["make_warp", "WARP_METHODS", "DEFAULT_WARP_METHOD"]

WARP_METHODS = ("grid", "mlp", "mesh", "inverse-cdf", "hierarchical", "continuous-cdf", "kd-tree")

#: The method ``make_warp`` and ``iadb-graphics warp`` use unless told otherwise: the exact warp
#: with the lowest mean Monte Carlo error over a broad set of images, integrands and point sets.
DEFAULT_WARP_METHOD = "kd-tree"


def make_warp(method=DEFAULT_WARP_METHOD, image_density=None, *, resolution=128, rng=None, progress=None,
              map_kwargs=None, snap_boundary=True, allow_foldovers=False):
    """A warp of the unit square onto ``image_density`` by ``method`` (one of :data:`WARP_METHODS`).

    ``"grid"``: a ``GridIADBMap`` fitted from the uniform square; ``"mlp"``: an ``IADBMap``
    (trained: slow); ``"mesh"``: the grid map baked into a :class:`MeshWarp` of ``resolution``
    cells per axis (``snap_boundary``, ``allow_foldovers`` as in :meth:`MeshWarp.from_map`);
    ``"inverse-cdf"``: ``InverseCDFWarp``; ``"hierarchical"``: :class:`HierarchicalWarp`;
    ``"continuous-cdf"``: :class:`ContinuousCDFWarp`; ``"kd-tree"``: :class:`EqualMassKDWarp` (the
    last four are exact: their pdf is the image density itself, and they need no fitting). ``map_kwargs`` go to the IADB map's
    constructor (training settings included, e.g. ``n_iters`` for ``"mlp"``). ``method`` defaults to :data:`DEFAULT_WARP_METHOD`. Every
    result works with :func:`warp`.
    """
    from .._validation import as_generator, check_choice
    from ..densities import ImageDensity, Uniform

    check_choice(method, "method", WARP_METHODS)
    if not isinstance(image_density, ImageDensity):
        raise TypeError(f"image_density must be an ImageDensity, got {describe(image_density)}")
    rng = as_generator(rng)
    map_kwargs = dict(map_kwargs or {})
    exact = {"inverse-cdf": InverseCDFWarp, "hierarchical": HierarchicalWarp, "continuous-cdf": ContinuousCDFWarp,
             "kd-tree": EqualMassKDWarp}
    if method in exact:
        return exact[method]().fit(None, image_density)
    if method == "mlp":
        from ..maps.iadb import IADBMap

        return IADBMap(**map_kwargs).fit(Uniform(), image_density, rng=rng, progress=progress)
    from ..maps.grid import GridIADBMap

    grid = GridIADBMap(**map_kwargs).fit(Uniform(), image_density, rng=rng, progress=progress)
    if method == "grid":
        return grid
    return MeshWarp.from_map(grid, resolution, progress=progress, snap_boundary=snap_boundary,
                             allow_foldovers=allow_foldovers)
