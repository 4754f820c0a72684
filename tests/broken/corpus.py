"""The broken-input corpus: each case, what is wrong with it, what surveyindex must answer.

``python tests/broken/corpus.py`` writes the files into tests/broken/files/ and the table in
tests/broken/README.md; tests/test_broken_corpus.py runs every case through the API and the CLI.
Each file is small: 40 respondents (20 in Brazil, 20 in Germany) of the corpus instrument
mini.yaml, broken in one way. ``outcome`` is "error" (a SurveyIndexError whose message matches
``answer``; the CLI exits 1 with it on one line) or "reads" (the ledger balances and its report
matches ``answer``; ``surveyindex validate`` passes).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
FILES = HERE / "files"
INSTRUMENT = HERE / "mini.yaml"
GOOD, MARGINS = "good.csv", "good_margins.csv"


@dataclass(frozen=True)
class Case:
    """One broken input. ``kind`` says which input is broken: responses, margins, instrument,
    outputs (an output path; ``outputs`` and ``make`` say which and what is in the way) or
    project (the project file itself)."""

    name: str
    kind: str
    wrong: str
    outcome: str
    answer: str
    options: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    make: dict = field(default_factory=dict)


R, E = "reads", "error"
CASES = [
    # -- the file as a whole ----------------------------------------------------------------
    Case("empty.csv", "responses", "0 bytes", E, r"the file is empty \(0 bytes\)"),
    Case("blank.csv", "responses", "only blank lines", E, r"the file is empty \(no text\)"),
    Case("header_only.csv", "responses", "a header, no data rows", E, "header but no data rows"),
    Case("zip_named_csv.csv", "responses", "an Excel (zip) file named .csv", E,
         "is a zip/Excel file, not delimited text"),
    Case("utf16_no_bom.csv", "responses", "UTF-16 without a byte-order mark", E,
         "contains NUL bytes"),
    Case("ragged.csv", "responses", "a row with two fields too many", E,
         r"malformed delimited text \(Expected 7 fields in line 4, saw 9\)"),
    Case("not_a_table.csv", "responses", "prose, not a table", E,
         "None of them is in the file"),
    Case("wrong_suffix.json", "responses", "a file type not supported", E,
         "unsupported file type '.json'"),
    Case("truncated.xlsx", "responses", "an Excel file cut in half", E,
         "cannot be opened as an Excel workbook"),
    Case("truncated.sav", "responses", "an SPSS file cut in half", E,
         r"cannot be read as a \.sav file"),
    Case("truncated.parquet", "responses", "a Parquet file cut in half", E,
         r"cannot be read as a \.parquet file"),
    # -- columns ------------------------------------------------------------------------------
    Case("missing_item_column.csv", "responses", "item column USA_t3 absent", E,
         r"column\(s\) the instrument 'mini' needs are missing: USA_t3"),
    Case("missing_id_column.csv", "responses", "no resp_id column", E,
         "missing: resp_id"),
    Case("wrong_case_header.csv", "responses", "usa_t1 instead of USA_t1", E,
         "names are case-sensitive"),
    Case("dup_header_different.csv", "responses", "USA_t1 twice, different contents", E,
         r"duplicated column name \(columns 5, 6\) with different contents"),
    Case("dup_header_same.csv", "responses", "USA_t1 twice, same contents", R,
         "identical contents"),
    Case("unnamed_column.csv", "responses", "a data column without a name", R,
         "column without a name ignored"),
    Case("empty_item_column.csv", "responses", "USA_t2 has no answer at all", R,
         "column has no answers at all"),
    Case("question_text_row.csv", "responses", "question wording in the row under the header", R,
         r"1 row\(s\) under the header read as question text"),
    # -- encodings ----------------------------------------------------------------------------
    Case("mixed_encoding.csv", "responses", "UTF-8 lines and one Windows-1252 line", E,
         r"mixes UTF-8 text with bytes that are not UTF-8 \(line 4\)"),
    Case("bom_then_cp1252.csv", "responses", "UTF-8 byte-order mark, then a cp1252 byte", E,
         r"not valid utf-8 text \(line 3\), and it starts with a UTF-8 byte-order mark"),
    Case("undefined_cp1252.csv", "responses", "bytes valid in neither UTF-8 nor Windows-1252", E,
         r"not valid cp1252 text \(line 2\)"),
    Case("declared_wrong_encoding.csv", "responses", "cp1252 file read with encoding='utf-8'", E,
         r"not valid utf-8 text \(byte 0xe9 on line 2\)", options={"encoding": "utf-8"}),
    Case("cp1252.csv", "responses", "Windows-1252 with semicolons (an Excel export)", R,
         "read: encoding cp1252 detected"),
    Case("cp1252_declared.csv", "responses", "Windows-1252, encoding declared", R,
         "40 rows in = 40 kept", options={"encoding": "cp1252"}),
    Case("utf16_bom.csv", "responses", "UTF-16 with a byte-order mark", R, "40 rows in = 40 kept"),
    # -- rows ---------------------------------------------------------------------------------
    Case("truncated.csv", "responses", "cut off in the middle of the last row", R,
         "row has fewer fields than the header"),
    Case("duplicate_id.csv", "responses", "a respondent id used twice", R,
         "duplicate respondent id: 1 case, row excluded"),
    Case("blank_id.csv", "responses", "a row without an id", R, "missing respondent id"),
    Case("country_name.csv", "responses", "'Brazil' instead of BRA", R,
         "country not an ISO 3166 alpha-3 code"),
    Case("age_out_of_range.csv", "responses", "age 12", R, "age outside 18-99"),
    Case("age_text.csv", "responses", "age 'thirty'", R, "age missing or not a number"),
    Case("gender_bad_code.csv", "responses", "gender 3 (codes are 1, 2)", R,
         r"gender not one of the codes \[1, 2\]"),
    Case("no_answers_row.csv", "responses", "a respondent with every item blank", R,
         "no valid answer to any item"),
    Case("all_excluded.csv", "responses", "every age under 18", E,
         "every one of the 40 rows is excluded"),
    Case("country_all_excluded.csv", "responses", "every German respondent under 18", R,
         "DEU is left out of the analysis"),
    # -- answers ------------------------------------------------------------------------------
    Case("unknown_label.csv", "responses", "'DK' where the scale says \"Don't know\"", E,
         r"'DK' is not a label of scale agree5; closest: \"Don't know\": 3 cases, error"),
    Case("unknown_label_typo.csv", "responses", "'Agre' for Agree", E,
         r"'Agre' is not a label of scale agree5; closest: 'Agree'"),
    Case("unknown_label_as_missing.csv", "responses", "'DK', unknown_labels='missing'", R,
         r"set to missing \(unknown_labels='missing'\)", options={"unknown_labels": "missing"}),
    Case("labels_known.csv", "responses", "answers as label text, case and spaces varying", R,
         "0 cell warnings"),
    Case("labels_translated.csv", "responses", "answers as Spanish labels", R, "0 cell warnings"),
    Case("out_of_scale.csv", "responses", "code 7 on a 1-5 scale", R,
         r"not a code of the scale 1-5 or a missing code \[8, 9\]; set to missing"),
    Case("fractional_code.csv", "responses", "code 3.5", R,
         r"not a code of the scale 1-5 or a missing code \[8, 9\]; set to missing"),
    Case("missing_codes.csv", "responses", "don't know and refused codes 8 and 9", R,
         "0 cell warnings"),
    Case("gender_label.csv", "responses", "gender as 'Female'/'male' text", R,
         "40 rows in = 40 kept"),
    Case("formula_text.csv", "responses", "=HYPERLINK(...) as a respondent id", R,
         "40 rows in = 40 kept"),
    # -- typed columns --------------------------------------------------------------------------
    Case("bool_item.parquet", "responses", "Parquet booleans in an item column", E,
         "column holds boolean values"),
    Case("datetime_item.parquet", "responses", "Parquet datetimes in an item column", E,
         "column holds date or time values"),
    Case("datetime_age.parquet", "responses", "Parquet datetimes as age", E,
         "every one of the 40 rows is excluded.*age is a boolean or date"),
    Case("bool_cell.xlsx", "responses", "one TRUE cell in an Excel item column", R,
         "a boolean where a code is expected; set to missing"),
    Case("date_cell.xlsx", "responses", "one date cell in an Excel item column", R,
         "a date or time where a code is expected; set to missing"),
    Case("float_codes.parquet", "responses", "codes stored as floats 1.0-5.0", R,
         "0 cell warnings"),
    # -- SPSS / Stata value labels ------------------------------------------------------------
    Case("labels_agree.sav", "responses", "SPSS labels as the instrument's", R,
         r"value labels agree with scale agree5 in 3 column\(s\): confirmed"),
    Case("reversed_scale.sav", "responses", "SPSS scale labelled 1 = Strongly agree", E,
         r"value labels contradict scale agree5 \(the file's scale runs the other way\)"),
    Case("swapped_missing.sav", "responses", "SPSS 8 = Refused, 9 = Don't know", E,
         r"value labels contradict scale agree5.*8 = Refused \(instrument: Don't know\)"),
    Case("gender_swapped.sav", "responses", "SPSS gender 1 = Female", E,
         "value labels contradict demographic gender"),
    Case("reversed_scale_warn.sav", "responses", "reversed labels, value_labels='warn'", R,
         "value labels contradict scale agree5.*note", options={"value_labels": "warn"}),
    Case("reversed_scale.dta", "responses", "Stata scale labelled 1 = Strongly agree", E,
         "value labels contradict scale agree5"),
    # -- margins --------------------------------------------------------------------------------
    Case("margins_missing_country.csv", "margins", "no margins for DEU", E,
         r"no margins given for country \['DEU'\]"),
    Case("margins_bad_sum.csv", "margins", "gender proportions sum to 1.1", E,
         "proportions of margin 'gender' sum to 1.1"),
    Case("margins_negative.csv", "margins", "a negative proportion", E,
         "expected a non-negative number"),
    Case("margins_duplicate.csv", "margins", "a category listed twice", E,
         "margin category listed twice"),
    Case("margins_empty.csv", "margins", "an empty margins file", E, "cannot read margins"),
    # -- instruments ----------------------------------------------------------------------------
    Case("age_no_bounds.yaml", "instrument", "numeric age without min/max", R,
         "40 rows in = 40 kept"),
    Case("scale_min_above_max.yaml", "instrument", "a scale with min 5, max 1", E,
         r"min \(5\) must be below max \(1\)"),
    # -- outputs --------------------------------------------------------------------------------
    Case("workbook_csv", "outputs", "the workbook named report.csv", E,
         "the workbook must be an .xlsx file, not .csv", outputs={"workbook": "report.csv"}),
    Case("folder_is_file", "outputs", "an output's folder is a file", E,
         "is a file, not a folder", outputs={"workbook": "blocker/report.xlsx"},
         make={"blocker": "file"}),
    Case("tables_is_file", "outputs", "the tables folder is a file", E,
         "it is a file, expected a folder", outputs={"tables": "tables"},
         make={"tables": "file"}),
    Case("weights_is_folder", "outputs", "the weights file is a folder", E,
         "it is a folder, expected a file", outputs={"weights": "weights.csv"},
         make={"weights.csv": "folder"}),
    # -- project files ----------------------------------------------------------------------------
    Case("misspelt_key.yaml", "project", "'replicate:' for 'replicates:'", E,
         "line 4, replicate: unknown key"),
    Case("responses_not_found.yaml", "project", "the response file does not exist", E,
         "responses: file not found"),
    Case("not_yaml.yaml", "project", "a tab-indented, unparsable file", E, "not valid YAML"),
    Case("bad_reading_option.yaml", "project", "reading.unknown_labels: maybe", E,
         "reading.unknown_labels: Input should be 'error' or 'missing'"),
]


# -- the files ----------------------------------------------------------------------------------

def base(n: int = 20) -> pd.DataFrame:
    """The valid file: n respondents in each of BRA and DEU, both genders, varied answers."""
    rows = 2 * n
    r = np.arange(rows)
    return pd.DataFrame({
        "resp_id": [f"r{i + 1}" for i in r], "country": ["BRA"] * n + ["DEU"] * n,
        "age": 20 + (r * 7) % 60, "gender": 1 + r % 2,
        "USA_t1": 1 + r % 5, "USA_t2": 1 + (r + 1) % 5, "USA_t3": 1 + (r + 2) % 5,
    })


def _csv(df: pd.DataFrame, sep: str = ",") -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, sep=sep, lineterminator="\n")
    return buf.getvalue()


def _with(df: pd.DataFrame, **cells) -> pd.DataFrame:
    """A copy with cells set: name=(row, value) or name=[(row, value), ...]."""
    out = df.astype(object)
    for col, what in cells.items():
        for row, value in (what if isinstance(what, list) else [what]):
            out.loc[row, col] = value
    return out


LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
          5: "Strongly agree", 8: "Don't know", 9: "Refused"}


def write_files(folder: Path = FILES) -> None:
    """Write every case's file (and the good ones) into ``folder``."""
    import pyreadstat  # the dev extra; only needed to regenerate the corpus

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    df = base()
    text = _csv(df)
    lines = text.splitlines(keepends=True)

    def put(name: str, data) -> None:
        p = folder / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    put(GOOD, text)
    put(MARGINS, "country,variable,category,proportion\nBRA,gender,1,0.49\nBRA,gender,2,0.51\n"
        "DEU,gender,1,0.48\nDEU,gender,2,0.52\n")
    put("empty.csv", b"")
    put("blank.csv", "\n\n   \n")
    put("header_only.csv", lines[0])
    put("zip_named_csv.csv", b"PK\x03\x04" + bytes(range(256)))
    put("utf16_no_bom.csv", text.encode("utf-16-le"))
    put("ragged.csv", "".join(lines[:3]) + lines[3].rstrip("\n") + ",7,7\n" + "".join(lines[4:]))
    put("not_a_table.csv", "Dear colleague,\nplease find attached the data.\nBest regards\n")
    put("wrong_suffix.json", '{"resp_id": 1}')
    xlsx = io.BytesIO()
    df.to_excel(xlsx, index=False)
    put("truncated.xlsx", xlsx.getvalue()[: len(xlsx.getvalue()) // 2])
    pyreadstat.write_sav(df, folder / "full.sav")
    data = (folder / "full.sav").read_bytes()
    (folder / "full.sav").unlink()
    put("truncated.sav", data[: len(data) // 2])
    pq = io.BytesIO()
    df.to_parquet(pq)
    put("truncated.parquet", pq.getvalue()[: len(pq.getvalue()) // 2])
    put("missing_item_column.csv", _csv(df.drop(columns="USA_t3")))
    put("missing_id_column.csv", _csv(df.drop(columns="resp_id")))
    put("wrong_case_header.csv", _csv(df.rename(columns={"USA_t1": "usa_t1"})))
    dup = df.copy()
    dup.insert(4, "USA_t1", 5, allow_duplicates=True)
    put("dup_header_different.csv", _csv(dup))
    same = df.copy()
    same.insert(4, "USA_t1", df["USA_t1"].to_numpy(), allow_duplicates=True)
    put("dup_header_same.csv", _csv(same))
    put("unnamed_column.csv", _csv(df.assign(**{"": "note"})))
    put("empty_item_column.csv", _csv(df.assign(USA_t2=None)))
    question = pd.DataFrame([{"resp_id": "", "country": "", "age": "", "gender": "",
                              "USA_t1": "The United States keeps its promises",
                              "USA_t2": "The United States acts responsibly",
                              "USA_t3": "The United States is a reliable partner"}])
    put("question_text_row.csv", _csv(pd.concat([question, df.astype(object)])))
    named = df.astype(object).assign(resp_id=["José-1"] + list(df["resp_id"][1:]))
    enc = _csv(named).encode("utf-8").splitlines(keepends=True)
    enc[3] = enc[3].replace(b"r3,", "José-3,".encode("cp1252"))
    put("mixed_encoding.csv", b"".join(enc))
    put("bom_then_cp1252.csv", b"\xef\xbb\xbf" + _csv(_with(df, resp_id=(1, "Zoë"))).encode("cp1252"))
    put("undefined_cp1252.csv", _csv(df).replace("r1,", "r\x81,").encode("latin-1"))
    put("declared_wrong_encoding.csv", _csv(_with(df, resp_id=(0, "é1"))).encode("cp1252"))
    put("cp1252.csv", _csv(df.assign(comment="très bien"), ";").encode("cp1252"))
    put("cp1252_declared.csv", _csv(df.assign(comment="schön")).encode("cp1252"))
    put("utf16_bom.csv", text.encode("utf-16"))
    put("truncated.csv", "".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 3])
    put("duplicate_id.csv", _csv(_with(df, resp_id=(5, "r1"))))
    put("blank_id.csv", _csv(_with(df, resp_id=(5, ""))))
    put("country_name.csv", _csv(_with(df, country=(2, "Brazil"))))
    put("age_out_of_range.csv", _csv(_with(df, age=(3, 12))))
    put("age_text.csv", _csv(_with(df, age=(3, "thirty"))))
    put("gender_bad_code.csv", _csv(_with(df, gender=(4, 3))))
    put("no_answers_row.csv", _csv(_with(df, USA_t1=(6, ""), USA_t2=(6, ""), USA_t3=(6, ""))))
    put("all_excluded.csv", _csv(df.assign(age=15)))
    put("country_all_excluded.csv", _csv(df.assign(age=np.where(df["country"] == "DEU", 15,
                                                                df["age"]))))
    dk = _with(df, USA_t1=[(0, "DK"), (1, "DK")], USA_t2=(2, "DK"))
    put("unknown_label.csv", _csv(dk))
    put("unknown_label_typo.csv", _csv(_with(df, USA_t3=(0, "Agre"))))
    put("unknown_label_as_missing.csv", _csv(dk))
    put("labels_known.csv", _csv(_with(df, USA_t1=[(0, " strongly AGREE "), (1, "Don’t know")],
                                       USA_t2=(3, "agree"))))
    put("labels_translated.csv", _csv(_with(df, USA_t1=[(0, "De acuerdo"), (1, "No sabe")])))
    put("out_of_scale.csv", _csv(_with(df, USA_t2=(4, 7))))
    put("fractional_code.csv", _csv(_with(df, USA_t2=(4, 3.5))))
    put("missing_codes.csv", _csv(_with(df, USA_t1=[(0, 8), (1, 9)])))
    put("gender_label.csv", _csv(_with(df, gender=[(0, "Male"), (1, "female")])))
    put("formula_text.csv", _csv(_with(df, resp_id=(0, '=HYPERLINK("http://evil.example","x")'))))
    df.assign(USA_t1=df["USA_t1"] > 2).to_parquet(folder / "bool_item.parquet")
    df.assign(USA_t2=pd.Timestamp("2024-05-01")).to_parquet(folder / "datetime_item.parquet")
    df.assign(age=pd.Timestamp("1990-01-01")).to_parquet(folder / "datetime_age.parquet")
    df.astype({c: float for c in ("USA_t1", "USA_t2", "USA_t3")}).to_parquet(
        folder / "float_codes.parquet")
    _with(df, USA_t1=(2, True)).to_excel(folder / "bool_cell.xlsx", index=False)
    _with(df, USA_t1=(2, pd.Timestamp("2024-01-02"))).to_excel(folder / "date_cell.xlsx",
                                                                 index=False)
    items = ("USA_t1", "USA_t2", "USA_t3")
    reversed_ = {6 - k if k < 6 else k: v for k, v in LABELS.items()}
    swapped = {**LABELS, 8: "Refused", 9: "Don't know"}
    sav = {"labels_agree.sav": ({c: LABELS for c in items}, {}),
           "reversed_scale.sav": ({c: reversed_ for c in items}, {}),
           "reversed_scale_warn.sav": ({"USA_t1": reversed_}, {}),
           "swapped_missing.sav": ({c: swapped for c in items}, {}),
           "gender_swapped.sav": ({}, {"gender": {1: "Female", 2: "Male"}})}
    for name, (item_labels, other) in sav.items():
        pyreadstat.write_sav(df, folder / name, variable_value_labels={**item_labels, **other})
    pyreadstat.write_dta(df, folder / "reversed_scale.dta",
                         variable_value_labels={"USA_t1": {k: v for k, v in reversed_.items()
                                                           if k < 6}})
    m = (folder / MARGINS).read_text().splitlines(keepends=True)
    put("margins_missing_country.csv", "".join(m[:3]))
    put("margins_bad_sum.csv", "".join(m[:2]) + "BRA,gender,2,0.61\n" + "".join(m[3:]))
    put("margins_negative.csv", "".join(m[:2]) + "BRA,gender,2,-0.51\n" + "".join(m[3:]))
    put("margins_duplicate.csv", "".join(m) + m[1])
    put("margins_empty.csv", b"")
    inst = INSTRUMENT.read_text()
    put("age_no_bounds.yaml", inst.replace("min: 18, max: 99", "label: Age in years"))
    put("scale_min_above_max.yaml", inst.replace("min: 1\n    max: 5", "min: 5\n    max: 1"))
    head = (f"instrument: ../mini.yaml\nresponses: {GOOD}\nmargins: {MARGINS}\n")
    put("misspelt_key.yaml", head + "replicate: {n: 5}\n")
    put("responses_not_found.yaml", head.replace(GOOD, "nowhere.csv"))
    put("not_yaml.yaml", head + "weighting:\n\tby: country\n")
    put("bad_reading_option.yaml", head + "reading: {unknown_labels: maybe}\n")


def readme() -> str:
    """The README table: one row per case."""
    rows = ["# The broken-input corpus",
            "",
            "Written by `python tests/broken/corpus.py` (cases and expected answers live there);",
            "`tests/test_broken_corpus.py` runs each case through `read_responses` (or the matching",
            "API call) and through `surveyindex validate`. *reads*: the file is read, every row",
            "accounted for (`rows_in = kept + excluded`), and the ledger says what is shown; "
            "*error*:",
            "a `SurveyIndexError` (CLI: exit code 1, one line) whose message contains what is shown.",
            "The instrument is `mini.yaml`; the valid file `files/good.csv` has 40 respondents.",
            "",
            "| file | input | what is wrong | outcome | what the tool answers (pattern) |",
            "|---|---|---|---|---|"]
    for c in CASES:
        opts = "".join(f" `{k}={v!r}`" for k, v in c.options.items())
        answer = c.answer.replace("|", "\\|").replace("\\(", "(").replace("\\)", ")") \
            .replace("\\[", "[").replace("\\]", "]").replace("\\.", ".")
        rows.append(f"| `{c.name}` | {c.kind} | {c.wrong}{opts} | {c.outcome} | {answer} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    write_files()
    (HERE / "README.md").write_text(readme())
    print(f"{len(CASES)} cases written to {FILES}")
