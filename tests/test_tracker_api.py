"""A tracker on a real public two-wave panel, checked against R: the California Academic
Performance Index of the same 200 schools in 1999 and 2000 (``apistrat`` of R survey's
``data(api)``, tests/reference/data/apistrat.csv), change 2000 - 1999 with the panel component."""

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.index.waves import compute_tracker
from surveyindex.instrument import Instrument

API = pd.read_csv("tests/reference/data/apistrat.csv")
STYPE = {"E": 1, "M": 2, "H": 3}


def _instrument(country: dict) -> Instrument:
    # One "item", the school's API score (200..1000), about one target, the school itself.
    return Instrument.model_validate({
        "id": "api", "version": "1", "title": "California Academic Performance Index",
        "scales": {"api": {"min": 200, "max": 1000}},
        "targets": [{"code": "SCH", "name": "the school"}],
        "dimensions": [{"id": "performance", "label": "Academic performance", "scale": "api",
                        "items": [{"id": "api", "text": "API score of {target}"}]}],
        "demographics": {"country": country},
        "audiences": {"all": {"label": "All schools"}},
        "layout": {"respondent_id": "snum", "item_column": "{target}_{item}"}})


def _waves(inst, country, make):
    out = {}
    for name, col in (("1999", "api99"), ("2000", "api00")):
        r = si.read_responses(pd.DataFrame({"snum": API["snum"], "country": country,
                                            "SCH_api": API[col]}), inst)
        rows = pd.Index(API["snum"]).get_indexer(r.respondents["resp_id"].astype(int))
        out[name] = make(r, rows)
    return compute_tracker(out, audiences=["all"], panel_id="resp_id").changes


def test_api_panel_by_school_type_matches_r():
    # R 4.2.2 Patched (2022-11-10 r83330), survey 4.1.1, tests/reference/tracker_api_panel.R:
    # dstrat <- svydesign(ids=~1, strata=~stype, weights=~pw, data=apistrat)
    # svyby(~I(api00 - api99), ~stype, dstrat, svymean)   (the same SEs with
    # as.svrepdesign(dstrat, type="JKn") to the last digit or two)
    ref = {"E": (38.56, 2.7649436036406123), "M": (26.4, 3.0536695890655357),
           "H": (8.46, 3.4062619406268904)}
    inst = _instrument({"type": "categorical", "label": "School type",
                        "codes": {v: k for k, v in STYPE.items()}})
    ch = _waves(inst, API["stype"].map(STYPE),
                lambda r, rows: si.make_design(r).with_replicates("JKn"))   # strata = stype
    ch = ch.set_index(["country", "measure"])
    for stype, (change, se) in ref.items():
        row = ch.loc[(str(STYPE[stype]), "api")]
        assert row["change"] == pytest.approx(change, abs=1e-10)
        assert row["se"] == pytest.approx(se, rel=1e-10)
        assert row["n_panel"] == (API["stype"] == stype).sum()
        assert row["se"] < row["se_independent"] / 5         # API scores are highly correlated
        # The composite is the score rescaled to 0-100: 100 (x - 200) / 800.
        comp = ch.loc[(str(STYPE[stype]), "composite")]
        assert comp["change"] == pytest.approx(change / 8, abs=1e-10)
        assert comp["se"] == pytest.approx(se / 8, rel=1e-10)


def test_api_panel_unequal_weights_matches_r():
    # R 4.2.2 Patched (2022-11-10 r83330), survey 4.1.1, tests/reference/tracker_api_panel.R:
    # d1 <- svydesign(ids=~1, weights=~pw, data=apistrat)       (unequal weights, no strata)
    # v <- vcov(svymean(~api99 + api00, d1)); rho <- v[1, 2] / sqrt(v[1, 1] * v[2, 2])
    # s <- svymean(~api99 + api00, as.svrepdesign(d1, type="JK1")); vr <- vcov(s)
    # se_panel = sqrt(vr[1,1] + vr[2,2] - 2 * rho * sqrt(vr[1,1] * vr[2,2]))
    # (the tracker's SE: the waves' replicate variances, the overlap's linearised correlation)
    change, rho, se_panel = 32.89251837535960021, 0.97722256517350925, 2.16210227212557937
    se_independent = 13.93935503997374958
    se_jk1_difference = 2.16178030634045237      # SE(svycontrast(s, c(-1, 1)))
    se_linearised_difference = 2.15837892418218846   # SE(svymean(~I(api00 - api99), d1))
    inst = _instrument({"type": "country", "label": "Country"})
    ch = _waves(inst, "USA", lambda r, rows: si.make_design(
        r, weights=API["pw"].to_numpy()[rows], strata=None).with_replicates("JK1"))
    row = ch.set_index("measure").loc["api"]
    assert row["change"] == pytest.approx(change, abs=1e-10)
    assert row["se"] == pytest.approx(se_panel, rel=1e-10)
    assert row["se_independent"] == pytest.approx(se_independent, rel=1e-10)
    # C = rho sqrt(Va Vb), with Va + Vb = se_independent^2 and Va + Vb - 2 C = se_panel^2
    assert row["covariance"] == pytest.approx((se_independent ** 2 - se_panel ** 2) / 2, rel=1e-9)
    assert rho > 0.97
    # Both of R's direct SEs of the difference are within 0.2% of the tracker's.
    for direct in (se_jk1_difference, se_linearised_difference):
        assert abs(row["se"] / direct - 1) < 2e-3
    assert np.isclose(ch.set_index("measure").loc["composite", "se"], se_panel / 8, rtol=1e-10)


def test_panel_id_named_by_the_layout_points_to_resp_id():
    from surveyindex.errors import EstimationError

    inst = _instrument({"type": "country", "label": "Country"})
    r = si.read_responses(pd.DataFrame({"snum": API["snum"], "country": "USA",
                                        "SCH_api": API["api99"]}), inst)
    d = si.make_design(r).with_replicates("JK1")
    with pytest.raises(EstimationError, match="pass panel_id='resp_id'"):
        compute_tracker({"a": d, "b": d}, audiences=["all"], panel_id="snum")
