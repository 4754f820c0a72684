"""What a notebook shows for a result: the headline tables as HTML, read top to bottom.

Every table shown is a plain pandas DataFrame on the result (``res.index.composite``,
``res.bases``, ...); the HTML only arranges them and says where each comes from.
"""

from __future__ import annotations

import html

from .summary import lead_sentences

_STYLE = ("<style>.si-result table{font-size:12px}.si-result h4{margin:.8em 0 .3em}"
          ".si-result .si-note{color:#666;font-size:11px}</style>")


def pipeline_html(result) -> str:
    """HTML for a :class:`~surveyindex.PipelineResult`: run, index, leads, weighting, bases.

    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> page = pipeline_html(res)
    >>> "Composite index" in page and "rows in" in page and "res.index.composite" in page
    True
    """
    inst, s = result.instrument, result.index.settings
    level = f"{s['level']:.0%}"
    parts = [_STYLE, '<div class="si-result">',
             f"<h3>{html.escape(inst.title)}</h3>",
             f"<p>{html.escape(inst.id)} {html.escape(str(inst.version))}; "
             f"{html.escape(str(result.responses.ledger))}; "
             f"{result.design.n_replicates} {html.escape(str(s['replicate_type']))} replicates; "
             f"audiences: {html.escape(', '.join(s['audiences']))}</p>",
             f"<h4>Composite index, 0-100 ({level} CI), audience all</h4>",
             result.summary().to_html(),
             _note("res.index.composite (all audiences, with SE and rank intervals); "
                   "res.summary(audience=...)")]
    sentences = lead_sentences(result.index.leads, level)
    if sentences:
        parts += ["<h4>Who is rated higher (audience all)</h4><ul>",
                  *[f"<li>{html.escape(x)}</li>" for x in sentences], "</ul>",
                  _note("res.index.leads; paired differences: res.index.comparison")]
    w = result.weighting
    cols = [c for c in ("country", "n", "n_eff", "deff_kish", "weight_ratio") if c in w.columns]
    parts += ["<h4>Weighting by country</h4>",
              w[cols].to_html(index=False, float_format=lambda v: f"{v:,.1f}"),
              _note("res.weighting; res.design (weights, replicate weights)")]
    bases = result.bases
    small = bases[bases["small"]]
    parts += [f"<h4>Sample bases: {len(small)} of {len(bases)} cells small</h4>",
              small.drop(columns=["suppressed"]).to_html(
                  index=False, float_format=lambda v: f"{v:,.0f}") if len(small) else "",
              _note("res.bases; reliability: res.reliability; exclusions: res.responses.ledger")]
    parts.append("</div>")
    return "".join(parts)


def index_html(index) -> str:
    """HTML for an :class:`~surveyindex.IndexResult`: composite per country x target, per audience.

    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=10, seed=1, progress=False)
    >>> "g20_youth" in index_html(res.index)
    True
    """
    c = index.composite
    parts = [_STYLE, '<div class="si-result">']
    for audience, rows in c.groupby("audience", sort=False):
        cell = (rows["score"].map("{:.1f}".format) + " (" + rows["ci_low"].map("{:.1f}".format)
                + "-" + rows["ci_high"].map("{:.1f}".format) + ")")
        table = rows.assign(cell=cell).pivot(index="country", columns="target", values="cell")
        table = table[[t for t in index.settings["targets"] if t in table.columns]]
        parts += [f"<h4>Composite index, audience {html.escape(str(audience))}</h4>",
                  table.to_html()]
    parts += [_note("tables: .composite, .dimensions, .items, .comparison, .leads"), "</div>"]
    return "".join(parts)


def _note(text: str) -> str:
    return f'<p class="si-note">{html.escape(text)}</p>'

