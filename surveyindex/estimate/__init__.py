"""Stage 4, estimates: weighted numbers with design-correct standard errors."""

from .means import DomainEstimates, estimate_means

__all__ = ["DomainEstimates", "estimate_means"]
