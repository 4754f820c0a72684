"""Response-quality flags: straight-lining, speeding, item nonresponse, failed attention checks.

Every respondent who trips a rule is listed in the report; only the rules named in
``QualityRules.exclude`` exclude the row. By default nothing is excluded, so flags inform
without changing the sample until the analyst decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._threads import run_parallel
from ..errors import ResponseDataError
from .recode import BLANK, VALID, to_number
from .validate import EXCLUDED, FLAGGED, Issues

FLAGS = ("straightlining", "speeder", "nonresponse", "attention")


@dataclass(frozen=True)
class QualityRules:
    """Which respondents to flag, and which flags exclude them.

    Parameters
    ----------
    straightlining_min_items : int
        A target's grid (its dimension items on one scale) counts as straight-lined when at
        least this many items are answered and every answer is the same code (before reverse
        keying, so agreeing with an item and with its reversal is caught).
    straightlining : {"any", "all"}
        Flag a respondent who straight-lined any target's grid, or only every one of them.
    speeder_fraction : float
        Flag interviews shorter than this fraction of the median duration.
    speeder_by : str, optional
        Compare durations with the median within groups of this column (e.g. ``"country"``,
        as interview length differs by language).
    duration : str, optional
        Column of interview durations (any unit); defaults to the instrument's
        ``layout.duration``. Without one, no one is flagged as a speeder.
    max_nonresponse : float
        Flag respondents whose share of item answers that are not valid (blank, don't know,
        refused, invalid) exceeds this.
    attention_checks : mapping
        Column -> the accepted answer (or a list of them); a blank counts as failed.
    max_failed_checks : int
        Flag respondents failing more attention checks than this.
    exclude : iterable of str
        Flags that exclude the respondent: any of ``"straightlining"``, ``"speeder"``,
        ``"nonresponse"``, ``"attention"``.

    Examples
    --------
    >>> QualityRules(exclude={"speeder"}).exclude
    frozenset({'speeder'})
    """

    straightlining_min_items: int = 5
    straightlining: str = "any"
    speeder_fraction: float = 0.3
    speeder_by: str | None = None
    duration: str | None = None
    max_nonresponse: float = 0.5
    attention_checks: Mapping = field(default_factory=dict)
    max_failed_checks: int = 0
    exclude: frozenset = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude", frozenset(self.exclude))
        unknown = sorted(self.exclude - set(FLAGS))
        if unknown:
            raise ResponseDataError(f"QualityRules.exclude: unknown flag(s) {unknown}; "
                                    f"expected some of {list(FLAGS)}")
        if self.straightlining not in ("any", "all"):
            raise ResponseDataError(f"QualityRules.straightlining: expected 'any' or 'all', "
                                    f"got {self.straightlining!r}")
        if not 0 < self.speeder_fraction < 1 or not 0 <= self.max_nonresponse <= 1:
            raise ResponseDataError("QualityRules: speeder_fraction must lie in (0, 1) and "
                                    "max_nonresponse in [0, 1]")


#: Rows per block in the straight-lining pass (its temporaries stay in cache).
_BLOCK = 1 << 13


def flag_quality(frame: pd.DataFrame, codes: np.ndarray, kind: np.ndarray, inst,
                 rules: QualityRules, eligible: np.ndarray, issues: Issues,
                 decimal: str = ".", unknown_length: dict | None = None) -> None:
    """Record quality flags (or exclusions) for the ``eligible`` rows in ``issues``.

    ``codes`` and ``kind`` are (rows, targets, items) arrays of answers before reverse keying.
    Medians of durations are taken over eligible rows only, so rows already excluded for bad
    data do not shift the speeder threshold. ``unknown_length`` maps the columns the
    duration was computed from (an export's ``start`` and ``end``) to the rows whose cell
    there is not a date and time: their length is unknown, and they are flagged as such.
    """
    def record(mask, column, values, expected, problem, flag):
        action = EXCLUDED if flag in rules.exclude else FLAGGED
        issues.add(mask & eligible, column, values, expected, problem, action)

    # Straight-lining: per target and scale, all answered grid items share one code.
    scales = [d.scale for d, _ in inst.items()]
    straight = np.zeros(codes.shape[:2], dtype=bool)
    groups = [[k for k, s in enumerate(scales) if s == sc] for sc in sorted(set(scales))]

    def block(b):
        # Row blocks: the (rows, targets, items) temporaries would be GBs at millions of rows;
        # blocks write disjoint rows, so they run side by side on the cores.
        rows = slice(b * _BLOCK, (b + 1) * _BLOCK)
        for j in groups:
            ok = kind[rows][:, :, j] == VALID
            sub = codes[rows][:, :, j]
            same = (np.where(ok, sub, -np.inf).max(axis=2)
                    == np.where(ok, sub, np.inf).min(axis=2))
            straight[rows] |= same & (ok.sum(axis=2) >= rules.straightlining_min_items)

    run_parallel(block, -(-len(codes) // _BLOCK))
    hit = straight.any(axis=1) if rules.straightlining == "any" else straight.all(axis=1)
    text, problem = _straight_text(straight, inst.target_codes)
    record(hit, "(item grid)", text,
           f"varied answers over a grid of at least {rules.straightlining_min_items} items",
           problem, "straightlining")

    # Item nonresponse over the targets each respondent was asked about: with planned missingness
    # a target left wholly blank was not shown, and counting it would flag everyone.
    planned = getattr(inst, "targets_rated", kind.shape[1]) < kind.shape[1]
    if planned:
        shown = (kind != BLANK).any(axis=2, keepdims=True)
        asked = np.broadcast_to(shown, kind.shape)
        unanswered, items = ((kind != VALID) & asked).sum(axis=(1, 2)), asked.sum(axis=(1, 2))
    else:  # every item asked: count the answers that are not valid, one pass over the kinds
        flat = kind.reshape(len(kind), -1)
        # (a byte per cell summed into 16 bits: faster than count_nonzero's 64-bit count)
        unanswered = flat.shape[1] - (flat == VALID).view(np.uint8).sum(
            axis=1, dtype=np.uint16 if flat.shape[1] < 1 << 16 else np.int64).astype(np.int64)
        items = np.full(len(kind), flat.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.nan_to_num(unanswered / items, nan=1.0)
    record(share > rules.max_nonresponse, "(all items)", np.round(share, 3),
           f"at most {rules.max_nonresponse:.0%} of items unanswered",
           "high item nonresponse", "nonresponse")

    _speeders(frame, inst, rules, eligible, record, issues.file, decimal, unknown_length)
    _attention(frame, rules, record, issues.file, decimal)


def _straight_text(straight: np.ndarray, targets) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the straight-lined targets ("USA, CHN") and the problem text, made once per
    distinct set of targets (a bit pattern) rather than once per row."""
    T = straight.shape[1]
    if T > 62:  # no 64-bit pattern: one text per row
        text = np.array([", ".join(c for c, s in zip(targets, row) if s) for row in straight],
                        dtype=object)
        return text, "straight-lined the item grid (targets " + text + ")"
    pattern = straight.astype(np.int64) @ (np.int64(1) << np.arange(T, dtype=np.int64))
    where, sets = pd.factorize(pattern)
    names = [", ".join(c for t, c in enumerate(targets) if int(p) >> t & 1) for p in sets]
    problems = [f"straight-lined the item grid (targets {x})" for x in names]
    return np.array(names, dtype=object)[where], np.array(problems, dtype=object)[where]


def _speeders(frame, inst, rules, eligible, record, file, decimal, unknown_length=None) -> None:
    col = rules.duration or getattr(inst.layout, "duration", None)
    if col is None:
        return
    # Timestamps that are not dates and times leave the length unknown (NaN): flagged as
    # unknown, never passed as if the interview had been checked.
    for stamp, rows in (unknown_length or {}).items():
        record(rows, stamp, frame[stamp].to_numpy(object),
               "a date and time (ISO 8601, as KoboToolbox and ODK Central write them)",
               f"interview length unknown: {stamp} is not a date and time, so it cannot be "
               "checked for speeding", "speeder")
    if col not in frame.columns:
        raise ResponseDataError(f"{file}: the duration column {col!r} is not in the file")
    d = to_number(frame[col], decimal)
    ok = eligible & np.isfinite(d) & (d > 0)
    groups = (pd.Series(frame[rules.speeder_by].astype(str).to_numpy())
              if rules.speeder_by else pd.Series(np.zeros(len(d), dtype=int)))
    median = pd.Series(np.where(ok, d, np.nan)).groupby(groups.to_numpy()).transform("median")
    limit = rules.speeder_fraction * median.to_numpy(dtype=float)
    fast = ok & (d < limit)
    record(fast, col, frame[col].to_numpy(object),
           f"at least {rules.speeder_fraction:g} x the median duration",
           "speeder: interview shorter than " + pd.Series(limit).round(1).astype(str).to_numpy(object)
           + f" ({rules.speeder_fraction:g} x median)", "speeder")
    # A zero or negative length (a device clock set wrong, end before start) or text where a
    # length is expected cannot be checked against the median: said, never passed over quietly.
    filled = frame[col].notna().to_numpy()
    odd = eligible & filled & ~(np.isfinite(d) & (d > 0))
    record(odd, col, frame[col].to_numpy(object), "a positive interview length",
           "interview length zero, negative or not a number (device clock?): cannot be checked "
           "for speeding", "speeder")


def _attention(frame, rules, record, file, decimal) -> None:
    if not rules.attention_checks:
        return
    failed = np.zeros(len(frame), dtype=int)
    for col, accepted in rules.attention_checks.items():
        if col not in frame.columns:
            raise ResponseDataError(f"{file}: the attention-check column {col!r} is not in the file")
        ok_values = accepted if isinstance(accepted, (list, tuple, set)) else [accepted]
        x = to_number(frame[col], decimal)
        text = frame[col].astype(str).str.strip().str.casefold().to_numpy()
        nums = [float(v) for v in ok_values if isinstance(v, (int, float))]
        words = [str(v).strip().casefold() for v in ok_values if isinstance(v, str)]
        passed = np.isin(x, nums) | np.isin(text, words)
        failed += ~passed
    record(failed > rules.max_failed_checks, ", ".join(rules.attention_checks), failed,
           f"at most {rules.max_failed_checks} failed attention checks",
           "failed attention check", "attention")
