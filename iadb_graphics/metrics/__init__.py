"""Metrics, named the same everywhere."""
from .adapted import LocalSpectrum, NNDistance, local_periodogram, normalized_nn_distance
from .divergences import (DensityFit, EnergyTest, density_fit, effective_sample_size, energy_test,
                          kl_divergence, pushforward_log_density, sinkhorn_divergence)
from .distances import (energy_distance, iid_floor, optimality_ratio, sliced_w2, transport_cost, w2,
                        w2_squared)
from .goodness import Chi2Result, chi2_test
from .integration import (INTEGRAND_FAMILIES, GaussianIntegrand, HeavisideIntegrand, IntegrationError,
                          integration_error, loglog_slope, random_gaussians, random_heavisides)
from .paths import normalized_path_energy, path_energy, straight_npe
from .reading import read_energy_z, read_nonnegative
from .spectral import anisotropy, discrepancy, min_distance, pcf, periodogram, radial_power

__all__ = ["sinkhorn_divergence", "energy_test", "EnergyTest", "kl_divergence", "effective_sample_size",
           "pushforward_log_density", "density_fit", "DensityFit",
           "w2", "w2_squared", "path_energy", "normalized_path_energy", "straight_npe", "sliced_w2", "energy_distance", "transport_cost", "optimality_ratio", "iid_floor",
           "chi2_test", "Chi2Result", "periodogram", "radial_power", "anisotropy", "pcf", "discrepancy",
           "min_distance", "integration_error", "IntegrationError", "GaussianIntegrand", "HeavisideIntegrand",
           "random_gaussians", "random_heavisides", "INTEGRAND_FAMILIES", "loglog_slope",
           "normalized_nn_distance", "NNDistance", "local_periodogram", "LocalSpectrum", "read_nonnegative",
           "read_energy_z"]
