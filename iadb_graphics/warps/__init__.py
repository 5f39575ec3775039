"""Importance-sampling warps with an exact pdf.

- :mod:`.pdf`: :func:`warp` and :func:`warped_pdf`, the density of warped samples
  p(T(x)) = p0(x) / |det ∂T/∂x| for any map that returns its log-determinant;
- :mod:`.mesh`: :class:`MeshWarp`, a map baked on a triangulated grid (continuous, exact pdf and inverse);
- :mod:`.image`: :class:`InverseCDFWarp` (pbrt's) and :class:`HierarchicalWarp` (mip-map descent);
- :mod:`.kdtree`: :class:`EqualMassKDWarp`, dyadic boxes of the unit square onto boxes of equal image mass;
- :mod:`.continuous`: :class:`ContinuousCDFWarp`, pixel-exact and continuous across the image rows;
- :mod:`.mitsuba`: :class:`~.mitsuba.MitsubaWarp`, Mitsuba 3's distributions (optional dependency);
- :mod:`.factory`: :func:`make_warp`, one call from an image density to any of them.
"""
from .continuous import ContinuousCDFWarp
from .factory import DEFAULT_WARP_METHOD, WARP_METHODS, make_warp
from .image import HierarchicalWarp, InverseCDFWarp
from .kdtree import EqualMassKDWarp
from .mesh import MeshWarp
from .pdf import warp, warped_pdf

__all__ = ["warp", "warped_pdf", "make_warp", "WARP_METHODS", "DEFAULT_WARP_METHOD", "ContinuousCDFWarp",
           "EqualMassKDWarp", "MeshWarp", "HierarchicalWarp", "InverseCDFWarp"]
