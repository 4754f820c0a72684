"""Response files as agencies deliver them: SPSS with labels and user-missing codes, Stata,
Excel with a question-text row, Windows CSVs with semicolons, Parquet, long platform exports,
agency column names with a mapping table, and answers given as label text.

Each test builds its file the way the agency's software writes it (pyreadstat.write_sav for SPSS,
openpyxl for Excel, cp1252 bytes for a Windows CSV) and checks the recoded values cell by cell
against the answers written, which the test knows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import ResponseDataError
from surveyindex.io.read import BLANK, DONT_KNOW, REFUSED, VALID
from surveyindex.io.validate import ResponseValidationError


def wide(inst, n=4) -> pd.DataFrame:
    """Varied valid answers: item k of respondent r is 1 + (k + r) % 5; fav is 5 + r."""
    cols = {"resp_id": [f"R{r + 1:03d}" for r in range(n)],
            "country": (["BRA", "DEU", "JPN", "FRA"] * n)[:n],
            "age": [25.0 + 10 * r for r in range(n)], "gender": [1.0 + r % 2 for r in range(n)],
            "education": [2.0] * n, "region": [1.0 + r % 4 for r in range(n)]}
    for t in inst.target_codes:
        for k, i in enumerate(inst.item_ids):
            cols[inst.column(t, i)] = [float(1 + (k + r) % 5) for r in range(n)]
        cols[inst.column(t, "fav")] = [5.0 + r for r in range(n)]
    return pd.DataFrame(cols)


def expected_values(inst, df) -> np.ndarray:
    """The recoded array read_responses must return for a frame of valid codes."""
    out = np.stack([np.column_stack([df[inst.column(t, i)].to_numpy(float) for i in inst.item_ids])
                    for t in inst.target_codes], axis=1)
    for j, (dim, item) in enumerate(inst.items()):
        if item.reverse:
            sc = inst.scales[dim.scale]
            out[:, :, j] = sc.min + sc.max - out[:, :, j]
    return out


def spss_metadata(inst):
    """Variable labels from the item text, value labels and user-missing codes, as SPSS holds them."""
    labels, values, missing = {}, {}, {}
    for tgt in inst.targets:
        for dim, it in inst.items():
            col = inst.column(tgt.code, it.id)
            labels[col] = it.text.format(target=tgt.name)
            sc = inst.scales[dim.scale]
            values[col] = {**{float(k): v for k, v in sc.labels.items()},
                           **{float(k): v for k, v in sc.missing.items()}}
            missing[col] = [float(k) for k in sc.missing]
        fav = inst.column(tgt.code, "fav")
        values[fav] = {98.0: "Don't know", 99.0: "Refused"}
        missing[fav] = [{"lo": 98.0, "hi": 99.0}]  # a missing range, as many agencies declare
    return labels, values, missing


def test_spss_user_missing_codes_become_dont_know_and_refused(inst, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = wide(inst)
    df.loc[0, "USA_mor1"] = 8     # declared user-missing, labelled Don't know
    df.loc[1, "USA_mor1"] = 9     # declared user-missing, labelled Refused
    df.loc[2, "USA_mor1"] = np.nan  # system-missing: the question was skipped
    df.loc[2, "CHN_fav"] = 98     # inside the declared range 98-99
    df.loc[3, "CHN_fav"] = 99
    labels, values, missing = spss_metadata(inst)
    path = tmp_path / "agency.sav"
    pyreadstat.write_sav(df, path, column_labels=labels, variable_value_labels=values,
                         missing_ranges=missing)
    # pyreadstat's default read turns declared-missing codes into NaN, losing don't know:
    plain, _ = pyreadstat.read_sav(path)
    assert plain["USA_mor1"].isna().sum() == 3

    r = si.read_responses(path, inst)
    j = inst.item_ids.index("mor1")
    assert r.missing_kind[:, 0, j].tolist() == [DONT_KNOW, REFUSED, BLANK, VALID]
    assert np.isnan(r.values[:3, 0, j]).all() and r.values[3, 0, j] == df.loc[3, "USA_mor1"]
    assert np.isnan(r.single["fav"][2:, 1]).all() and r.single["fav"][0, 1] == 5
    ok = np.isfinite(r.values)
    assert np.array_equal(r.values[ok], expected_values(inst, df)[ok])
    assert r.ledger.rows_excluded == 0 and r.ledger.warnings.empty
    assert r.respondents["resp_id"].tolist() == ["R001", "R002", "R003", "R004"]


def test_spss_labels_other_codes_and_variable_label_mismatch(inst, tmp_path):
    """A file declaring 7 'No answer' missing (not an instrument code): counted as don't know,
    never as a valid or invalid answer; a variable label that is not the item's text is noted."""
    pyreadstat = pytest.importorskip("pyreadstat")
    df = wide(inst)
    df.loc[0, "USA_com1"] = 7
    labels, values, missing = spss_metadata(inst)
    labels["CHN_edu1"] = "Chinese food is tasty"
    labels["USA_mor2"] = "Q4b. The United States can be trusted to keep its commitments"
    values["USA_com1"][7.0] = "No answer"
    missing["USA_com1"] = [7.0, 8.0, 9.0]
    path = tmp_path / "agency.sav"
    pyreadstat.write_sav(df, path, column_labels=labels, variable_value_labels=values,
                         missing_ranges=missing)
    r = si.read_responses(path, inst)
    assert r.missing_kind[0, 0, inst.item_ids.index("com1")] == DONT_KNOW
    assert r.ledger.warnings.empty
    notes = r.ledger.report()
    notes = notes[notes["problem"].str.startswith("variable label differs")]
    assert notes["column"].tolist() == ["CHN_edu1"]  # the prefixed USA_mor2 label matches
    assert notes["expected"].iloc[0] == "'China has excellent universities.'"


