"""A project file: one YAML file naming everything a run needs, from instrument to outputs.

``surveyindex run PROJECT.yaml`` and :func:`run_project` read it. Relative paths are taken from the
project file's folder, so a project folder can be moved or shared as a whole. Every key is checked
before any data is read; an error names the file, the line and the key, and says what was expected.

A minimal project file::

    instrument: softpower                 # a bundled name, or a path to an instrument YAML
    responses: data/wave1.csv             # CSV, Excel, SPSS .sav, Stata .dta or Parquet
    margins: data/margins.csv             # population margins ('none' when the weights are final)
    outputs:
      workbook: reports/wave1.xlsx
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ProjectError, ReportError
from .report import write_atomic, write_csv


class _Strict(BaseModel):
    # A misspelt key must be an error, not a setting silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadingOptions(_Strict):
    """How the response file is read (see :func:`surveyindex.read_responses`)."""

    encoding: str | None = Field(default=None, description="Text encoding of a CSV file, e.g. "
                                 "cp1252; detected when omitted.")
    unknown_labels: Literal["error", "missing"] = Field(default="error", description=(
        "Answer text that is not a label of the scale: an error, or set to missing (ledger)."))
    value_labels: Literal["error", "warn"] = Field(default="error", description=(
        "SPSS/Stata value labels contradicting the instrument: an error, or a warning."))
    country_names: Literal["error", "codes"] = Field(default="error", description=(
        "Country names in the country column: excluded (with a warning), or read as ISO codes."))

    def options(self) -> dict:
        """The keyword arguments read_responses takes."""
        return self.model_dump()


class TrimOptions(_Strict):
    """Trim the weights after raking or calibration (see si.trim)."""

    upper: float = float("inf")
    lower: float = float("-inf")
    strict: bool = False
    by: str | None = None


class WeightingOptions(_Strict):
    """Raking options; unset values come from the instrument's ``weighting`` section."""

    by: str | None = None
    tolerance: float | None = Field(default=None, gt=0)
    max_iterations: int | None = Field(default=None, ge=1)
    collapse: int | dict | None = Field(
        default=None, description="Merge sparse or empty margin categories with a neighbour: "
        "a minimum sample n, or {min_n: 20, variables: [age]} (see si.rake); off by default.")
    method: Literal["rake", "calibrate"] = "rake"
    trim: TrimOptions | None = None


class ReplicateOptions(_Strict):
    """Replicate weights for the variance of every estimate (Rao-Wu bootstrap by default)."""

    method: Literal["bootstrap", "JK1", "JKn", "BRR", "Fay"] = "bootstrap"
    n: int = Field(default=200, ge=2)
    seed: int = 1
    fay_rho: float = Field(default=0.3, gt=0, lt=1)


class ColumnOptions(_Strict):
    """Column roles of the response file, overriding the instrument's ``layout``."""

    respondent_id: str | None = None
    country: str | None = None
    weight: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    wave: str | None = None
    duration: str | None = None
    item_column: str | None = None

    def roles(self) -> dict[str, str]:
        """The roles set, as read_responses(roles=) takes them."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class IndexOptions(_Strict):
    """Audiences, interval level, scoring rule and the index's method (see compute_index)."""

    audiences: list[str] | None = None
    level: float = Field(default=0.95, gt=0, lt=1)
    min_valid_items: int | None = Field(default=None, ge=1)
    normalisation: Literal["scale", "minmax", "zscore", "rank", "distance", "goalposts"] | None = None
    weights: Literal["instrument", "equal", "pca", "factor", "driver"] | dict[str, float] | None = None
    n_factors: int | None = Field(default=None, ge=1)
    aggregation: Literal["arithmetic", "geometric", "generalised"] | None = None
    power: float | None = None
    pooling: Literal["mean", "median"] | None = None
    dont_know: Literal["include", "exclude", "midpoint"] | None = None
    refused: Literal["include", "exclude"] | None = None
    country_weights: Literal["equal", "population"] | None = None
    sensitivity: int | None = Field(default=None, ge=1)
    sensitivity_sampling: bool | None = None
    style_correction: Literal["none", "centring", "regression"] | None = None

    def method(self) -> dict:
        """The options compute_index takes as keyword arguments, those set only."""
        keys = ("normalisation", "weights", "n_factors", "aggregation", "power", "pooling",
                "country_weights", "sensitivity", "dont_know", "refused",
                "sensitivity_sampling", "style_correction")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


