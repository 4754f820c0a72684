"""The corpus of broken files (tests/data/broken, written by make_broken.py): each gives a clear
ResponseDataError naming the file and the fault, or reads with the fault recorded in the ledger;
never a traceback from inside pandas, openpyxl or pyreadstat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import surveyindex as si
from surveyindex.errors import ResponseDataError

BROKEN = Path(__file__).parent / "data" / "broken"


@pytest.mark.parametrize("name, message", [
    ("empty.csv", r"the file is empty \(0 bytes\)"),
    ("blank_lines.csv", r"the file is empty \(no text\)"),
    ("header_only.csv", "the file has a header but no data rows"),
    ("binary_as_csv.csv", "is a zip/Excel file, not delimited text; rename it .xlsx"),
    ("ragged.csv", r"malformed delimited text \(Expected 48 fields in line 3, saw 50\)"),
    ("truncated.xlsx", "cannot be opened as an Excel workbook .*is the file complete"),
    ("duplicated_headers.csv", r"duplicated column name \(columns 7, 8\) with different contents"),
    ("truncated.sav", r"cannot be read as a .sav file .*is it complete"),
])
def test_broken_files_give_a_clear_error(inst, name, message):
    if name.endswith(".sav"):
        pytest.importorskip("pyreadstat")
    with pytest.raises(ResponseDataError, match=message) as info:
        si.read_responses(BROKEN / name, inst)
    assert str(info.value).startswith(str(BROKEN / name))


def test_wrong_encoding_is_detected_or_reported(inst):
    path = BROKEN / "wrong_encoding.csv"
    r = si.read_responses(path, inst)
    assert r.n == 3 and "read: encoding cp1252 detected" in r.ledger.report()["problem"].tolist()
    with pytest.raises(ResponseDataError, match=r"not valid utf-8 text \(byte 0xe8 on line 2\)"):
        si.read_responses(path, inst, encoding="utf-8")
    with pytest.raises(ResponseDataError, match="unknown encoding 'klingon'"):
        si.read_responses(path, inst, encoding="klingon")


def test_truncated_csv_excludes_the_cut_row(inst):
    led = si.read_responses(BROKEN / "truncated.csv", inst).ledger
    assert led.excluded[["row", "line", "resp_id"]].values.tolist() == [[3, 4, "r3"]]
    assert led.excluded["reason"].item() == "row has fewer fields than the header (file truncated?)"


def test_mixed_types_are_excluded_or_set_to_missing(inst):
    # issue 14: an unknown label is an error by default; set to missing only when asked
    with pytest.raises(ResponseDataError, match="'abc' is not a label of scale agree5"):
        si.read_responses(BROKEN / "mixed_types.csv", inst)
    r = si.read_responses(BROKEN / "mixed_types.csv", inst, unknown_labels="missing")
    assert r.ledger.excluded[["row", "reason"]].values.tolist() == [[1, "age missing or not a number"]]
    assert r.ledger.warnings[["row", "column", "value"]].values.tolist() == [
        [2, "USA_mor1", "3.5"], [2, "USA_mor2", "abc"]]
    assert r.respondents["gender"].tolist() == ["2", "2"]  # "Female" read as code 2
    assert r.values[1, 0, inst.item_ids.index("com1")] == 4  # " agree " read as 4


def test_all_missing_column_is_noted_and_blank(inst):
    r = si.read_responses(BROKEN / "all_missing_column.csv", inst)
    rep = r.ledger.report()
    assert rep.loc[rep["problem"] == "column has no answers at all", "column"].tolist() == ["USA_mor2"]
    assert (r.missing_kind[:, 0, inst.item_ids.index("mor2")] == si.io.read.BLANK).all()


def test_identical_duplicated_headers_read_with_a_note(inst):
    r = si.read_responses(BROKEN / "duplicated_headers_same.csv", inst)
    assert r.n == 3
    assert r.ledger.report()["problem"].str.contains("identical contents").any()


def test_formula_text_is_kept_as_text(inst):
    r = si.read_responses(BROKEN / "formula_text.csv", inst)
    assert r.ledger.excluded["reason"].item() == (
        "country not an ISO 3166 alpha-3 code (got '=cmd|' /C calc'!A0')")
    assert r.respondents["resp_id"].tolist() == ["r1", "=1+2"]


def test_utf16_with_bom_reads(inst):
    r = si.read_responses(BROKEN / "utf16_bom.csv", inst)
    assert r.n == 3 and np.isfinite(r.values).all()


def test_corpus_is_what_the_generator_writes(tmp_path, monkeypatch):
    """The committed files are the generator's output, so the expectations above stay reproducible."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_broken", BROKEN / "make_broken.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.main()
    for f in tmp_path.iterdir():
        if f.suffix not in (".xlsx", ".sav"):  # both embed the time they were written
            assert f.read_bytes() == (BROKEN / f.name).read_bytes(), f.name