def test_stata_extended_missing_values(inst, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = wide(inst, 3).astype({"USA_mor1": object})
    df.loc[0, "USA_mor1"] = "a"   # Stata .a
    df.loc[1, "USA_mor1"] = "b"   # Stata .b
    path = tmp_path / "agency.dta"
    pyreadstat.write_dta(df, path, variable_value_labels={
        "USA_mor1": {1: "Strongly disagree", "a": "Don't know", "b": "Refused"}},
        missing_user_values={"USA_mor1": ["a", "b"]})
    r = si.read_responses(path, inst)
    j = inst.item_ids.index("mor1")
    assert r.missing_kind[:, 0, j].tolist() == [DONT_KNOW, REFUSED, VALID]
    assert r.values[2, 0, j] == 3.0 and r.ledger.warnings.empty


def test_excel_with_question_text_row_and_sheet_choice(inst, tmp_path):
    df = wide(inst)
    texts = {inst.column(t.code, it.id): it.text.format(target=t.name)
             for t in inst.targets for it in [*(it for _, it in inst.items()), *inst.single_items]}
    question_row = pd.DataFrame([{c: texts.get(c, "Respondent ID" if c == "resp_id" else c.title())
                                  for c in df.columns}])
    question_row.loc[0, "CHN_cul1"] = "Do you like pandas?"
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"about": ["wave 1 export"]}).to_excel(xw, sheet_name="Info", index=False)
        pd.concat([question_row, df.astype(object)]).to_excel(xw, sheet_name="Data", index=False)
    for kwargs in ({"sheet": "Data"}, {"sheet": 1}, {"sheet": "Data", "header_rows": 2}):
        r = si.read_responses(path, inst, **kwargs)
        assert np.array_equal(r.values, expected_values(inst, df))
        assert r.ledger.rows_in == 4 and r.ledger.rows_excluded == 0
    rep = r.ledger.report()
    assert rep.loc[rep["problem"].str.startswith("variable label"), "column"].tolist() == ["CHN_cul1"]
    auto = si.read_responses(path, inst, sheet="Data").ledger.report()
    assert auto["problem"].str.contains("1 row\\(s\\) under the header read as question text").any()
    # Row numbers refer to the spreadsheet: the first respondent is on row 3.
    bad = pd.concat([question_row, df.astype(object).assign(gender=[1, 2, 7, 1])])
    bad.to_excel(path, sheet_name="Data", index=False)
    led = si.read_responses(path, inst).ledger
    assert led.excluded[["row", "line", "resp_id"]].values.tolist() == [[3, 5, "R003"]]
    with pytest.raises(ResponseDataError, match=r"no sheet named 'Wave2'; the workbook has \['Data'\]"):
        si.read_responses(path, inst, sheet="Wave2")


