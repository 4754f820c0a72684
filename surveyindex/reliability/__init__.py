"""Stage 4, reliability: do a dimension's items measure one thing, in every country?"""

from .alpha import AlphaResult, cronbach_alpha, item_statistics, reliability
from .bootstrap import AlphaBootstrap, alpha_bootstrap
from .cfa import CFAResult, fit_cfa
from .flags import FLAG_COLUMNS, reliability_flags
from .invariance import CUTOFFS, InvarianceResult, invariance
from .omega import OmegaResult, omega
from .styles import respondent_styles, response_styles

__all__ = ["CUTOFFS", "FLAG_COLUMNS", "AlphaBootstrap", "AlphaResult", "CFAResult",
           "InvarianceResult", "OmegaResult", "alpha_bootstrap", "cronbach_alpha", "fit_cfa",
           "invariance", "item_statistics", "omega", "reliability", "reliability_flags",
           "respondent_styles", "response_styles"]
