"""The bundled real-layout examples (examples/real-files/) run as they are, from the API and the CLI,
and give the figures computed by hand from the raw file with pandas (independent of the reader,
the scoring and the estimator).

Pew-style: weighted % favourable = sum(wgt * [Very/Somewhat favorable]) / sum(wgt * [any answer,
DK and Refused included]) per country and target. Kobo: the same with the raked weights the CLI
writes, which must meet the margins (given by label). ODK: unweighted mean code per country with
the stratified jackknife. SPSS: weighted % favourable with 8/9 (declared user-missing) in the base.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import surveyindex as si
from surveyindex.cli import main

EX = Path(__file__).resolve().parents[1] / "examples" / "real-files"
FAVOURABLE = {"very favorable", "somewhat favorable"}


def _project(name: str, tmp_path: Path, outputs: dict) -> Path:
    """The example's project file with absolute inputs and outputs under tmp_path."""
    spec = yaml.safe_load((EX / name / "project.yaml").read_text())
    for key in ("responses", "margins", "instrument"):
        value = str(spec.get(key))
        if (EX / name / value).exists():
            spec[key] = str(EX / name / value)
    spec["outputs"] = {k: str(tmp_path / v) for k, v in outputs.items()}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _hand_share(raw: pd.DataFrame, country: str, item: str, weight: str) -> pd.Series:
    """Weighted % favourable by hand: every non-blank answer in the base."""
    text = raw[item].fillna("").astype(str).str.strip().str.casefold()
    asked = text != ""
    fav = text.isin(FAVOURABLE)
    w = raw[weight].astype(float)
    g = raw[country]
    share = 100 * (w * fav).groupby(g).sum() / (w * asked).groupby(g).sum()
    return share[asked.groupby(g).any()]  # a country never asked has no share


def _scores(res, audience="all") -> pd.Series:
    d = res.index.dimensions
    d = d[d["audience"] == audience]
    return d.set_index(["country", "target"])["score"]


def test_pew_style_file_from_the_api():
    raw = pd.read_csv(EX / "pew" / "pew_style.csv", dtype=str, keep_default_na=False)
    res = si.run_project(EX / "pew" / "project.yaml", write=False, replicates=20, progress=False)
    # Every respondent kept, those with a missing age too (age is not required).
    assert (raw["age"] == "").sum() > 10 and res.responses.n == len(raw)
    got = _scores(res)
    for t in ("USA", "CHN"):
        hand = _hand_share(raw, "sta", f"fav_{t}", "wgt")
        np.testing.assert_allclose(got.xs(t, level="target")[hand.index], hand, rtol=1e-12)
    # Not asked in BRA about China: no estimate, rather than a 0% or a 100%.
    assert ("BRA", "CHN") not in got.index
    # The headline pools countries by the median, as Pew reports; self-ratings left out by the
    # audience outside the US and China.
    pooled = res.index.pooled.set_index(["target", "audience", "measure"])["score"]
    assert pooled[("USA", "all", "favourability")] == pytest.approx(
        np.median(got.xs("USA", level="target")), rel=1e-12)
    assert "USA" not in _scores(res, "not_usa_chn").index.get_level_values("country")
    # Design columns keep their names: make_design finds the PSUs and the final weight.
    d = si.make_design(res.responses, weights="wgt", psu="psu", strata="country")
    assert d.n == len(raw) and np.allclose(d.weights, raw["wgt"].astype(float))
    # ... and filters can use them: a domain of PSUs 1-5, its base counted by hand.
    sub = si.compute_index(res.design, ["all"], filters={"psu_1_5": "psu <= 5"})
    dims = sub.dimensions[(sub.dimensions["audience"] == "psu_1_5")
                          & (sub.dimensions["target"] == "USA")].set_index("country")["n"]
    low = raw[raw["psu"].astype(int) <= 5]
    hand_n = (low["fav_USA"] != "").groupby(low["sta"]).sum()
    assert dims.to_dict() == hand_n[hand_n > 0].to_dict()
    assert "don't know and refused kept in the base" in res.methodology["Scoring"]
    assert res.methodology["Weighting"].startswith("none: the file's weights (wgt)")


