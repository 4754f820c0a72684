"""surveyindex: perception surveys to composite indices, with design-correct uncertainty.

The pipeline, one stage per sub-package, data flowing one way::

    instrument -> io (responses, ledger) -> design (weights, replicates) -> estimate
               -> index (scores, composite, comparisons) / reliability -> report

>>> import surveyindex as si
>>> inst = si.load_instrument("softpower")
>>> resp = si.read_responses(si.sample_paths()["responses"], inst)
>>> design = si.make_design(resp).with_replicates("bootstrap", n=20, seed=1)
>>> import pandas as pd
>>> design = design.rake(pd.read_csv(si.sample_paths()["margins"]), by="country")
>>> result = si.compute_index(design)
>>> list(result.composite.columns[:4])
['country', 'target', 'audience', 'score']
"""

import importlib
import warnings

from . import design, errors, estimate, fieldwork, index, instrument, io, reliability, report
from ._version import __version__
from .datasets import real_file_examples, sample_paths, simulate_softpower
from .design import (
    SurveyDesign,
    calibrate,
    make_design,
    poststratify,
    rake,
    trim,
    weight_diagnostics,
)
from .estimate import (
    DomainEstimates,
    Estimates,
    degrees_of_freedom,
    domain_contrast,
    estimate_means,
    estimate_proportions,
    estimate_quantiles,
    estimate_ratios,
    estimate_totals,
    paired_contrast,
)
from .index import IndexResult, compute_index, compute_tracker
from .instrument import Instrument, load_instrument
from .io import Ledger, Responses, read_responses
from .pipeline import PipelineResult, run_pipeline, write_report
from .project import load_project, run_project
from .reliability import cronbach_alpha, invariance, omega, reliability_table
from .tracker import run_tracker

# The path a user walks: load, read, design and weight, estimate, index, reliability, report,
# pipeline. Everything else is complete in its stage's __all__ (si.design.jk1_replicates,
# si.index.factor_weights...); docs/architecture.md lists both levels.
__all__ = [
    "DomainEstimates", "Estimates", "IndexResult", "Instrument", "Ledger", "PipelineResult",
    "Responses", "SurveyDesign", "__version__", "calibrate", "compute_index", "compute_tracker",
    "cronbach_alpha", "degrees_of_freedom", "design", "domain_contrast", "errors", "estimate",
    "estimate_means", "estimate_proportions", "estimate_quantiles", "estimate_ratios",
    "estimate_totals", "fieldwork", "index", "instrument", "invariance", "io", "load_instrument",
    "load_project", "make_design", "omega", "paired_contrast", "poststratify", "rake",
    "read_responses", "real_file_examples", "reliability", "reliability_table", "report",
    "run_pipeline", "run_project", "run_tracker", "sample_paths", "simulate_softpower", "trim",
    "weight_diagnostics", "write_report",
]

# Names that stood at the top level before the API had two levels: still reachable, with a
# warning that names their stage.
_MOVED = {
    **dict.fromkeys(["FactorReplicates", "bootstrap_replicates", "replicate_design"], "design"),
    **dict.fromkeys(["adjust_pvalues", "domain_covariance"], "estimate"),
    **dict.fromkeys(["codebook_tables", "margin_of_error", "quota_targets", "sample_plan",
                     "sample_size", "write_codebook", "write_xlsform", "xlsform_tables"],
                    "fieldwork"),
    **dict.fromkeys(["IndexMethod", "Tracker", "aggregate", "driver_weights", "normalise",
                     "pca_weights", "pool", "score_dimensions", "sensitivity_analysis",
                     "sobol_indices"], "index"),
    **dict.fromkeys(["audience_mask", "bundled_instruments"], "instrument"),
    **dict.fromkeys(["QualityRules", "ResponseValidationError"], "io"),
    **dict.fromkeys(["alpha_bootstrap", "fit_cfa", "item_statistics", "reliability_flags",
                     "response_styles"], "reliability"),
    **dict.fromkeys(["ReportTables", "write_workbook"], "report"),
}


def __getattr__(name: str):
    stage = _MOVED.get(name)
    if stage is None:
        raise AttributeError(f"module 'surveyindex' has no attribute {name!r}")
    warnings.warn(f"si.{name} is now si.{stage}.{name} (the top level keeps the main path; "
                  f"the rest is in its stage)", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(f".{stage}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_MOVED))
