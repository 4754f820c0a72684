"""Write the corpus of broken response files the robustness tests read (python make_broken.py).

Each file is small (three or four respondents of the bundled soft-power instrument) and broken in
one way an agency delivery can be: cut off, in another encoding, empty, header only, mixed types,
a column of nothing, duplicated header names, formula-looking text, binary data under a .csv name,
a row with too many fields. tests/test_io_broken.py says what each must give.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))  # the checkout's package, installed or not
import surveyindex as si  # noqa: E402


def base(n: int = 3) -> pd.DataFrame:
    """A valid wide frame: varied answers, adults in Brazil, Germany and Japan."""
    inst = si.load_instrument("softpower")
    cols = {"resp_id": [f"r{i + 1}" for i in range(n)],
            "country": (["BRA", "DEU", "JPN"] * n)[:n], "age": [25 + 10 * i for i in range(n)],
            "gender": [1 + i % 2 for i in range(n)], "education": [2] * n, "region": [1] * n}
    for t in inst.target_codes:
        for k, i in enumerate(inst.item_ids):
            cols[inst.column(t, i)] = [1 + (k + r) % 5 for r in range(n)]
        cols[inst.column(t, "fav")] = [5 + r for r in range(n)]
    return pd.DataFrame(cols)


def csv_text(df: pd.DataFrame, sep: str = ",") -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, sep=sep, lineterminator="\n")
    return buf.getvalue()


def main() -> None:
    df = base()
    text = csv_text(df)
    lines = text.splitlines(keepends=True)
    # Cut off in the middle of the last row, as an interrupted download leaves it.
    (HERE / "truncated.csv").write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 3])
    # An open answer with accents, saved by Excel on Windows: cp1252 and semicolons.
    fr = df.assign(comment=["très bien", "schön", "ça va"])
    (HERE / "wrong_encoding.csv").write_bytes(csv_text(fr, ";").encode("cp1252"))
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "blank_lines.csv").write_text("\n\n  \n")
    (HERE / "header_only.csv").write_text(lines[0])
    mixed = df.astype(object)
    mixed.loc[0, "age"] = "thirty"          # text in a numeric demographic: row excluded
    mixed.loc[1, "USA_mor1"] = "3.5"        # not a code: set to missing
    mixed.loc[1, "USA_mor2"] = "abc"        # not a label: set to missing
    mixed.loc[2, "gender"] = "Female"       # a label: accepted as code 2
    mixed.loc[2, "USA_com1"] = " agree "    # a label: accepted as code 4
    (HERE / "mixed_types.csv").write_text(csv_text(mixed))
    (HERE / "all_missing_column.csv").write_text(csv_text(df.assign(USA_mor2=None)))
    dup = df.copy()
    dup.insert(7, "USA_mor1", [5, 5, 5], allow_duplicates=True)
    (HERE / "duplicated_headers.csv").write_text(csv_text(dup))
    same = df.copy()
    same.insert(7, "USA_mor1", df["USA_mor1"].to_numpy(), allow_duplicates=True)
    (HERE / "duplicated_headers_same.csv").write_text(csv_text(same))
    formula = df.astype(object).assign(comment=['=HYPERLINK("http://evil.example","click")',
                                                "+1+1", "@SUM(A1)"])
    formula.loc[1, "country"] = "=cmd|' /C calc'!A0"
    formula.loc[2, "resp_id"] = "=1+2"
    (HERE / "formula_text.csv").write_text(csv_text(formula))
    (HERE / "binary_as_csv.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (HERE / "ragged.csv").write_text("".join(lines[:2]) + lines[2].rstrip("\n") + ",7,7\n"
                                     + "".join(lines[3:]))
    xlsx = io.BytesIO()
    df.to_excel(xlsx, index=False)
    (HERE / "truncated.xlsx").write_bytes(xlsx.getvalue()[: len(xlsx.getvalue()) // 2])
    (HERE / "utf16_bom.csv").write_bytes(text.encode("utf-16"))
    try:
        import pyreadstat
    except ImportError:  # the SPSS file needs the [sav] extra; the other files do not
        return
    sav = HERE / "truncated.sav"
    pyreadstat.write_sav(df, sav)
    sav.write_bytes(sav.read_bytes()[: sav.stat().st_size * 2 // 3])


if __name__ == "__main__":
    main()
