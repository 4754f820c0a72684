"""Response and margins files broken the way real ones break, found in the acceptance pass (hqa):
each is an error naming file, line, column and value, or a ledger entry, never a silent change."""

from __future__ import annotations

import subprocess
import warnings
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import ResponseDataError, WeightingError
from surveyindex.io.validate import describe

ROOT = Path(__file__).resolve().parents[1]
INST = si.load_instrument("softpower")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    df = pd.read_csv(si.sample_paths()["responses"], dtype=str, keep_default_na=False)
    return df[df["country"].isin(["ARG", "DEU"])].head(300).reset_index(drop=True)


def _csv(tmp_path, df, name="r.csv", **kw) -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False, **kw)
    return p


@pytest.mark.parametrize("bad, shown", [("abc", "w = 'abc'"), ("-1", "w = '-1'"), ("", "line 5")])
def test_bad_weight_is_an_error_naming_line_and_value(tmp_path, sample, bad, shown):
    # Before: read_responses accepted it, `validate` with `margins: none` said ok, and the design
    # later said only "respondent R0000004 has nan".
    df = sample.assign(w="1.5")
    df.loc[3, "w"] = bad
    with pytest.raises(ResponseDataError) as got:
        si.read_responses(_csv(tmp_path, df), INST, roles={"weight": "w"})
    msg = str(got.value)
    assert "r.csv" in msg and shown in msg and "weight column 'w'" in msg


def test_weights_zero_and_decimal_comma_are_read(tmp_path, sample):
    df = sample.assign(w=["0,75" if i % 2 else "1,5" for i in range(len(sample))])
    df.loc[0, "w"] = "0"
    r = si.read_responses(_csv(tmp_path, df, sep=";"), INST, roles={"weight": "w"})
    assert r.respondents["weight"].iloc[:3].tolist() == [0.0, 0.75, 1.5]


def test_bad_weight_of_an_excluded_row_does_not_stop_the_read(tmp_path, sample):
    df = sample.assign(w="1")
    df.loc[3, ["w", "age"]] = ["", "12"]  # excluded for its age anyway
    r = si.read_responses(_csv(tmp_path, df), INST, roles={"weight": "w"})
    assert r.ledger.rows_in == len(df) and 5 in r.ledger.excluded["line"].tolist()