class ReliabilityOptions(_Strict):
    """Whether to test measurement invariance across countries (multi-group CFA; slower), and
    to report the aligned factor means (which implies it)."""

    invariance: bool = False
    aligned_means: bool = Field(default=False, description=(
        "Report the alignment's factor means per country x target x dimension (sheet 'Aligned "
        "means', table aligned_means): the means to compare where scalar invariance fails. "
        "Implies invariance."))


class ReportOptions(_Strict):
    """The workbook: small-base rules (see :class:`surveyindex.report.BaseRule`), its title
    (default: the instrument's), the sheets to keep (default: all; see
    :data:`surveyindex.report.SHEETS`) and the language of its labels (one of the instrument's
    languages; default: its own)."""

    flag_below: float = Field(default=100, ge=0)
    suppress_below: float | None = Field(default=None, ge=0)
    base: Literal["n", "n_eff"] = "n_eff"
    title: str | None = None
    sheets: list[str] | None = None
    language: str | None = None


class Outputs(_Strict):
    """Files the run writes; each is optional, and relative to the project file."""

    workbook: Path | None = None
    tables: Path | None = None
    weights: Path | None = None
    plots: Path | None = None
    neutralise_formulas: bool = Field(default=True, description=(
        "CSV outputs: prefix text starting with = + - @ tab or CR with ' so a spreadsheet shows "
        "it as text (OWASP CSV injection); false writes text as it is, for machine consumers."))


class ComputeOptions(_Strict):
    """Where the replicate-heavy steps run: a dask.distributed scheduler, or a LocalCluster
    started for the run (needs ``pip install 'surveyindex[dask]'``); unset: this process."""

    scheduler: str | None = Field(default=None, description="Address of a running scheduler, "
                                  "e.g. tcp://10.0.0.5:8786.")
    workers: int = Field(default=2, ge=1, description="LocalCluster workers (no scheduler).")
    threads_per_worker: int = Field(default=1, ge=1)
    processes: bool = True


class Project(_Strict):
    """A validated project file; paths already resolved against its folder."""

    instrument: str
    responses: Path
    margins: Path | None = Field(description="Population margins file; `none` when the file's "
                                "weights are final and are used as they are.")
    sheet: str | int = 0
    columns: ColumnOptions = ColumnOptions()
    reading: ReadingOptions = ReadingOptions()
    required: list[str] | None = None
    weighting: WeightingOptions = WeightingOptions()
    replicates: ReplicateOptions = ReplicateOptions()
    index: IndexOptions = IndexOptions()
    reliability: ReliabilityOptions = ReliabilityOptions()
    report: ReportOptions = ReportOptions()
    outputs: Outputs = Outputs()
    compute: ComputeOptions | None = None
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("margins", mode="before")
    @classmethod
    def _no_margins(cls, v):
        # "margins: none" says the weights are final; YAML reads a bare "none" as text.
        return None if isinstance(v, str) and v.strip().lower() in ("none", "") else v


def load_project(path: str | Path) -> Project:
    """Read and validate a project file.

    Parameters
    ----------
    path : str or Path
        The project YAML file.

    Returns
    -------
    Project
        With every relative path (instrument file, responses, margins, outputs) resolved against
        the project file's folder.

    Raises
    ------
    ProjectError
        If the file is missing, is not YAML, or a key is unknown, missing or of the wrong type;
        the message names the file, the line and the key path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.yaml").write_text("instrument: softpower\\nresponses: w1.csv\\n"
    ...                                    "margins: m.csv\\nreplicates: {n: 50}\\n")
    >>> p = load_project(folder / "p.yaml")
    >>> p.responses == folder / "w1.csv", p.replicates.n, p.replicates.seed
    (True, 50, 1)
    >>> _ = (folder / "bad.yaml").write_text("instrument: softpower\\nresponses: w1.csv\\n"
    ...                                      "margins: m.csv\\nreplicate: {n: 50}\\n")
    >>> load_project(folder / "bad.yaml")
    Traceback (most recent call last):
    ...
    surveyindex.errors.ProjectError: .../bad.yaml: line 4, replicate: unknown key (expected one of: ...)
    """
    path = Path(path)
    if not path.exists():
        raise ProjectError(f"{path}: project file not found")
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: cannot read the project file ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ProjectError(f"{path}: not valid YAML: {where}{problem}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping of project keys (instrument, responses, "
                           "margins, ...) at the top level")
    try:
        project = Project.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(_describe(path, root, exc)) from None
    return _resolve(project, path)


