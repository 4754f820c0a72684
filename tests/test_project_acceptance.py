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
