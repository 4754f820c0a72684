"""Schema extensions: translations, item weights, planned missingness, scoring settings,
audience combinations; the new bundled instruments; errors that name the key and line."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

import surveyindex as si
from surveyindex._resources import bundled_dir
from surveyindex.errors import InstrumentError
from surveyindex.instrument import audience_mask, bundled_instruments, translation_gaps


def _write(tmp_path, name="softpower", edit=lambda d: None):
    data = yaml.safe_load((bundled_dir("instruments") / f"{name}.yaml").read_text())
    edit(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def test_bundled_instruments_load():
    assert {"softpower", "favourability", "nationbrand"} <= set(bundled_instruments())
    for name in bundled_instruments():
        inst = si.load_instrument(name)
        assert inst.id == name and inst.version


def test_pew_style_instrument():
    inst = si.load_instrument("favourability")
    scale = inst.scales["fav4"]
    assert [scale.labels[c] for c in (1, 2, 3, 4)] == [
        "Very unfavorable", "Somewhat unfavorable", "Somewhat favorable", "Very favorable"]
    assert scale.missing == {8: "Don't know", 9: "Refused"}
    assert [len(d.items) for d in inst.dimensions] == [1]
    s = inst.scoring
    assert (s.method, s.top_box, s.dont_know_in_base) == ("top_box", [3, 4], True)
    assert inst.index.cross_country == "median"
    assert inst.languages == ["en", "es", "fr"] and translation_gaps(inst) == []


def test_nation_brand_instrument():
    inst = si.load_instrument("nationbrand")
    assert len(inst.targets) == 20 and inst.targets_per_respondent == inst.targets_rated == 5
    assert len(inst.dimensions) == 6
    scale = inst.scales[inst.dimensions[0].scale]
    assert (scale.min, scale.max) == (1, 7)
    assert inst.targets_rated == 5 and si.load_instrument("softpower").targets_rated == 2


def test_item_weights_normalise_within_the_dimension(tmp_path):
    def edit(d):
        d["dimensions"][0]["items"][0]["weight"] = 2
        d["dimensions"][0]["items"][1]["weight"] = 2
    inst = si.load_instrument(_write(tmp_path, edit=edit))
    # Weights 2, 2, 1, 1 (unset counts 1) over a total of 6.
    assert inst.item_weights("morality") == pytest.approx(
        {"mor1": 1 / 3, "mor2": 1 / 3, "mor3": 1 / 6, "mor4": 1 / 6})
    with pytest.raises(KeyError, match="no dimension 'trust'"):
        inst.item_weights("trust")


def _frame():
    return pd.DataFrame({
        "country": ["BRA", "BRA", "NGA", "USA", "KEN", "BRA"],
        "age": [20, 40, 25, 60, 70, np.nan],
        "education": ["3", "1", "3", "2", "1", "3"],
    })


def test_audience_combinations_by_hand():
    inst = si.load_instrument("favourability")
    df = _frame()
    # under_30 = age <= 29 (a missing age is outside); post_secondary = education 3.
    assert audience_mask(inst, df, "under_30").tolist() == [True, False, True, False, False, False]
    assert audience_mask(inst, df, "post_secondary").tolist() == [True, False, True, False, False,
                                                                  True]
    assert audience_mask(inst, df, "young_or_educated").tolist() == [True, False, True, False,
                                                                     False, True]
    # NGA and KEN are outside the G20.
    assert audience_mask(inst, df, "outside_g20").tolist() == [False, False, True, False, True,
                                                               False]
    # Codes given as numbers match codes read as text.
    df["education"] = [3, 1, 3, 2, 1, 3.0]
    assert audience_mask(inst, df, "post_secondary").sum() == 3


def test_all_of_intersects():
    inst = si.load_instrument("nationbrand")
    df = pd.DataFrame({"country": "BRA", "age": [20, 20, 50, 50], "education": [4, 1, 4, 1]})
    assert audience_mask(inst, df, "educated_young_adults").tolist() == [True, False, False, False]


@pytest.mark.parametrize("edit, key, expected", [
    (lambda d: d["audiences"]["g20_youth"]["filter"].update(education={"in": [5]}),
     "audiences.g20_youth.filter.education.in", "[5], not among the values of 'education'"),
    (lambda d: d["audiences"]["g20_youth"]["filter"].update(country={"not_in": "G7"}),
     "audiences.g20_youth.filter.country.not_in", "names group 'G7'"),
    (lambda d: d["audiences"].update(x={"label": "x", "any_of": ["nobody"]}),
     "audiences.x.any_of", "['nobody'], not defined audiences"),
    (lambda d: d["audiences"].update(a={"label": "a", "all_of": ["b"]},
                                     b={"label": "b", "any_of": ["a"]}),
     "audiences.a", "circle: a -> b -> a"),
    (lambda d: d.update(targets_per_respondent=3), "targets_per_respondent",
     "is 3 but there are only 2 targets"),
    (lambda d: d.update(targets_per_respondent=0), "targets_per_respondent",
     "greater than or equal to 1"),
    (lambda d: d["scoring"].update(method="top_box"), "scoring", "needs `top_box` codes"),
    (lambda d: d["scoring"].update(method="net", top_box=[4, 5]), "scoring",
     "needs `bottom_box` codes"),
    (lambda d: d["scoring"].update(method="top_box", top_box=[5, 6]), "scoring.top_box",
     "codes [6] are outside the scale 'agree5'"),
    (lambda d: d["scoring"].update(method="sum"), "scoring.method", "'mean', 'top_box' or 'net'"),
    (lambda d: d["dimensions"][0]["items"][0].update(weight=-1), "dimensions[0].items[0].weight",
     "greater than 0"),
    (lambda d: d["dimensions"][0]["items"][0].update(translations={"es": "Sin marcador."}),
     "dimensions[0].items[0].translations.es", "{target} placeholder"),
    (lambda d: d["dimensions"][0]["items"][0].update(translations={"Spanish": "{target} x"}),
     "dimensions[0].items[0].translations", "not language codes"),
    (lambda d: d["scales"]["agree5"].update(translations={"es": {7: "Siete"}}), "scales.agree5",
     "codes [7], which have no label"),
    (lambda d: d["demographics"]["gender"].update(translations={"es": {"codes": {3: "Otro"}}}),
     "demographics.gender", "labels [3], not among `codes`"),
    (lambda d: d["weighting"]["margins"].append("income"), "weighting.margins[4]",
     "'income', which is not a demographic"),
])
def test_broken_extensions_name_key_and_line(tmp_path, edit, key, expected):
    path = _write(tmp_path, edit=edit)
    with pytest.raises(InstrumentError) as err:
        si.load_instrument(path)
    msg = str(err.value)
    assert str(path) in msg and key in msg and expected in msg, msg
    assert re.search(r"line \d+", msg), msg


def test_cross_reference_error_points_at_the_line(tmp_path):
    path = _write(tmp_path, edit=lambda d: d["dimensions"][3].update(scale="agree7"))
    msg = str(pytest.raises(InstrumentError, si.load_instrument, path).value)
    assert "dimensions[3].scale: dimension 'technology' uses scale 'agree7'" in msg
    line = int(re.search(r"line (\d+)", msg).group(1))
    assert path.read_text().splitlines()[line - 1].strip() == "scale: agree7"


def _simulate(inst, n, countries, seed):
    """Random answers in the instrument's layout; unrated targets left blank."""
    rng = np.random.default_rng(seed)
    cols = {"resp_id": np.arange(n), "country": rng.choice(countries, n),
            "age": rng.integers(18, 90, n), "gender": rng.integers(1, 3, n),
            "education": rng.integers(1, len(inst.demographics["education"].codes) + 1, n)}
    rated = np.argsort(rng.random((n, len(inst.targets))), axis=1) < inst.targets_rated
    for t, target in enumerate(inst.target_codes):
        for item, scale in [(it.id, d.scale) for d, it in inst.items()] + \
                           [(s.id, s.scale) for s in inst.single_items]:
            sc = inst.scales[scale]
            v = rng.choice(sc.codes, n).astype(float)
            cols[inst.column(target, item)] = np.where(rated[:, t], v, np.nan)
    return pd.DataFrame(cols), rated