def test_windows_csv_with_semicolons_and_decimal_commas(inst, tmp_path):
    df = wide(inst).assign(comment=["très bien", "schön", "ça va", "naïve"])
    df["resp_id"] = ["Zoë", "José", "Łukasz", "Renée"]
    text = df.to_csv(sep=";", index=False, lineterminator="\r\n")
    path = tmp_path / "windows.csv"
    path.write_bytes(text.replace(".0;", ";").replace(".0\r", "\r").encode("cp1252", "replace"))
    r = si.read_responses(path, inst)
    assert np.array_equal(r.values, expected_values(inst, df))
    assert r.respondents["resp_id"].tolist()[:2] == ["Zoë", "José"]
    problems = r.ledger.report()["problem"].tolist()
    assert "read: encoding cp1252 detected" in problems and "read: delimiter ';' detected" in problems
    with pytest.raises(ResponseDataError, match=r"not valid utf-8 text \(byte 0xeb on line 2\)"):
        si.read_responses(path, inst, encoding="utf-8")
    # European decimal commas in a weight column.
    inst_w = inst.model_copy(update={"layout": inst.layout.model_copy(update={"weight": "w"})})
    path.write_bytes(df.assign(w=["1,5", "0,5", "2", "1"]).to_csv(sep=";", index=False)
                     .encode("cp1252", "replace"))
    assert si.read_responses(path, inst_w).respondents["weight"].tolist() == [1.5, 0.5, 2.0, 1.0]


def test_utf8_bom_and_explicit_delimiter(inst, tmp_path):
    df = wide(inst, 2)
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + df.to_csv(sep="\t", index=False).encode())
    r = si.read_responses(path, inst, delimiter="\t")
    assert r.respondents["resp_id"].tolist() == ["R001", "R002"]  # no BOM glued to the name
    assert np.array_equal(r.values, expected_values(inst, df))


def test_parquet(inst, tmp_path):
    pytest.importorskip("pyarrow")
    df = wide(inst)
    df.to_parquet(tmp_path / "w.parquet")
    r = si.read_responses(tmp_path / "w.parquet", inst)
    assert np.array_equal(r.values, expected_values(inst, df))


def test_long_platform_export(inst, tmp_path):
    """One row per respondent x target x item, in platform order, with demographics repeated."""
    df = wide(inst, 3)
    demo = ["resp_id", "country", "age", "gender", "education", "region"]
    items = [c for c in df.columns if c not in demo]
    long = df.melt(id_vars=demo, value_vars=items, var_name="col", value_name="value")
    long[["target", "item"]] = long["col"].str.split("_", expand=True)
    long = long.drop(columns="col").sample(frac=1, random_state=3).reset_index(drop=True)
    long["target"] = long["target"].str.lower()       # platforms vary in case
    extra = pd.DataFrame([{**long.iloc[0].to_dict(), "target": "RUS"},
                          {**long.iloc[0].to_dict(), "item": "zzz9"}])
    long = pd.concat([long, extra], ignore_index=True)
    second = long.index[long["resp_id"] == "R002"][1]
    long.loc[second, "age"] = 99  # a demographic that changes between records: first kept
    path = tmp_path / "platform.csv"
    long.to_csv(path, index=False)
    r = si.read_responses(path, inst, layout="long")
    order = [long["resp_id"].drop_duplicates().tolist().index(i) for i in df["resp_id"]]
    assert np.array_equal(r.values[order], expected_values(inst, df))
    # the ledger counts the file's rows (records), and the respondents they form
    led = r.ledger
    assert led.rows_in == len(long) and led.respondents == led.respondents_kept == 3
    assert led.excluded[["row", "line", "reason"]].values.tolist() == [
        [len(long) - 1, len(long), "unknown target (record ignored)"],
        [len(long), len(long) + 1, "unknown item (record ignored)"]]
    rep = r.ledger.report()
    assert set(rep["problem"]) >= {"unknown target; record ignored", "unknown item; record ignored"}
    assert rep.loc[rep["problem"] == "unknown target; record ignored", "line"].tolist() == [len(long)]
    differs = rep[rep["problem"].str.startswith("value differs")]
    first = int(long.index[long["resp_id"] == "R002"][0]) + 1  # R002's first record
    assert differs[["row", "column", "resp_id"]].values.tolist() == [[first, "age", "R002"]]
    assert r.respondents.set_index("resp_id").loc["R002", "age"] == 35
    with pytest.raises(ResponseValidationError, match="a long file has the columns"):
        si.read_responses(long.drop(columns="item"), inst, layout="long")


