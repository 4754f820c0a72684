"""Column roles declared once, missing-answer kinds in or out of the base, required demographics,
margins by label (issue 20, items 2-6). Expected numbers are worked by hand in each test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import ProjectError, ResponseDataError, WeightingError
from surveyindex.index.scoring import score_dimensions
from surveyindex.instrument import Instrument


def _frame(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "resp_id": [f"r{i}" for i in range(n)], "sta": ["FRA"] * (n // 2) + ["NGA"] * (n - n // 2),
        "age": rng.integers(18, 80, n), "gender": rng.choice([1, 2], n),
        "education": rng.choice([1, 2, 3], n), "USA_fav": rng.choice([1, 2, 3, 4], n),
        "CHN_fav": rng.choice([1, 2, 3, 4, 8], n), "RUS_fav": rng.choice([1, 4, 9], n),
        "wgt": np.round(rng.uniform(0.5, 2, n), 3), "stratum": ["a", "b"] * (n // 2),
        "psu": np.arange(n) // 2, "note": "kept as it is"})


def test_roles_as_arguments_keep_design_and_other_columns():
    inst = si.load_instrument("favourability")
    df = _frame()
    r = si.read_responses(df, inst, roles={"country": "sta", "weight": "wgt", "psu": "psu",
                                           "strata": "stratum"})
    assert r.respondents["country"].tolist() == df["sta"].tolist()
    for c in ("wgt", "psu", "stratum", "note"):  # design columns and undeclared ones survive
        assert c in r.respondents.columns
    assert r.respondents["psu"].tolist() == df["psu"].tolist()
    assert r.instrument.layout.psu == "psu"  # the roles travel with the responses
    d = si.make_design(r, weights="wgt", psu="psu", strata="stratum")
    np.testing.assert_array_equal(d.weights, df["wgt"].to_numpy())
    assert d.steps[0]["strata"] == "stratum" and d.steps[0]["psu"] == "psu"


def test_roles_declared_in_the_layout(tmp_path):
    data = si.load_instrument("favourability").model_dump(by_alias=True)
    data["layout"].update(country="sta", weight="wgt", strata="stratum")
    inst = Instrument.model_validate(data)
    df = _frame()
    r = si.read_responses(df, inst)
    assert r.respondents["country"].tolist() == df["sta"].tolist()
    # A declared design column the file lacks is a missing column, named.
    with pytest.raises(ResponseDataError, match="stratum"):
        si.read_responses(df.drop(columns="stratum"), inst)


def test_unknown_role_is_an_error_listing_the_roles():
    with pytest.raises(ResponseDataError, match="roles are respondent_id, country, weight"):
        si.read_responses(_frame(), si.load_instrument("favourability"), roles={"cluster": "psu"})


def test_one_item_pattern_without_item_placeholder():
    data = si.load_instrument("favourability").model_dump(by_alias=True)
    data["layout"]["item_column"] = "opi_{target}"
    inst = Instrument.model_validate(data)
    df = _frame().rename(columns={f"{t}_fav": f"opi_{t}" for t in ("USA", "CHN", "RUS")})
    r = si.read_responses(df, inst, roles={"country": "sta"})
    np.testing.assert_array_equal(r.values[:, 0, 0], df["opi_USA"].to_numpy(float))
    two = si.load_instrument("softpower").model_dump(by_alias=True)
    two["layout"]["item_column"] = "opi_{target}"
    with pytest.raises(ValueError, match="must contain the placeholder"):
        Instrument.model_validate(two)


def test_missing_kinds_in_or_out_of_the_base():
    # Four respondents rate the US: very favourable (4), refused (9), don't know (8), 1.
    inst = si.load_instrument("favourability")
    df = _frame(4).assign(USA_fav=[4, 9, 8, 1], CHN_fav=[3, 3, 3, 3], RUS_fav=[2, 2, 2, 2])
    r = si.read_responses(df, inst, roles={"country": "sta"})

    def share(dk, ref):
        s = score_dimensions(r, scoring="top_box", dont_know=dk, refused=ref)[:, 0, 0]
        return np.nanmean(s)
    assert share("exclude", "exclude") == pytest.approx(1 / 2)   # 4 and 1 in the base
    assert share("include", "exclude") == pytest.approx(1 / 3)   # + don't know
    assert share("include", "include") == pytest.approx(1 / 4)   # + refused (Pew)
    assert share("exclude", "include") == pytest.approx(1 / 3)
    with pytest.raises(si.errors.EstimationError, match="refused='include'"):
        score_dimensions(r, scoring="mean", refused="include")


def test_refusals_only_respondent_kept_when_refused_in_base():
    data = si.load_instrument("favourability").model_dump(by_alias=True)
    df = _frame(4).assign(USA_fav=[4, 9, 2, 1], CHN_fav=[3, 9, 3, 3], RUS_fav=[2, 9, 2, 2])
    out = si.read_responses(df, Instrument.model_validate(data), roles={"country": "sta"})
    assert out.n == 3  # only refusals: no answer in the base
    data["scoring"]["refused_in_base"] = True
    kept = si.read_responses(df, Instrument.model_validate(data), roles={"country": "sta"})
    assert kept.n == 4


def test_not_required_demographic_may_be_missing_or_absent():
    data = si.load_instrument("favourability").model_dump(by_alias=True)
    data["weighting"]["margins"] = ["gender"]
    data["demographics"]["age"]["required"] = False
    data["demographics"]["education"]["required"] = False
    inst = Instrument.model_validate(data)
    df = _frame(6).astype({"age": object})
    df.loc[0, "age"] = None
    df.loc[1, "age"] = "unknown"
    r = si.read_responses(df.drop(columns="education"), inst, roles={"country": "sta"})
    assert r.n == 6 and np.isnan(r.respondents["age"][:2]).all()
    assert pd.isna(r.respondents["age_group"][0]) and r.respondents["education"].isna().all()
    warned = r.ledger.warnings
    assert warned.loc[warned["column"] == "age", "row"].tolist() == [2]  # 'unknown' is reported
    # A margin variable must be required: respondents missing it could not be raked.
    data["weighting"]["margins"] = ["age_group"]
    with pytest.raises(ValueError, match="is false but 'age_group' is a weighting margin"):
        Instrument.model_validate(data)


def test_margins_by_label_rake_as_by_code():
    inst = si.load_instrument("favourability")
    r = si.read_responses(_frame(40), inst, roles={"country": "sta"})
    d = si.make_design(r)
    codes = pd.DataFrame({"variable": ["gender"] * 2, "category": ["1", "2"],
                          "proportion": [0.4, 0.6]})
    labels = codes.assign(category=["MALE", "female"])
    a, b = d.rake(codes, by="country"), d.rake(labels, by="country")
    np.testing.assert_array_equal(a.weights, b.weights)
    for c in ("FRA", "NGA"):  # 60% women in each country after raking
        m = (r.respondents["country"] == c).to_numpy()
        women = m & (r.respondents["gender"] == "2").to_numpy()
        assert b.weights[women].sum() / b.weights[m].sum() == pytest.approx(0.6)
    with pytest.raises(WeightingError, match="category 'women' of gender matches no code or label"):
        d.rake(labels.assign(category=["men", "women"]), by="country")


def test_rake_error_counts_the_respondents_of_the_named_country():
    inst = si.load_instrument("favourability")
    df = _frame(40)
    r = si.read_responses(df, inst, roles={"country": "sta"})
    d = si.make_design(r)
    # Education 3 is left out of the margins: respondents with it in FRA and in the whole file.
    m = pd.DataFrame({"variable": ["education"] * 2, "category": ["1", "2"],
                      "proportion": [0.5, 0.5]})
    fra = int(((df["sta"] == "FRA") & (df["education"] == 3)).sum())
    total = int((df["education"] == 3).sum())
    assert 0 < fra < total
    with pytest.raises(WeightingError, match=rf"country FRA: .*\({fra} respondent\(s\) there "
                                             rf".*; {total} in the whole file\)"):
        d.rake(m, by="country")


def test_project_file_takes_columns_replicates_and_margins_none(tmp_path):
    df = _frame(40)
    df.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "p.yaml").write_text(
        "instrument: favourability\nresponses: r.csv\nmargins: none\n"
        "columns: {country: sta, weight: wgt, strata: stratum, psu: psu}\n"
        "replicates: {method: JKn}\nweighting: {trim: {upper: 1.8}}\n"
        "index: {dont_know: include, refused: include}\n")
    p = si.load_project(tmp_path / "p.yaml")
    assert p.margins is None and p.columns.roles()["country"] == "sta"
    res = si.run_project(p, write=False, progress=False)
    assert res.design.replicate_type == "JKn"
    assert res.design.n_replicates == df.groupby("stratum")["psu"].nunique().sum()
    assert res.design.weights.max() <= 1.8 + 1e-9
    assert abs(res.design.weights.sum() - df["wgt"].sum()) < 1e-9  # trimming keeps the total
    assert "trimmed" in res.methodology["Weighting"]
    (tmp_path / "bad.yaml").write_text("instrument: favourability\nresponses: r.csv\n"
                                       "margins: none\ncolumns: {cluster: psu}\n")
    with pytest.raises(ProjectError, match="line 4, columns.cluster: unknown key"):
        si.load_project(tmp_path / "bad.yaml")
    (tmp_path / "none.yaml").write_text("instrument: favourability\nresponses: r.csv\n")
    with pytest.raises(ProjectError, match="write 'margins: none'"):
        si.load_project(tmp_path / "none.yaml")
    assert issubclass(ProjectError, si.errors.SurveyIndexError)


def test_required_argument_keeps_respondents_missing_other_demographics(tmp_path):
    # The bundled favourability instrument on a file with only the country: age blank for some,
    # gender and education absent. Only the country is declared required.
    df = _frame(8).drop(columns=["gender", "education"]).astype({"age": object})
    df.loc[[0, 3], "age"] = None
    inst = si.load_instrument("favourability")
    with pytest.raises(ResponseDataError, match="gender"):
        si.read_responses(df, inst, roles={"country": "sta"})
    r = si.read_responses(df, inst, roles={"country": "sta"}, required=["country"])
    assert r.n == 8 and int(np.isnan(r.respondents["age"]).sum()) == 2
    with pytest.raises(ResponseDataError, match=r"\['sex'\] not demographics"):
        si.read_responses(df, inst, required=["country", "sex"])
    df.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "p.yaml").write_text("instrument: favourability\nresponses: r.csv\n"
                                     "margins: none\ncolumns: {country: sta, weight: wgt}\n"
                                     "required: [country]\nreplicates: {n: 5}\n"
                                     "index: {audiences: [all, outside_g20]}\n")
    res = si.run_project(tmp_path / "p.yaml", write=False, progress=False)
    assert res.responses.n == 8
