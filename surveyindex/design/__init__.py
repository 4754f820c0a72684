"""Stage 3, design: who counts, and how much (weights, strata, PSUs, replicates)."""

from .calibrate import calibrate
from .design import SurveyDesign, make_design
from .diagnostics import weight_diagnostics
from .poststratify import poststratify
from .rake import rake
from .replicates import (
                         bootstrap_replicates,
                         brr_replicates,
                         jk1_replicates,
                         jkn_replicates,
                         replicate_design,
)
from .repweights import FactorReplicates
from .trim import trim

__all__ = ["FactorReplicates", "SurveyDesign", "bootstrap_replicates", "brr_replicates",
           "calibrate", "jk1_replicates", "jkn_replicates", "make_design", "poststratify", "rake",
           "replicate_design", "trim", "weight_diagnostics"]
