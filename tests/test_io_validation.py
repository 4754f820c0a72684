"""The validation report, errors that stop the read, quality flags and the balanced ledger.

Expected flags are worked by hand in the comments from the answers each test plants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_io_formats import wide

import surveyindex as si
from surveyindex.errors import ResponseDataError
from surveyindex.io.quality import QualityRules
from surveyindex.io.validate import REPORT_COLUMNS, ResponseValidationError


def test_report_is_tidy_and_names_file_row_column_value_expected(inst, tmp_path):
    df = wide(inst, 5).astype(object)
    df.loc[1, "gender"] = 7
    df.loc[2, "country"] = "Brasil"
    df.loc[3, "USA_mor3"] = 6
    df.loc[4, "resp_id"] = "R001"
    path = tmp_path / "w.csv"
    df.to_csv(path, index=False)
    r = si.read_responses(path, inst)
    rep = r.ledger.report()
    assert list(rep.columns) == REPORT_COLUMNS
    rows = rep[["row", "line", "resp_id", "column", "value", "action"]].values.tolist()
    assert rows == [[2, 3, "R002", "gender", "7", "row excluded"],
                    [3, 4, "R003", "country", "Brasil", "row excluded"],
                    [4, 5, "R004", "USA_mor3", "6", "set to missing"],
                    [5, 6, "R001", "resp_id", "R001", "row excluded"]]
    assert set(rep["file"]) == {str(path)}
    assert rep.loc[0, "expected"] == "one of the codes [1, 2]"
    assert r.ledger.rows_in == 5 == r.ledger.rows_kept + r.ledger.rows_excluded
    text = r.ledger.describe()
    assert "line 3 (id R002): gender = '7', expected one of the codes [1, 2]" in text


def test_errors_raise_stops_with_the_report(inst):
    df = wide(inst, 3).astype(object)
    df.loc[1, "age"] = 12
    df.loc[2, "USA_mor1"] = 6  # a cell warning only: does not stop the read
    with pytest.raises(ResponseValidationError) as info:
        si.read_responses(df, inst, errors="raise")
    err = info.value
    assert isinstance(err, ResponseDataError)
    assert "age outside 18-99: 1 case, row excluded" in str(err)
    assert err.report[["row", "column", "value"]].values.tolist() == [[2, "age", "12"]]
    assert si.read_responses(df.drop(index=1), inst, errors="raise").ledger.rows_excluded == 0
    with pytest.raises(ResponseDataError, match="errors='ignore': expected 'exclude' or 'raise'"):
        si.read_responses(df, inst, errors="ignore")


def test_missing_columns_error_carries_report(inst):
    with pytest.raises(ResponseValidationError) as info:
        si.read_responses(wide(inst).drop(columns=["USA_mor2", "age"]), inst)
    assert info.value.report["column"].tolist() == ["age", "USA_mor2"]
    assert set(info.value.report["action"]) == {"error"}


def _quality_frame(inst):
    df = wide(inst, 6).astype(object)
    df["country"] = ["BRA", "BRA", "BRA", "DEU", "DEU", "DEU"]
    df["duration"] = [600, 620, 580, 100, 640, 900]
    df["att"] = [2, 2, 2, 2, 2, 4]
    usa = [inst.column("USA", i) for i in inst.item_ids]
    df.loc[1, usa] = 3                 # row 2 straight-lines the USA grid (20 items, all 3)
    every = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    df.loc[4, every[:25]] = None       # row 5: 25 of 40 items blank, 62.5% > 50%
    return df


def test_quality_flags_by_hand(inst):
    df = _quality_frame(inst)
    inst_d = inst.model_copy(update={"layout": inst.layout.model_copy(update={"duration": "duration"})})
    r = si.read_responses(df, inst_d, quality=QualityRules(attention_checks={"att": 2}))
    rep = r.ledger.report()
    flags = rep[rep["action"] == "flagged"]
    # Durations 100 580 600 620 640 900: median 610, threshold 0.3 x 610 = 183; only 100 is below.
    assert flags[["row", "problem"]].values.tolist() == [
        [2, "straight-lined the item grid (targets USA)"],
        [4, "speeder: interview shorter than 183.0 (0.3 x median)"],
        [5, "high item nonresponse"],
        [6, "failed attention check"]]
    assert flags.loc[flags["row"] == 5, "value"].item() == "0.625"
    assert r.ledger.rows_excluded == 0  # flags inform; nothing is excluded by default
    counts = r.ledger.summary().set_index("item")["count"]
    assert counts["  flagged, kept: speeder"] == 1

    rules = QualityRules(attention_checks={"att": [2]}, exclude={"speeder", "attention"},
                         speeder_by="country", speeder_fraction=0.5)
    r = si.read_responses(df, inst_d, quality=rules)
    # By country: DEU durations 100 640 900, median 640, 0.5 x 640 = 320 > 100; BRA median 600.
    assert r.ledger.excluded[["row", "reason"]].values.tolist() == [
        [4, "speeder: interview shorter than 320.0 (0.5 x median)"],
        [6, "failed attention check"]]
    assert r.n == 4 and r.respondents["resp_id"].tolist() == ["R001", "R002", "R003", "R005"]


def test_straightlining_all_and_threshold(inst):
    df = _quality_frame(inst)
    r = si.read_responses(df, inst, quality=QualityRules(straightlining="all"))
    assert not r.ledger.report()["problem"].str.startswith("straight").any()
    r = si.read_responses(df, inst, quality=QualityRules(exclude={"straightlining"}))
    assert r.ledger.excluded["row"].tolist() == [2]
    r = si.read_responses(df, inst, quality=QualityRules(straightlining_min_items=21))
    assert not r.ledger.report()["problem"].str.startswith("straight").any()


def test_quality_rules_are_checked(inst):
    with pytest.raises(ResponseDataError, match="unknown flag"):
        QualityRules(exclude={"slow"})
    with pytest.raises(ResponseDataError, match="attention-check column 'att9'"):
        si.read_responses(wide(inst), inst, quality=QualityRules(attention_checks={"att9": 1}))
    with pytest.raises(ResponseDataError, match="duration column 'secs'"):
        si.read_responses(wide(inst), inst, quality=QualityRules(duration="secs"))


def test_ledger_balances_and_each_excluded_row_once(inst):
    df = wide(inst, 4).astype(object)
    df.loc[2, ["gender", "age"]] = [9, 3]   # two reasons, one row
    r = si.read_responses(df, inst)
    led = r.ledger
    assert led.excluded[["row", "reason"]].values.tolist() == [
        [3, "age outside 18-99 (got 3); gender not one of the codes [1, 2] (got 9)"]]
    assert (led.rows_in, led.rows_kept, led.rows_excluded) == (4, 3, 1) and r.n == 3
    with pytest.raises(ResponseDataError, match="does not balance"):
        si.Ledger("f", 2, pd.DataFrame({"row": [1, 1], "line": [2, 2], "resp_id": ["a", "a"],
                                        "reason": ["x", "y"]}), led.warnings)


def test_ledger_text_is_neutralised_in_the_workbook(inst, tmp_path):
    """Exclusion reasons quote respondents' text; in the workbook it must stay inert text."""
    from openpyxl import load_workbook

    from surveyindex.report import _format as fmt

    df = wide(inst, 3).astype(object)
    df.loc[1, "country"] = '=HYPERLINK("http://evil.example","x")'
    df.loc[2, "resp_id"] = "=1+2"
    df.loc[2, "gender"] = 5
    led = si.read_responses(df, inst).ledger
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    cols = [("row", "Row", fmt.COUNT), ("resp_id", "Id", None), ("reason", "Reason", None)]
    fmt.write_table(ws, led.excluded, cols)
    wb.save(tmp_path / "x.xlsx")
    cells = [c for row in load_workbook(tmp_path / "x.xlsx").active.iter_rows(min_row=2)
             for c in row]
    texts = [c for c in cells if isinstance(c.value, str)]
    assert any(c.value.startswith("country not an ISO") and "=HYPERLINK" in c.value for c in texts)
    starts = [c for c in texts if c.value.startswith("=")]
    assert [c.value for c in starts] == ["=1+2"]
    assert all(c.data_type == "s" and c.quotePrefix for c in starts)
    assert np.isfinite(led.rows_in)


