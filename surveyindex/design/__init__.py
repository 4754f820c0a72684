"""Stage 3, design: who counts, and how much (weights, strata, PSUs, replicates)."""

from .calibrate import calibrate
from .design import SurveyDesign, make_design
from .diagnostics import weight_diagnostics
from .distributed import REPLICATE_BLOCK, get_client, replicate_rows, require_distributed
from .linearization import calibrated_influence
from .poststratify import poststratify
from .rake import rake
from .replicates import (
                         bootstrap_replicates,
                         brr_replicates,
                         jk1_replicates,
                         jkn_replicates,
                         replicate_design,
)
from .repweights import FactorReplicates, replicate_block
from .trim import trim

__all__ = ["REPLICATE_BLOCK", "FactorReplicates", "SurveyDesign", "calibrated_influence",
           "get_client", "replicate_block", "replicate_rows", "require_distributed", "bootstrap_replicates", "brr_replicates",
           "calibrate", "jk1_replicates", "jkn_replicates", "make_design", "poststratify", "rake",
           "replicate_design", "trim", "weight_diagnostics"]
