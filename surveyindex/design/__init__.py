"""Stage 3, design: who counts, and how much (weights, strata, PSUs, replicates)."""

from .design import SurveyDesign, make_design
from .diagnostics import weight_diagnostics
from .rake import rake
from .replicates import bootstrap_replicates

__all__ = ["SurveyDesign", "bootstrap_replicates", "make_design", "rake", "weight_diagnostics"]