def test_pew_style_file_from_the_cli(tmp_path, capsys):
    project = _project("pew", tmp_path, {"tables": "tables"})
    assert main(["run", str(project), "--replicates", "10"]) == 0
    table = pd.read_csv(tmp_path / "tables" / "dimensions.csv")
    table = table[table["audience"] == "all"].set_index(["country", "target"])["score"]
    raw = pd.read_csv(EX / "pew" / "pew_style.csv", dtype=str, keep_default_na=False)
    hand = _hand_share(raw, "sta", "fav_USA", "wgt")
    np.testing.assert_allclose(table.xs("USA", level="target")[hand.index], hand, rtol=1e-9)


def test_kobo_export_with_margins_by_label_from_the_cli(tmp_path):
    project = _project("kobo", tmp_path, {"tables": "tables", "weights": "weights.csv"})
    assert main(["run", str(project), "--replicates", "10"]) == 0
    raw = pd.read_csv(EX / "kobo" / "kobo_export.csv", sep=";", dtype=str)
    w = pd.read_csv(tmp_path / "weights.csv", dtype={"resp_id": str})
    assert len(w) == len(raw)
    data = raw.merge(w[["resp_id", "weight"]], on="resp_id")
    # The raked weights meet the margins, named by label in margins.csv (female = code 2).
    for _, part in data.groupby("country"):
        share = part.loc[part["gender"] == "2", "weight"].sum() / part["weight"].sum()
        assert share == pytest.approx(0.51, abs=1e-6)
    labels = {"1": "very unfavorable", "2": "x", "3": "somewhat favorable", "4": "very favorable",
              "8": "dk", "9": ""}  # the instrument keeps DK in the base, not refusals
    data["fav"] = data["target_CHN/CHN_fav"].map(labels)
    hand = _hand_share(data, "country", "fav", "weight")
    table = pd.read_csv(tmp_path / "tables" / "dimensions.csv")
    table = table[(table["audience"] == "all") & (table["target"] == "CHN")]
    np.testing.assert_allclose(table.set_index("country")["score"][hand.index], hand, rtol=1e-6)


def test_odk_central_export_with_file_strata_and_psus():
    raw = pd.read_csv(EX / "odk" / "submissions.csv", dtype=str)
    res = si.run_project(EX / "odk" / "project.yaml", write=False, progress=False)
    assert res.design.replicate_type == "JKn" and res.responses.n == len(raw)
    assert res.design.n_replicates == raw["psu"].nunique()  # JKn: one replicate per PSU
    assert {"SubmissionDate", "KEY", "ReviewState", "stratum", "psu"} <= set(res.responses.respondents)
    x = pd.to_numeric(raw["target_USA-USA_mor1"], errors="coerce")
    hand = x.where(x.between(1, 5)).groupby(raw["country"]).mean()
    items = res.index.items
    got = items[(items["audience"] == "all") & (items["item"] == "mor1")
                & (items["target"] == "USA")].set_index("country")["mean"]
    np.testing.assert_allclose(got[hand.index], hand, rtol=1e-12)