def test_validate_refuses_bad_final_weights(tmp_path, sample):
    df = sample.assign(w="1")
    df.loc[3, "w"] = "abc"
    _csv(tmp_path, df)
    (tmp_path / "p.yaml").write_text("instrument: softpower\nresponses: r.csv\nmargins: none\n"
                                     "columns: {weight: w}\nreplicates: {n: 2}\n")
    out = subprocess.run([sys.executable, "-m", "surveyindex", "validate", str(tmp_path / "p.yaml")],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout
    assert "line 5 (id R0000004): w = 'abc'" in out.stderr


def test_header_repeated_as_a_data_row_is_one_short_error(tmp_path, sample):
    # Before: 42 "not a label of scale" problems, all of them on one 10,000-character line.
    p = _csv(tmp_path, sample)
    head, rest = p.read_text().split("\n", 1)
    body = rest.splitlines()
    p.write_text("\n".join([head, *body[:100], head, *body[100:]]) + "\n")
    with pytest.raises(ResponseDataError, match=r"line 102 repeats the header row") as got:
        si.read_responses(p, INST)
    assert len(str(got.value)) < 300


def test_describe_shows_at_most_eight_problems():
    rep = pd.DataFrame({"file": "f.csv", "row": range(1, 21), "line": range(2, 22),
                        "resp_id": "r", "column": [f"q{i}" for i in range(20)], "value": "x",
                        "expected": "a code", "problem": [f"problem {i}" for i in range(20)],
                        "action": "error"})
    text = describe(rep, "f.csv")
    assert "problem 7:" in text and "problem 8:" not in text
    assert "... and 12 more problems (12 cases" in text


def test_title_rows_above_the_header_are_pointed_at(tmp_path, sample):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Soft power survey, wave 1"])
    ws.merge_cells("A1:J1")
    ws.append(["Respondent"] * 6 + ["Ratings"] * (sample.shape[1] - 6))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    ws.append(list(sample.columns))
    for row in sample.head(20).itertuples(index=False):
        ws.append(list(row))
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(ResponseDataError, match="The column names are on line 3: delete the 2 rows "
                                                "above them"):
        si.read_responses(tmp_path / "r.xlsx", INST)


def test_blank_country_reason_says_missing(tmp_path, sample):
    df = sample.copy()
    df.loc[2, "country"] = ""
    r = si.read_responses(_csv(tmp_path, df), INST)
    reason = r.ledger.excluded.set_index("line").loc[4, "reason"]
    assert "country missing" in reason and "None" not in reason


def test_margins_semicolon_decimal_comma_and_cp1252(tmp_path):
    # Before: "margins table needs columns ...; got ['country;variable;category;proportion']".
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    european = m.assign(proportion=m["proportion"].map(lambda v: repr(v).replace(".", ",")),
                        source="Insee, Destatis é")
    p = tmp_path / "m.csv"
    p.write_bytes(european.to_csv(sep=";", index=False).encode("cp1252"))
    got = si.io.read_margins(p)
    assert list(got.columns) == [*m.columns, "source"]
    np.testing.assert_array_equal(got["proportion"].to_numpy(float), m["proportion"].to_numpy(float))
    assert got["category"].tolist() == m["category"].tolist()
    assert got["source"].iloc[0] == "Insee, Destatis é"


def test_margins_text_share_names_line_and_value(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("country,variable,category,proportion\nARG,gender,1,0.5\nARG,gender,2,half\n")
    with pytest.raises(WeightingError, match=r"m.csv: line 3: proportion = 'half', expected a number"):
        si.io.read_margins(p)


def test_margins_from_excel(tmp_path):
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    m.to_excel(tmp_path / "m.xlsx", index=False)
    got = si.io.read_margins(tmp_path / "m.xlsx")
    np.testing.assert_array_equal(got["proportion"].to_numpy(float), m["proportion"].to_numpy(float))
    assert got["category"].tolist() == m["category"].tolist()


def test_zero_or_negative_interview_length_is_flagged(tmp_path):
    # Before: a 0-second interview and one ending a month before it started passed unflagged
    # (only positive lengths were compared with the median).
    src = ROOT / "examples/real-files/kobo/kobo_export.csv"
    df = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False)
    df.loc[2, "end"] = df.loc[2, "start"]
    df.loc[3, "end"] = "2024-04-01T10:00:00.000+02:00"
    p = tmp_path / "k.csv"
    df.to_csv(p, sep=";", index=False)
    r = si.read_responses(p, si.load_instrument("favourability"))
    rep = r.ledger.report()
    odd = rep[rep["problem"].str.startswith("interview length zero, negative")]
    assert odd["line"].tolist() == [4, 5] and set(odd["action"]) == {"flagged"}
    assert r.ledger.rows_kept == len(df)


def test_margins_country_codes_read_as_the_responses_are():
    # Before: " arg" in the margins was another country than ARG (read as ARG in the responses),
    # and the error said ARG's age margin summed to 0.878599.
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    lower = m.assign(country=m["country"].where(m.index != 0, " arg"))
    got = si.io.margin_codes(lower, INST)
    assert got["country"].tolist() == m["country"].tolist()


def test_margins_not_summing_to_one_say_how_to_fix(sample):
    m = pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})
    m.loc[(m["country"] == "ARG") & (m["variable"] == "gender"), "proportion"] = [0.5001, 0.5001]
    design = si.make_design(si.read_responses(sample, INST))
    with pytest.raises(WeightingError, match=r"sum to 1\.0002, not 1 \(a category left out\? if "
                                             r"they are rounded shares, divide each by their sum"):
        design.rake(m, by="country")


def test_long_integer_ids_stay_distinct(tmp_path, sample):
    # Before: 19-digit int64 ids (Parquet, Stata) were written with 15 significant digits, all
    # became '7e+18', and every row but one was excluded as a duplicate.
    df = sample.apply(lambda c: c if c.name in ("resp_id", "country") else
                      pd.to_numeric(c.replace("", None)))
    df["resp_id"] = np.arange(len(df), dtype=np.int64) + 7_000_000_000_000_000_001
    df.to_parquet(tmp_path / "r.parquet")
    r = si.read_responses(tmp_path / "r.parquet", INST)
    assert r.respondents["resp_id"].iloc[0] == "7000000000000000001"
    assert r.respondents["resp_id"].is_unique
    assert r.ledger.rows_excluded == si.read_responses(_csv(tmp_path, sample), INST).ledger.rows_excluded


def test_excel_sep_directive_line_is_read(tmp_path, sample):
    # Before: "malformed delimited text (Expected 2 fields in line 2, saw 49)".
    df = sample.copy()
    df.loc[4, "age"] = "12"  # excluded: its line must be counted with the directive line
    text = df.to_csv(sep=";", index=False, lineterminator="\r\n")
    plain, directive = tmp_path / "plain.csv", tmp_path / "sep.csv"
    plain.write_text(text, newline="")
    directive.write_text("sep=;\r\n" + text, newline="")
    a, b = si.read_responses(plain, INST), si.read_responses(directive, INST)
    assert b.ledger.rows_in == a.ledger.rows_in == len(df)
    assert (b.ledger.excluded["line"] == a.ledger.excluded["line"] + 1).all()
    assert 7 in b.ledger.excluded["line"].tolist()
    np.testing.assert_array_equal(a.values, b.values)
    assert any("read as the delimiter" in p for p in b.ledger.report()["problem"])


def test_an_item_column_with_no_answers_is_a_visible_warning(tmp_path, sample):
    # Before: only a note in the ledger's report; `validate` and `run` said nothing.
    df = sample.assign(USA_mor1="")
    with pytest.warns(UserWarning,
                      match=r"r\.csv: 1 item column\(s\) have no answers at all \(USA_mor1\)"):
        r = si.read_responses(_csv(tmp_path, df), INST)
    assert r.ledger.rows_in == len(df)


