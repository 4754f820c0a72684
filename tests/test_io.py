"""Reading responses: recoding, missing codes, and a ledger that accounts for every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.errors import ResponseDataError
from surveyindex.io.read import BLANK, DONT_KNOW, INVALID, REFUSED, VALID


def _frame(inst, n=3):
    """A small valid wide frame: every item answered 2, ages 30."""
    cols = {"resp_id": [f"r{i}" for i in range(n)], "country": ["BRA"] * n, "age": [30] * n,
            "gender": [1] * n, "education": [2] * n, "region": [1] * n}
    for t in inst.target_codes:
        for i in inst.item_ids:
            cols[inst.column(t, i)] = [2] * n
        cols[inst.column(t, "fav")] = [7] * n
    return pd.DataFrame(cols)


def test_ledger_balances_on_the_bundled_sample(sample):
    led = sample.ledger
    assert led.rows_in == led.rows_kept + led.rows_excluded
    assert led.rows_kept == sample.n == len(sample.respondents)
    raw = pd.read_csv(si.sample_paths()["responses"])
    assert led.rows_in == len(raw)
    # The generator planted 6 under-age rows, 4 duplicated ids, 3 unknown countries, 5 empty rows.
    counts = led.summary().set_index("item")["count"]
    assert counts["  excluded: age outside 18-99"] == 6
    assert counts["  excluded: duplicate respondent id"] == 4
    assert counts["  excluded: country not an ISO 3166 alpha-3 code"] == 3
    assert counts["  excluded: no valid answer to any item"] == 5
    assert set(sample.respondents["resp_id"]).isdisjoint(led.excluded["resp_id"][
        ~led.excluded["reason"].str.startswith("duplicate")])


def test_reverse_keyed_items_and_missing_codes_are_recoded(inst):
    df = _frame(inst)
    df.loc[0, "USA_mor4"] = 2        # reverse-keyed: 2 on 1-5 becomes 4
    df.loc[1, "USA_mor1"] = 8        # don't know
    df.loc[2, "USA_mor1"] = 9        # refused
    df.loc[0, "USA_mor2"] = np.nan   # blank
    df.loc[1, "USA_mor2"] = 7        # not a code of the scale: warning, set to missing
    r = si.read_responses(df, inst)
    j = inst.item_ids.index
    t = 0
    assert r.values[0, t, j("mor4")] == 4
    assert r.values[0, t, j("mor1")] == 2
    assert np.isnan(r.values[1, t, j("mor1")]) and r.missing_kind[1, t, j("mor1")] == DONT_KNOW
    assert r.missing_kind[2, t, j("mor1")] == REFUSED
    assert r.missing_kind[0, t, j("mor2")] == BLANK
    assert r.missing_kind[1, t, j("mor2")] == INVALID
    assert r.missing_kind[0, t, j("com1")] == VALID
    w = r.ledger.warnings
    assert len(w) == 1 and w.iloc[0]["column"] == "USA_mor2" and w.iloc[0]["row"] == 2
    assert w.iloc[0]["resp_id"] == "r1"
    assert r.ledger.rows_excluded == 0


def test_bad_rows_are_excluded_with_reasons(inst):
    df = _frame(inst, 6)
    df.loc[1, "resp_id"] = "r0"
    df.loc[2, "gender"] = 5
    df.loc[3, "country"] = "Brazil"
    item_cols = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    df.loc[4, item_cols] = 8
    df["age"] = df["age"].astype(object)
    df.loc[5, "age"] = "unknown"
    r = si.read_responses(df, inst)
    reasons = r.ledger.excluded.set_index("row")["reason"].to_dict()
    assert reasons[2] == "duplicate respondent id (first at row 1)"
    assert reasons[3].startswith("gender not one of the codes [1, 2] (got 5)")
    assert reasons[4] == "country not an ISO 3166 alpha-3 code (got 'Brazil')"
    assert reasons[5] == "no valid answer to any item"
    assert reasons[6] == "age missing or not a number"
    assert r.n == 1 and r.ledger.rows_in == 6


def test_missing_columns_are_named(inst, tmp_path):
    df = _frame(inst).drop(columns=["CHN_edu3", "region"])
    path = tmp_path / "wave.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ResponseDataError, match=r"wave\.csv: 2 column\(s\).*region.*CHN_edu3"):
        si.read_responses(path, inst)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (None, "header but no data rows"),
    (b"\xff\xfe\x00a\x00b", "right file, encoding and delimiter"),
])
def test_unreadable_files_give_clear_errors(inst, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is None:
        _frame(inst).iloc[:0].to_csv(path, index=False)
    else:
        path.write_bytes(content)
    with pytest.raises(ResponseDataError, match=message):
        si.read_responses(path, inst)


def test_missing_file_and_unknown_type(inst, tmp_path):
    with pytest.raises(ResponseDataError, match="file not found"):
        si.read_responses(tmp_path / "nope.csv", inst)
    odd = tmp_path / "data.json"
    odd.write_text("{}")
    with pytest.raises(ResponseDataError, match="unsupported file type '.json'"):
        si.read_responses(odd, inst)


def test_item_table_is_long_and_complete(sample, inst):
    t = sample.item_table()
    assert len(t) == sample.n * len(inst.target_codes) * len(inst.item_ids)
    first = t.iloc[0]
    assert (first["target"], first["item"], first["dimension"]) == ("USA", "mor1", "morality")


def test_responses_are_read_only(sample):
    with pytest.raises(ValueError):
        sample.values[0, 0, 0] = 1.0
