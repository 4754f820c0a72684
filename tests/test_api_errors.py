"""A wrong argument to a public function is an error of the package's hierarchy with a message a
researcher can act on, never an AttributeError or TypeError from deep inside (issue 14)."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import (
    EstimationError,
    InstrumentError,
    ReportError,
    ResponseDataError,
    SurveyIndexError,
    WeightingError,
)

DF = pd.DataFrame({"y": [1.0, 2, 3, 4, np.nan], "w": [1.0, 2, 0, 1, 1], "c": list("uvuvu")})


@pytest.fixture(scope="module")
def d():
    return si.make_design(DF, weights="w")


CASES = {
    "quantiles of a text column": (lambda d: si.estimate_quantiles(d, "c"), EstimationError,
                                   "quantiles need numeric variables; ['c'] are text or "
                                   "categorical"),
    "level as text": (lambda d: si.estimate_means(d, "y", level="95%"), EstimationError,
                      "level must be between 0 and 1 (e.g. 0.95), not '95%'"),
    "variable as a number": (lambda d: si.estimate_means(d, 5), EstimationError,
                             "must be a column name, a list of names, a DataFrame"),
    "design is a DataFrame": (lambda d: si.estimate_means(DF, "y"), EstimationError,
                              "design must be a SurveyDesign (si.make_design(...)), not a DataFrame"),
    "quantile outside 0-1": (lambda d: si.estimate_quantiles(d, "y", probs=[1.5]), EstimationError,
                             "probs must be probabilities between 0 and 1, not [1.5]"),
    "quantile as text": (lambda d: si.estimate_quantiles(d, "y", probs="a"), EstimationError,
                         "probs must be probabilities"),
    "contrast as text": (lambda d: si.domain_contrast(d, "y", "c", "u-v"), EstimationError,
                         "coefficients must be a dict of domain -> coefficient"),
    "pairs missing": (lambda d: si.paired_contrast(d, None, None), EstimationError,
                      "pairs must be a list of (a, b) column pairs"),
    "degf of a frame": (lambda d: si.degrees_of_freedom(DF), EstimationError,
                        "design must be a SurveyDesign"),
    "make_design of None": (lambda d: si.make_design(None), WeightingError,
                            "make_design takes Responses (si.read_responses(...)) or a DataFrame, "
                            "not None"),
    "trim bound as text": (lambda d: si.trim(d, upper="3"), WeightingError,
                           "upper must be a number (a weight bound), not '3'"),
    "calibrate population as text": (lambda d: si.calibrate(d, "y", "abc"), WeightingError,
                                     "population must be a dict of totals"),
    "rake a frame": (lambda d: si.rake(DF, {}), WeightingError, "design must be a SurveyDesign"),
    "diagnostics of a frame": (lambda d: si.weight_diagnostics(DF), WeightingError,
                               "design must be a SurveyDesign"),
    "replicates as text": (lambda d: si.run_pipeline(replicates="20"), WeightingError,
                           "replicates: n must be a whole number, not '20'"),
    "seed as text": (lambda d: si.run_pipeline(replicates=3, seed="x"), WeightingError,
                     "replicates: seed must be a whole number, not 'x'"),
    "index of None": (lambda d: si.compute_index(None), EstimationError,
                      "design must be a SurveyDesign (si.make_design(responses)), not None"),
    "reliability of a design": (lambda d: si.reliability_table(d), EstimationError,
                                "for a design pass design.responses, not a SurveyDesign"),
    "invariance of a design": (lambda d: si.invariance(d), EstimationError,
                               "for a design pass design.responses, not a SurveyDesign"),
    "instrument as a number": (lambda d: si.load_instrument(5), InstrumentError,
                               "the instrument must be a bundled name such as 'softpower' or a "
                               "path to an instrument file, not an int"),
    "responses as a number": (lambda d: si.read_responses(5, si.load_instrument("softpower")),
                              ResponseDataError, "the responses must be a file path or a DataFrame"),
    "no instrument": (lambda d: si.read_responses(DF, None), ResponseDataError,
                      "the instrument must be an Instrument (si.load_instrument(...)), not None"),
    "report of None": (lambda d: si.write_report(None, "x.xlsx"), ReportError,
                       "the result must be a PipelineResult (si.run_pipeline(...)), not None"),
    "negative sample": (lambda d: si.simulate_softpower(n_per_country=-1), SurveyIndexError,
                        "n_per_country must be whole numbers of at least 1"),
    # acceptance pass (hqa): these were numpy/Python TypeErrors from deep inside
    "rake tolerance as text": (lambda d: si.rake(d, {"c": {"u": .5, "v": .5}}, by=None,
                                                 tolerance="1e-8"), WeightingError,
                               "tolerance must be a positive number (e.g. 1e-8), not '1e-8'"),
    "rake bounds as a number": (lambda d: si.rake(d, {"c": {"u": .5, "v": .5}}, by=None,
                                                  bounds=5), WeightingError,
                                "bounds must be a pair (lower, upper) of weight ratios"),
    "rake max_iterations as text": (lambda d: si.rake(d, {"c": {"u": .5, "v": .5}}, by=None,
                                                      max_iterations="50"), WeightingError,
                                    "max_iterations must be a whole number, not '50'"),
    "trim by an unknown column": (lambda d: si.trim(d, upper=3, by="nation"), WeightingError,
                                  "cannot trim by 'nation': no such column"),
    "alpha of Responses": (lambda d: si.cronbach_alpha(_responses()), EstimationError,
                           "for Responses use si.reliability_table(responses)"),
    "omega of Responses": (lambda d: si.omega(_responses()), EstimationError,
                           "for Responses use si.reliability_table(responses)"),
    "invariance min_n as text": (lambda d: si.invariance(_responses(), min_n="30"), EstimationError,
                                 "min_n must be a whole number of respondents (at least 1), not '30'"),
}


def _responses():
    return si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))


@pytest.mark.parametrize("name", list(CASES))
def test_wrong_argument_is_an_actionable_error(name, d):
    call, error, message = CASES[name]
    with pytest.raises(error) as got:
        call(d)
    assert message in str(got.value)


@pytest.fixture(scope="module")
def indexed():
    resp = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    return si.make_design(resp).with_replicates("bootstrap", n=3, seed=1)


@pytest.mark.parametrize("kwargs, message", [
    ({"level": 95}, "level must be between 0 and 1 (e.g. 0.95), not 95"),
    ({"sensitivity": -2}, "sensitivity must be a number of samples (at least 1) or None, not -2"),
    ({"country_weights": "population", "populations": "no-such-file.csv"},
     "populations must be a table, a dict or a CSV file"),
    ({"weights": [1, 1, 1, 1, 1]}, "or a mapping dimension -> weight such as {'morality': 1"),
    ({"weights": {"morality": "x", "competence": 1, "culture": 1, "technology": 1,
                  "education": 1}}, "dimension weights must be numbers"),
    ({"seed": "a", "sensitivity": 2}, "seed must be a whole number, not 'a'"),
])
def test_index_options_are_checked(indexed, kwargs, message):
    with pytest.raises(EstimationError) as got:
        si.compute_index(indexed, **kwargs)
    assert message in str(got.value)


def test_one_audience_may_be_named_as_text(indexed):
    # R users write audiences = "g20_youth"; it was read letter by letter ("audience 'g'").
    res = si.compute_index(indexed, audiences="g20_youth")
    assert set(res.composite["audience"]) == {"g20_youth"}


def test_one_dimension_may_be_named_as_text():
    with pytest.raises(EstimationError, match=r"dimensions \['moral'\] not in the instrument"):
        si.invariance(_responses(), dimensions="moral")


def test_an_item_column_by_name_says_how_to_pass_the_answers():
    # An R user writes svymean(~USA_mor1, design): the items are answers, not respondent columns.
    design = si.make_design(_responses())
    with pytest.raises(EstimationError, match=r"'USA_mor1' is an item: pass the answers, e\.g\. "
                       r"design\.responses\.to_frame\(wide=True\)\[\['USA_mor1'\]\]"):
        si.estimate_means(design, "USA_mor1", by="country")
    hinted = design.responses.to_frame(wide=True)[["USA_mor1"]]
    est = si.estimate_means(design, hinted, by="country").table()
    assert len(est) == 13 and est["estimate"].between(1, 5).all()


@pytest.mark.parametrize("cell, shown", [("abc", "has 'abc'"), (None, "has a blank"),
                                         ("-2", "has '-2'")])
def test_a_bad_weight_column_quotes_the_cell(cell, shown):
    # Before: "weights must be finite and non-negative; respondent 4 has nan".
    df = pd.DataFrame({"resp_id": list("abcd"), "y": [1.0, 2, 3, 4],
                       "w": pd.Series(["1", "2", cell, "1"], dtype=object)})
    with pytest.raises(WeightingError, match=f"weight column 'w': respondent c {shown}, expected "
                                             "a non-negative number"):
        si.make_design(df, weights="w")


def test_an_unknown_name_is_a_package_error_and_a_key_error(d):
    from surveyindex.errors import UnknownNameError

    est = si.estimate_means(d, "y", by="c")
    with pytest.raises(SurveyIndexError) as got:
        est["z"]
    assert isinstance(got.value, KeyError) and isinstance(got.value, UnknownNameError)
    assert str(got.value) == "'z' is not a variable of these estimates; variables: ['y']"


@pytest.mark.parametrize("bounds, said", [({"upper": 0.5}, "upper bound 0.5 is below the mean weight 1"),
                                          ({"lower": 2}, "lower bound 2 is above the mean weight 1")])
def test_trim_bounds_that_cannot_hold_are_a_warning(bounds, said):
    # Before: upper=0.5 on weights averaging 1 (a ratio meant?) moved them about, quietly.
    d = si.make_design(pd.DataFrame({"x": range(4)}), weights=np.array([0.2, 0.4, 0.6, 2.8]),
                       strata=None)
    with pytest.warns(UserWarning, match=said), contextlib.suppress(WeightingError):
        si.trim(d, **bounds)  # lower=2 then makes a weight negative: the error follows the warning


def test_sensible_trim_bounds_do_not_warn(recwarn):
    d = si.make_design(pd.DataFrame({"x": range(4)}), weights=np.array([1.0, 1, 1, 5]),
                       strata=None)
    assert si.trim(d, upper=3).weights.round(4).tolist() == [1.6667, 1.6667, 1.6667, 3.0]
    assert not [w for w in recwarn if "trim:" in str(w.message)]
