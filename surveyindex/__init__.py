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

from . import errors
from ._version import __version__
from .datasets import sample_paths, simulate_softpower
from .design import SurveyDesign, bootstrap_replicates, make_design, rake, weight_diagnostics
from .estimate import DomainEstimates, estimate_means
from .index import IndexResult, compute_index, score_dimensions
from .instrument import Instrument, audience_mask, load_instrument
from .io import Ledger, QualityRules, Responses, ResponseValidationError, read_responses
from .pipeline import PipelineResult, run_pipeline, write_report
from .project import load_project, run_project
from .reliability import cronbach_alpha, item_statistics, reliability
from .report import ReportTables, write_workbook

__all__ = [
    "DomainEstimates",
    "IndexResult",
    "Instrument",
    "Ledger",
    "PipelineResult",
    "QualityRules",
    "ReportTables",
    "ResponseValidationError",
    "Responses",
    "SurveyDesign",
    "audience_mask",
    "bootstrap_replicates",
    "compute_index",
    "cronbach_alpha",
    "errors",
    "estimate_means",
    "item_statistics",
    "load_instrument",
    "load_project",
    "make_design",
    "rake",
    "read_responses",
    "reliability",
    "run_pipeline",
    "run_project",
    "sample_paths",
    "score_dimensions",
    "simulate_softpower",
    "weight_diagnostics",
    "write_report",
    "write_workbook",
    "__version__",
]
