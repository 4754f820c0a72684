"""The whole pipeline in one call: instrument -> responses -> design -> index -> reliability -> report.

No statistics live here; this module only wires the stages together and records what was done.
"""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._progress import stages
from ._version import __version__
from .datasets import sample_paths
from .design import SurveyDesign, make_design
from .errors import ReportError, WeightingError, require
from .index import IndexResult, compute_index
from .instrument import Instrument, load_instrument
from .io import Responses, margin_codes, read_margins, read_responses
from .reliability import (
    CUTOFFS,
    aligned_means_table,
    reliability_flags,
    reliability_table,
    with_comparability,
)
from .reliability import invariance as fit_invariance


@dataclass(frozen=True, eq=False)
class PipelineResult:
    """Everything one run produced: each stage's output, and the methodology record.

    With ``invariance``, the index's ``dimensions`` and ``composite`` tables carry each score's
    ``comparability`` across countries (:func:`surveyindex.reliability.with_comparability`);
    with ``aligned_means``, ``aligned_means`` holds the aligned factor means per country x
    target x dimension (:func:`surveyindex.reliability.aligned_means_table`; empty otherwise).
    """

    instrument: Instrument
    responses: Responses
    design: SurveyDesign
    index: IndexResult
    reliability: pd.DataFrame
    weighting: pd.DataFrame
    methodology: dict[str, str]
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    invariance: object = None
    aligned_means: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def bases(self) -> pd.DataFrame:
        """Unweighted and effective base per country x target x audience, small ones flagged.

        The default rule (effective n below 100 flagged); for another, call
        :func:`surveyindex.report.sample_bases` with a :class:`~surveyindex.report.BaseRule`.
        """
        from .report import sample_bases

        return sample_bases(self.index.dimensions)

    def summary(self, audience: str = "all") -> pd.DataFrame:
        """Composite score per country (rows) and target (columns), with 95% CI, for printing."""
        c = self.index.composite
        c = c[c["audience"] == audience]
        cell = (c["score"].map("{:.1f}".format) + " (" + c["ci_low"].map("{:.1f}".format)
                + "-" + c["ci_high"].map("{:.1f}".format) + ")")
        # No estimate (a question not asked in a country, no respondent): "-", never "nan (nan-nan)"
        cell = cell.where(c["score"].notna(), NO_ESTIMATE)
        table = c.assign(cell=cell).pivot(index="country", columns="target", values="cell")
        table = table[[t for t in self.instrument.target_codes if t in table.columns]]
        return table.fillna(NO_ESTIMATE)

    @property
    def plot(self):
        """The run's plots, displaying themselves: ``.plot.forest()``, ``.plot.profile()``,
        ``.plot.ranks()``, ``.plot.weighting()``."""
        from .display import PlotAccessor

        return PlotAccessor(self.index, self.design)

    def _repr_html_(self) -> str:
        from .report import pipeline_html

        return pipeline_html(self)

    def __repr__(self) -> str:
        s = self.index.settings
        return (f"<PipelineResult {self.instrument.id} {self.instrument.version}: "
                f"{self.responses.n} respondents, {len(self.summary())} countries x "
                f"{len(s['targets'])} targets x {len(s['audiences'])} audiences, "
                f"{self.design.n_replicates} replicates>")


#: How :meth:`PipelineResult.summary` shows a country x target without an estimate.
NO_ESTIMATE = "-"


