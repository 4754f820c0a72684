"""surveyindex: perception surveys to composite indices, with design-correct uncertainty."""

from .datasets import sample_paths, simulate_softpower
from .instrument import Instrument, audience_mask, load_instrument
from .io import Ledger, Responses, read_responses

__version__ = "0.1.0"

__all__ = [
    "Instrument",
    "Ledger",
    "Responses",
    "audience_mask",
    "load_instrument",
    "read_responses",
    "sample_paths",
    "simulate_softpower",
    "__version__",
]