@pytest.mark.parametrize("name", ["nationbrand", "favourability"])
def test_new_instruments_run_through_the_pipeline(name):
    inst = si.load_instrument(name)
    df, rated = _simulate(inst, 400, ["BRA", "NGA", "JPN"], seed=3)
    resp = si.read_responses(df, inst)
    led = resp.ledger
    # Only respondents who said don't know or refused to everything are excluded.
    assert led.rows_in == 400 == led.rows_kept + led.rows_excluded and led.rows_kept > 350
    # Planned missingness arrives as blanks: each respondent has answers for exactly k targets.
    kept = resp.respondents["resp_id"].astype(int).to_numpy()
    answered = (resp.missing_kind != 1).any(axis=2)
    assert (answered == rated[kept]).all() and (answered.sum(axis=1) == inst.targets_rated).all()
    design = si.make_design(resp).with_replicates("bootstrap", n=10, seed=1)
    result = si.compute_index(design)
    comp = result.composite
    assert set(comp["target"]) == set(inst.target_codes)
    assert set(comp["audience"]) == {"all", *inst.audiences}
    assert comp.loc[comp["audience"] == "all", "score"].notna().all()


def test_instrument_scoring_settings_drive_the_index():
    """favourability.yaml declares top box [3, 4] with don't know kept in the base (Pew's
    "% favourable"). By hand, unweighted: share of answers 3-4 among answers 1-4 and don't know
    (8); refusals (9) and blanks are out of the base. The 0-100 score is 100 x that share."""
    inst = si.load_instrument("favourability")
    df, _ = _simulate(inst, 600, ["BRA", "JPN"], seed=4)
    design = si.make_design(si.read_responses(df, inst)).with_replicates("bootstrap", n=10, seed=1)
    dims = si.compute_index(design, audiences=["all"]).dimensions
    target, item = inst.target_codes[0], inst.dimensions[0].items[0].id
    for country in ["BRA", "JPN"]:
        x = df.loc[df["country"] == country, inst.column(target, item)]
        base = x.isin([1, 2, 3, 4, 8])
        want = 100 * x[base].isin([3, 4]).mean()
        got = dims.query("country == @country and target == @target")["score"].iloc[0]
        assert got == pytest.approx(want, rel=1e-12)
    assert si.compute_index(design, audiences=["all"], dont_know="exclude").dimensions.query(
        "country == 'BRA' and target == @target")["score"].iloc[0] != pytest.approx(
        dims.query("country == 'BRA' and target == @target")["score"].iloc[0])