def run_pipeline(instrument: str | Path | Instrument = "softpower",
                 responses: str | Path | pd.DataFrame | None = None,
                 margins: str | Path | pd.DataFrame | None = None, *,
                 replicates: int = 200, seed: int = 1, audiences: list[str] | None = None,
                 level: float = 0.95, by: str | None = None, tolerance: float | None = None,
                 max_iterations: int | None = None, min_valid_items: int | None = None,
                 sheet: str | int = 0, method: dict | None = None, invariance: bool = False,
                 aligned_means: bool = False,
                 progress: bool | None = None, collapse=None, roles: dict | None = None,
                 replicate_method: str = "bootstrap", fay_rho: float = 0.3,
                 weighting: str = "rake", trim: dict | None = None,
                 required: list[str] | None = None,
                 read_options: dict | None = None, client=None) -> PipelineResult:
    """Run every stage; with no file arguments, on the bundled soft-power sample.

    Steps: read and validate the responses (ledger of exclusions); build the design (strata =
    the declared strata column, else the country; PSUs and fpc as the layout declares them); add
    replicate weights (Rao-Wu bootstrap by default); rake each country's weights and every
    replicate to the population margins (or, without margins, keep the file's weights as they
    are: final weights); compute the index with replicate intervals; Cronbach's alpha per
    country x target x dimension; weighting diagnostics.

    ``by``, ``tolerance`` and ``max_iterations`` override the instrument's ``weighting`` section;
    ``collapse`` (e.g. ``{"min_n": 20}``) merges sparse margin categories, as :func:`si.rake`;
    ``min_valid_items`` its ``scoring`` section; ``method`` passes index choices to
    :func:`surveyindex.compute_index` (e.g. ``{"aggregation": "geometric"}``;
    ``{"dont_know": "include", "refused": "include"}`` keeps both in the base;
    ``{"sensitivity": 256}`` also runs the sensitivity analysis, which the report shows on its
    Sensitivity sheets). ``invariance`` also tests measurement invariance across countries
    (multi-group CFA with the final weights, lavaan's MLR statistics, partial-invariance search
    and alignment; slower), adds its flags to ``flags``, beside the alpha flags, and a
    ``comparability`` column (scalar / partial / aligned only / not estimable / not tested) to
    the index's ``dimensions`` and ``composite`` tables (the composite's is that of its least
    comparable dimension, named in ``comparability_note``). ``aligned_means`` (which implies
    ``invariance``) also reports the alignment's factor means per country x target x dimension
    (``res.aligned_means``; the workbook's "Aligned means" sheet): the means to compare where
    scalar invariance fails.
    ``roles`` are column roles as :func:`surveyindex.read_responses` takes them
    (``{"country": "sta", "weight": "wgt", "psu": "psu"}``), ``required`` the demographics a
    respondent must have (``["country"]``). ``replicate_method`` is one of
    ``bootstrap, JK1, JKn, BRR, Fay`` (``replicates`` and ``seed`` apply to the bootstrap,
    ``fay_rho`` to Fay's). ``weighting`` is ``"rake"`` or ``"calibrate"`` (linear calibration to
    the same margins as counts); ``trim`` (``{"upper": 5, "lower": 0.2}``) trims the weights
    after it, as :func:`si.trim`. ``progress`` shows a progress bar over the stages (needs
    ``tqdm``: ``pip install 'surveyindex[progress]'``); None shows it when tqdm is installed and
    the output is a terminal or a notebook, False never. ``read_options`` passes reading
    choices to :func:`surveyindex.read_responses` (e.g. ``{"unknown_labels": "missing"}``).
    ``client`` (a ``dask.distributed`` client or scheduler address) runs raking and the index's
    replicates on that cluster, with the same numbers (:mod:`surveyindex.design.distributed`).

    >>> import surveyindex as si
    >>> res = si.run_pipeline(replicates=20, seed=1)
    >>> res.summary().shape
    (13, 2)
    """
    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    inst = _with_base(inst, method or {})
    paths = sample_paths()
    if responses is None:
        responses = paths["responses"]
        margins = paths["margins"] if margins is None else margins
    w = inst.weighting
    by = w.by if by is None else by
    with stages(["read responses", "replicate weights", "weighting", "index", "reliability"],
                progress) as step:
        resp = read_responses(responses, inst, sheet=sheet, roles=roles, required=required,
                              **(read_options or {}))
        margin_table = None if margins is None else margin_codes(read_margins(margins), inst)
        step()
        design = base_design(resp, by).with_replicates(replicate_method, n=replicates, seed=seed,
                                                      fay_rho=fay_rho)
        step()
        design = weight_design(design, margin_table, by=by, weighting=weighting,
                               tolerance=tolerance or w.tolerance,
                               max_iterations=max_iterations or w.max_iterations,
                               collapse=collapse, trim=trim, client=client)
        step()
        index = compute_index(design, audiences, level=level, min_valid_items=min_valid_items,
                              client=client, **(method or {}))
        step()
        rel, flags, inv = _reliability(resp, invariance or aligned_means, design.weights)
        index = _with_comparability(index, inv)
        step()
    weighting_table = design.diagnostics(by=by)
    methodology = _methodology(inst, resp, design, index, responses, margins, seed)
    if inv is not None:
        methodology["Measurement invariance"] = _invariance_text(inv, aligned_means)
    return PipelineResult(resp.instrument, resp, design, index, rel, weighting_table, methodology,
                          flags, inv,
                          aligned_means_table(inv) if aligned_means else pd.DataFrame())


def base_design(resp: Responses, by: str | None = "country") -> SurveyDesign:
    """The design the layout declares: its strata (else ``by``), PSUs, fpc and weights.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> base_design(r).steps[0]["strata"]
    'country'
    """
    lay = resp.instrument.layout
    if by is not None and by not in resp.respondents.columns:
        raise WeightingError(f"weighting by {by!r} (by=, or weighting.by in a project file): not a "
                             f"column of the responses; columns: {list(resp.respondents.columns)}")
    return make_design(resp, weights=lay.weight, strata=lay.strata or by, psu=lay.psu,
                       fpc=lay.fpc)


