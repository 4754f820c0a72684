"""Stage 2, responses: read what came back, check it against the instrument, keep a ledger.

Modules, in the order a file passes through them: ``readers`` (file type -> cells and metadata),
``mapping`` (file columns -> instrument columns; long -> wide; header rows; variable labels),
``checks`` and ``recode`` (respondent ids, demographics, answers as codes or labels),
``quality`` (straight-lining, speeders, nonresponse, attention checks), ``validate`` (the
report), ``ledger`` (every row kept or excluded) and ``read`` (:func:`read_responses`).
"""

from .ledger import Ledger
from .margins import margin_codes, read_margins
from .quality import QualityRules
from .read import Responses, read_responses
from .readers import read_table
from .validate import ResponseValidationError

__all__ = ["Ledger", "QualityRules", "ResponseValidationError", "Responses", "margin_codes", "read_margins", "read_responses",
           "read_table"]
