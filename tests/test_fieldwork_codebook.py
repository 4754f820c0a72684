"""The codebook: one row per response-file column, with its question, codes, missing codes,
dimension and reverse keying; the workbook keeps text as text."""

from __future__ import annotations

import openpyxl
import yaml

import surveyindex as si
from surveyindex._resources import bundled_dir
from surveyindex.fieldwork import codebook_tables, write_codebook


def test_variables_follow_the_response_file(inst):
    v = codebook_tables(inst)["Variables"]
    items = v[v["kind"] == "item"]
    assert len(items) == len(inst.target_codes) * len(inst.item_ids) == 40
    assert items["variable"].tolist()[:2] == ["USA_mor1", "USA_mor2"]
    row = items.set_index("variable").loc["USA_com4"]
    assert row["question"] == "the United States is badly run."
    assert (row["dimension"], row["reverse"], row["valid"]) == ("competence", "yes", "1-5")
    assert row["codes"].startswith("1 = Strongly disagree; 2 = Disagree")
    assert row["missing"] == "8 = Don't know; 9 = Refused"
    single = v[v["kind"] == "single item"].set_index("variable").loc["CHN_fav"]
    assert (single["scale"], single["valid"], single["dimension"]) == ("favour11", "0-10", "")
    demo = v.set_index("variable")
    assert demo.loc["education", "codes"] == ("1 = Primary or less; 2 = Lower secondary; "
                                              "3 = Upper secondary; 4 = Tertiary")
    assert demo.loc["age_group", "kind"] == "derived group"


def test_planned_missingness_shows_in_the_universe():
    v = codebook_tables(si.load_instrument("nationbrand"))["Variables"]
    items = v[v["kind"] == "item"]
    assert len(items) == 20 * 18
    assert set(items["universe"]) == {"respondents shown this target (5 of 20, drawn at random)"}


def test_codes_audiences_and_settings():
    t = codebook_tables(si.load_instrument("favourability"))
    codes = t["Codes"]
    fav = codes[codes["value_set"] == "fav4"].set_index("code")
    assert fav.loc[9, "missing"] == "yes" and fav.loc[9, "label_fr"] == "Refus"
    assert fav.loc[3, "label"] == "Somewhat favorable"
    aud = t["Audiences"].set_index("audience")["definition"]
    assert aud["under_30"] == "age <= 29"
    assert aud["outside_g20"] == "country not in G20"
    assert aud["young_or_educated"] == "any of (under_30, post_secondary)"
    s = t["Instrument"].set_index("setting")["value"]
    assert (s["scoring"], s["top box"], s["don't know in base"]) == ("top_box", "[3, 4]", "yes")
    assert s["across countries"] == "median"


def test_workbook_neutralises_formula_text(tmp_path):
    data = yaml.safe_load((bundled_dir("instruments") / "softpower.yaml").read_text())
    data["dimensions"][0]["items"][0]["text"] = "=1+1 {target}"
    data["title"] = "@SUM(A1)"
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = write_codebook(si.load_instrument(path), tmp_path / "cb.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Variables", "Codes", "Audiences", "Instrument"]
    texts = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert {c.value for c in texts} >= {"=1+1 the United States", "@SUM(A1)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in texts)
