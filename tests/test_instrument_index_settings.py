"""The instrument's index settings (aggregation, power, weight method, n_factors, driver outcome)
are validated with errors naming the file, line, key and allowed values, and are compute_index's
defaults; hand computations of one cell check that they take effect."""

from __future__ import annotations

import re

import numpy as np
import pytest

import surveyindex as si
from surveyindex._resources import bundled_dir
from surveyindex.errors import InstrumentError

COUNTRIES = ["BRA", "DEU", "IND", "JPN", "ZAF"]
BUNDLED = (bundled_dir("instruments") / "softpower.yaml").read_text(encoding="utf-8")


def _variant(tmp_path, index_lines: str, name: str = "variant.yaml"):
    """softpower.yaml with its ``aggregation: arithmetic`` line replaced by ``index_lines``."""
    assert "  aggregation: arithmetic\n" in BUNDLED
    path = tmp_path / name
    path.write_text(BUNDLED.replace("  aggregation: arithmetic\n", index_lines), encoding="utf-8")
    return path


def _line_of(path, key: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip().startswith(f"{key}:"))


@pytest.fixture(scope="module")
def sim():
    return si.simulate_softpower(n_per_country=250, countries=COUNTRIES, seed=5, problems=False)


def _design(sim, inst):
    resp = si.read_responses(sim.responses, inst)
    return si.make_design(resp).with_replicates("bootstrap", n=12, seed=2).rake(sim.margins)


def _cell(res, country="BRA", target="USA"):
    """Dimension scores (instrument order) and composite of one country x target cell."""
    dims = res.dimensions.query("country == @country and target == @target and audience == 'all'")
    scores = dims.set_index("dimension").loc[res.settings["dimensions"], "score"].to_numpy()
    comp = res.composite.query("country == @country and target == @target and audience == 'all'")
    return scores, float(comp["score"].iloc[0])


# -- the settings take effect -------------------------------------------------------------------

def test_geometric_aggregation_in_the_instrument_changes_the_composite(tmp_path, sim):
    geo_inst = si.load_instrument(_variant(tmp_path, "  aggregation: geometric\n"))
    assert geo_inst.index.aggregation == "geometric"
    base = si.compute_index(_design(sim, si.load_instrument("softpower")), audiences=["all"])
    geo = si.compute_index(_design(sim, geo_inst), audiences=["all"])
    assert geo.settings["aggregation"] == "geometric" and base.settings["aggregation"] == "arithmetic"
    s, arith = _cell(base)
    s_geo, g = _cell(geo)
    np.testing.assert_allclose(s_geo, s, rtol=1e-12)             # same dimension scores
    # Equal weights (the instrument's): arithmetic mean and geometric mean of the five scores.
    assert arith == pytest.approx(s.sum() / 5, rel=1e-12)
    assert g == pytest.approx(float(np.prod(s ** (1 / 5))), rel=1e-12)
    assert g < arith                                             # AM-GM, scores not all equal
    # An explicit option still overrides the instrument.
    back = si.compute_index(_design(sim, geo_inst), audiences=["all"], aggregation="arithmetic")
    assert _cell(back)[1] == pytest.approx(arith, rel=1e-12)


def test_generalised_mean_with_the_instruments_power(tmp_path, sim):
    inst = si.load_instrument(_variant(tmp_path, "  aggregation: generalised\n  power: 2\n"))
    res = si.compute_index(_design(sim, inst), audiences=["all"])
    assert res.settings["aggregation"] == "generalised" and res.settings["power"] == 2
    s, c = _cell(res, "JPN", "CHN")
    assert c == pytest.approx(float(np.sqrt((s**2).mean())), rel=1e-12)   # (sum w s^2)^(1/2)


def test_weight_method_and_n_factors_in_the_instrument(tmp_path, sim):
    inst = si.load_instrument(_rewrite(tmp_path, "dimension_weights: factor", "  n_factors: 2\n"))
    assert inst.index.dimension_weights == "factor" and inst.index.n_factors == 2
    res = si.compute_index(_design(sim, inst), audiences=["all"])
    assert res.settings["weights_method"] == "factor" and res.settings["n_factors"] == 2
    assert len(res.factors) == 2 and (res.weights["se"] > 0).all()
    s, c = _cell(res)
    assert c == pytest.approx(float(s @ res.weights["weight"].to_numpy()), rel=1e-12)
    # weights="instrument" resolves to the instrument's method; an explicit method overrides it.
    same = si.compute_index(_design(sim, inst), audiences=["all"], weights="instrument")
    np.testing.assert_allclose(same.weights["weight"], res.weights["weight"], rtol=1e-12)
    eq = si.compute_index(_design(sim, inst), audiences=["all"], weights="equal")
    assert eq.settings["weights_method"] == "equal" and eq.factors.empty
    with pytest.raises(ValueError, match="derived from the data"):
        inst.dimension_weight_vector()
    drv = si.load_instrument(_rewrite(tmp_path, "dimension_weights: driver"))
    res = si.compute_index(_design(sim, drv), audiences=["all"])
    assert res.settings["weights_method"] == "driver"
    assert "regression of 'fav'" in res.weights["derivation"].iloc[0]


def _rewrite(tmp_path, weights_line: str, extra: str = ""):
    path = tmp_path / "weights.yaml"
    text = BUNDLED.replace("dimension_weights: equal", weights_line)
    path.write_text(text.replace("  aggregation: arithmetic\n", "  aggregation: arithmetic\n" + extra),
                    encoding="utf-8")
    return path


# -- errors -------------------------------------------------------------------------------------

def test_bad_aggregation_names_the_key_line_and_allowed_values(tmp_path):
    path = _variant(tmp_path, "  aggregation: harmonic\n")
    with pytest.raises(InstrumentError) as exc:
        si.load_instrument(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert f"line {_line_of(path, 'aggregation')}, index.aggregation:" in msg
    assert "'arithmetic', 'geometric' or 'generalised'" in msg and "(got 'harmonic')" in msg


@pytest.mark.parametrize(("weights_line", "extra", "key", "expected"), [
    ("dimension_weights: magic", "", "index.dimension_weights",
     "must be one of 'equal', 'pca', 'factor', 'driver' or a mapping dimension id -> weight "
     "(got 'magic')"),
    ("dimension_weights: equal", "  power: 0\n", None, None),   # power 0 is fine for arithmetic
    ("dimension_weights: equal", "  n_factors: 9\n", "index.n_factors",
     "is 9 but there are only 5 dimensions"),
    ("dimension_weights: equal", "  n_factors: 0\n", "index.n_factors",
     "greater than or equal to 1"),
    ("dimension_weights: driver", "  driver_outcome: overall\n", "index.driver_outcome",
     "driver weights regress 'overall' on the dimension scores, but it is not one of the "
     "single_items ['fav']"),
])
def test_bad_index_settings(tmp_path, weights_line, extra, key, expected):
    path = _rewrite(tmp_path, weights_line, extra)
    if key is None:
        assert si.load_instrument(path).index.power == 0
        return
    with pytest.raises(InstrumentError) as exc:
        si.load_instrument(path)
    msg = str(exc.value)
    line = _line_of(path, key.split(".")[-1])
    assert re.search(rf"line {line}, {re.escape(key)}: .*{re.escape(expected)}", msg), msg


def test_generalised_with_power_zero_is_an_error(tmp_path):
    path = _variant(tmp_path, "  aggregation: generalised\n  power: 0\n")
    with pytest.raises(InstrumentError,
                       match=r"line \d+, index.power: 0 makes the generalised mean the geometric "
                             r"mean: use aggregation: geometric"):
        si.load_instrument(path)
