"""The workbook as a reader prints it: LibreOffice (headless) converts it to PDF.

One soffice call converts the bundled-sample workbook, the synthetic one (whose
exclusions hold formula-like text) and the bundled sample with invariance and aligned means, so
the test costs one LibreOffice start. It checks the page
count (issue 17: the bundled sample prints in at most 30 pages), that every visible sheet prints
(its name is in each page's footer), the key text, and that no formula was run. Skipped, saying
why, when soffice is not installed (``.ci/run`` installs ``libreoffice-calc`` when it can).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import pytest
from test_report import INJECTION, make_tables

import surveyindex as si
from surveyindex.report import write_workbook

pypdf = pytest.importorskip("pypdf", reason="pypdf is needed to read the rendered PDF "
                                            "(pip install pypdf; in the dev extra)")
pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) not installed: the workbook was NOT rendered; install "
           "libreoffice-calc (.ci/run does so when apt-get is available)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    res = si.run_pipeline(replicates=10, seed=1, progress=False)
    demo = si.write_report(res, folder / "demo.xlsx", run_date="2026-12-01")
    synthetic = write_workbook(make_tables(), folder / "synthetic.xlsx")
    # with invariance and aligned means (issue 21): the Flags guide and the Aligned means sheet
    aligned = si.write_report(si.run_pipeline(replicates=10, seed=1, progress=False,
                                              aligned_means=True),
                              folder / "aligned.xlsx", run_date="2026-12-01")
    profile = f"-env:UserInstallation=file://{folder / 'lo-profile'}"
    subprocess.run(["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir",
                    str(folder), str(demo), str(synthetic), str(aligned)], check=True,
                   capture_output=True, timeout=240)
    out = {}
    for path in (demo, synthetic, aligned):
        reader = pypdf.PdfReader(path.with_suffix(".pdf"))
        out[path.stem] = (openpyxl.load_workbook(path, read_only=True),
                          [p.extract_text() for p in reader.pages])
    return out


def _footers(pages: list[str]) -> list[str]:
    """The sheet named in each page's footer ("<sheet> - page n of m")."""
    names = []
    for text in pages:
        m = re.findall(r"([^\n]+?) - page (\d+) of (\d+)", text)
        names.append(m[-1][0].strip() if m else "")
    return names


def test_bundled_sample_prints_in_at_most_30_pages(rendered):
    book, pages = rendered["demo"]
    assert 15 <= len(pages) <= 30, len(pages)
    printed = set(_footers(pages))
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    # Every visible sheet prints; the hidden data sheets do not.
    assert set(visible) <= printed, set(visible) - printed
    assert not printed & {"Chart data", "Dimension estimates", "Item estimates",
                          "Reliability estimates"}
    # Footers count the pages of the whole document.
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]


def test_key_text_on_the_printed_pages(rendered):
    _, pages = rendered["demo"]
    text = "\n".join(pages)
    summary = pages[0]
    for needle in ("How the world sees the United States and China", "Run 2026-12-01",
                   "Headline findings", "G20 youth, 18-34", "softpower_sample.csv",
                   "Largest differences"):
        assert needle in summary, needle
    assert "_bundled" not in summary and "..." not in summary
    for needle in ("Composite index by country, All adults", "United States minus China",
                   "Dimension profile", "South Korea", "% favourable", "Adjusted CI low",
                   "Holm significant", "The United States acts responsibly in world affairs.",
                   "Cronbach", "Kish deff", "Reason excluded", "Setting"):
        assert needle in text, needle
    assert "#NAME?" not in text and "Err:" not in text


def test_formula_text_printed_as_text(rendered):
    _, pages = rendered["synthetic"]
    text = "\n".join(pages)
    assert "HYPERLINK" in text and "@SUM(1+1)" in text and INJECTION[:10] in text


def test_invariance_guide_and_aligned_means_print(rendered):
    book, pages = rendered["aligned"]
    printed = _footers(pages)
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert set(visible) <= set(printed) and "Aligned means" in printed
    assert len(pages) <= 32, len(pages)
    flags = "\n".join(p for p, name in zip(pages, printed) if name == "Flags")
    for needle in ("How to read the comparability lines", "Aligned only:", "Partial:"):
        assert needle in flags, needle
    aligned = "\n".join(p for p, name in zip(pages, printed) if name == "Aligned means")
    assert "Asparouhov & Muthen 2014" in aligned and "Reference" in aligned
