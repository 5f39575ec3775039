"""Metrics, named the same everywhere (DESIGN §3)."""
from .distances import (energy_distance, iid_floor, optimality_ratio, sliced_w2, transport_cost,
                        w2)
from .goodness import Chi2Result, chi2_test

__all__ = ["w2", "sliced_w2", "energy_distance", "transport_cost", "optimality_ratio", "iid_floor",
           "chi2_test", "Chi2Result"]
