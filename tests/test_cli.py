"""The command line as a script would drive it: exit codes, one-line errors, the example project."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "softpower_project.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The example project, unmodified, in a copy of its folder layout (outputs land there)."""
    root = tmp_path_factory.mktemp("proj")
    (root / "examples").mkdir()
    shutil.copy(EXAMPLE, root / "examples")
    (root / "sample_data").mkdir()
    for name in ("responses", "margins"):
        shutil.copy(si.sample_paths()[name], root / "sample_data")
    return root / "examples" / EXAMPLE.name


@pytest.fixture(scope="module")
def ran(project) -> Path:
    """The example project run once (10 replicates); returns its reports folder."""
    assert main(["run", str(project), "--replicates", "10", "--no-progress"]) == 0
    return project.parents[1] / "reports"


def test_example_project_runs_and_writes_every_output(project, ran):
    reports = ran
    book = openpyxl.load_workbook(reports / "softpower_project.xlsx", read_only=True)
    assert "Bases" in book.sheetnames and "Profile" in book.sheetnames
    tables = sorted(p.name for p in (reports / "softpower_project_tables").iterdir())
    assert tables == sorted(f"{t}.csv" for t in ["composite", "dimensions", "items", "comparison",
                                                 "leads", "favourability", "reliability",
                                                 "weighting", "bases", "exclusions"])
    plots = sorted(p.name for p in (reports / "softpower_project_plots").iterdir())
    assert plots == ["forest.png", "profile.png", "ranks.png", "weighting.png"]
    # The project's rule (effective n below 300 flagged) reaches the Bases table.
    bases = pd.read_csv(reports / "softpower_project_tables" / "bases.csv")
    np.testing.assert_array_equal(bases["small"], bases["n_eff"] < 300)
    assert bases["small"].any() and not bases["suppressed"].any()


def test_weight_command_writes_the_weights_run_uses(project, tmp_path):
    assert main(["weight", str(project), "-o", str(tmp_path / "w.csv")]) == 0
    w = pd.read_csv(tmp_path / "w.csv")
    res = si.run_pipeline(replicates=2, seed=1, progress=False)
    assert list(w.columns) == ["resp_id", "country", "weight"]
    assert (w["resp_id"] == res.design.data["resp_id"].to_numpy()).all()
    # Same fixed point; with replicates, raking sweeps until every column converges, so the two
    # agree to the raking tolerance (1e-8 of a country's total), not to the last digit.
    np.testing.assert_allclose(w["weight"], res.design.weights, rtol=1e-6)


