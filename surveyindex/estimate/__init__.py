"""Stage 4, estimates: weighted numbers with design-correct standard errors."""

from .contrasts import adjust_pvalues, domain_contrast, domain_covariance, paired_contrast
from .core import domain_layout
from .means import (
    DomainEstimates,
    estimate_means,
    estimate_ratios,
    estimate_totals,
    means_of_block_groups,
    means_of_blocks,
)
from .proportions import estimate_proportions
from .quantiles import estimate_quantiles
from .result import DomainEstimates as Estimates
from .result import check_level
from .variance import degrees_of_freedom, replicate_se, replicate_variance, taylor_variance

__all__ = ["DomainEstimates", "Estimates", "adjust_pvalues", "check_level", "degrees_of_freedom",
           "domain_contrast", "domain_covariance", "domain_layout", "estimate_means",
           "estimate_proportions", "estimate_quantiles",
           "estimate_ratios", "estimate_totals", "means_of_block_groups", "means_of_blocks",
           "paired_contrast",
           "replicate_se", "replicate_variance", "taylor_variance"]
