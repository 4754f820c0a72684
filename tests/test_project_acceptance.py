"""Project-file and output-path cases found in the acceptance pass (hqa)."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import pytest

from surveyindex.errors import ReportError
from surveyindex.report import check_writable

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "surveyindex", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_unknown_audience_names_the_project_file_before_reading(tmp_path, command):
    # Before: `run` said only "audience 'g20youth' is not defined", after reading the file,
    # and `validate` listed 'all' twice among the defined audiences.
    sample = ROOT / "sample_data"
    (tmp_path / "p.yaml").write_text(
        f"instrument: softpower\nresponses: {sample / 'softpower_sample.csv'}\n"
        f"margins: {sample / 'margins.csv'}\nindex: {{audiences: [all, g20youth]}}\n")
    out = _cli(command, tmp_path / "p.yaml")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"surveyindex: error: {tmp_path / 'p.yaml'}: index.audiences: ['g20youth'] not defined "
        "in the instrument (defined: ['all', 'g20_youth'])")


@pytest.mark.parametrize("lock", ["~$report.xlsx", ".~lock.report.xlsx#"])
def test_workbook_open_in_excel_is_said_before_the_run(tmp_path, lock):
    (tmp_path / "report.xlsx").write_bytes(b"")
    (tmp_path / lock).write_bytes(b"")
    with pytest.warns(UserWarning, match=r"open in another program .*close it"):
        check_writable(tmp_path / "report.xlsx", suffix=".xlsx", what="workbook")


def test_workbook_held_by_another_program_is_an_error(tmp_path, monkeypatch):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"")
    real_open = builtins.open

    def windows_open(path, mode="r", *a, **k):  # Windows: Excel holds the file
        if Path(path) == target and "+" in mode:
            raise PermissionError(13, "Permission denied")
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", windows_open)
    with pytest.raises(ReportError, match="it is open in another program \\(Excel\\?\\); close it"):
        check_writable(target, suffix=".xlsx", what="workbook")


def test_a_workbook_not_open_passes_quietly(tmp_path, recwarn):
    (tmp_path / "report.xlsx").write_bytes(b"")
    check_writable(tmp_path / "report.xlsx", suffix=".xlsx", what="workbook")
    assert not [w for w in recwarn if "open in another program" in str(w.message)]


def test_a_question_not_asked_prints_a_dash_with_its_key(tmp_path):
    # Before: "NaN" in the CLI's composite table (Pew-style file: CHN not asked in Brazil).
    out = _cli("index", ROOT / "examples/real-files/pew/project.yaml", "-o", tmp_path / "t",
               "--replicates", 5, "--no-progress")
    assert out.returncode == 0, out.stderr
    bra = next(line for line in out.stdout.splitlines() if line.startswith("BRA"))
    assert bra.split()[-1] == "-" and "NaN" not in out.stdout
    assert "- : no estimate (the question was not asked there" in out.stdout


def _project(tmp_path, extra: str) -> Path:
    sample = ROOT / "sample_data"
    p = tmp_path / "p.yaml"
    p.write_text(f"instrument: softpower\nresponses: {sample / 'softpower_sample.csv'}\n"
                 f"margins: {sample / 'margins.csv'}\nreplicates: {{n: 2}}\n{extra}\n")
    return p


@pytest.mark.parametrize("extra, message", [
    ("outputs: {workbook: 5}", "line 5, outputs.workbook: expected a file path (got 5)"),
    ("weighting: {by: contry}", "weighting by 'contry' (by=, or weighting.by in a project file): "
                                "not a column of the responses"),
    # Before: validate said ok, run stopped after the weighting.
    ("index: {weights: {morality: 2}}", "index.weights: give a weight for each dimension "
                                        "['morality', 'competence',"),
])
def test_project_mistakes_say_what_was_expected(tmp_path, extra, message):
    # Before: "Input is not a valid path for <class 'pathlib.Path'>"; "design column 'contry'
    # not found" (which option?).
    out = _cli("validate", _project(tmp_path, extra))
    assert out.returncode == 1 and message in out.stderr, out.stderr


def test_sheet_of_a_csv_is_a_visible_warning(tmp_path):
    out = _cli("validate", _project(tmp_path, "sheet: Data"))
    assert out.returncode == 0, out.stderr
    assert "sheet='Data' is for Excel workbooks; this .csv file has no sheets" in out.stderr


def test_demo_refuses_a_workbook_not_named_xlsx_before_computing(tmp_path):
    # Before: `surveyindex demo -o d.csv` wrote an Excel file named d.csv.
    out = _cli("demo", "-o", tmp_path / "d.csv", "--replicates", 2)
    assert out.returncode == 1
    assert out.stderr.strip() == (f"surveyindex: error: {tmp_path / 'd.csv'}: the workbook must "
                                  "be an .xlsx file, not .csv")
    assert not (tmp_path / "d.csv").exists() and out.stdout == ""


def test_write_report_refuses_a_workbook_not_named_xlsx(tmp_path):
    import surveyindex as si

    res = si.run_pipeline(replicates=2, seed=1, progress=False)
    with pytest.raises(ReportError, match="the workbook must be an .xlsx file, not .csv"):
        si.write_report(res, tmp_path / "r.csv")
    assert not (tmp_path / "r.csv").exists()


def _odk(tmp_path, change) -> Path:
    import pandas as pd

    src = ROOT / "examples/real-files/odk"
    df = pd.read_csv(src / "submissions.csv", dtype=str, keep_default_na=False)
    change(df)
    df.to_csv(tmp_path / "submissions.csv", index=False)
    (tmp_path / "project.yaml").write_text(
        "instrument: softpower\nresponses: submissions.csv\nmargins: none\n"
        "columns: {strata: stratum, psu: psu}\nreplicates: {method: JKn}\n")
    return tmp_path / "project.yaml"


def _blank_psu(df):
    df.loc[3, "psu"] = ""


def _one_psu(df):
    first = df["stratum"] == df["stratum"].iloc[0]
    df.loc[first, "psu"] = df.loc[first, "psu"].iloc[0]


@pytest.mark.parametrize("change, message", [
    (_blank_psu, "design column 'psu' has missing values (respondent "),
    (_one_psu, "stratum DEU-1 has only one PSU"),
])
def test_validate_without_margins_builds_the_design_run_builds(tmp_path, change, message):
    # Before: with `margins: none` validate said "ok" and run then stopped on the design.
    project = _odk(tmp_path, change)
    for command in ("validate", "run"):
        out = _cli(command, project, *(["--no-progress"] if command == "run" else []))
        assert out.returncode == 1, (command, out.stdout)
        assert message in out.stderr, (command, out.stderr)


def test_write_report_takes_one_sheet_name_as_text(tmp_path):
    # Before: sheets="Index" was read letter by letter: "no sheet 'I'".
    import openpyxl

    import surveyindex as si

    res = si.run_pipeline(replicates=2, seed=1, progress=False)
    out = si.write_report(res, tmp_path / "r.xlsx", sheets="Index")
    visible = [ws.title for ws in openpyxl.load_workbook(out).worksheets
               if ws.sheet_state == "visible"]
    assert visible == ["Summary", "Index"]


@pytest.mark.parametrize("args, message", [
    # Before: an internal error (exit 3) with a FileNotFoundError, after the plan was printed.
    (["--n", 1000, "--margins", "no-such-margins.csv"], "no-such-margins.csv: margins file not found"),
    # Before: a margin of error of NaN.
    (["--n", 0], "--n is the planned sample per country, at least 1, not 0"),
])
def test_design_sample_input_errors(args, message):
    out = _cli("design-sample", *args)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == f"surveyindex: error: {'design-sample: ' * (args[1] == 0)}{message}"


def test_design_sample_reads_european_margins(tmp_path):
    import pandas as pd

    m = pd.read_csv(ROOT / "sample_data/margins.csv", dtype={"category": str})
    m.assign(proportion=m["proportion"].map(lambda v: repr(v).replace(".", ","))).to_csv(
        tmp_path / "m.csv", sep=";", index=False)
    semi = _cli("design-sample", "--n", 1000, "--margins", tmp_path / "m.csv")
    plain = _cli("design-sample", "--n", 1000, "--margins", ROOT / "sample_data/margins.csv")
    assert semi.returncode == 0 and semi.stdout == plain.stdout


def test_instrument_export_refuses_a_name_not_ending_xlsx(tmp_path):
    # Before: `instrument export softpower --xlsform form.csv` wrote an Excel file named .csv.
    out = _cli("instrument", "export", "softpower", "--xlsform", tmp_path / "form.csv")
    assert out.returncode == 1 and not (tmp_path / "form.csv").exists()
    assert "form.csv: the XLSForm workbook must be an .xlsx file, not .csv" in out.stderr


def test_validate_says_what_was_set_to_missing(tmp_path):
    # Before: "4 answers outside the scale set to missing", whatever they were.
    import pandas as pd

    df = pd.read_csv(ROOT / "sample_data/softpower_sample.csv", dtype=str, keep_default_na=False)
    df = df[df["country"] == "ARG"]
    df.iloc[1, df.columns.get_loc("USA_mor2")] = "7"
    df.iloc[9, df.columns.get_loc("USA_fav")] = "DK"
    df.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "p.yaml").write_text(
        f"instrument: softpower\nresponses: r.csv\nmargins: {ROOT / 'sample_data/margins.csv'}\n"
        "replicates: {n: 2}\nreading: {unknown_labels: missing}\n")
    out = _cli("validate", tmp_path / "p.yaml")
    assert out.returncode == 0, out.stderr
    assert ("1 x not a code of the scale 1-5 or a missing code [8, 9] (first: line 3, "
            "USA_mor2 = '7'): set to missing") in out.stdout
    assert "1 x 'DK' is not a label of scale favour11" in out.stdout


def test_getting_started_quotes_the_summary_sentence_as_written():
    # The worked example quoted "USA rated higher than CHN ...; significantly in 8."; the
    # Summary sheet writes the names and says Holm.
    import surveyindex as si
    from surveyindex.report import lead_sentences

    res = si.run_project(ROOT / "examples/softpower_project.yaml", write=False, progress=False)
    sentence = next(s for s in lead_sentences(res.index.leads, "95%", audience="all")
                    if s.startswith("United States rated higher than China on the composite"))
    doc = " ".join((ROOT / "docs/getting-started.md").read_text().split())
    assert f'("{sentence}" for the bundled sample)' in doc
