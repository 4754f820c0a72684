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

from . import errors, reliability
from ._version import __version__
from .datasets import real_file_examples, sample_paths, simulate_softpower
from .design import (
    FactorReplicates,
    SurveyDesign,
    bootstrap_replicates,
    calibrate,
    make_design,
    poststratify,
    rake,
    replicate_design,
    trim,
    weight_diagnostics,
)
from .estimate import (
    DomainEstimates,
    adjust_pvalues,
    degrees_of_freedom,
    domain_contrast,
    domain_covariance,
    estimate_means,
    estimate_proportions,
    estimate_quantiles,
    estimate_ratios,
    estimate_totals,
    paired_contrast,
)
from .fieldwork import (
    codebook_tables,
    margin_of_error,
    quota_targets,
    sample_plan,
    sample_size,
    write_codebook,
    write_xlsform,
    xlsform_tables,
)
from .index import (
    IndexMethod,
    IndexResult,
    Tracker,
    aggregate,
    compute_index,
    compute_tracker,
    driver_weights,
    normalise,
    pca_weights,
    pool,
    score_dimensions,
    sensitivity_analysis,
    sobol_indices,
)
from .instrument import Instrument, audience_mask, bundled_instruments, load_instrument
from .io import Ledger, QualityRules, Responses, ResponseValidationError, read_responses
from .pipeline import PipelineResult, run_pipeline, write_report
from .project import load_project, run_project
from .reliability import (
    alpha_bootstrap,
    cronbach_alpha,
    fit_cfa,
    invariance,
    item_statistics,
    omega,
    reliability_flags,
    reliability_table,
    response_styles,
)
from .report import ReportTables, write_tracker_report, write_workbook
from .tracker import run_tracker

__all__ = [
    "DomainEstimates",
    "FactorReplicates",
    "IndexMethod",
    "IndexResult",
    "Instrument",
    "Ledger",
    "PipelineResult",
    "QualityRules",
    "ReportTables",
    "ResponseValidationError",
    "Responses",
    "SurveyDesign",
    "Tracker",
    "adjust_pvalues",
    "aggregate",
    "alpha_bootstrap",
    "audience_mask",
    "bootstrap_replicates",
    "bundled_instruments",
    "calibrate",
    "codebook_tables",
    "compute_index",
    "compute_tracker",
    "cronbach_alpha",
    "degrees_of_freedom",
    "domain_contrast",
    "domain_covariance",
    "driver_weights",
    "errors",
    "estimate_means",
    "estimate_proportions",
    "estimate_quantiles",
    "estimate_ratios",
    "estimate_totals",
    "fit_cfa",
    "invariance",
    "item_statistics",
    "load_instrument",
    "load_project",
    "make_design",
    "margin_of_error",
    "normalise",
    "omega",
    "paired_contrast",
    "pca_weights",
    "pool",
    "poststratify",
    "quota_targets",
    "rake",
    "read_responses",
    "reliability",
    "reliability_flags",
    "reliability_table",
    "run_tracker",
    "replicate_design",
    "response_styles",
    "run_pipeline",
    "run_project",
    "real_file_examples",
    "sample_paths",
    "sample_plan",
    "sample_size",
    "score_dimensions",
    "sensitivity_analysis",
    "simulate_softpower",
    "sobol_indices",
    "trim",
    "weight_diagnostics",
    "write_codebook",
    "write_report",
    "write_tracker_report",
    "write_workbook",
    "write_xlsform",
    "xlsform_tables",
    "__version__",
]
