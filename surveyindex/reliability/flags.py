"""One table of warnings per country x target x dimension, for the index result and the report."""

from __future__ import annotations

import pandas as pd

from ..errors import EstimationError
from .alpha import ALPHA_ACCEPTABLE

#: Columns of :func:`reliability_flags`.
FLAG_COLUMNS = ["country", "target", "dimension", "flag", "source", "value"]


def reliability_flags(alpha: pd.DataFrame | None = None, invariance=None,
                      threshold: float = ALPHA_ACCEPTABLE) -> pd.DataFrame:
    """Flags for dimensions whose scores should be read with care in a country.

    Parameters
    ----------
    alpha : DataFrame, optional
        The table of :func:`~surveyindex.reliability.reliability` with ``by=("country", "target")``.
    invariance : InvarianceResult, optional
        The result of :func:`~surveyindex.reliability.invariance` (groups by ``country``).
    threshold : float
        Alpha below this is flagged (default .70).

    Returns
    -------
    DataFrame
        One row per flag (a country x target x dimension may have several), columns:

        - ``country``, ``target``, ``dimension``: where the flag applies;
        - ``flag``: the text to show beside the score: ``"alpha below .70"``,
          ``"alpha not estimable"``, ``"loadings differ from other countries"`` (metric
          invariance fails and releasing this country's loadings improves fit significantly),
          ``"intercepts differ from other countries"`` (likewise for scalar invariance), or
          ``"<metric|scalar> invariance fails across countries"`` (the dimension fails but this
          country is not singled out), ``"scores comparable under partial invariance only
          (freed: ...)"`` (the partial scalar model holds after freeing this country's named
          parameters) or ``"scores not comparable across countries; compare aligned means
          only"`` (no partial model holds; see ``invariance(...).comparable``);
        - ``source``: ``"alpha"`` or ``"invariance"``;
        - ``value``: alpha for alpha flags; the Bonferroni-adjusted p-value of the country's
          release test, or the dimension's change in CFI, for invariance flags; the aligned
          factor mean for the comparability flags.

        Empty (with these columns) when nothing is flagged.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import reliability_flags
    >>> alpha = pd.DataFrame({"country": ["FRA", "JPN"], "target": ["USA", "USA"],
    ...                       "dimension": ["culture", "culture"], "alpha": [0.82, 0.64],
    ...                       "flag": ["", "alpha below .70"]})
    >>> reliability_flags(alpha)[["country", "dimension", "flag", "value"]]
      country dimension             flag  value
    0     JPN   culture  alpha below .70   0.64
    """
    rows = []
    if alpha is not None:
        need = {"country", "target", "dimension", "alpha"}
        if not need <= set(alpha.columns):
            raise EstimationError(
                f"alpha table lacks columns {sorted(need - set(alpha.columns))}; pass the table of "
                "reliability_table(responses, by=('country', 'target'))"
            )
        for r in alpha.itertuples(index=False):
            if pd.isna(r.alpha):
                rows.append((r.country, r.target, r.dimension, "alpha not estimable", "alpha",
                             float("nan")))
            elif r.alpha < threshold:
                rows.append((r.country, r.target, r.dimension, f"alpha below {_fmt(threshold)}",
                             "alpha", float(r.alpha)))
    if invariance is not None:
        rows += _invariance_rows(invariance)
    out = pd.DataFrame(rows, columns=FLAG_COLUMNS)
    return out.sort_values(["country", "target", "dimension"], kind="stable").reset_index(drop=True)


def _invariance_rows(inv) -> list[tuple]:
    if "country" not in inv.countries.columns:
        raise EstimationError("invariance flags need groups by 'country': invariance(by='country')")
    rows = []
    tests = inv.tests.set_index(["target", "dimension", "step"])
    what = {"metric": "loadings", "scalar": "intercepts"}
    for s in inv.summary.itertuples(index=False):
        if s.level in ("scalar", "not estimable"):
            continue
        step = "metric" if s.level == "configural" else "scalar"
        c = inv.countries
        sel = c[(c["target"] == s.target) & (c["dimension"] == s.dimension) & (c["step"] == step)]
        d_cfi = float(tests.loc[(s.target, s.dimension, step), "d_cfi"])
        for r in sel.itertuples(index=False):
            if r.differs:
                rows.append((r.country, s.target, s.dimension,
                             f"{what[step]} differ from other countries", "invariance",
                             float(r.p_adjusted)))
            else:
                rows.append((r.country, s.target, s.dimension,
                             f"{step} invariance fails across countries", "invariance", d_cfi))
    comp = getattr(inv, "comparable", None)
    if comp is not None and not comp.empty:
        for r in comp[comp["comparable"].isin(["partial", "aligned only"])].itertuples(index=False):
            text = (f"scores comparable under partial invariance only (freed: {r.freed})"
                    if r.comparable == "partial" else
                    "scores not comparable across countries; compare aligned means only")
            rows.append((r.country, r.target, r.dimension, text, "invariance",
                         float(getattr(r, "aligned_mean", float("nan")))))
    return rows


def _fmt(x: float) -> str:
    return f"{x:.2f}".lstrip("0") if 0 < x < 1 else f"{x:g}"
