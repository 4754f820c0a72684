"""Stage 5 (beside index), reliability: do a dimension's items measure one thing, in every country?"""

import sys
import types
import warnings

from .alignment import AlignmentResult, align, align_configural
from .alpha import AlphaResult, cronbach_alpha, item_statistics
from .bootstrap import AlphaBootstrap, alpha_bootstrap
from .cfa import CFAResult, fit_cfa
from .comparability import COMPARABILITY, aligned_means_table, with_comparability
from .design_cfa import fit_cfa_design
from .flags import FLAG_COLUMNS, reliability_flags
from .invariance import COMPARABLE, CUTOFFS, InvarianceResult, invariance
from .omega import OmegaResult, omega
from .partial import partial_search, score_tests
from .scales import ScaleAlphas, scale_alphas
from .scales import reliability as reliability_table
from .styles import respondent_styles, response_styles

__all__ = ["COMPARABILITY", "COMPARABLE", "CUTOFFS", "FLAG_COLUMNS", "AlignmentResult",
           "AlphaBootstrap", "AlphaResult", "CFAResult", "InvarianceResult", "OmegaResult",
           "ScaleAlphas", "align", "align_configural", "aligned_means_table", "alpha_bootstrap",
           "cronbach_alpha", "fit_cfa", "fit_cfa_design", "invariance", "item_statistics",
           "omega", "partial_search", "reliability_flags", "reliability_table",
           "respondent_styles", "response_styles", "scale_alphas", "score_tests",
           "with_comparability"]


class _Stage(types.ModuleType):
    """The stage package, callable for code written when ``si.reliability`` was the function."""

    def __call__(self, *args, **kwargs):
        warnings.warn("si.reliability(...) is now si.reliability_table(...): the name "
                      "si.reliability is the reliability stage (si.reliability.omega, ...)",
                      DeprecationWarning, stacklevel=2)
        return reliability_table(*args, **kwargs)


sys.modules[__name__].__class__ = _Stage
