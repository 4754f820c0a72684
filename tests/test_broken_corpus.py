"""Every case of the broken-input corpus (tests/broken/corpus.py, table in tests/broken/README.md)
through the API and through ``surveyindex validate``: the documented answer, never an internal
error, every row accounted for."""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import pytest

import surveyindex as si
from surveyindex import cli
from surveyindex.errors import SurveyIndexError

HERE = Path(__file__).parent / "broken"
_spec = importlib.util.spec_from_file_location("broken_corpus", HERE / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules["broken_corpus"] = corpus  # dataclasses look their module up there
_spec.loader.exec_module(corpus)
FILES, CASES = corpus.FILES, corpus.CASES
IDS = [c.name for c in CASES]

pytest.importorskip("pyreadstat")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def mini():
    return si.load_instrument(corpus.INSTRUMENT)


def test_the_corpus_is_complete():
    assert len(CASES) >= 50 and len(set(IDS)) == len(IDS)
    on_disk = {p.name for p in FILES.iterdir()}
    files = {c.name for c in CASES if c.kind in ("responses", "margins", "instrument", "project")}
    assert files <= on_disk, sorted(files - on_disk)
    table = (HERE / "README.md").read_text()
    assert table == corpus.readme(), "tests/broken/README.md is stale: python tests/broken/corpus.py"


def _api(case, mini, tmp_path):
    """The API call a user makes with this input; returns the ledger when there is one."""
    path = FILES / case.name
    if case.kind == "responses":
        return si.read_responses(path, mini, **case.options).ledger
    if case.kind == "instrument":
        return si.read_responses(FILES / corpus.GOOD, si.load_instrument(path)).ledger
    if case.kind == "margins":
        return si.run_pipeline(mini, FILES / corpus.GOOD, path, replicates=2).responses.ledger
    project = path if case.kind == "project" else _project(case, tmp_path)
    si.run_project(project, write=True, progress=False, replicates=2)
    return None


def _project(case, folder: Path) -> Path:
    """A project file in ``folder`` that reads the case's input (and the good other inputs)."""
    instrument = FILES / case.name if case.kind == "instrument" else corpus.INSTRUMENT
    responses = FILES / case.name if case.kind == "responses" else FILES / corpus.GOOD
    margins = FILES / case.name if case.kind == "margins" else FILES / corpus.MARGINS
    for name, what in case.make.items():
        (folder / name).mkdir() if what == "folder" else (folder / name).write_text("x")
    reading = "".join(f"  {k}: {v}\n" for k, v in case.options.items())
    outputs = "".join(f"  {k}: {v}\n" for k, v in case.outputs.items())
    text = (f"instrument: {instrument}\nresponses: {responses}\nmargins: {margins}\n"
            "replicates: {n: 5, seed: 3}\n" + (f"reading:\n{reading}" if reading else "")
            + (f"outputs:\n{outputs}" if outputs else ""))
    (folder / "project.yaml").write_text(text)
    return folder / "project.yaml"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_api(case, mini, tmp_path):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", UserWarning)
        if case.outcome == "error":
            with pytest.raises(SurveyIndexError) as info:
                _api(case, mini, tmp_path)
            assert re.search(case.answer, str(info.value), re.S), str(info.value)
            return
        ledger = _api(case, mini, tmp_path)
    assert ledger.rows_in == ledger.rows_kept + ledger.rows_excluded
    told = "\n".join([ledger.describe(), *(str(w.message) for w in said)])
    assert re.search(case.answer, told, re.S), told


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli(case, tmp_path, capsys):
    project = FILES / case.name if case.kind == "project" else _project(case, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        code = cli.main(["validate", str(project)])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    if case.outcome == "error":
        assert code == 1, out + err
        assert err.startswith("surveyindex: error: ") and err.count("\n") == 1, err
        assert re.search(case.answer, err), err
    else:
        assert code == 0, err
        assert "valid: ready for 'surveyindex run'" in out
