"""XLSForm export: pyxform converts every bundled instrument; names, languages and the random
subset of targets are what the instrument says."""

from __future__ import annotations

import re
import shutil

import numpy as np
import openpyxl
import pytest
import yaml

import surveyindex as si
from surveyindex._resources import bundled_dir
from surveyindex.errors import InstrumentError
from surveyindex.fieldwork import write_xlsform, xlsform_tables
from surveyindex.instrument import bundled_instruments

pyxform = pytest.importorskip("pyxform", reason="pyxform is in the [dev] extra")
from pyxform.xls2xform import convert  # noqa: E402


@pytest.mark.parametrize("name", bundled_instruments())
def test_pyxform_converts_every_bundled_instrument(tmp_path, name):
    inst = si.load_instrument(name)
    path = write_xlsform(inst, tmp_path / f"{name}.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["survey", "choices", "settings"]
    warnings: list[str] = []
    xform = convert(str(path), warnings=warnings).xform
    assert warnings == []
    assert f'id="{inst.id}"' in xform and f'version="{inst.version}"' in xform
    # Every column the reader needs is a question of the form, under the same name.
    needed = [inst.column(t, i) for t in inst.target_codes
              for i in [*inst.item_ids, *(s.id for s in inst.single_items)]]
    needed += [inst.layout.respondent_id, *inst.demographics]
    for col in needed:
        assert f"<{col}" in xform, col


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_odk_validate_accepts_the_planned_missingness_form(tmp_path):
    path = write_xlsform(si.load_instrument("nationbrand"), tmp_path / "nb.xlsx")
    convert(str(path), validate=True)  # raises on any ODK Validate error


def test_translations_give_one_label_column_per_language():
    t = xlsform_tables(si.load_instrument("favourability"))
    survey, choices = t["survey"], t["choices"]
    cols = ["label::English (en)", "label::Spanish (es)", "label::French (fr)"]
    assert [c for c in survey.columns if c.startswith("label::")] == cols
    assert t["settings"]["default_language"].item() == "English (en)"
    rus = survey.set_index("name").loc["RUS_fav"]
    assert rus["label::French (fr)"].endswith("très défavorable de la Russie ?")
    assert rus["label::English (en)"].endswith("opinion of Russia.")
    fav = choices[choices["list_name"] == "scale_fav4"].set_index("name")
    assert fav.loc["8", "label::Spanish (es)"] == "No sabe"
    assert list(fav.index) == ["1", "2", "3", "4", "8", "9"]
    edu = choices[choices["list_name"] == "demo_education"].set_index("name")
    assert edu.loc["3", "label::French (fr)"] == "Supérieur"


def test_untranslated_text_falls_back_to_the_instrument_language():
    t = xlsform_tables(si.load_instrument("softpower"))
    assert [c for c in t["survey"].columns if c.startswith("label::")] == ["label::English (en)"]
    fav = t["choices"][t["choices"]["list_name"] == "scale_favour11"]
    # Unlabelled codes of the 0-10 scale are shown as their number.
    assert fav["label::English (en)"].tolist()[:3] == ["Very unfavourable", "1", "2"]


def _evaluate(expr: str, draws: dict[str, float]) -> bool:
    """Evaluate the form's relevance XPath in Python for given random draws."""
    py = re.sub(r"\$\{draw_(\w+)\}", lambda m: repr(float(draws[m.group(1)])), expr)
    py = py.replace("if(", "_if(")
    return bool(eval(py, {"_if": lambda c, a, b: a if c else b}))  # noqa: S307 - our own text


def test_random_subset_shows_exactly_k_targets_uniformly():
    inst = si.load_instrument("nationbrand")
    survey = xlsform_tables(inst)["survey"]
    groups = survey[survey["type"] == "begin_group"]
    draws_rows = survey[survey["name"].str.startswith("draw_", na=False)]
    assert (draws_rows["calculation"] == "once(random())").all()
    assert len(groups) == 20 and groups["relevant"].notna().all()
    rng = np.random.default_rng(5)
    shown_count = np.zeros(20)
    for _ in range(200):
        draws = dict(zip(inst.target_codes, rng.random(20)))
        shown = [_evaluate(g, draws) for g in groups["relevant"]]
        assert sum(shown) == inst.targets_rated == 5
        # The shown targets are the 5 with the smallest draws.
        smallest = sorted(draws, key=draws.get)[:5]
        assert [c for c, s in zip(inst.target_codes, shown) if s] == \
            [c for c in inst.target_codes if c in smallest]
        shown_count += shown
    # Each target is shown to 5/20 of respondents: 50 of 200 expected, binomial sd 6.1.
    assert shown_count.min() > 50 - 4 * 6.2 and shown_count.max() < 50 + 4 * 6.2


def test_without_planned_missingness_every_target_is_asked():
    survey = xlsform_tables(si.load_instrument("softpower"))["survey"]
    assert survey[survey["type"] == "begin_group"]["relevant"].isna().all()
    assert not survey["name"].str.startswith("draw_", na=False).any()


def _variant(tmp_path, edit):
    data = yaml.safe_load((bundled_dir("instruments") / "softpower.yaml").read_text())
    edit(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return si.load_instrument(path)


def test_formula_like_text_stays_text(tmp_path):
    inst = _variant(tmp_path, lambda d: d["dimensions"][0]["items"][0].update(
        text='=HYPERLINK("http://x", "{target}")'))
    path = write_xlsform(inst, tmp_path / "f.xlsx")
    ws = openpyxl.load_workbook(path)["survey"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)
    convert(str(path))


def test_names_that_cannot_be_xml_are_reported(tmp_path):
    inst = _variant(tmp_path, lambda d: d["targets"].append({"code": "1X", "name": "One"}))
    with pytest.raises(InstrumentError, match="'1X_mor1' cannot be a question name"):
        xlsform_tables(inst)
