"""Stage 1, the instrument: what was asked and how it scores."""

from .audience import audience_mask
from .kinds import ANSWER_KINDS, BLANK, DONT_KNOW, INVALID, REFUSED, VALID
from .load import bundled_instruments, load_instrument
from .parts import ROLES, Layout
from .schema import Audience, Condition, Dimension, Instrument, Item, Scale, Scoring, Target
from .translations import translation_gaps

__all__ = [
    "ANSWER_KINDS",
    "BLANK",
    "DONT_KNOW",
    "INVALID",
    "Layout",
    "REFUSED",
    "ROLES",
    "VALID",
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
