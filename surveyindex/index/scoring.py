"""Respondent scoring: item answers to dimension scores."""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError
from ..io import Responses


def score_dimensions(responses: Responses, min_valid_items: int | None = None) -> np.ndarray:
    """Each respondent's score on each dimension for each target, shape (n, targets, dimensions).

    The score is the mean of the respondent's valid answers to the dimension's items (reverse-keyed
    items already recoded), or NaN when fewer than ``min_valid_items`` are valid (default: the
    instrument's ``scoring.min_valid_items``). Don't know and refused count as missing.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> s = score_dimensions(r)
    >>> s.shape[1:]
    (2, 5)
    """
    inst = responses.instrument
    k = inst.scoring.min_valid_items if min_valid_items is None else int(min_valid_items)
    sizes = [len(d.items) for d in inst.dimensions]
    if k < 1 or k > min(sizes):
        raise EstimationError(
            f"min_valid_items must be between 1 and {min(sizes)} (the smallest dimension), got {k}"
        )
    values = responses.values
    valid = ~np.isnan(values)
    starts = np.cumsum([0, *sizes[:-1]])
    totals = np.add.reduceat(np.where(valid, values, 0.0), starts, axis=2)
    counts = np.add.reduceat(valid.astype(np.int64), starts, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= k, totals / counts, np.nan)
