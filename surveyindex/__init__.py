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
from .datasets import sample_paths, simulate_softpower
from .design import SurveyDesign, bootstrap_replicates, make_design, rake, weight_diagnostics
from .estimate import DomainEstimates, estimate_means
from .index import IndexResult, compute_index, score_dimensions
from .instrument import Instrument, audience_mask, load_instrument
from .io import Ledger, Responses, read_responses

__version__ = "0.1.0"

__all__ = [
    "DomainEstimates",
    "IndexResult",
    "Instrument",
    "Ledger",
    "Responses",
    "SurveyDesign",
    "audience_mask",
    "bootstrap_replicates",
    "compute_index",
    "errors",
    "estimate_means",
    "load_instrument",
    "make_design",
    "rake",
    "read_responses",
    "sample_paths",
    "score_dimensions",
    "simulate_softpower",
    "weight_diagnostics",
    "__version__",
]
