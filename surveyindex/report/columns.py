"""The column layouts of the report's tables: (table column, header shown, number format).

Readers see labels (country names, target names, audience and dimension labels, item wording),
each code column beside its label where a machine needs it (ISO country codes); the label columns
are made by :meth:`surveyindex.report.labels.Labels.add`. Headers are unique within a sheet.
"""

from __future__ import annotations

from . import _format as fmt

_SE3 = "0.000"
COUNTRY = [("country_label", "Country", None), ("country", "ISO", None)]
TARGET = [("target_label", "Target", None)]
AUDIENCE = [("audience_label", "Audience", None)]
CELL = [*COUNTRY, *TARGET, *AUDIENCE]
CI = [("ci_low", "CI low", fmt.SCORE), ("ci_high", "CI high", fmt.SCORE)]

INDEX = [*CELL, ("score", "Score", fmt.SCORE), ("se", "SE", fmt.SE), *CI,
         ("n", "n", fmt.COUNT), ("rank", "Rank", fmt.GENERAL),
         ("rank_low", "Rank from", fmt.GENERAL), ("rank_high", "Rank to", fmt.GENERAL),
         ("base_note", "Base note", None), ("comparability", "Comparability", None)]
DIMENSIONS = [*CELL, ("dimension_label", "Dimension", None),
              ("mean", "Mean (item scale)", fmt.RAW), ("score", "Score", fmt.SCORE),
              ("se", "SE", fmt.SE), *CI, ("n", "n", fmt.COUNT),
              ("n_eff", "Effective n", fmt.COUNT), ("base_note", "Base note", None),
              ("flag", "Reliability flag", None), ("comparability", "Comparability", None)]
FAVOURABILITY = [*CELL, ("item", "Item", None),
                 ("pct_favourable", "% favourable", fmt.SCORE),
                 ("pct_ci_low", "% CI low", fmt.SCORE), ("pct_ci_high", "% CI high", fmt.SCORE),
                 ("mean", "Mean rating", fmt.RAW), ("mean_ci_low", "Mean CI low", fmt.RAW),
                 ("mean_ci_high", "Mean CI high", fmt.RAW), ("n", "n", fmt.COUNT),
                 ("base_note", "Base note", None)]
FLAGS = [*COUNTRY, *TARGET, ("dimension_label", "Dimension", None), ("flag", "Flag", None),
         ("source", "Source", None), ("value", "Value", "0.000")]
PROFILE = [*TARGET, ("dimension_label", "Dimension", None),
           ("score", "Mean of countries", fmt.SCORE), ("se", "SE", fmt.SE), *CI,
           ("n_countries", "Countries", fmt.COUNT)]
BASES = [*CELL, ("n", "Unweighted n", fmt.COUNT), ("n_eff", "Effective n", fmt.COUNT),
         ("small", "Small base", None), ("suppressed", "Suppressed", None),
         ("note", "Note", None)]
ITEMS_LONG = [*CELL, ("dimension_label", "Dimension", None), ("item", "Item", None),
              ("item_label", "Wording", None), ("mean", "Estimate", fmt.RAW),
              ("mean_se", "SE", fmt.SE), ("mean_ci_low", "CI low", fmt.RAW),
              ("mean_ci_high", "CI high", fmt.RAW), ("n", "n", fmt.COUNT)]
RELIABILITY = [*COUNTRY, *TARGET, ("dimension_label", "Dimension", None),
               ("n_items", "Items", fmt.COUNT), ("n", "n", fmt.COUNT), ("alpha", "Alpha", fmt.RAW),
               ("alpha_std", "Standardised alpha", fmt.RAW),
               ("ci_low", "Alpha CI low", fmt.RAW), ("ci_high", "Alpha CI high", fmt.RAW),
               ("average_r", "Average r", fmt.RAW), ("flag", "Flag", None)]
WEIGHTING = [*COUNTRY, ("n", "n", fmt.COUNT),
             ("sum_weights", "Sum of weights", "#,##0.0"), ("deff_kish", "Kish deff", fmt.RAW),
             ("n_eff", "Effective n", fmt.COUNT), ("efficiency_pct", "Efficiency %", fmt.SCORE),
             ("weight_min", "Min weight / mean", fmt.RAW),
             ("weight_max", "Max weight / mean", fmt.RAW),
             ("weight_ratio", "Max / min weight", "0.0")]
LEDGER = [("item", "Item", None), ("count", "Count", fmt.COUNT)]
EXCLUDED = [("row", "Row", fmt.GENERAL), ("line", "Line", fmt.GENERAL),
            ("resp_id", "Respondent id", None), ("reason", "Reason excluded", None)]


def comparison(a: str, b: str, codes: tuple[str, str] | None = None) -> list:
    """The A vs B sheet: unadjusted interval and its mark, then the adjusted ones.

    ``a`` and ``b`` are the targets' labels (headers), ``codes`` their codes, which name the
    table's score columns (``score_USA``); default: the labels.
    """
    ca, cb = codes or (a, b)
    return [*COUNTRY, *AUDIENCE, ("measure_label", "Measure", None),
            (f"score_{ca}", f"Score {a}", fmt.SCORE), (f"score_{cb}", f"Score {b}", fmt.SCORE),
            ("difference", f"{a} \u2212 {b}", fmt.SCORE), ("se", "SE", fmt.SE),
            ("ci_low", "CI low", fmt.SCORE), ("ci_high", "CI high", fmt.SCORE),
            ("p_value", "p", fmt.P_VALUE), ("mark", "CI excludes 0", None),
            ("ci_low_adjusted", "Adjusted CI low", fmt.SCORE),
            ("ci_high_adjusted", "Adjusted CI high", fmt.SCORE),
            ("p_holm", "p (Holm)", fmt.P_VALUE), ("mark_holm", "Holm significant", None)]


def leads(a: str, b: str, codes: tuple[str, str] | None = None) -> list:
    """The Leads sheet: per target (label ``a``, ``b``; columns named by ``codes``), in how many
    countries it is rated higher, the interval of that count and how often significantly."""
    out = [*AUDIENCE, ("measure_label", "Measure", None),
           ("n_countries", "Countries", fmt.COUNT)]
    for key, name in zip(codes or (a, b), (a, b)):
        out += [(f"{key}_leads", f"{name} higher in", fmt.GENERAL),
                (f"{key}_leads_ci_low", f"{name}: interval from", fmt.GENERAL),
                (f"{key}_leads_ci_high", f"{name}: interval to", fmt.GENERAL),
                (f"{key}_leads_significant", f"{name} significantly higher in", fmt.GENERAL)]
    return out
