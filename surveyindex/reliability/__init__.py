"""Stage 4, reliability: do a dimension's items measure one thing, in every country?"""

from .alignment import AlignmentResult, align, align_configural
from .alpha import AlphaResult, cronbach_alpha, item_statistics, reliability
from .bootstrap import AlphaBootstrap, alpha_bootstrap
from .cfa import CFAResult, fit_cfa
from .design_cfa import fit_cfa_design
from .flags import FLAG_COLUMNS, reliability_flags
from .invariance import COMPARABLE, CUTOFFS, InvarianceResult, invariance
from .omega import OmegaResult, omega
from .partial import partial_search, score_tests
from .styles import respondent_styles, response_styles

__all__ = ["COMPARABLE", "CUTOFFS", "FLAG_COLUMNS", "AlignmentResult", "AlphaBootstrap",
           "AlphaResult", "CFAResult", "InvarianceResult", "OmegaResult", "align",
           "align_configural", "alpha_bootstrap", "cronbach_alpha", "fit_cfa", "fit_cfa_design",
           "invariance", "item_statistics", "omega", "partial_search", "reliability",
           "reliability_flags", "respondent_styles", "response_styles", "score_tests"]
