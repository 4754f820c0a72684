"""Defects of reading real files left by the acceptance pass (hio): each is read as a user meets
it, from a file written to disk, and gives an error or a warning naming file, line, column and
value, or a ledger entry, never a silent change."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import ResponseDataError
from surveyindex.instrument import BLANK, VALID

ROOT = Path(__file__).resolve().parents[1]
FAV = si.load_instrument("favourability")


def _fav(n: int = 10) -> pd.DataFrame:
    """A wide favourability file as text: ids r0..., every answer valid."""
    return pd.DataFrame({
        "resp_id": [f"r{i}" for i in range(n)], "country": "BRA",
        "age": [str(20 + i % 60) for i in range(n)], "gender": [str(1 + i % 2) for i in range(n)],
        "education": [str(1 + i % 3) for i in range(n)],
        "USA_fav": [str(1 + i % 4) for i in range(n)], "CHN_fav": "2", "RUS_fav": "3"},
        dtype=object)


def _write(df: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    elif path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix in (".dta", ".sav"):
        import pyreadstat

        (pyreadstat.write_dta if path.suffix == ".dta" else pyreadstat.write_sav)(df, str(path))
    else:
        df.to_csv(path, index=False)
    return path


# -- 1. blank markers in any case -----------------------------------------------------------------

MARKERS = ["n/a", "NA ", " Na", "null", "Null", "none", "NONE", "#n/a", "#null!", "NAN", "N/a"]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("kind, n", [("r.csv", 10), ("r.csv", 3000), ("r.xlsx", 10),
                                     ("r.parquet", 10), ("r.sav", 10), ("frame", 10)])
def test_blank_markers_are_read_as_blank_in_any_case(tmp_path, marker, kind, n):
    # Before: "N/A" was blank but "n/a" an unknown label (an error stopping the read), in the
    # CSV text path (short or long columns), Excel, Parquet text columns and a data frame alike.
    df = _fav(n)
    df.loc[0, "USA_fav"] = marker
    source = df if kind == "frame" else _write(df, tmp_path / kind)
    r = si.read_responses(source, FAV)
    assert r.missing_kind[0, 0, 0] == BLANK and r.missing_kind[1, 0, 0] == VALID
    assert r.ledger.rows_excluded == 0


@pytest.mark.parametrize("marker", ["n/a", "null", "None "])
def test_a_blank_marker_among_distinct_ids_is_a_missing_id(tmp_path, marker):
    # A column of mostly distinct values (ids) is cleaned vectorised, not per value: same rule.
    df = _fav(3000)
    df.loc[5, "resp_id"] = marker
    r = si.read_responses(_write(df, tmp_path / "r.csv"), FAV)
    assert r.ledger.excluded[["line", "reason"]].values.tolist() == [[7, "missing respondent id"]]


def test_a_lower_case_label_reading_like_a_blank_cell_is_warned_about(tmp_path):
    text = (ROOT / "instruments" / "favourability.yaml").read_text()
    path = tmp_path / "inst.yaml"
    path.write_text(text.replace("1: Very unfavorable", "1: none", 1))
    with pytest.warns(UserWarning, match=r"code 1 'none' read like a blank cell"):
        si.read_responses(_write(_fav(), tmp_path / "r.csv"), si.load_instrument(path))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_pandas_own_na_texts_are_not_blank_in_any_reader(tmp_path, suffix):
    # Before: a workbook's '<NA>' was blank (pandas' list), a CSV's an unknown label.
    df = _fav()
    df.loc[0, "USA_fav"] = "<NA>"
    with pytest.raises(ResponseDataError, match=r"'<NA>' is not a label of scale fav4"):
        si.read_responses(_write(df, tmp_path / f"r{suffix}"), FAV)


def test_text_that_only_contains_a_marker_is_not_blank(tmp_path):
    df = _fav()
    df.loc[0, "USA_fav"] = "n/a yet"
    with pytest.raises(ResponseDataError, match=r"'n/a yet' is not a label of scale fav4"):
        si.read_responses(_write(df, tmp_path / "r.csv"), FAV)


# -- 4. a declared encoding that is not the file's -------------------------------------------------

def _even(path: Path) -> Path:
    """The file with an even number of bytes, which a UTF-16 decoder takes without complaint."""
    if path.stat().st_size % 2:
        path.write_bytes(path.read_bytes() + b"\n")
    return path


@pytest.mark.parametrize("n, encoding", [(10, "utf-16"), (3000, "utf-16"), (3000, "utf-16-be")])
def test_utf16_declared_for_a_utf8_file_names_the_encoding_it_reads_as(tmp_path, n, encoding):
    # Before: "cannot be read as a .csv file (Error: field larger than field limit (131072))"
    # for a file of a few thousand rows; for a small one, every column "missing" under names in
    # Chinese characters.
    path = _even(_write(_fav(n), tmp_path / "r.csv"))
    with pytest.raises(ResponseDataError) as got:
        si.read_responses(path, FAV, encoding=encoding)
    msg = str(got.value)
    assert msg.startswith(f"{path}: read as {encoding} (the declared encoding), the file has no "
                          "line break")
    assert "it reads as utf-8 text: omit encoding= to have it detected" in msg
    assert "field limit" not in msg and "missing" not in msg


def test_a_project_file_declaring_the_wrong_encoding_is_one_line(tmp_path):
    _even(_write(_fav(3000), tmp_path / "r.csv"))
    (tmp_path / "p.yaml").write_text("instrument: favourability\nresponses: r.csv\n"
                                     "margins: none\nreading: {encoding: utf-16}\n")
    out = subprocess.run([sys.executable, "-m", "surveyindex", "validate",
                          str(tmp_path / "p.yaml")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout
    assert "read as utf-16 (the declared encoding)" in out.stderr
    assert "the reading: encoding: line" in out.stderr
    assert "Traceback" not in out.stderr and "field limit" not in out.stderr


def test_an_8bit_encoding_declared_for_utf16_without_bom_says_utf16(tmp_path):
    # UTF-16 of ASCII text is valid UTF-8 and cp1252: it was read, NULs and all, and every
    # column was "missing"
    path = tmp_path / "r.csv"
    path.write_bytes(_fav().to_csv(index=False).encode("utf-16-le"))
    for declared in ("utf-8", "cp1252"):
        with pytest.raises(ResponseDataError, match=rf"read as {declared} \(the declared "
                           r"encoding\), its text holds NUL characters \(line 1\).* pass "
                           r"encoding='utf-16-le'"):
            si.read_responses(path, FAV, encoding=declared)
    assert si.read_responses(path, FAV, encoding="utf-16-le").n == 10


def test_a_declared_encoding_that_fails_suggests_the_detected_one(tmp_path):
    path = _write(_fav(), tmp_path / "r.csv")
    with pytest.raises(ResponseDataError, match=r"not valid utf-32 text \(byte 0x72 on line 1\); "
                                                r"it reads as utf-8 text: omit encoding="):
        si.read_responses(path, FAV, encoding="utf-32")


# -- 3. one respondent id written two ways --------------------------------------------------------

def _ids(ids: list[str]) -> pd.DataFrame:
    df = _fav(len(ids))
    df["resp_id"] = ids
    return df


@pytest.mark.parametrize("a, b", [("6", "6.0"), ("6", "6.00"), ("1.5", "1.50"), ("006", "6.0")])
def test_an_id_and_its_decimal_form_are_an_error_naming_both_lines(tmp_path, a, b):
    # Before: '6' and '6.0' were two respondents, without a word (a float column of one
    # export pasted under another's integers).
    ids = [f"x{i}" for i in range(10)]
    ids[3], ids[8] = a, b
    with pytest.raises(ResponseDataError) as got:
        si.read_responses(_write(_ids(ids), tmp_path / "r.csv"), FAV)
    msg = str(got.value)
    assert f"line 10 (id {b}): resp_id = '{b}'" in msg
    assert f"respondent id '{b}' and the id '{a}' of line 5 are one number written two ways" in msg


def test_an_id_with_leading_zeros_beside_the_plain_one_is_a_warning(tmp_path):
    ids = [str(i) for i in range(10)]
    ids[8] = "006"
    with pytest.warns(UserWarning, match=r"r.csv: 1 respondent id\(s\) differ from another "
                      r"row's id only by leading zeros \(line 10: respondent id '006' is the id "
                      r"'6' of line 8 with leading zeros\); they are read as different"):
        r = si.read_responses(_write(_ids(ids), tmp_path / "r.csv"), FAV)
    assert r.n == 10 and {"6", "006"} <= set(r.respondents["resp_id"])  # not merged
    note = r.ledger.report().query("column == 'resp_id'")
    assert note[["line", "value", "action"]].values.tolist() == [[10, "006", "note"]]


@pytest.mark.parametrize("ids", [[f"{i:04d}" for i in range(10)],            # zero-padded
                                 [f"{i}.0" for i in range(10)],              # all floats
                                 [f"a.{i}" for i in range(10)],              # text with dots
                                 ["0", "1", "2", "0.5", "10", "01a", "7", "8", "9", "3"]])
def test_ids_written_one_way_read_quietly(tmp_path, ids):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = si.read_responses(_write(_ids(ids), tmp_path / "r.csv"), FAV)
    assert r.respondents["resp_id"].tolist() == ids


def test_long_file_id_and_its_decimal_form_are_an_error(tmp_path):
    rows = [{"resp_id": str(i), "country": "BRA", "age": 30, "gender": 1, "education": 1,
             "target": t, "item": "fav", "value": 2} for i in range(5) for t in ("USA", "CHN", "RUS")]
    rows[-3:] = [{**r, "resp_id": "2.0"} for r in rows[-3:]]  # respondent 4 as 2.0
    pd.DataFrame(rows).to_csv(tmp_path / "long.csv", index=False)
    with pytest.raises(ResponseDataError, match=r"line 14 \(id 2\.0\): resp_id = '2\.0'"):
        si.read_responses(tmp_path / "long.csv", FAV, layout="long")


# -- 2. KoboToolbox/ODK timestamps that are not dates and times -----------------------------------

def _kobo(tmp_path, **cells) -> Path:
    src = ROOT / "examples/real-files/kobo/kobo_export.csv"
    df = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False)
    for key, value in cells.items():
        col, row = key.rsplit("_", 1)
        df.loc[int(row), col] = value
    p = tmp_path / "k.csv"
    df.to_csv(p, sep=";", index=False)
    return p


def test_unreadable_start_or_end_is_warned_and_flagged_as_unknown_length(tmp_path):
    # Before: '03/05/2024 10:00' (a date as a spreadsheet writes it) gave interview_seconds NaN,
    # and the speeder rule passed the row as if it had been checked: no warning, no flag.
    p = _kobo(tmp_path, start_2="03/05/2024 10:00", start_6="soon", end_9="garbage")
    with pytest.warns(UserWarning) as got:
        r = si.read_responses(p, FAV)
    said = [str(w.message) for w in got if "not a date and time" in str(w.message)]
    assert said == [
        f"{p}: start: 2 cells not a date and time (first: line 4, '03/05/2024 10:00'), so the "
        "interview length (interview_seconds) is unknown; those rows are flagged as 'interview "
        "length unknown', not checked for speeding",
        f"{p}: end: 1 cell not a date and time (first: line 11, 'garbage'), so the interview "
        "length (interview_seconds) is unknown; that row is flagged as 'interview length "
        "unknown', not checked for speeding"]
    rep = r.ledger.report()
    unknown = rep[rep["problem"].str.startswith("interview length unknown")]
    assert unknown[["line", "column", "value", "action"]].values.tolist() == [
        [4, "start", "03/05/2024 10:00", "flagged"], [8, "start", "soon", "flagged"],
        [11, "end", "garbage", "flagged"]]
    assert r.ledger.rows_kept == r.ledger.rows_in  # flagged, not excluded, by default
    summary = dict(r.ledger.summary().values.tolist())
    assert summary["  flagged, kept: interview length unknown"] == 3
    # excluding speeders excludes what cannot be checked too, as for a zero length
    with pytest.warns(UserWarning, match=r"(those rows are|that row is) excluded \(speeders are "
                                         r"excluded\) as 'interview length unknown'"):
        strict = si.read_responses(p, FAV, quality=si.io.QualityRules(exclude={"speeder"}))
    assert {4, 8, 11} <= set(strict.ledger.excluded["line"])


def test_unreadable_timestamps_with_another_duration_column_only_warn(tmp_path):
    p = _kobo(tmp_path, end_3="garbage")
    with pytest.warns(UserWarning, match=r"end: 1 cell not a date and time \(first: line 5, "
                                         r"'garbage'\).* interview_seconds is blank there"):
        r = si.read_responses(p, FAV, quality=si.io.QualityRules(duration="_index"))
    assert not r.ledger.report()["problem"].str.startswith("interview length unknown").any()


def test_readable_timestamps_say_nothing(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        si.read_responses(_kobo(tmp_path, end_3=""), FAV)  # a blank end: length blank, no flag


# -- 5. a long file's ledger counts its rows ------------------------------------------------------

def _long_rows(n: int = 20) -> list[dict]:
    return [{"resp_id": f"r{i}", "country": ("BRA", "NGA")[i % 2], "age": 18 + (i * 7) % 60,
             "gender": 1 + i % 2, "education": 1 + i % 3, "target": t, "item": "fav",
             "value": 1 + (i + k) % 4} for i in range(n) for k, t in enumerate(["USA", "CHN", "RUS"])]


def test_long_file_ledger_counts_records_and_says_how_many_respondents(tmp_path):
    # Before: "20 rows in = 19 kept + 1 excluded" for a file of 63 rows: the records ignored
    # (unknown target, no id, a repeat) were in no count, nor the excluded respondent's others.
    rows = _long_rows()
    rows[0]["age"] = 5                           # r0 excluded: its 3 records are
    rows[4]["value"] = 7                         # r1's CHN answer off the scale, on line 6
    rows += [{**rows[3], "target": "FRA"},       # line 62: unknown target
             {**rows[3], "resp_id": None},       # line 63: no respondent id
             {**rows[6]}]                        # line 64: r2's USA answer again
    p = tmp_path / "long.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    r = si.read_responses(p, FAV, layout="long")
    led = r.ledger
    assert str(led) == (f"{p}: 63 rows in = 57 kept + 6 excluded, records of 20 respondents "
                        "(19 kept); 1 cell warnings")
    assert led.rows_in == len(rows) == led.rows_kept + led.rows_excluded
    assert (led.respondents, led.respondents_kept, r.n) == (20, 19, 19)
    assert led.excluded[["line", "resp_id", "reason"]].values.tolist() == [
        [2, "r0", "age outside 18-99 (got 5)"], [3, "r0", "age outside 18-99 (got 5)"],
        [4, "r0", "age outside 18-99 (got 5)"], [62, "r1", "unknown target (record ignored)"],
        [63, "", "missing respondent id (record ignored)"],
        [64, "r2", "repeated answer (record ignored, the first kept)"]]
    # a cell is located at the record that holds it, not at its respondent's first line
    assert led.warnings[["row", "line", "column", "value"]].values.tolist() == [[5, 6, "CHN_fav", "7"]]
    summary = dict(led.summary().values.tolist())
    assert summary["respondents in (the rows' records)"] == 20
    assert summary["respondents kept"] == 19 and summary["  excluded: age outside 18-99"] == 3
    assert summary["  excluded: unknown target"] == summary["  excluded: repeated answer"] == 1
    assert summary["notes on reading the file"] >= 3
    # every report row is a file data row, at its file line
    rep = led.report().dropna(subset=["row"])
    assert (rep["line"] == rep["row"] + 1).all()


def test_wide_file_ledger_still_counts_respondents_as_rows(tmp_path):
    r = si.read_responses(_write(_fav(), tmp_path / "r.csv"), FAV)
    assert r.ledger.respondents is None and r.ledger.respondents_kept == r.ledger.rows_kept == 10
    assert "respondents" not in str(r.ledger)


def test_long_file_methodology_says_records_and_respondents(tmp_path):
    rows = _long_rows(40)
    rows[0]["age"] = 5
    pd.DataFrame(rows).to_csv(tmp_path / "long.csv", index=False)
    res = si.run_pipeline("favourability", tmp_path / "long.csv", None, replicates=5,
                          progress=False, read_options={"layout": "long"})
    assert res.methodology["Rows"] == ("120 read, 117 kept, 3 excluded (records of 40 "
                                       "respondents, 39 kept; see the Exclusions sheet)")


def test_long_file_cut_short_excludes_the_record(tmp_path):
    # Before: the last record, cut after 'fav,', gave r39 a blank RUS answer, without a word
    # (short rows were only checked in wide files).
    p = tmp_path / "long.csv"
    pd.DataFrame(_long_rows(40)).to_csv(p, index=False)
    p.write_text(p.read_text().rstrip("\n")[:-2] + "\n")
    r = si.read_responses(p, FAV, layout="long")
    assert r.ledger.excluded[["line", "resp_id", "reason"]].values.tolist() == [
        [121, "r39", "row has fewer fields than the header (record ignored)"]]
    assert r.ledger.rows_in == 120 and r.n == 40


def test_long_file_error_names_the_line_of_the_record(tmp_path):
    # Before: an unknown label was shown at its respondent's first line, not the record's.
    rows = _long_rows()
    rows[5]["value"] = "Sort of"  # r1's RUS answer, line 7 (r1's first record is on line 5)
    pd.DataFrame(rows).to_csv(tmp_path / "long.csv", index=False)
    with pytest.raises(ResponseDataError, match=r"line 7 \(id r1\): RUS_fav = 'Sort of'"):
        si.read_responses(tmp_path / "long.csv", FAV, layout="long")
