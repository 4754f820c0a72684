"""docs/coming-from-r.md, row by row: each row's Python code is run (after the page's setup
block) and compared with the value R gave for the row's R code.

The R code shown must be what R ran: every R statement of a row is looked up, verbatim up to
white space, among the calls stored in tests/reference/*.json (R 4.2.2, survey 4.1.1, psych
2.2.9, lavaan 0.6.14, COINr 1.1.14; the scripts are in tests/reference/). Each check names its JSON case.
A row without a check, or a check without a row, fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REFERENCE

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "coming-from-r.md"
_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def _ref(name):
    return json.loads((REFERENCE / name).read_text())


EST, NB = _ref("survey_estimators.json")["cases"], _ref("survey_notebook.json")["cases"]
RAKE, REP = _ref("survey_rake.json")["cases"], _ref("survey_replicates.json")["cases"]
ALPHA, INV = _ref("psych_alpha.json")["cases"], _ref("lavaan_invariance.json")["cases"]
COINR = _ref("coinr.json")  # COINr 1.1.14 on the same X as index_methods.json
REL = 1e-9


def _strings(obj):
    if isinstance(obj, str):
        yield " ".join(obj.split())
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


R_RAN = [s for p in REFERENCE.glob("*.json") for s in _strings(json.loads(p.read_text()))]


def _rows():
    rows = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.strip().strip("|").split(" | ")
        code = [[a or b for a, b in _CODE.findall(c)] for c in cells[:2]]
        rows.append((code[0], code[1]))
    return rows


def _setup() -> str:
    text = DOC.read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def _mean(case, var=None):
    def check(est):
        names = list(case["estimate"]) if isinstance(case["estimate"], dict) else [var]
        for name in names:
            col = name if name in est.variables else re.sub(r"^(stype)(\w)$", r"\1=\2", name)
            sub = est[col]
            assert float(sub) == pytest.approx(_val(case["estimate"], name), rel=1e-10)
            assert float(sub.se[0, 0]) == pytest.approx(_val(case["se"], name), rel=REL)
            if "deff" in case:
                assert float(sub.deff[0, 0]) == pytest.approx(_val(case["deff"], name), rel=REL)
    return check


def _val(x, name):
    return x[name] if isinstance(x, dict) else x


def _by(case, by):
    def check(est):
        t = est.table()
        for _, row in t.iterrows():
            key = (row[by] if "=" not in row["variable"]
                   else f"{row[by]}:stype{row['variable'].split('=')[1]}")
            assert row["estimate"] == pytest.approx(case["estimate"][key], rel=1e-12)
            assert row["se"] == pytest.approx(case["se"][key], rel=REL)
        assert len(t) == len(case["estimate"])
    return check


def _close(expected, rtol=1e-12):
    def check(value):
        np.testing.assert_allclose(np.asarray(value, float), np.asarray(expected, float),
                                   rtol=rtol)
    return check


def _coinr(name):
    v = COINR["values"][name]
    return np.array(v["data"] if isinstance(v, dict) else v, float)


def _ciprop(est):
    ref = NB["svyciprop_stypeE_dclus1"]
    row = est.table().iloc[0]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-9)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx(ref["ci"], rel=1e-9)
    assert row["df"] == ref["df"]


def _quantiles(est):
    ref = EST["svyquantile_api00_dclus1"]
    t = est.table()
    for col, r in (("estimate", "estimate"), ("ci_low", "ci_lower"), ("ci_high", "ci_upper"),
                   ("se", "se")):
        np.testing.assert_allclose(t[col], ref[r], rtol=1e-9)


def _contrast(t):
    ref = EST["svycontrast_EminusH_dclus1"]
    assert t["estimate"].iloc[0] == pytest.approx(ref["estimate"], rel=1e-12)
    assert t["se"].iloc[0] == pytest.approx(ref["se"], rel=REL)


def _confint(ci):
    ref = NB["confint_mean_api00_dclus1_degf"]
    assert [ci[0][0, 0], ci[1][0, 0]] == pytest.approx(
        [ref["ci_low"]["api00"], ref["ci_high"]["api00"]], rel=1e-12)


def _alpha(res):
    ref = ALPHA["agree_A1rev"]
    assert [res.alpha, res.alpha_std, res.average_r] == pytest.approx(
        [ref["total"]["raw_alpha"], ref["total"]["std.alpha"], ref["total"]["average_r"]],
        rel=1e-9)
    assert [res.ci_low, res.ci_high] == pytest.approx(
        [ref["feldt"]["lower.ci"], ref["feldt"]["upper.ci"]], rel=1e-9)


def _cfa(case):
    def check(fit):
        ref = INV[case]["fitMeasures"]
        for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr"):
            assert fit.fit[k] == pytest.approx(ref[k], rel=1e-5, abs=1e-8), k
    return check


CHECKS = {
    'si.estimate_means(dstrat, "api00")': _mean(EST["svymean_api00_dstrat"]),
    'si.estimate_means(dclus2, "api00")': _mean(EST["svymean_api00_dclus2"]),
    'si.estimate_means(dclus1, "api00")': _mean(EST["svymean_api00_dclus1"]),
    'si.estimate_means(dclus1, "stype")': _mean(NB["svymean_stype_dclus1"]),
    'si.estimate_means(dn, "api00")': _mean(NB["svymean_api00_dn_replace"]),
    'si.estimate_means(dclus1, "api00", df="design").confint()': _confint,
    "si.degrees_of_freedom(dclus1)": _close(EST["dclus1_degf"]["value"]),
    'si.estimate_totals(dclus1, "enroll")': _mean(EST["svytotal_enroll_dclus1"]),
    'si.estimate_totals(dclus1, "stype")': _mean(NB["svytotal_stype_dclus1"]),
    'si.estimate_means(dclus1, "api00", by="stype")': _by(EST["svyby_api00_stype_dclus1"],
                                                          "stype"),
    'si.estimate_means(dclus1, "stype", by="awards")': _by(NB["svyby_stype_by_awards_dclus1"],
                                                           "awards"),
    'si.estimate_ratios(dclus1, "api00", "api99")': lambda e: _close(
        [EST["svyratio_api00_api99_dclus1"]["ratio"], EST["svyratio_api00_api99_dclus1"]["se"]],
        1e-9)([float(e), e.se[0, 0]]),
    'si.estimate_proportions(dclus1, "stype", level=0.9)["stype=E"]': _ciprop,
    'si.estimate_quantiles(dclus1, "api00", probs=[0.25, 0.5, 0.75])': _quantiles,
    'si.domain_contrast(dclus1, "api00", "stype", {"E": 1, "H": -1})': _contrast,
    'si.estimate_means(dclus1.rake(margins, by=None, tolerance=1e-13, max_iterations=500), '
    '"api00")': _mean(RAKE["rake_tight"]["svymean_api00"], "api00"),
    'si.estimate_means(dclus1.poststratify(pd.DataFrame({"stype": ["E", "H", "M"], "Freq": '
    '[4421, 755, 1018]})), "api00")': _mean(EST["postStratify_stype_dclus1"], "api00"),
    'si.estimate_means(dclus1g, "api00")': _mean(EST["calibrate_linear_greg_dclus1"], "api00"),
    'si.estimate_means(dclus1g.trim(lower=20, upper=45), ["api99", "api00", "stype"])':
        _mean(EST["trimWeights_docexample"]),
    'si.estimate_means(dclus1.with_replicates("JK1"), "api00")':
        _mean(REP["JK1_dclus1"]["svymean_api00"], "api00"),
    'si.estimate.adjust_pvalues([0.01, 0.04, 0.03], "holm")': _close(NB["p_adjust_holm"]["value"]),
    'si.cronbach_alpha(bfi[["A1", "A2", "A3", "A4", "A5"]].assign(A1=7 - bfi["A1"]))': _alpha,
    'si.reliability.fit_cfa(HS, m3, group="school", equal=("loadings",))': _cfa("metric"),
    'si.reliability.fit_cfa(HS, m3, group="school", equal=("loadings", "intercepts"))': _cfa("scalar"),
    'si.index.normalise(X[:, None, :, None], "minmax")[:, 0, :, 0]': _close(_coinr("minmax")),
    'si.index.normalise(X[:, None, :, None], "zscore")[:, 0, :, 0]': _close(_coinr("zscore")),
    'si.index.normalise(X[:, None, :, None], "rank")[:, 0, :, 0]': _close(_coinr("rank")),
    'si.index.normalise(X[:, None, :, None], "goalposts", bounds=(1.5, 4.5))[:, 0, :, 0]':
        _close(_coinr("goalposts")),
    'si.index.aggregate(X[:, :, None], v, "arithmetic")[:, 0]': _close(_coinr("arithmetic")),
    'si.index.aggregate(X[:, :, None], v, "geometric")[:, 0]': _close(_coinr("geometric")),
    'si.index.aggregate(X[:, :, None], v, "generalised", power=2)[:, 0]':
        _close(_coinr("generalised_p2")),
    'si.index.aggregate(X[:, :, None], v, "generalised", power=-1)[:, 0]':
        _close(_coinr("harmonic")),
}


@pytest.fixture(scope="module")
def namespace():
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        ns: dict = {}
        exec(_setup(), ns)
    finally:
        os.chdir(cwd)
    return ns


def test_every_row_has_a_check_and_every_check_a_row():
    assert sorted(py[-1] for _, py in _rows()) == sorted(CHECKS)


def test_the_r_code_shown_is_the_r_code_that_ran():
    for r_code, _ in _rows():
        for statement in r_code:
            s = " ".join(statement.split())
            assert any(s in ran for ran in R_RAN), f"R code not among the pinned calls: {s}"


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row[1][-1][:60])
def test_row_runs_and_matches_r(namespace, row):
    _, py = row
    for statement in py[:-1]:
        exec(statement, namespace)
    CHECKS[py[-1]](eval(py[-1], namespace))