def weight_design(design: SurveyDesign, margins: pd.DataFrame | None, *, by: str | None,
                  weighting: str = "rake", tolerance: float = 1e-8, max_iterations: int = 100,
                  collapse=None, trim: dict | None = None, client=None) -> SurveyDesign:
    """Rake (or calibrate) to the margins, then trim; without margins the weights are kept.
    ``client``: raking's replicate cell totals on a dask cluster (see :func:`si.rake`).

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> weight_design(base_design(r), None, by="country").steps[-1]["step"]
    'design'
    """
    if weighting not in ("rake", "calibrate"):
        raise WeightingError(f"weighting={weighting!r}: expected 'rake' or 'calibrate'")
    if margins is not None and weighting == "rake":
        design = design.rake(margins, by=by, tolerance=tolerance, max_iterations=max_iterations,
                             collapse=collapse, client=client)
    elif margins is not None:
        design = design.calibrate(_calibration_totals(design, margins, by), by=by)
    if trim:
        design = design.trim(**trim)
    return design


def _calibration_totals(design: SurveyDesign, margins: pd.DataFrame, by: str | None) -> dict:
    """Margins as calibration totals: proportions times each group's weighted total."""
    value = "count" if "count" in margins.columns else "proportion"
    data = design.data
    out: dict = {}
    groups = margins.groupby(by) if by else [(None, margins)]
    for g, part in groups:
        size = float(design.weights[(data[by].astype(str) == str(g)).to_numpy()].sum()
                     if by else design.weights.sum())
        scale = 1.0 if value == "count" else size
        out[str(g)] = {v: dict(zip(p["category"].astype(str), p[value].astype(float) * scale))
                       for v, p in part.groupby("variable")}
    return out if by else out["None"]


def _with_base(inst: Instrument, method: dict) -> Instrument:
    """The instrument with don't know / refused in or out of the base as ``method`` says."""
    update = {f"{k}_in_base": method[k] == "include" for k in ("dont_know", "refused")
              if k in method}
    if not update:
        return inst
    return inst.model_copy(update={"scoring": inst.scoring.model_copy(update=update)})


def _reliability(resp: Responses, invariance: bool = False, weights=None):
    """Alpha per country x target x dimension, the flags to show beside scores, invariance
    (with the final weights: pseudo-ML and lavaan's MLR statistics)."""
    table = reliability_table(resp, by=("country", "target"))
    if weights is not None and len(weights) != resp.n:
        weights = None  # a design over other rows: analyse unweighted rather than misalign
    inv = fit_invariance(resp, weights=weights) if invariance else None
    flags = reliability_flags(table, inv)
    return table, flags, inv


def _with_comparability(index: IndexResult, inv) -> IndexResult:
    """The index with each dimension and composite score's comparability across countries."""
    if inv is None:
        return index
    dims = index.settings["dimensions"]
    return dataclasses.replace(
        index, dimensions=with_comparability(index.dimensions, inv),
        composite=with_comparability(index.composite, inv, dimensions=dims))


def _invariance_text(inv, aligned: bool) -> str:
    s = inv.summary
    partial = s["verdict"].astype(str).str.startswith("partial")
    counts = (f"Scalar invariance holds in {int((s['level'] == 'scalar').sum())} of {len(s)} "
              f"target x dimension models, partial scalar in {int(partial.sum())}, neither in "
              f"{int(((s['level'] != 'scalar') & ~partial).sum())}")
    cut = next((k for k, v in CUTOFFS.items() if v == inv.cutoffs), "custom cut-offs")
    return ("multi-group CFA of each dimension (3 or more items) across countries, per target, "
            "with the final weights (pseudo-ML, lavaan's MLR statistics): configural, metric, "
            f"scalar; cut-offs {cut} on the change in robust CFI, RMSEA and SRMR; where scalar "
            "fails, a partial-invariance search by score tests and the alignment of the "
            f"configural model (Asparouhov & Muthen 2014). {counts}. Each "
            "score's comparability is on the Index and Dimensions sheets, explained on the "
            "Flags sheet" + ("; aligned factor means on the Aligned means sheet" if aligned
                             else ""))


def _read_margins(margins) -> pd.DataFrame:
    return read_margins(margins)


