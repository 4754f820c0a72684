"""Stage 5, index: scoring, normalisation, weights (equal, user, PCA, factor analysis, driver),
aggregation, uncertainty and sensitivity."""

from .aggregate import aggregate, pool, pooled_bases
from .compute import IndexMethod, IndexResult, compute_index
from .favourability import favourability_table, favourable_codes
from .normalise import normalise, onto_index_scale
from .sampling_sensitivity import exact_indices, sampling_sensitivity, variance_split
from .scoring import score_bounds, score_dimensions
from .sensitivity import sensitivity_analysis, sobol_indices
from .waves import Tracker, compute_tracker
from .weights import driver_weights, factor_weights, fixed_weights, pca_weights

__all__ = ["IndexMethod", "IndexResult", "Tracker", "aggregate", "compute_index",
           "compute_tracker", "driver_weights", "exact_indices", "factor_weights",
           "favourability_table", "favourable_codes",
           "fixed_weights", "normalise", "onto_index_scale", "pca_weights", "pool",
           "pooled_bases", "sampling_sensitivity",
           "score_bounds", "score_dimensions", "sensitivity_analysis", "sobol_indices",
           "variance_split"]