def test_ledger_reaches_the_workbook_exclusions_sheet_as_text(inst, tmp_path):
    """Through the real report path: write_workbook's Exclusions sheet holds the ledger."""
    from dataclasses import replace

    from openpyxl import load_workbook
    from test_report import make_tables

    df = wide(inst, 3).astype(object)
    df.loc[2, "resp_id"] = "=1+2"
    df.loc[2, "gender"] = 5
    led = si.read_responses(df, inst).ledger
    tables = replace(make_tables(), ledger_summary=led.summary(), exclusions=led.excluded)
    ws = load_workbook(si.report.write_workbook(tables, tmp_path / "r.xlsx"))["Exclusions"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells["rows in"].offset(column=1).value == 3
    assert cells["=1+2"].data_type == "s" and cells["=1+2"].quotePrefix
    assert "gender not one of the codes [1, 2] (got 5)" in cells


def test_nonresponse_counts_only_the_targets_a_respondent_rated():
    """nationbrand.yaml: each respondent rates 5 of 20 targets. A respondent who answered every
    item of the targets shown has 0% nonresponse, not 75%; one who skipped half the items of the
    targets shown has 50%."""
    import surveyindex as si

    inst = si.load_instrument("nationbrand")
    rng = np.random.default_rng(0)
    cols = {"resp_id": ["a", "b"], "country": ["BRA", "BRA"], "age": [30, 40],
            "gender": [1, 2], "education": [1, 2]}
    shown = inst.target_codes[:inst.targets_rated]
    items = [(it.id, d.scale) for d, it in inst.items()] + [(s.id, s.scale) for s in inst.single_items]
    for t in inst.target_codes:
        for j, (item, scale) in enumerate(items):
            code = float(rng.choice(inst.scales[scale].codes))
            cols[inst.column(t, item)] = [code if t in shown else np.nan,
                                          code if t in shown and j % 2 == 0 else np.nan]
    df = pd.DataFrame(cols)
    flags = si.read_responses(df, inst, quality=si.io.QualityRules(max_nonresponse=0.4)).ledger.report()
    hit = flags[flags["problem"] == "high item nonresponse"]
    assert hit["resp_id"].tolist() == ["b"]