def _long(tmp_path, extra: list[dict]) -> Path:
    rows = [{"resp_id": f"r{i}", "country": "BRA", "age": 30 + i, "gender": 1 + i % 2,
             "education": 1 + i % 3, "target": t, "item": "fav", "value": 1 + (i + k) % 4}
            for i in range(20) for k, t in enumerate(["USA", "CHN", "RUS"])]
    p = tmp_path / "long.csv"
    pd.DataFrame(rows + extra).to_csv(p, index=False)
    return p


def test_long_file_conflicting_repeat_is_a_visible_warning(tmp_path):
    # Before: only a note in the report; the first answer was kept without a word.
    base = {"resp_id": "r0", "country": "BRA", "age": 30, "gender": 1, "education": 1,
            "target": "USA", "item": "fav"}
    inst = si.load_instrument("favourability")
    with pytest.warns(UserWarning, match=r"1 repeated answer\(s\) differ from the respondent's "
                                         r"first answer .*line 62, id r0: '4', first '1'"):
        r = si.read_responses(_long(tmp_path, [{**base, "value": 4}]), inst, layout="long")
    assert r.values[0, 0, 0] == 1


def test_long_file_identical_repeat_is_only_a_note(tmp_path, recwarn):
    base = {"resp_id": "r0", "country": "BRA", "age": 30, "gender": 1, "education": 1,
            "target": "USA", "item": "fav"}
    inst = si.load_instrument("favourability")
    r = si.read_responses(_long(tmp_path, [{**base, "value": 1}]), inst, layout="long")
    assert not [w for w in recwarn if "repeated answer" in str(w.message)]
    assert "repeated answer; first kept, record ignored" in set(r.ledger.report()["problem"])


def test_wrong_sheet_names_the_sheets(tmp_path, sample):
    # Before: "is it the right file, encoding and delimiter?" for a workbook whose first sheet
    # is a cover page.
    with pd.ExcelWriter(tmp_path / "r.xlsx") as w:
        pd.DataFrame({"About": ["Soft power survey", "wave 1"]}).to_excel(w, sheet_name="Cover",
                                                                          index=False)
        sample.head(20).to_excel(w, sheet_name="Data", index=False)
    with pytest.raises(ResponseDataError, match=r"is it the right file, sheet\? \(read: sheet "
                       r"'Cover' of \['Cover', 'Data'\]; choose one with sheet="):
        si.read_responses(tmp_path / "r.xlsx", INST)
    assert si.read_responses(tmp_path / "r.xlsx", INST, sheet="Data").ledger.rows_in == 20


def test_an_empty_numeric_item_column_warns_too(tmp_path, sample):
    # Parquet: the column is numbers (all NaN), read by the block path, not the text one.
    df = sample.apply(lambda c: c if c.name in ("resp_id", "country") else
                      pd.to_numeric(c.replace("", None)))
    df["USA_mor1"] = np.nan
    df.to_parquet(tmp_path / "r.parquet")
    with pytest.warns(UserWarning, match=r"1 item column\(s\) have no answers at all \(USA_mor1\)"):
        si.read_responses(tmp_path / "r.parquet", INST)


def test_a_label_that_reads_like_a_blank_cell_is_warned_about(tmp_path, sample):
    # "None" as a scale label (a trust scale's lowest answer) cannot be told from Excel/SPSS's
    # "None" for an empty cell: the readers take it as blank, so the read says so.
    text = (ROOT / "instruments" / "softpower.yaml").read_text()
    scale = text.index("labels:", text.index("scales:"))
    first = text.index("1: ", scale)
    end = text.index("\n", first)
    path = tmp_path / "inst.yaml"
    path.write_text(text[:first] + "1: None" + text[end:])
    inst = si.load_instrument(path)
    with pytest.warns(UserWarning, match=r"r.csv: the instrument labels scale \w+ code 1 'None' "
                                         r"read like a blank cell"):
        si.read_responses(_csv(tmp_path, sample), inst)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        si.read_responses(_csv(tmp_path, sample), INST)  # the bundled labels: no warning


def test_a_blank_row_is_excluded_as_one(tmp_path, sample):
    # Excel's "save as CSV" of a sheet with an emptied row writes a line of bare delimiters
    blank = pd.DataFrame([[""] * sample.shape[1]], columns=sample.columns)
    df = pd.concat([sample.iloc[:5], blank, sample.iloc[5:]], ignore_index=True)
    r = si.read_responses(_csv(tmp_path, df), INST)
    row = r.ledger.excluded.set_index("row").loc[6]
    assert row["reason"] == "blank row (no cell filled)"
    assert row["line"] == 7
    assert r.ledger.rows_in == len(df) and r.ledger.rows_excluded >= 1
    # the checks it failed stay in the validation report
    assert (r.ledger.report().query("row == 6")["action"] == "row excluded").sum() > 1
