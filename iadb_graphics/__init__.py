"""iadb_graphics: deterministic maps between low-dimensional densities for graphics sampling."""
from .densities import (Empirical, Gaussian, GaussianMixture, ImageDensity, Uniform, as_density,
                        toy2d)

__version__ = "0.1.0"

__all__ = ["Empirical", "Gaussian", "GaussianMixture", "ImageDensity", "Uniform", "as_density", "toy2d"]
