"""The instrument: the flagship definition, validation errors that point into the file."""

from __future__ import annotations

import re

import pandas as pd
import pydantic
import pytest
import yaml

import surveyindex as si
from surveyindex._resources import bundled_dir
from surveyindex.errors import InstrumentError


def test_flagship_instrument_has_the_promised_shape(inst):
    assert inst.id == "softpower" and inst.version
    assert inst.dimension_ids == ["morality", "competence", "culture", "technology", "education"]
    for dim in inst.dimensions:
        assert len(dim.items) >= 4
        assert any(it.reverse for it in dim.items), dim.id
        assert all("{target}" in it.text for it in dim.items)
    agree = inst.scales[inst.dimensions[0].scale]
    assert (agree.min, agree.max) == (1, 5)
    assert set(agree.missing) == {8, 9}
    fav = inst.single_items[0]
    assert (inst.scales[fav.scale].min, inst.scales[fav.scale].max) == (0, 10)
    assert inst.target_codes[:2] == ["USA", "CHN"]
    assert {"country", "age", "gender", "education", "region"} <= set(inst.demographics)
    assert len(inst.demographics["education"].codes) == 4
    assert {"all", "g20_youth"} <= set(inst.audiences)


def test_audience_filter_age_and_g20(inst):
    df = pd.DataFrame({"country": ["BRA", "BRA", "NGA", "JPN", "JPN"], "age": [18, 35, 20, 34, None]})
    assert si.instrument.audience_mask(inst, df, "g20_youth").tolist() == [True, False, False, True, False]
    assert si.instrument.audience_mask(inst, df, "all").all()
    with pytest.raises(InstrumentError, match="audience 'teens' is not defined"):
        si.instrument.audience_mask(inst, df, "teens")


def _broken(tmp_path, edit):
    """Write a copy of the flagship instrument with one thing broken."""
    data = yaml.safe_load((bundled_dir("instruments") / "softpower.yaml").read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("edit, key, expected", [
    (lambda d: d["dimensions"][2].update(scale="agree7"), "dimensions", "agree7"),
    (lambda d: d["dimensions"][0]["items"][1].update(reverse="sometimes"),
     "dimensions[0].items[1].reverse", "boolean"),
    (lambda d: d["scales"]["agree5"].update(missing={3: "Don't know"}), "scales.agree5",
     "inside the valid range"),
    (lambda d: d["audiences"]["g20_youth"]["filter"].update(income={"min": 1}), "audiences",
     "income"),
    (lambda d: d.pop("targets"), "targets", "Field required"),
    (lambda d: d["dimensions"][1]["items"].append({"id": "mor1", "text": "{target} x"}),
     "(top level)", "repeated: ['mor1']"),
])
def test_broken_instrument_names_file_and_key(tmp_path, edit, key, expected):
    path = _broken(tmp_path, edit)
    with pytest.raises(InstrumentError) as err:
        si.load_instrument(path)
    msg = str(err.value)
    assert str(path) in msg
    assert key in msg
    assert expected in msg


def test_error_gives_the_line(tmp_path):
    path = _broken(tmp_path, lambda d: d["dimensions"][0]["items"][1].update(reverse="sometimes"))
    msg = str(pytest.raises(InstrumentError, si.load_instrument, path).value)
    line = int(re.search(r"line (\d+)", msg).group(1))
    assert "reverse: sometimes" in path.read_text().splitlines()[line - 1]


def test_unknown_name_lists_bundled(tmp_path):
    with pytest.raises(InstrumentError, match="bundled: .*softpower"):
        si.load_instrument("nosuchinstrument")
    bad = tmp_path / "x.yaml"
    bad.write_text("id: [unclosed")
    with pytest.raises(InstrumentError, match="not valid YAML"):
        si.load_instrument(bad)


def test_instrument_is_immutable(inst):
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        inst.id = "other"