def test_index_command_writes_the_tables(project, ran, tmp_path, capsys):
    assert main(["index", str(project), "-o", str(tmp_path / "t"), "--replicates", "10",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "14553 rows in = 14535 kept + 18 excluded" in out and "Composite index" in out
    # Same project, replicates and seed as `run`: the same numbers, to the last digit.
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t" / "composite.csv"),
                                  pd.read_csv(ran / "softpower_project_tables" / "composite.csv"))


def test_report_command(project, tmp_path):
    out = tmp_path / "r.xlsx"
    assert main(["report", str(project), "-o", str(out), "--replicates", "10",
                 "--no-progress"]) == 0
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[-1] == "Methodology"


def test_report_command_takes_title_sheets_and_language(project, tmp_path):
    out = tmp_path / "r.xlsx"
    assert main(["report", str(project), "-o", str(out), "--replicates", "5", "--no-progress",
                 "--title", "Wave 2 draft", "--sheets", "index, comparison", "--language",
                 "en"]) == 0
    book = openpyxl.load_workbook(out)
    assert [ws.title for ws in book.worksheets if ws.sheet_state == "visible"] == \
        ["Summary", "Index", "USA vs CHN"]
    assert book["Summary"]["A1"].value == "Wave 2 draft"


@pytest.mark.parametrize("flags, message", [
    (["--sheets", "Index,Chart"], "report.sheets: no sheet 'Chart'; the sheets are Summary, "),
    (["--language", "fr"], "report.language: report language 'fr': the instrument 'softpower' "
                           "has texts in ['en']"),
])
@pytest.mark.parametrize("command", ["run", "report"])
def test_bad_workbook_options_fail_before_the_run(project, command, flags, message, capsys,
                                                  monkeypatch):
    def no_run(*a, **k):  # the check comes before any computation
        raise AssertionError("the pipeline ran")

    monkeypatch.setattr("surveyindex.project.run_project", no_run)
    assert main([command, str(project), *flags]) == 1
    assert message in _error(capsys)


def test_validate_reports_each_stage(project, capsys):
    assert main(["validate", str(project)]) == 0
    out = capsys.readouterr().out
    for line in ("project", "instrument  softpower 1.0.0", "responses", "margins", "valid"):
        assert line in out


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("surveyindex: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_missing_project_file_is_exit_1(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 1
    assert "nope.yaml: project file not found" in _error(capsys)


def test_bad_keys_named_with_line(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text("instrument: softpower\nresponses: r.csv\nmargins: m.csv\n"
                 "replicates: {n: one}\nindex:\n  levle: 0.9\n")
    assert main(["validate", str(p)]) == 1
    err = _error(capsys)
    assert "line 4, replicates.n: Input should be a valid integer" in err
    assert "line 6, index.levle: unknown key (expected one of: audiences, level" in err


def test_missing_key_and_missing_input_file(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text("instrument: softpower\nresponses: r.csv\n")
    assert main(["run", str(p)]) == 1
    assert "margins: required key missing" in _error(capsys)
    p.write_text("instrument: softpower\nresponses: r.csv\nmargins: m.csv\n")
    assert main(["run", str(p)]) == 1
    assert f"responses: file not found: {tmp_path / 'r.csv'}" in _error(capsys)


def test_unknown_audience_is_an_input_error(project, tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text(project.read_text().replace("[all, g20_youth]", "[all, teens]")
                 .replace("../sample_data", str(project.parents[1] / "sample_data")))
    assert main(["validate", str(p)]) == 1
    assert "index.audiences: ['teens'] not defined" in _error(capsys)


def test_multi_line_messages_become_one_line(tmp_path, capsys):
    inst = tmp_path / "i.yaml"
    inst.write_text("id: x\nversion: 1\n")  # several problems: the instrument lists them
    p = tmp_path / "p.yaml"
    p.write_text(f"instrument: {inst}\nresponses: {si.sample_paths()['responses']}\n"
                 f"margins: {si.sample_paths()['margins']}\n")
    assert main(["validate", str(p)]) == 1
    assert "i.yaml" in _error(capsys)


def test_usage_errors_are_exit_2(capsys):
    assert main([]) == 2
    for argv in (["run"], ["run", "p.yaml", "--replicates", "many"], ["frobnicate"],
                 ["run", "p.yaml", "--replicates", "1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(si.errors.ProjectError):
        main(["--debug", "run", str(tmp_path / "nope.yaml")])


def test_internal_error_is_exit_3(monkeypatch, tmp_path, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("surveyindex.project.load_project", broken)
    assert main(["run", str(tmp_path / "p.yaml")]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: boom" in err and "--debug" in err


def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "surveyindex run examples/softpower_project.yaml" in text and "exit codes" in text
    for command in ("run", "validate", "weight", "index", "report", "demo"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: surveyindex" in capsys.readouterr().out
    for command in ("run", "validate", "weight", "index", "report"):
        main_help = _help(command, capsys)
        assert "examples:" in main_help and "PROJECT.yaml" in main_help, command


def _help(command: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


def test_demo_takes_no_progress_and_the_workbook_options(tmp_path, capsys, monkeypatch):
    seen = {}
    real = si.run_pipeline

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr("surveyindex.pipeline.run_pipeline", spy)
    out = tmp_path / "d.xlsx"
    assert main(["demo", "--replicates", "5", "--no-progress", "-o", str(out),
                 "--title", "Demo run", "--sheets", "Index"]) == 0
    assert seen["progress"] is False
    book = openpyxl.load_workbook(out)
    assert book["Summary"]["A1"].value == "Demo run"
    assert [ws.title for ws in book.worksheets if ws.sheet_state == "visible"] == \
        ["Summary", "Index"]
