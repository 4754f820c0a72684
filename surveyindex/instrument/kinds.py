"""The kinds of answer a cell can hold, as the instrument defines them.

A scale's codes are valid answers; its missing codes are don't know or refused (by their
labels, see :func:`surveyindex.io.read_responses`); a blank cell is no answer; anything else is
invalid. Responses carry one kind per cell (``Responses.kinds``), and scoring decides per kind
whether the answer stays in the base.

>>> (VALID, BLANK, DONT_KNOW, REFUSED, INVALID)
(0, 1, 2, 3, 4)
>>> ANSWER_KINDS[DONT_KNOW]
'dont_know'
"""

VALID, BLANK, DONT_KNOW, REFUSED, INVALID = 0, 1, 2, 3, 4
ANSWER_KINDS = {VALID: "valid", BLANK: "blank", DONT_KNOW: "dont_know", REFUSED: "refused",
                INVALID: "invalid"}