def _resolve(p: Project, path: Path) -> Project:
    base = path.parent

    def rel(x: Path | None) -> Path | None:
        # normpath: "examples/../reports/x.xlsx" reads better as "reports/x.xlsx" in messages.
        return None if x is None else Path(os.path.normpath(x if x.is_absolute() else base / x))

    inst = p.instrument
    if inst.endswith((".yaml", ".yml")) and not Path(inst).is_absolute():
        inst = os.path.normpath(base / inst)
    outputs = p.outputs.model_copy(update={k: rel(getattr(p.outputs, k))
                                           for k in ("workbook", "tables", "weights", "plots")})
    return p.model_copy(update={"instrument": inst, "responses": rel(p.responses),
                                "margins": rel(p.margins), "outputs": outputs, "source": path})


def _describe(path: Path, root, exc: ValidationError) -> str:
    """One line per problem (at most five): file, line, key path, what was expected."""
    problems = []
    for err in exc.errors()[:5]:
        loc = list(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        where = f"line {line}, " if line else ""
        if err["type"] == "extra_forbidden":
            msg = f"unknown key (expected one of: {', '.join(_allowed(loc[:-1]))})"
        elif err["type"] == "missing":
            msg = "required key missing" + (
                " (write 'margins: none' when the file's weights are final)"
                if loc == ["margins"] else "")
        else:
            got = err.get("input")
            text = ("expected a file path" if err["type"] == "path_type" else
                    "expected text" if err["type"] == "string_type" else err["msg"])
            msg = text + ("" if isinstance(got, (dict, list)) or got is None
                          else f" (got {got!r})")
            if isinstance(got, dict) and err["type"] == "string_type":
                msg += f" (got a mapping with keys {list(got)})"
        problems.append(f"{where}{key}: {msg}")
    more = exc.error_count() - len(problems)
    tail = f"; and {more} more" if more > 0 else ""
    return f"{path}: " + "; ".join(problems) + tail


def _allowed(loc: list) -> list[str]:
    model = Project
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    return [k for k in model.model_fields if k != "source"]


def _line_of(node, loc: list) -> int | None:
    """Line (1-based) of the deepest YAML node found along ``loc``."""
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line


def run_project(project: str | Path | Project, *, write: bool = True,
                progress: bool | None = None, replicates: int | None = None):
    """Run the whole pipeline as a project file says, and write its outputs.

    Parameters
    ----------
    project : str, Path or Project
        The project file (or one already loaded with :func:`load_project`).
    write : bool
        Write the outputs the project names (workbook, tables, weights, plots).
    progress : bool or None
        Progress bar over the stages (see :func:`surveyindex.run_pipeline`).
    replicates : int or None
        Override the project's number of replicates (e.g. for a quick trial run).

    Returns
    -------
    PipelineResult

    Raises
    ------
    ProjectError
        If the project file is invalid or names an input file that does not exist.

    Examples
    --------
    >>> import surveyindex as si, tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("responses", "margins"):
    ...     _ = shutil.copy(si.sample_paths()[name], folder)
    >>> _ = (folder / "p.yaml").write_text(
    ...     "instrument: softpower\\nresponses: softpower_sample.csv\\nmargins: margins.csv\\n"
    ...     "replicates: {n: 10, seed: 4}\\noutputs: {workbook: out/report.xlsx}\\n")
    >>> res = run_project(folder / "p.yaml", progress=False)
    >>> res.design.n_replicates, (folder / "out" / "report.xlsx").exists()
    (10, True)
    """
    from .pipeline import run_pipeline

    p = project if isinstance(project, Project) else load_project(project)
    if write:
        check_outputs(p)
    check_inputs(p)
    client = None
    if p.compute is not None:
        from .design import get_client

        client = get_client(p.compute.model_dump())
    try:
        res = run_pipeline(p.instrument, p.responses, p.margins, client=client,
                           replicates=replicates or p.replicates.n, seed=p.replicates.seed,
                           audiences=p.index.audiences, level=p.index.level, by=p.weighting.by,
                           tolerance=p.weighting.tolerance,
                           max_iterations=p.weighting.max_iterations,
                           collapse=p.weighting.collapse,
                           min_valid_items=p.index.min_valid_items, sheet=p.sheet,
                           method=p.index.method(), invariance=p.reliability.invariance,
                           aligned_means=p.reliability.aligned_means,
                           progress=progress, read_options=p.reading.options(),
                           roles=p.columns.roles() or None,
                           replicate_method=p.replicates.method, fay_rho=p.replicates.fay_rho,
                           weighting=p.weighting.method,
                           trim=p.weighting.trim.model_dump() if p.weighting.trim else None,
                           required=p.required)
    finally:
        if client is not None:      # the cluster was started for this run: stop it
            cluster = client.cluster
            client.close()
            if cluster is not None and p.compute.scheduler is None:
                cluster.close()
    if write:
        write_outputs(res, p)
    return res


def base_rule(p: Project):
    """The project's small-base rule as a :class:`surveyindex.report.BaseRule`.

    >>> base_rule(Project(instrument="softpower", responses="r.csv", margins="m.csv")).describe()
    'effective n below 100 flagged'
    """
    from .report import BaseRule

    r = p.report
    return BaseRule(flag_below=r.flag_below, suppress_below=r.suppress_below, base=r.base)


def report_options(p: Project) -> dict:
    """The keyword arguments :func:`surveyindex.write_report` takes from the project file.

    >>> opts = report_options(Project(instrument="softpower", responses="r.csv", margins="m.csv",
    ...                               report={"title": "Wave 1", "sheets": ["Index"]}))
    >>> opts["title"], opts["sheets"], opts["language"], opts["base_rule"].describe()
    ('Wave 1', ['Index'], None, 'effective n below 100 flagged')
    """
    r = p.report
    return {"base_rule": base_rule(p), "title": r.title, "sheets": r.sheets,
            "language": r.language}


def write_outputs(res, p: Project) -> dict[str, Path]:
    """Write the outputs named in ``p.outputs``; returns what was written, by output name.

    ``workbook``: the Excel report. ``tables``: a folder of CSV files, one per table
    (composite, dimensions, items, comparison, leads, favourability, reliability, weighting, bases,
    exclusions; aligned_means when reported).
    ``weights``: one row per respondent (id, weighting group, final weight). ``plots``: a folder
    of PNG files (forest, profile, ranks, weighting; needs the ``plot`` extra).
    """
    from .pipeline import write_report
    from .report import sample_bases

    out: dict[str, Path] = {}
    o, rule = p.outputs, base_rule(p)
    check_outputs(p)
    if o.workbook:
        out["workbook"] = write_report(res, o.workbook, **report_options(p))
    if o.tables:
        tables = {"composite": res.index.composite, "dimensions": res.index.dimensions,
                  "items": res.index.items, "comparison": res.index.comparison,
                  "leads": res.index.leads, "favourability": res.index.favourability,
                  "reliability": res.reliability,
                  "weighting": res.weighting, "bases": sample_bases(res.index.dimensions, rule),
                  "exclusions": res.responses.ledger.excluded}
        if not res.aligned_means.empty:
            tables["aligned_means"] = res.aligned_means
        for k, t in tables.items():
            write_csv(t, o.tables / f"{k}.csv", neutralise=o.neutralise_formulas)
        out["tables"] = o.tables
    if o.weights:
        out["weights"] = write_weights(res.design, o.weights, neutralise=o.neutralise_formulas)
    if o.plots:
        from . import plot
        from .report import Labels

        lab = Labels.from_instrument(res.instrument, p.report.language)
        figures = {"forest": plot.forest_plot(res.index.comparison, labels=lab),
                   "profile": plot.profile_plot(res.index.dimensions, labels=lab),
                   "ranks": plot.rank_plot(res.index.composite, labels=lab),
                   "weighting": plot.weighting_plot(res.design, by=res.design.steps[0].get(
                       "strata") or "country")}
        for k, f in figures.items():
            write_atomic(o.plots / f"{k}.png", lambda tmp, f=f: f.savefig(tmp, dpi=150), "plot")
        out["plots"] = o.plots
    return out


def check_inputs(p: Project) -> None:
    """Check the project's response and margins files exist and its audiences are the
    instrument's (the message names the project file and the key), before anything is read."""
    for key in ("responses", "margins"):
        path = getattr(p, key)
        if path is not None and not path.exists():
            raise ProjectError(f"{p.source or 'project'}: {key}: file not found: {path}")
    weights = p.index.weights if isinstance(p.index.weights, dict) else None
    if not p.index.audiences and weights is None:
        return
    from .instrument import load_instrument

    inst = load_instrument(p.instrument)
    unknown = [a for a in p.index.audiences or () if a != "all" and a not in inst.audiences]
    if unknown:
        raise ProjectError(f"{p.source or 'project'}: index.audiences: {unknown} not defined "
                           f"in the instrument (defined: "
                           f"{list(dict.fromkeys(['all', *inst.audiences]))})")
    if weights is not None and set(weights) != set(inst.dimension_ids):
        raise ProjectError(f"{p.source or 'project'}: index.weights: give a weight for each "
                           f"dimension {inst.dimension_ids}; got {sorted(weights)}")


def check_outputs(p: Project) -> None:
    """Check every output path of the project can be written, before anything is computed.

    >>> check_outputs(Project(instrument="softpower", responses="r.csv", margins="m.csv",
    ...                       outputs={"workbook": "report.csv"}))
    Traceback (most recent call last):
    ...
    surveyindex.errors.ReportError: report.csv: the workbook must be an .xlsx file, not .csv
    """
    from .report import check_writable

    o = p.outputs
    for key, folder, suffix in (("workbook", False, ".xlsx"), ("tables", True, None),
                                ("weights", False, None), ("plots", True, None)):
        if getattr(o, key) is not None:
            check_writable(getattr(o, key), folder=folder, suffix=suffix,
                           what=f"outputs.{key}" if key != "workbook" else "workbook")
    check_report_options(p)


def check_report_options(p: Project) -> None:
    """Check the workbook's sheets and language before anything is computed.

    The sheet names are those of :data:`surveyindex.report.SHEETS` (any case); the comparison
    sheet is ``comparison`` or its ``A vs B`` name.

    >>> check_report_options(Project(instrument="softpower", responses="r.csv", margins="m.csv",
    ...                              report={"sheets": ["Index", "Chart"]}))
    Traceback (most recent call last):
    ...
    surveyindex.errors.ProjectError: report.sheets: no sheet 'Chart'; the sheets are Summary, Charts, ...
    """
    from .instrument import load_instrument
    from .report import SHEETS, Labels

    r = p.report
    known = {s.lower() for s in SHEETS if s != "{pair}"} | {"comparison"}
    for name in r.sheets or ():
        if name.lower() not in known and " vs " not in name.lower():
            shown = ", ".join(s if s != "{pair}" else "comparison" for s in SHEETS)
            raise ProjectError(f"report.sheets: no sheet {name!r}; the sheets are {shown} "
                               "(the comparison sheet is also named 'A vs B')")
    if r.language is not None:
        try:
            Labels.from_instrument(load_instrument(p.instrument), r.language)
        except ReportError as e:
            raise ProjectError(f"report.language: {e}") from None


def write_weights(design, path: str | Path, *, neutralise: bool = True) -> Path:
    """Write each respondent's final weight as CSV: resp_id, the weighting group, weight.

    Written atomically; text starting with a formula trigger is neutralised unless
    ``neutralise=False`` (see :func:`surveyindex.report.files.write_csv`).

    >>> import surveyindex as si, tempfile, pathlib, pandas as pd
    >>> d = si.make_design(si.read_responses(si.sample_paths()["responses"],
    ...                                      si.load_instrument("softpower")))
    >>> out = write_weights(d, pathlib.Path(tempfile.mkdtemp()) / "w.csv")
    >>> list(pd.read_csv(out).columns)
    ['resp_id', 'country', 'weight']
    """
    cols = [c for c in ("resp_id", "country") if c in design.data.columns]
    table = design.data[cols].assign(weight=design.weights)
    return write_csv(table, Path(path), neutralise=neutralise)
