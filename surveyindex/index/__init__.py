"""Stage 5, index: scoring, normalisation, weights (equal, user, PCA, factor analysis, driver),
aggregation, uncertainty and sensitivity."""

from .aggregate import aggregate, pool
from .compute import IndexMethod, IndexResult, compute_index
from .normalise import normalise
from .scoring import score_bounds, score_dimensions
from .sensitivity import sensitivity_analysis, sobol_indices
from .waves import Tracker, compute_tracker
from .weights import driver_weights, factor_weights, fixed_weights, pca_weights

__all__ = ["IndexMethod", "IndexResult", "Tracker", "compute_tracker", "aggregate", "compute_index", "driver_weights",
           "factor_weights", "fixed_weights", "normalise", "pca_weights", "pool", "score_bounds", "score_dimensions",
           "sensitivity_analysis", "sobol_indices"]
