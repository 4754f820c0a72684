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
