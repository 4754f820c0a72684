"""Stage 4, reliability: do a dimension's items measure one thing, in every country?"""

from .alpha import AlphaResult, cronbach_alpha, item_statistics, reliability

__all__ = ["AlphaResult", "cronbach_alpha", "item_statistics", "reliability"]
