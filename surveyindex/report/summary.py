"""The Summary sheet: title, run, headline findings per audience, what was run, the sheets.

Every sentence is written whole (wrapped, its row made tall enough); anything long stays on the
Methodology sheet. Files are named by their file name only: folders, hashes and versions are
provenance, recorded on Methodology.
"""

from __future__ import annotations

import re

import pandas as pd
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from . import _format as fmt
from .labels import Labels

#: Methodology lines shown in the Summary's "What was run", in this order (first clause only).
_RUN_KEYS = ["Response data", "Rows", "Population margins", "Weighting", "Variance estimation",
             "Intervals", "Significance", "Audiences"]
_WIDTH = 110  # characters in column B
_PATH = re.compile(r"(?:[A-Za-z]:)?[\\/]?(?:[^\s()\\/]+[\\/])+([^\s()\\/]+)")


def summary_sheet(ws: Worksheet, t, labels: Labels, guide: dict[str, str], level: str) -> None:
    """Fill the Summary sheet of the report ``t`` (a :class:`.ReportTables`)."""
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 22, _WIDTH
    fmt.put(ws, 1, 1, t.title).font = Font(name=fmt.FONT, bold=True, size=16)
    sub = [f"Run {t.run_date}" if t.run_date else "", labels.instrument]
    fmt.put(ws, 2, 1, " \u00b7 ".join(s for s in sub if s)).font = fmt.NOTE
    rows: list[tuple[str, str, bool]] = [("", "", False), ("Headline findings", "", True)]
    for audience, lines in headline_findings(t, labels, level).items():
        rows.append((audience, "", False))
        rows += [("", line, False) for line in lines]
    rows += [("", "", False), ("What was run", "", True)]
    for key in _RUN_KEYS:
        if key in t.methodology:
            rows.append((key, short_text(t.methodology[key], labels, key), False))
    rows += [("", "", False), ("Sheets", "", True)]
    rows += [(name, text, False) for name, text in guide.items()]
    r = 3
    for key, text, heading in rows:
        if heading:
            fmt.put(ws, r, 1, key).font = Font(name=fmt.FONT, bold=True, size=12)
        else:
            if key:
                fmt.put(ws, r, 1, key).font = fmt.BOLD
            if text:
                fmt.put(ws, r, 2, text)
        r += 1
    # A proportional font fits a little over one character per unit of column width; erring
    # short leaves a little space, never lines printed over each other.
    fmt.wrap_rows(ws, 2, 4, r - 1, _WIDTH * 1.05)
    fmt.print_setup(ws, f"A1:B{r - 1}", title_rows="1:1")


def headline_findings(t, labels: Labels, level: str) -> dict[str, list[str]]:
    """Audience label -> sentences: who leads on the composite, the largest differences, the
    highest and lowest scores, and the favourability rating."""
    out: dict[str, list[str]] = {}
    comp = t.composite
    audiences = list(dict.fromkeys(comp["audience"].astype(str))) if "audience" in comp else []
    for aud in audiences:
        lines = lead_sentences(t.leads, level, aud, labels, measures=("composite",))
        lines += _largest_differences(t.comparison, aud, labels)
        lines += _extremes(comp[comp["audience"].astype(str) == aud], labels)
        lines += _favourability(t.favourability, aud, labels)
        n = comp.loc[comp["audience"].astype(str) == aud, "country"].nunique()
        out[f"{labels.audience(aud)} ({n} {'country' if n == 1 else 'countries'})"] = \
            lines or ["no estimates"]
    return out


def lead_sentences(leads: pd.DataFrame, level: str = "", audience: str = "all",
                   labels: Labels | None = None, measures=None) -> list[str]:
    """One plain-language sentence per target and measure: in how many countries it leads.

    Parameters
    ----------
    leads : DataFrame
        The ``leads`` table of :class:`ReportTables`.
    level : str
        Confidence level to name in the sentence (e.g. ``"95%"``); empty to name none.
    audience : str
        The audience whose rows are summarised.
    labels : Labels, optional
        Names for the target and measure codes (default: country names, codes otherwise).
    measures : sequence of str, optional
        Only these measures (default: all, composite first).

    Examples
    --------
    >>> leads = pd.DataFrame({"audience": ["all"], "measure": ["education"],
    ...     "target_a": ["USA"], "target_b": ["CHN"], "n_countries": [13], "USA_leads": [9],
    ...     "USA_leads_ci_low": [7], "USA_leads_ci_high": [10], "USA_leads_significant": [6],
    ...     "CHN_leads": [4], "CHN_leads_ci_low": [3.0], "CHN_leads_ci_high": [6.0],
    ...     "CHN_leads_significant": [3]})
    >>> for s in lead_sentences(leads, "95%"):
    ...     print(s)
    United States rated higher than China on education in 9 of 13 countries (95% interval 7-10); significantly (Holm) in 6.
    China rated higher than United States on education in 4 of 13 countries (95% interval 3-6); significantly (Holm) in 3.
    """
    labels = labels or Labels()
    if leads.empty or "audience" not in leads:
        return []
    rows = leads[leads["audience"].astype(str) == audience]
    if measures is not None and "measure" in rows:
        rows = rows[rows["measure"].astype(str).isin(measures)]
    if "measure" in rows:
        rows = rows.sort_values("measure", key=lambda m: m.astype(str) != "composite", kind="stable")
    out = []
    for _, row in rows.iterrows():
        m = str(row.get("measure"))
        measure = "the composite index" if m == "composite" else labels.dimension(m).lower()
        for this, other in (("target_a", "target_b"), ("target_b", "target_a")):
            key = row.get(this)
            k = row.get(f"{key}_leads")
            if pd.isna(k):
                continue
            text = (f"{labels.target(row.get(this))} rated higher than "
                    f"{labels.target(row.get(other))} on {measure} in "
                    f"{_num(k)} of {_num(row.get('n_countries'))} countries")
            lo, hi = row.get(f"{key}_leads_ci_low"), row.get(f"{key}_leads_ci_high")
            if not (pd.isna(lo) or pd.isna(hi)):
                text += f" ({(level + ' ').lstrip()}interval {_num(lo)}-{_num(hi)})"
            sig = row.get(f"{key}_leads_significant")
            out.append(text + ("" if pd.isna(sig) else f"; significantly (Holm) in {_num(sig)}")
                       + ".")
    return out


