"""What measurement invariance says about comparing countries, in the workbook: the guide under
the Flags sheet's table and the Aligned means sheet.

The comparability of each score (scalar / partial / aligned only / not estimable / not tested)
comes from :func:`surveyindex.reliability.with_comparability` as a column of the dimension and
composite tables; the aligned means from :func:`surveyindex.reliability.aligned_means_table`.
The texts here say what each level means for comparing countries' scores and what to do.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import _format as fmt
from .labels import Labels
from .sheets import table_sheet

_MEAN = "0.000"
ALIGNED = [("country_label", "Country", None), ("country", "ISO", None),
           ("target_label", "Target", None), ("dimension_label", "Dimension", None),
           ("aligned_mean", "Aligned mean", _MEAN), ("aligned_sd", "Aligned SD", _MEAN),
           ("reference_label", "Reference country", None),
           ("comparability", "Comparability", None),
           ("non_invariant", "Non-invariant aligned parameters", None)]

#: The guide under the Flags sheet's table: its title and introduction, then (level, text).
FLAGS_GUIDE = (
    ("How to read the comparability lines",
     "Measurement invariance was tested per target and dimension across the countries "
     "(multi-group CFA of the dimension's items; Methodology sheet). It says whether a "
     "dimension's scores mean the same thing in every country, which comparing countries' "
     "scores assumes. Each dimension score's level is in the Comparability column of the "
     "Index and Dimensions sheets (a composite takes its least comparable dimension's). It is "
     "tested on all of a country's respondents, so every audience shows its country's level."),
    ("scalar",
     "equal loadings and intercepts in every country: the items work the same way "
     "everywhere, so countries' scores, their differences and ranks can be compared as they "
     "are. No line is listed for them."),
    ("partial",
     "scalar invariance fails, but a partial model holds after freeing this country's "
     "parameters named in the line (\"freed: intercept cul2\"): this item is answered "
     "differently there at the same level of the trait. The dimension still compares as a "
     "latent mean, but the country's score averages all items, the freed ones included, so "
     "part of its gap to other countries may come from them. Compare it with care: check "
     "whether the difference holds without the freed item, or compare the aligned means."),
    ("aligned only",
     "no partial model holds: the country's score on this dimension is not comparable with "
     "other countries' (a difference may reflect how the items work, not the trait). Do not "
     "rank or compare the country's score on it; compare the aligned factor means instead "
     "(Asparouhov & Muthen 2014 alignment; the Aligned means sheet, with aligned_means: true "
     "in the project file or run_pipeline(aligned_means=True)). The test is about comparing "
     "countries: within a country, comparing targets or audiences does not rest on it."),
    ("not estimable / not tested",
     "too few complete answers in this country to fit the model (not estimable), or the "
     "dimension has fewer than 3 items or was not analysed (not tested): nothing is known "
     "either way; say so when comparing."),
    ("the other invariance lines",
     "\"loadings (intercepts) differ from other countries\": releasing this country's "
     "loadings (intercepts) improves fit significantly (Bonferroni over the countries); "
     "\"... invariance fails across countries\": the dimension fails but this country is not "
     "singled out (where a partial model holds, the countries it frees nothing in compare as "
     "scalar). Value: the adjusted p-value, the change in CFI, or for the comparability lines "
     "the country's aligned factor mean."),
)


def flags_guide(ws: Worksheet, last_row: int, ncols: int) -> int:
    """Write :data:`FLAGS_GUIDE` under the Flags table (from ``last_row + 2``) across ``ncols``
    columns, extend the print area over it, and return the last row written."""
    r = last_row + 2
    (title, intro), *levels = FLAGS_GUIDE
    fmt.put(ws, r, 1, title).font = fmt.BOLD
    for text in [intro, *(f"{head[0].upper()}{head[1:]}: {text}" for head, text in levels)]:
        r += 1
        fmt.caption(ws, text, ncols, row=r).font = Font(name=fmt.FONT)
    ws.print_area = f"A1:{get_column_letter(ncols)}{r}"
    return r


def composite_cells(composite: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    """The composite's comparability as the Index sheet shows it: the level, and after it the
    dimensions below scalar (``"partial: Culture"``).

    >>> t = pd.DataFrame({"comparability": ["scalar", "partial"],
    ...                   "comparability_note": ["", "partial: culture; not tested: x"]})
    >>> composite_cells(t, Labels())["comparability"].tolist()
    ['scalar', 'partial: culture, x']
    """
    if "comparability_note" not in composite or composite.empty:
        return composite
    def cell(level, note):
        dims = [d for part in str(note or "").split("; ") if ": " in part
                for d in part.split(": ", 1)[1].split(", ")]
        return f"{level}: {', '.join(map(lab.dimension, dims))}" if dims else level
    return composite.assign(comparability=[cell(lv, n) for lv, n in zip(
        composite["comparability"], composite["comparability_note"])])


def tested(dimensions: pd.DataFrame, flags: pd.DataFrame) -> bool:
    """Whether the report has invariance results (a comparability column or invariance flags)."""
    return "comparability" in dimensions.columns or (
        not flags.empty and "source" in flags and (flags["source"] == "invariance").any())


def aligned_means_sheet(wb: Workbook, name: str, table: pd.DataFrame, lab: Labels) -> Worksheet:
    """The aligned factor means per country x target x dimension, under a caption saying what
    they are and when to use them."""
    shown = lab.add(table)
    if not shown.empty:
        shown["reference_label"] = shown["reference"].map(
            lambda c: lab.country(c) if isinstance(c, str) else None)
    ws, _ = table_sheet(wb, name, shown, ALIGNED, caption=(
        "Aligned factor means and SDs per country, target and dimension: alignment optimisation "
        "(Asparouhov & Muthen 2014; as sirt's invariance.alignment) of each dimension's "
        "configural multi-group CFA, fitted with the final weights. Factor-mean metric: within "
        "a target and dimension the reference country has mean 0 and SD 1 and the others are "
        "in units of its factor SD, so they compare across countries but not across "
        "dimensions, targets or with the 0-100 scores. Use them where scalar invariance fails "
        "(Comparability: aligned only, or partial); where it is scalar the scores compare as "
        "they are. No SE: the alignment gives point estimates only (sirt likewise). "
        "Non-invariant: the country's aligned loadings and intercepts that depart from the "
        "common value."))
    return ws
