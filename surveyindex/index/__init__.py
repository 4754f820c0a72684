"""Stage 5, index: respondent scores, dimension scores, the composite, ranks and leads."""

from .compute import IndexResult, compute_index
from .scoring import score_dimensions

__all__ = ["IndexResult", "compute_index", "score_dimensions"]
