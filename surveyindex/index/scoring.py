"""Respondent scoring: item answers to dimension scores.

Four rules, chosen by name (the ``scoring`` option of :func:`compute_index`):

- ``"mean"``: the mean of the respondent's valid answers after reverse keying;
- ``"top_box"``: the share of the respondent's answers in the top box (default: codes above the
  scale's midpoint, i.e. 4-5 of 1-5 or 6-10 of 0-10, as British Council's attractiveness);
- ``"bottom_box"``: the share in the bottom box (codes below the midpoint);
- ``"net"``: top-box share minus bottom-box share (British Council's net trust).

A weighted domain mean of these respondent scores is the dimension's mean item score, or its
(available-case) top-box share. "Don't know" is out of the base by default; with
``dont_know="include"`` it stays in the base of the box and net scores as an answer that is in
neither box (as Pew keeps it in the base of the share favourable); with ``"midpoint"`` it is scored
as the scale's midpoint. Refusals are out of the base unless ``refused="include"`` (Pew keeps both);
blank answers are always out.
"""

from __future__ import annotations

import numpy as np

from .._threads import run_parallel
from ..errors import EstimationError
from ..instrument import DONT_KNOW, REFUSED
from ..io import Responses

SCORINGS = ("mean", "top_box", "bottom_box", "net")
DONT_KNOW_RULES = ("exclude", "include", "midpoint")
REFUSED_RULES = ("exclude", "include")


def score_dimensions(responses: Responses, min_valid_items: int | None = None, *,
                     scoring: str = "mean", dont_know: str = "exclude", refused: str = "exclude",
                     top: float | None = None, bottom: float | None = None) -> np.ndarray:
    """Each respondent's score on each dimension for each target, shape (n, targets, dimensions).

    Parameters
    ----------
    responses : validated responses (:func:`surveyindex.read_responses`).
    min_valid_items : a score needs at least this many answers in the base, else it is NaN
        (default: the instrument's ``scoring.min_valid_items``).
    scoring : ``"mean"``, ``"top_box"``, ``"bottom_box"`` or ``"net"`` (see the module notes).
    dont_know : ``"exclude"`` (out of the base), ``"include"`` (in the base of box and net scores,
        in neither box) or ``"midpoint"`` (scored as the scale's midpoint).
    refused : ``"exclude"`` (out of the base) or ``"include"`` (in the base of box and net
        scores, in neither box).
    top, bottom : lowest code of the top box and highest code of the bottom box (after reverse
        keying); default: the codes above and below the scale's midpoint.

    A respondent who gave no answer about a target (planned missingness) has NaN scores for it.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> s = score_dimensions(r)
    >>> s.shape[1:]
    (2, 5)
    >>> net = score_dimensions(r, scoring="net")
    >>> bool(np.nanmin(net) >= -1 and np.nanmax(net) <= 1)
    True
    """
    inst = responses.instrument
    _check_choice("scoring", scoring, SCORINGS)
    _check_choice("dont_know", dont_know, DONT_KNOW_RULES)
    _check_choice("refused", refused, REFUSED_RULES)
    if dont_know == "include" and scoring == "mean":
        raise EstimationError("dont_know='include' applies to box and net scores; a mean score "
                              "needs a number for don't know: use dont_know='midpoint'")
    if refused == "include" and scoring == "mean":
        raise EstimationError("refused='include' applies to box and net scores; a mean score "
                              "has no number for a refusal")
    k = inst.scoring.min_valid_items if min_valid_items is None else int(min_valid_items)
    sizes = [len(d.items) for d in inst.dimensions]
    if k < 1 or k > min(sizes):
        raise EstimationError(
            f"min_valid_items must be between 1 and {min(sizes)} (the smallest dimension), got {k}"
        )
    lo, hi = item_bounds(inst)                                   # (J,) per item
    n, T = responses.values.shape[:2]
    out = np.empty((n, T, len(sizes)))
    # Row blocks keep the (rows, targets, items) temporaries small at millions of respondents;
    # they write disjoint rows, so they run side by side on the cores.

    def block(b):
        rows = slice(b * _BLOCK, (b + 1) * _BLOCK)
        out[rows] = _score_block(responses.values[rows], responses.missing_kind[rows], lo, hi,
                                 sizes, k, scoring, dont_know, top, bottom, refused)

    run_parallel(block, -(-n // _BLOCK))
    return out


_BLOCK = 1 << 16


def _score_block(values, kind, lo, hi, sizes, k, scoring, dont_know, top, bottom,
                 refused="exclude") -> np.ndarray:
    mid = (lo + hi) / 2
    dk = kind == DONT_KNOW
    if dont_know == "midpoint":
        values = np.where(dk, mid, values)
    valid = ~np.isnan(values)
    if scoring == "mean":
        x = np.where(valid, values, 0.0)
    else:
        top_at = mid + 0.5 if top is None else top               # codes are integers
        bottom_at = mid - 0.5 if bottom is None else bottom
        up = valid & (values >= top_at)
        down = valid & (values <= bottom_at)
        if scoring == "top_box":
            x = up.astype(float)
        elif scoring == "bottom_box":
            x = down.astype(float)
        else:
            x = up.astype(float) - down
        if dont_know == "include":
            valid = valid | dk
        if refused == "include":
            valid = valid | (kind == REFUSED)
    starts = np.cumsum([0, *sizes[:-1]])
    totals = np.add.reduceat(x, starts, axis=2)
    counts = np.add.reduceat(valid.astype(np.int64), starts, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= k, totals / counts, np.nan)


def score_bounds(instrument, scoring: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest possible score per dimension under a scoring rule.

    The ``"scale"`` normalisation maps these bounds linearly to the index scale (0-100).

    >>> import surveyindex as si
    >>> score_bounds(si.load_instrument("softpower"), "net")[0].tolist()
    [-1.0, -1.0, -1.0, -1.0, -1.0]
    """
    _check_choice("scoring", scoring, SCORINGS)
    K = len(instrument.dimensions)
    if scoring == "mean":
        lo = np.array([instrument.scales[d.scale].min for d in instrument.dimensions], float)
        hi = np.array([instrument.scales[d.scale].max for d in instrument.dimensions], float)
        return lo, hi
    return (np.full(K, -1.0) if scoring == "net" else np.zeros(K)), np.ones(K)


def item_bounds(inst) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest valid code of each item's scale, in instrument item order."""
    scales = [inst.scales[d.scale] for d, _ in inst.items()]
    return np.array([s.min for s in scales], float), np.array([s.max for s in scales], float)


def _check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise EstimationError(f"{name} must be one of {list(allowed)}, not {value!r}")