def short_text(text, labels: Labels, key: str = "") -> str:
    """A methodology line for the Summary: file names only, no hashes, first clause only.

    >>> short_text("/srv/data/wave1.csv (sha256:61f539cfe262644c)", Labels())
    'wave1.csv'
    >>> short_text("raking within each country; converged in 9 iterations", Labels())
    'raking within each country (details on the Methodology sheet)'
    """
    s = _PATH.sub(lambda m: m.group(1), str(text))
    s = re.sub(r"\s*\((?:sha256:[0-9a-f]+[^)]*)\)", "", s)
    if key == "Audiences":
        s = ", ".join(labels.audience(a.strip()) for a in s.split(","))
    head, sep, _ = s.partition("; ")
    return head + (" (details on the Methodology sheet)" if sep else "")


def _largest_differences(comparison: pd.DataFrame, audience: str, labels: Labels, k: int = 3):
    if comparison.empty or "measure" not in comparison:
        return []
    c = comparison[(comparison["audience"].astype(str) == audience)
                   & (comparison["measure"].astype(str) == "composite")].dropna(
        subset=["difference"])
    if c.empty:
        return []
    a, b = labels.target(c["target_a"].iloc[0]), labels.target(c["target_b"].iloc[0])
    top = c.reindex(c["difference"].abs().sort_values(ascending=False).index[:k])
    parts = [f"{labels.country(r.country)} {r.difference:+.1f} ({r.ci_low:+.1f} to "
             f"{r.ci_high:+.1f}{'' if _truthy(r.significant) else ', not significant'})"
             for r in top.itertuples()]
    return [f"Largest differences, {a} minus {b} (composite, points; 95% CI): "
            + "; ".join(parts) + "."]


def _extremes(comp: pd.DataFrame, labels: Labels) -> list[str]:
    out = []
    for target, rows in comp.dropna(subset=["score"]).groupby("target", sort=False):
        hi, lo = rows.loc[rows["score"].idxmax()], rows.loc[rows["score"].idxmin()]
        out.append(f"{labels.target(target)}: highest composite score in "
                   f"{labels.country(hi.country)}, {_ci(hi)}; lowest in "
                   f"{labels.country(lo.country)}, {_ci(lo)}.")
    return out


def _favourability(fav: pd.DataFrame, audience: str, labels: Labels) -> list[str]:
    if fav.empty:
        return []
    rows = fav[fav["audience"].astype(str) == audience].dropna(subset=["pct_favourable"])
    out = []
    for (item, target), g in rows.groupby(["item", "target"], sort=False):
        hi = g.loc[g["pct_favourable"].idxmax()]
        lo = g.loc[g["pct_favourable"].idxmin()]
        out.append(f"Favourable view of {labels.target(target)} ({item}, codes "
                   f"{g['favourable_codes'].iloc[0]}): median across countries "
                   f"{g['pct_favourable'].median():.0f}%; from {lo.pct_favourable:.0f}% in "
                   f"{labels.country(lo.country)} ({lo.pct_ci_low:.0f}-{lo.pct_ci_high:.0f}%) to "
                   f"{hi.pct_favourable:.0f}% in {labels.country(hi.country)} "
                   f"({hi.pct_ci_low:.0f}-{hi.pct_ci_high:.0f}%).")
    return out


def _ci(row) -> str:
    return f"{row.score:.1f} (CI {row.ci_low:.1f}-{row.ci_high:.1f})"


def _num(v) -> str:
    if pd.isna(v):
        return "?"
    r = round(float(v), 1)
    return str(int(r)) if r.is_integer() else f"{r:.1f}"


def _truthy(v) -> bool:
    """A flag cell counts as set unless it is missing, False, 0 or blank text."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return False
    return bool(v.strip()) if isinstance(v, str) else bool(v)