def _collapsed_text(collapsed) -> str:
    if not collapsed:
        return ""
    fixed = {"margin", "categories", "n", "population"}
    merged = "; ".join(" ".join(str(v) for k, v in c.items() if k not in fixed)
                       + f" {c['margin']} {'+'.join(map(str, c['categories']))}" for c in collapsed)
    return f". Sparse margin categories merged with a neighbour before raking: {merged}"


def _file_hash(source) -> str:
    if isinstance(source, pd.DataFrame):
        digest = hashlib.sha256(pd.util.hash_pandas_object(source, index=False).to_numpy().tobytes())
        return "sha256:" + digest.hexdigest()[:16] + " (data frame)"
    digest = hashlib.sha256()
    with open(source, "rb") as f:  # a megabyte at a time: not a second copy of a large file
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()[:16]


def _methodology(inst, resp, design, index, responses, margins, seed) -> dict[str, str]:
    rake_step = next((s for s in design.steps if s.get("step") == "rake"), {})
    s = index.settings
    led = resp.ledger
    who = ("" if led.respondents is None else  # a long file: its rows are respondents' records
           f"records of {led.respondents} respondents, {led.respondents_kept} kept; ")
    weights = ", ".join(f"{k} {v:.3g}" for k, v in s["dimension_weights"].items())
    return {
        "Instrument": f"{inst.title} ({inst.id}, version {inst.version})",
        "Response data": f"{resp.source} ({_file_hash(responses)})",
        "Rows": f"{led.rows_in} read, {led.rows_kept} kept, {led.rows_excluded} excluded "
                f"({who}see the Exclusions sheet)",
        "Population margins": "none: the file's weights are final and used as they are"
                              if margins is None else
                              f"{margins if not isinstance(margins, pd.DataFrame) else 'data frame'}"
                              f" ({_file_hash(margins)})",
        "Weighting": _weighting_text(design, rake_step),
        "Variance estimation": _variance_text(design, seed),
        "Scoring": _scoring_text(s),
        "Normalisation": _normalisation(s),
        "Dimension weights": f"{s.get('weights_method', 'instrument')}: {weights}",
        "Aggregation": f"{s['aggregation']} mean of the dimension scores"
                       + (f" (power {s.get('power')})" if s["aggregation"] == "generalised"
                          else ""),
        "Intervals": f"{s['level']:.0%} normal intervals from the replicate SE; rank and "
                     "k-of-n intervals are order statistics of the replicate values (the "
                     f"{(1 - s['level']) / 2:.1%} and {(1 + s['level']) / 2:.1%} points, "
                     "rounded outwards to a value that occurred)",
        "Significance": "paired differences tested per country; p-values adjusted by Holm's "
                        "method across countries within each measure and audience",
        "Audiences": ", ".join(s["audiences"]),
        "Reliability": "Cronbach's alpha per country x target x dimension (Feldt interval); "
                       "alpha below .70 flagged (see the Flags sheet)",
        "Software": f"surveyindex {__version__}, Python {platform.python_version()}, "
                    f"numpy {np.__version__}, pandas {pd.__version__}",
    }


def _weighting_text(design: SurveyDesign, rake_step: dict) -> str:
    steps = {s.get("step"): s for s in design.steps}
    w = design.steps[0].get("weights") or "design weights"
    if rake_step:
        text = (f"raking (iterative proportional fitting) within each {rake_step.get('by')} to "
                f"the margins of {', '.join(rake_step.get('margins', []))}, starting from the "
                f"design weights; converged in {rake_step.get('iterations')} iterations to "
                f"{rake_step.get('max_deviation', np.nan):.1e} (tolerance "
                f"{rake_step.get('tolerance')}); every replicate raked the same way"
                + _collapsed_text(rake_step.get("collapsed")))
    elif "calibrate" in steps:
        text = (f"linear (GREG) calibration within each {steps['calibrate'].get('by')} to the "
                "margins, every replicate calibrated the same way")
    else:
        text = f"none: the file's weights ({w}) used as they are"
    if "trim" in steps:
        t = steps["trim"]
        text += (f"; weights trimmed to [{t['lower']:g}, {t['upper']:g}] with the excess "
                 f"shared among the others ({t['trimmed']} trimmed)")
    return text


def _variance_text(design: SurveyDesign, seed: int) -> str:
    kind = design.replicate_type or "bootstrap"
    first = design.steps[0]
    name = {"bootstrap": "Rao-Wu rescaled bootstrap", "JK1": "delete-one jackknife (JK1)",
            "JKn": "stratified jackknife (JKn)", "BRR": "balanced repeated replication (BRR)",
            "Fay": "Fay's BRR"}.get(kind, kind)
    count = f"{design.n_replicates} replicates" + (f" (seed {seed})" if kind == "bootstrap"
                                                   else "")
    psu = f", PSUs = {first.get('psu')}" if first.get("psu") else ""
    rule = ("SE = sqrt(sum of squared deviations / (R - 1))" if kind == "bootstrap" else
            "SE from the replicates with the method's scale, as R survey")
    return f"{name}, {count}, strata = {first.get('strata')}{psu}; {rule}"