def test_mapping_table_and_pattern(inst, tmp_path):
    df = wide(inst, 3)
    agency = {c: c for c in df.columns}
    for t in inst.target_codes:
        for k, i in enumerate([*inst.item_ids, "fav"]):
            agency[inst.column(t, i)] = f"Q{k + 1}_{t.lower()}"
    agency.update({"age": "AGE", "gender": "Sex"})
    path = tmp_path / "agency.csv"
    df.rename(columns=agency).to_csv(path, index=False)
    table = pd.DataFrame({"file_column": list(agency.values()), "column": list(agency.keys())})
    table.to_csv(tmp_path / "map.csv", index=False)
    for columns in (table, tmp_path / "map.csv", {v: k for k, v in agency.items()}):
        r = si.read_responses(path, inst, columns=columns)
        assert np.array_equal(r.values, expected_values(inst, df))
    by_item = pd.DataFrame([(f"Q{k + 1}_{t.lower()}", t, i) for t in inst.target_codes
                            for k, i in enumerate([*inst.item_ids, "fav"])],
                           columns=["file_column", "target", "item"])
    r = si.read_responses(path, inst, columns={"AGE": "age", "Sex": "gender"} | dict(
        zip(by_item["file_column"], by_item["target"] + "_" + by_item["item"])))
    assert np.array_equal(r.values, expected_values(inst, df))
    with pytest.raises(ResponseValidationError, match="column in the mapping is not in the file"):
        si.read_responses(path, inst, columns={**table.set_index("file_column")["column"],
                                               "Q99": "age"})
    # Item columns named {item}_{target} by another agency.
    swapped = df.rename(columns={inst.column(t, i): f"{i}_{t}" for t in inst.target_codes
                                 for i in [*inst.item_ids, "fav"]})
    r = si.read_responses(swapped, inst, pattern="{item}_{target}")
    assert np.array_equal(r.values, expected_values(inst, df))


def test_answers_given_as_label_text(inst):
    df = wide(inst, 3).astype(object)
    df.loc[0, "USA_mor1"] = " strongly AGREE "     # case and spaces
    df.loc[1, "USA_mor1"] = "Don’t know"           # curly apostrophe
    df.loc[2, "USA_mor1"] = "Agree strongly"       # not a label of the scale
    df.loc[0, "gender"] = "female"
    # issue 14: an unknown label stops the read unless it is explicitly set to missing
    with pytest.raises(ResponseDataError, match="'Agree strongly' is not a label of scale agree5; "
                                                "closest: 'Strongly agree': 1 case, error"):
        si.read_responses(df, inst)
    r = si.read_responses(df, inst, unknown_labels="missing")
    j = inst.item_ids.index("mor1")
    assert r.values[0, 0, j] == 5 and r.missing_kind[1, 0, j] == DONT_KNOW
    w = r.ledger.warnings
    assert w[["row", "column", "value", "problem"]].values.tolist() == [
        [3, "USA_mor1", "Agree strongly", "'Agree strongly' is not a label of scale agree5; "
         "closest: 'Strongly agree'; set to missing (unknown_labels='missing')"]]
    assert r.respondents["gender"].tolist()[0] == "2"


def test_csv_fields_are_text_whatever_the_header_cell_looks_like(tmp_path):
    """Every field of a CSV is read as the text written, also in a column whose name looks like
    a number (with pandas' pyarrow engine before pyarrow 25, a column named 2024 was typed as
    numbers and turned back into text: '007' read as '7.0', '1.50' as '1.5')."""
    p = tmp_path / "f.csv"
    p.write_text("id,2024,note\n007,007, a \n008,1.50,NA\n009,1e3,\n", encoding="utf-8")
    raw = si.io.read_table(p)
    assert list(raw.frame.columns) == ["id", "2024", "note"]
    assert raw.frame["id"].tolist() == ["007", "008", "009"]
    assert raw.frame["2024"].tolist() == ["007", "1.50", "1e3"]
    assert raw.frame["note"].iloc[0] == "a" and raw.frame["note"].iloc[1:].isna().all()
