"""The whole pipeline and the command line, as a newcomer runs them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest

import surveyindex as si
from surveyindex.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "softpower_demo.xlsx"
    code = main(["demo", "--output", str(out), "--replicates", "50", "--seed", "3"])
    return code, out


def test_demo_writes_the_workbook(demo, capsys):
    code, out = demo
    assert code == 0 and out.exists()
    wb = openpyxl.load_workbook(out, read_only=True)
    names = wb.sheetnames
    for needed in ["Index", "USA vs CHN", "Reliability", "Weighting", "Methodology"]:
        assert needed in names, names


def test_demo_prints_a_summary(tmp_path, capsys):
    main(["demo", "-o", str(tmp_path / "d.xlsx"), "--replicates", "20"])
    out = capsys.readouterr().out
    assert "14553 rows in = 14535 kept + 18 excluded" in out
    assert "Composite soft-power index" in out and "ZAF" in out
    assert "education" in out


def test_same_input_and_seed_give_identical_numbers():
    a = si.run_pipeline(replicates=30, seed=5)
    b = si.run_pipeline(replicates=30, seed=5)
    pd.testing.assert_frame_equal(a.index.composite, b.index.composite)
    pd.testing.assert_frame_equal(a.index.comparison, b.index.comparison)
    c = si.run_pipeline(replicates=30, seed=6)
    pd.testing.assert_series_equal(a.index.composite["score"], c.index.composite["score"])
    assert not a.index.composite["se"].equals(c.index.composite["se"])


def test_methodology_records_the_run():
    res = si.run_pipeline(replicates=20, seed=2)
    m = res.methodology
    assert "softpower" in m["Instrument"] and "version 1.0.0" in m["Instrument"]
    assert "20 replicates (seed 2)" in m["Variance estimation"]
    assert m["Response data"].split("(")[1].startswith("sha256:")


def test_bad_input_is_one_readable_line_and_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(si.pipeline, "sample_paths", lambda: {
        "responses": tmp_path / "missing.csv", "margins": tmp_path / "m.csv"})
    code = main(["demo", "-o", str(tmp_path / "x.xlsx"), "--replicates", "5"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("surveyindex: error: ") and "missing.csv: file not found" in err
    assert "Traceback" not in err


def test_cli_usage_errors():
    assert main([]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--replicates", "many"])
    assert exc.value.code == 2


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "surveyindex", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"surveyindex {si.__version__}"


def test_notebook_display_shows_the_headline_tables(capsys):
    res = si.run_pipeline(replicates=10, seed=1, progress=False)
    page = res._repr_html_()
    assert "<table" in page and "Composite index, 0-100 (95% CI), audience all" in page
    assert "14553 rows in = 14535 kept + 18 excluded" in page
    assert "rated higher than" in page and "Sample bases" in page
    assert repr(res).startswith("<PipelineResult softpower 1.0.0: 14535 respondents, 13 countries")
    # Every table behind the display is a plain DataFrame.
    for table in (res.index.composite, res.bases, res.weighting, res.reliability, res.summary()):
        assert type(table) is pd.DataFrame
    assert capsys.readouterr().err == ""  # progress=False: nothing on stderr
    # The reliability stage's flags (alpha below .70) are carried to the result and the report.
    low = res.reliability[res.reliability["alpha"] < 0.70]
    flagged = res.flags[res.flags["source"] == "alpha"]
    assert len(flagged) == len(low)


def test_progress_bar_on_request_and_its_extra_named(monkeypatch, capsys):
    from surveyindex._progress import stages

    si.run_pipeline(replicates=5, seed=1, progress=True)
    assert "5/5" in capsys.readouterr().err  # five stages, tqdm writes to stderr
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(si.errors.MissingDependencyError, match=r"surveyindex\[progress\]"):
        with stages(["a"], progress=True):
            pass
    with stages(["a", "b"]) as step:  # the default stays quiet without tqdm
        step()
        step()
    assert capsys.readouterr().err == ""


def test_pipeline_collapses_sparse_categories_on_request_and_says_so():
    """collapse={"min_n": 120} merges the sample's small age and education groups (e.g. BRA
    55-64 has 20 respondents) before raking; the Methodology text lists each merge."""
    res = si.run_pipeline(replicates=10, collapse={"min_n": 120}, progress=False)
    rake = next(s for s in res.design.steps if s.get("step") == "rake")
    assert rake["collapsed"], "some categories of the bundled sample have fewer than 120 respondents"
    assert all(min(c["n"]) < 120 for c in rake["collapsed"])
    first = rake["collapsed"][0]
    assert f"{first['country']} {first['margin']} {'+'.join(first['categories'])}" in \
        res.methodology["Weighting"]
    plain = si.run_pipeline(replicates=10, progress=False)
    assert "merged" not in plain.methodology["Weighting"]


def test_project_file_takes_factor_weights_and_collapse():
    from surveyindex.project import IndexOptions, WeightingOptions

    assert IndexOptions(weights="factor", n_factors=2).method() == {"weights": "factor",
                                                                     "n_factors": 2}
    assert WeightingOptions(collapse={"min_n": 20}).collapse == {"min_n": 20}
    with pytest.raises(ValueError, match="n_factors"):
        IndexOptions(weights="factor", n_factors=0)


def test_numbers_do_not_depend_on_threads_or_blocks(monkeypatch):
    """Every number, weight and ledger line is the same on one thread with the default blocks
    as on three threads with blocks small enough that every step splits the sample (item
    arrays, scores, quality flags, raking cell totals, bootstrap draws, domain sums)."""
    import importlib

    rake_mod, scoring, checks, quality = (importlib.import_module(f"surveyindex.{m}") for m in (
        "design.rake", "index.scoring", "io.checks", "io.quality"))

    def run():
        return si.run_pipeline(replicates=12, seed=4, progress=False)

    monkeypatch.setenv("SURVEYINDEX_THREADS", "1")
    a = run()
    monkeypatch.setenv("SURVEYINDEX_THREADS", "3")
    for module, name, small in ((checks, "_ROWS", 1000), (scoring, "_BLOCK", 700),
                                (quality, "_BLOCK", 900), (rake_mod, "_BLOCK_CELLS", 5000)):
        monkeypatch.setattr(module, name, small)
    b = run()
    for table in ("items", "dimensions", "composite", "comparison", "leads", "ranks", "pooled",
                  "weights", "favourability"):
        pd.testing.assert_frame_equal(getattr(a.index, table), getattr(b.index, table),
                                      check_exact=True, obj=table)
    pd.testing.assert_frame_equal(a.reliability, b.reliability, check_exact=True)
    pd.testing.assert_frame_equal(a.responses.ledger.report(), b.responses.ledger.report())
    assert (a.design.weights == b.design.weights).all()
    assert (np.asarray(a.design.replicate_weights) == np.asarray(b.design.replicate_weights)).all()
    assert (np.nan_to_num(a.responses.values, nan=-1) == np.nan_to_num(b.responses.values, nan=-1)).all()