def _scoring_text(s: dict) -> str:
    """The scoring rule with the base of don't know and refused, as the Methodology sheet says it."""
    rule = s.get("scoring", "mean")
    what = {"mean": "mean of a respondent's valid items after reverse keying",
            "top_box": "share of a respondent's answers in the top box",
            "bottom_box": "share of a respondent's answers in the bottom box",
            "net": "top-box share minus bottom-box share"}.get(rule, rule)
    kinds = {"don't know": s.get("dont_know", "exclude"), "refused": s.get("refused", "exclude")}
    inside = [k for k, v in kinds.items() if v == "include"]
    outside = [k for k, v in kinds.items() if v == "exclude"]
    base = "; ".join(
        [f"{' and '.join(inside)} kept in the base (in neither box)"] * bool(inside)
        + [f"{' and '.join(outside)} out of the base (missing)"] * bool(outside)
        + ["don't know scored as the scale midpoint"] * (kinds["don't know"] == "midpoint"))
    return (f"dimension score = {what}, when at least {s['min_valid_items']} answers are in the "
            f"base; {base}")


def _normalisation(s: dict) -> str:
    method = s.get("normalisation", "scale")
    lo, hi = s["scale"]
    if method == "scale":
        return f"linear rescaling of the response scale to {lo:g}-{hi:g}"
    extra = {"distance": f", reference {s.get('reference')}",
             "goalposts": f", goalposts {s.get('goalposts')}"}.get(method, "")
    return f"{method} across {s.get('across', 'countries')}{extra}"


def write_report(result: PipelineResult, path: str | Path, base_rule=None, *,
                 title: str | None = None, sheets=None, language: str | None = None,
                 run_date: str | None = None) -> Path:
    """Write the run's Excel workbook (atomically) and return its path.

    ``base_rule`` (a :class:`surveyindex.report.BaseRule`) says which bases are flagged as small
    and which are suppressed; by default effective n below 100 is flagged and nothing suppressed.
    ``title`` replaces the instrument's title; ``sheets`` keeps only the sheets named (e.g.
    ``["Index", "Charts", "comparison"]``; the Summary always stays; see
    :data:`surveyindex.report.SHEETS`); ``language`` (one of the instrument's languages) labels
    targets, dimensions, items and countries in that language; ``run_date`` (default today, ISO
    format) is shown under the title.

    >>> import surveyindex as si, tempfile, pathlib
    >>> res = si.run_pipeline(replicates=20, seed=1)
    >>> out = si.write_report(res, pathlib.Path(tempfile.mkdtemp()) / "demo.xlsx",
    ...                       title="Soft power 2026", sheets=["Index", "Charts"])
    >>> import openpyxl
    >>> [ws.title for ws in openpyxl.load_workbook(out).worksheets if ws.sheet_state == "visible"]
    ['Summary', 'Charts', 'Index']
    """
    import datetime

    from .report import BaseRule, Labels, ReportTables, check_writable, write_workbook

    require(result, PipelineResult, "the result", "a PipelineResult (si.run_pipeline(...))",
            ReportError)
    check_writable(path, suffix=".xlsx", what="workbook")  # not an Excel file named .csv
    led = result.responses.ledger
    tables = ReportTables(
        title=title or result.instrument.title,
        composite=result.index.composite,
        dimensions=result.index.dimensions,
        comparison=result.index.comparison,
        leads=result.index.leads,
        items=result.index.items,
        reliability=result.reliability,
        weighting=result.weighting,
        ledger_summary=led.summary(),
        exclusions=led.excluded,
        methodology=result.methodology,
        flags=result.flags,
        base_rule=base_rule or BaseRule(),
        level=float(result.index.settings["level"]),
        ranks=result.index.ranks,
        pooled=result.index.pooled,
        weights=result.index.weights,
        sensitivity=result.index.sensitivity,
        sensitivity_indices=result.index.sensitivity_indices,
        index_settings=dict(result.index.settings),
        favourability=result.index.favourability,
        labels=Labels.from_instrument(result.instrument, language),
        run_date=run_date or datetime.date.today().isoformat(),
        sheets=(sheets,) if isinstance(sheets, str) else tuple(sheets or ()),
        aligned_means=result.aligned_means,
    )
    return write_workbook(tables, path)
