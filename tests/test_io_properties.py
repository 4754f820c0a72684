"""Property-based tests: random valid files round-trip through every format, and random
corruptions of a file or of its cells end in a ResponseDataError or a balanced ledger, never in
any other exception."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import surveyindex as si
from surveyindex.errors import ResponseDataError
from surveyindex.io.read import BLANK, DONT_KNOW, REFUSED, VALID

INST = si.load_instrument("softpower")
ITEM_COLS = [INST.column(t, i) for t in INST.target_codes for i in INST.item_ids]
FAV_COLS = [INST.column(t, "fav") for t in INST.target_codes]
SETTINGS = settings(max_examples=int(__import__("os").environ.get("SI_HYPOTHESIS_EXAMPLES", 25)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def valid_frames(draw):
    """Valid respondents; answers are codes 1-5, don't know 8, refused 9 or blank."""
    n = draw(st.integers(1, 6))
    answers = draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 8, 9, None]),
                            min_size=n * len(ITEM_COLS), max_size=n * len(ITEM_COLS)))
    grid = np.array(answers, dtype=object).reshape(n, len(ITEM_COLS))
    grid[:, 0] = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))  # one valid each
    df = pd.DataFrame({
        "resp_id": [f"id{k}" for k in range(n)],
        "country": draw(st.lists(st.sampled_from(["BRA", "DEU", "ZAF", "JPN"]), min_size=n,
                                 max_size=n)),
        "age": draw(st.lists(st.integers(18, 99), min_size=n, max_size=n)),
        "gender": draw(st.lists(st.sampled_from([1, 2]), min_size=n, max_size=n)),
        "education": draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)),
        "region": draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)),
    })
    df = pd.concat([df, pd.DataFrame(grid, columns=ITEM_COLS)], axis=1)
    for c in FAV_COLS:
        df[c] = draw(st.lists(st.sampled_from([0, 5, 10, 98, 99]), min_size=n, max_size=n))
    return df


def _write(df: pd.DataFrame, fmt: str, path) -> None:
    if fmt == "csv-cp1252-semicolon":
        path.write_bytes(df.to_csv(sep=";", index=False).encode("cp1252"))
    elif fmt == "csv-bom-tab":
        path.write_bytes(b"\xef\xbb\xbf" + df.to_csv(sep="\t", index=False).encode())
    elif fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "xlsx":
        df.to_excel(path, index=False)
    elif fmt == "parquet":
        df.astype({c: float for c in [*ITEM_COLS, *FAV_COLS]}).to_parquet(path)
    elif fmt == "sav":
        import pyreadstat

        num = df.astype({c: float for c in [*ITEM_COLS, *FAV_COLS, "age", "gender",
                                            "education", "region"]})
        pyreadstat.write_sav(num, path, missing_ranges={c: [8, 9] for c in ITEM_COLS})
    elif fmt == "dta":
        import pyreadstat

        pyreadstat.write_dta(df.astype({c: float for c in [*ITEM_COLS, *FAV_COLS]}), path)


SUFFIX = {"csv-cp1252-semicolon": ".csv", "csv-bom-tab": ".tsv", "csv": ".csv",
          "xlsx": ".xlsx", "parquet": ".parquet", "sav": ".sav", "dta": ".dta"}


@SETTINGS
@given(df=valid_frames(), fmt=st.sampled_from(list(SUFFIX)))
def test_valid_files_round_trip(tmp_path_factory, df, fmt):
    if fmt in ("sav", "dta"):
        pytest.importorskip("pyreadstat")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path_factory.mktemp("rt") / f"w{SUFFIX[fmt]}"
    _write(df, fmt, path)
    r = si.read_responses(path, INST)
    assert r.ledger.rows_in == len(df) == r.n and r.ledger.rows_excluded == 0
    assert r.ledger.warnings.empty
    raw = df[ITEM_COLS].to_numpy(dtype=float).reshape(len(df), 2, -1)
    want_kind = np.select([np.isnan(raw), raw == 8, raw == 9], [BLANK, DONT_KNOW, REFUSED], VALID)
    assert np.array_equal(r.missing_kind, want_kind)
    rev = np.array([it.reverse for _, it in INST.items()])
    want = np.where(want_kind == VALID, np.where(rev, 6 - raw, raw), np.nan)
    np.testing.assert_array_equal(r.values, want)
    assert r.respondents["resp_id"].tolist() == df["resp_id"].tolist()
    assert r.respondents["age"].tolist() == df["age"].astype(float).tolist()


def _valid_csv_bytes() -> bytes:
    rng = np.random.default_rng(7)
    n = 4
    cols = {"resp_id": [f"id{k}" for k in range(n)], "country": ["BRA", "DEU", "ZAF", "JPN"],
            "age": [20, 30, 40, 50], "gender": [1, 2, 1, 2], "education": [1, 2, 3, 4],
            "region": [1, 2, 3, 4]}
    for c in ITEM_COLS:
        cols[c] = rng.integers(1, 6, n)
    for c in FAV_COLS:
        cols[c] = rng.integers(0, 11, n)
    buf = io.StringIO()
    pd.DataFrame(cols).to_csv(buf, index=False)
    return buf.getvalue().encode()


VALID_CSV = _valid_csv_bytes()
JUNK = st.sampled_from([b"", b",", b";", b"\n", b'"', b"\x00", b"\xff\xfe", b"=HYPERLINK(1)",
                        b"\xe9", b"NaN", b"1e400", b"-", b"\r\n", b"\t", b"#NULL!"])


@st.composite
def corrupted_bytes(draw):
    data = bytearray(VALID_CSV)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "delete", "insert", "replace"]))
        pos = draw(st.integers(0, len(data)))
        if op == "cut":
            data = data[:pos]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 40)):]
        elif op == "insert":
            data = data[:pos] + draw(JUNK | st.binary(max_size=8)) + data[pos:]
        elif pos < len(data):
            data[pos] = draw(st.integers(0, 255))
    return bytes(data)


def _read_never_crashes(source, **kw) -> None:
    try:
        r = si.read_responses(source, INST, **kw)
    except ResponseDataError:
        return
    led = r.ledger
    assert led.rows_in == led.rows_kept + led.rows_excluded
    assert led.respondents_kept == r.n <= led.rows_kept
    if isinstance(source, pd.DataFrame):  # every row of the input counted, in either layout
        assert led.rows_in == len(source)
    assert r.values.shape == (r.n, 2, 20)


@SETTINGS
@given(data=corrupted_bytes(), suffix=st.sampled_from([".csv", ".xlsx", ".sav", ".dta", ".parquet"]))
def test_corrupted_files_never_crash(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bad") / f"bad{suffix}"
    path.write_bytes(data)
    _read_never_crashes(path)


CELLS = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.sampled_from(["=HYPERLINK(\"x\")", "Agree", " don't KNOW ", "8", "9.0", "#N/A",
                                   "BRA", "bra", "Male", "  "]))


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 47), CELLS), max_size=20),
       layout=st.sampled_from(["wide", "long"]))
def test_corrupted_cells_never_crash(edits, layout):
    df = pd.read_csv(io.BytesIO(VALID_CSV)).astype(object)
    for r, c, v in edits:
        df.iat[r, c] = v
    if layout == "long":
        long = df.melt(id_vars=list(df.columns[:6]), var_name="col", value_name="value")
        parts = long["col"].str.split("_", n=1, expand=True)
        df = long.drop(columns="col").assign(target=parts[0], item=parts[1])
    _read_never_crashes(df, layout=layout)
