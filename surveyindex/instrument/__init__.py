"""Stage 1, the instrument: what was asked and how it scores."""

from .audience import audience_mask
from .load import bundled_instruments, load_instrument
from .schema import Audience, Condition, Dimension, Instrument, Item, Scale, Scoring, Target
from .translations import translation_gaps

__all__ = [
    "Audience",
    "Condition",
    "Dimension",
    "Instrument",
    "Item",
    "Scale",
    "Scoring",
    "Target",
    "audience_mask",
    "bundled_instruments",
    "load_instrument",
    "translation_gaps",
]
