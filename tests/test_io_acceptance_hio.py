"""Defects of reading real files left by the acceptance pass (hio): each is read as a user meets
it, from a file written to disk, and gives an error or a warning naming file, line, column and
value, or a ledger entry, never a silent change."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
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
    else:
        df.to_csv(path, index=False)
    return path


# -- 1. blank markers in any case -----------------------------------------------------------------

MARKERS = ["n/a", "NA ", " Na", "null", "Null", "none", "NONE", "#n/a", "#null!", "NAN", "N/a"]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("kind, n", [("r.csv", 10), ("r.csv", 3000), ("r.xlsx", 10),
                                     ("r.parquet", 10), ("frame", 10)])
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


def test_text_that_only_contains_a_marker_is_not_blank(tmp_path):
    df = _fav()
    df.loc[0, "USA_fav"] = "n/a yet"
    with pytest.raises(ResponseDataError, match=r"'n/a yet' is not a label of scale fav4"):
        si.read_responses(_write(df, tmp_path / "r.csv"), FAV)