def test_spss_file_with_user_missing_codes_from_api_and_cli(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    raw, meta = pyreadstat.read_sav(EX / "spss" / "favourability.sav", user_missing=True)
    assert meta.missing_ranges["USA_fav"]  # 8 and 9 are declared missing in the file
    names = meta.variable_value_labels["USA_fav"]
    raw["USA_text"] = raw["USA_fav"].map(names)
    hand = _hand_share(raw, "country", "USA_text", "wt")
    res = si.run_project(EX / "spss" / "project.yaml", write=False, replicates=10, progress=False)
    got = _scores(res).xs("USA", level="target")
    np.testing.assert_allclose(got[hand.index], hand, rtol=1e-12)
    project = _project("spss", tmp_path, {"tables": "tables"})
    assert main(["run", str(project), "--replicates", "10"]) == 0
    table = pd.read_csv(tmp_path / "tables" / "dimensions.csv")
    table = table[(table["audience"] == "all") & (table["target"] == "USA")]
    np.testing.assert_allclose(table.set_index("country")["score"][hand.index], hand, rtol=1e-9)


def test_validate_and_weight_commands_without_margins(tmp_path, capsys):
    project = _project("pew", tmp_path, {"weights": "w.csv"})
    assert main(["validate", str(project)]) == 0
    assert "margins     none: the file's weights are used as they are (wgt)" in capsys.readouterr().out
    assert main(["weight", str(project)]) == 0
    w = pd.read_csv(tmp_path / "w.csv")
    raw = pd.read_csv(EX / "pew" / "pew_style.csv")
    np.testing.assert_allclose(w["weight"], raw["wgt"])  # final weights written back unchanged


# Country names instead of ISO codes (Pew's `sta` as text, a labelled SPSS country variable):
# the reference is the same file with ISO codes, read as it is.
def _pew_with_country_names(tmp_path):
    import pycountry

    inst = si.load_instrument(EX / "pew" / "instrument.yaml")
    frame = pd.read_csv(EX / "pew" / "pew_style.csv")
    names = {c: pycountry.countries.get(alpha_3=c).name for c in frame["sta"].unique()}
    as_text = tmp_path / "pew_names.csv"
    frame.assign(sta=frame["sta"].map(names)).to_csv(as_text, index=False)
    return inst, frame, names, as_text


def test_country_names_are_excluded_by_default_with_a_warning_saying_how_to_read_them(tmp_path):
    inst, frame, names, as_text = _pew_with_country_names(tmp_path)
    with pytest.warns(UserWarning, match=r"650 rows have country names .*country_names='codes'"):
        with pytest.raises(si.errors.ResponseDataError) as err:
            si.read_responses(as_text, inst)
    report = err.value.report
    assert (report["problem"] == "country not an ISO 3166 alpha-3 code").all()
    assert report["expected"].str.contains("country_names='codes' reads a country name").all()


def test_country_names_read_as_codes_equal_the_iso_coded_file(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    inst, frame, names, as_text = _pew_with_country_names(tmp_path)
    reference = si.read_responses(EX / "pew" / "pew_style.csv", inst)
    numbers = {c: i + 1 for i, c in enumerate(sorted(names))}
    sav = tmp_path / "pew.sav"
    pyreadstat.write_sav(frame.assign(sta=frame["sta"].map(numbers)), str(sav),
                         variable_value_labels={"sta": {i: names[c] for c, i in numbers.items()}})
    for path in (as_text, sav):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            resp = si.read_responses(path, inst, country_names="codes")
        said = [str(w.message) for w in got if "ISO 3166 code" in str(w.message)]
        assert len(said) == len(names) and any("code USA (150 rows)" in m for m in said)
        assert resp.ledger.rows_kept == reference.ledger.rows_kept == len(frame)
        np.testing.assert_array_equal(resp.values, reference.values)
        assert (resp.respondents["country"].to_numpy()
                == reference.respondents["country"].to_numpy()).all()
        notes = resp.ledger.report().query("action == 'note' and column == 'country'")
        assert sorted(notes["problem"].str.extract(r"code (\w+) \((\d+) rows")[0]) == sorted(names)
        counts = notes["problem"].str.extract(r"\((\d+) rows")[0].astype(int)
        assert counts.sum() == len(frame)


def test_project_file_reads_country_names(tmp_path, capsys):
    inst, frame, names, as_text = _pew_with_country_names(tmp_path)
    path = _project("pew", tmp_path, {"workbook": "pew.xlsx"})
    spec = yaml.safe_load(path.read_text())
    spec["responses"] = str(as_text)
    spec["reading"] = {**spec.get("reading", {}), "country_names": "codes"}
    path.write_text(yaml.safe_dump(spec))
    assert main(["run", str(path), "--replicates", "5", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "surveyindex: warning: " in err and "read as the ISO 3166 code USA (150 rows)" in err
    spec["reading"]["country_names"] = "names"
    path.write_text(yaml.safe_dump(spec))
    assert main(["validate", str(path)]) == 1
    assert "country_names" in capsys.readouterr().err
