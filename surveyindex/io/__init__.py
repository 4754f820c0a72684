"""Stage 2, responses: read what came back, check it against the instrument, keep a ledger."""

from .ledger import Ledger
from .read import Responses, read_responses

__all__ = ["Ledger", "Responses", "read_responses"]
