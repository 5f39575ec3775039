"""iadb_graphics: deterministic maps between low-dimensional densities for graphics sampling.

Maps follow ``fit(source, target) / transform / inverse_transform``: the learned
:class:`IADBMap` (torch MLP), the training-free :class:`GridIADBMap` (Numba) and
:class:`BakedMap` lookup tables; :class:`EnvMapDensity` samples directions from an HDR
environment map; optimal-transport baselines live in :mod:`iadb_graphics.transport`.
"""
from .densities import (Empirical, Gaussian, GaussianMixture, ImageDensity, Uniform, as_density,
                        toy2d)
from .envmap import EnvMapDensity
from .maps.baked import BakedMap
from .maps.grid import GridIADBMap
from . import pointsets

__version__ = "0.1.0"



def __getattr__(name):
    # IADBMap needs torch (about 1 s to import): load it with the first use, not with the package
    if name == "IADBMap":
        from .maps.iadb import IADBMap

        return IADBMap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Empirical", "Gaussian", "GaussianMixture", "ImageDensity", "Uniform", "as_density", "toy2d",
           "EnvMapDensity", "IADBMap", "GridIADBMap", "BakedMap", "pointsets"]
