"""Taylor SEs of many domains at once on a design raked within groups, pinned to R survey.

The estimator sums the Taylor terms of domains whose strata do not overlap in one pass
(``taylor_variances``); domains that share strata go one at a time. Both paths are checked
against R, and against each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import reference_data

import surveyindex as si
from surveyindex.estimate.variance import taylor_variance, taylor_variances

# R 4.2.2, survey 4.1.1:
#   dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
#   p1 <- data.frame(stype=rep(c("E","H","M"), each=2), sch.wide=rep(c("No","Yes"), 3),
#                    Freq=c(700, 3800, 250, 500, 300, 700))
#   p2 <- data.frame(stype=rep(c("E","H","M"), each=2), awards=rep(c("No","Yes"), 3),
#                    Freq=c(1500, 3000, 450, 300, 450, 550))
#   r <- rake(dstrat, list(~stype+sch.wide, ~stype+awards), list(p1, p2),
#             control=list(maxit=500, epsilon=1e-12))
#   svyby(~api00+api99, ~stype, r, svymean); svyby(~api00, ~stype+comp.imp, r, svymean)
BY_STYPE = {  # domain: (mean api00, mean api99, SE api00, SE api99)
    "E": (670.95954676137319, 635.82225604600035, 12.574974188479738, 13.347828024377279),
    "H": (634.12777777777774, 620.52944444444449, 14.858854651501447, 15.668875557408144),
    "M": (637.23821969753374, 609.71291666714569, 14.712385491613775, 15.974023249068320),
}
BY_STYPE_COMP = {  # (stype, comp.imp): (mean api00, SE)
    ("E", "No"): (662.83471074380168, 27.358813842630237),
    ("H", "No"): (611.88625592417065, 13.700660861557227),
    ("M", "No"): (588.38585858711201, 19.414447757994747),
    ("E", "Yes"): (674.42118464209921, 13.830241353541888),
    ("H", "Yes"): (665.62416107382546, 29.835529502716799),
    ("M", "Yes"): (677.20833333333326, 21.522836522895499),
}


@pytest.fixture(scope="module")
def raked():
    df = reference_data("apistrat")
    margins = pd.DataFrame({
        "stype": list("EEHHMM") * 2,
        "variable": ["sch.wide"] * 6 + ["awards"] * 6,
        "category": ["No", "Yes"] * 6,
        "count": [700, 3800, 250, 500, 300, 700, 1500, 3000, 450, 300, 450, 550],
    })
    d = si.make_design(df, weights="pw", strata="stype", fpc="fpc")
    return df, d.rake(margins, by="stype", tolerance=1e-13, max_iterations=500)


def test_domains_in_their_own_strata_match_r(raked):
    df, d = raked
    t = si.estimate_means(d, df[["api00", "api99"]], by="stype", method="taylor").table()
    for (stype, var), row in t.set_index(["stype", "variable"]).iterrows():
        mean00, mean99, se00, se99 = BY_STYPE[stype]
        mean, se = (mean00, se00) if var == "api00" else (mean99, se99)
        assert row["estimate"] == pytest.approx(mean, rel=1e-9)
        assert row["se"] == pytest.approx(se, rel=1e-8)


def test_domains_sharing_strata_match_r(raked):
    df, d = raked
    t = si.estimate_means(d, df[["api00"]], by=["stype", "comp.imp"], method="taylor").table()
    for _, row in t.iterrows():
        mean, se = BY_STYPE_COMP[(row["stype"], row["comp.imp"])]
        assert row["estimate"] == pytest.approx(mean, rel=1e-9)
        assert row["se"] == pytest.approx(se, rel=1e-8)


def test_joint_pass_equals_one_domain_at_a_time(raked):
    """The joint pass is a regrouping of the same sums: equal to the one-at-a-time path."""
    df, d = raked
    rng = np.random.default_rng(3)
    parts = []
    for s in ("E", "H", "M"):
        rows = np.flatnonzero((df["stype"] == s).to_numpy())
        parts.append((rows, rng.normal(size=(len(rows), 3))))
    joint = taylor_variances(d, parts)
    single = np.stack([taylor_variance(d, r, z) for r, z in parts])
    np.testing.assert_allclose(joint, single, rtol=1e-12)
    # Two domains in the same stratum cannot share the pass; they still come out right.
    e = parts[0][0]
    split = [(e[::2], parts[0][1][::2]), (e[1::2], parts[0][1][1::2])]
    np.testing.assert_allclose(taylor_variances(d, split),
                               np.stack([taylor_variance(d, r, z) for r, z in split]), rtol=1e-12)
