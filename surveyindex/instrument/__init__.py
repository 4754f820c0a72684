"""Stage 1, the instrument: what was asked and how it scores."""

from .audience import audience_mask
from .load import bundled_instruments, load_instrument
from .schema import Dimension, Instrument, Item, Scale, Target

__all__ = [
    "Dimension",
    "Instrument",
    "Item",
    "Scale",
    "Target",
    "audience_mask",
    "bundled_instruments",
    "load_instrument",
]
