"""The user guide's worked example runs as written, and its links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_worked_example_runs(tmp_path, monkeypatch):
    text = (DOCS / "getting-started.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    # Fewer replicates than the guide's 200, only to keep the test quick.
    code = "\n".join(blocks).replace("n=200", "n=10").replace("replicates=200", "replicates=10")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "getting-started.md", "exec"), namespace)
    assert (tmp_path / "reports" / "softpower.xlsx").exists()
    assert namespace["design"].n_replicates == 10
    assert set(namespace["alpha"]["country"]) == set(namespace["result"].composite["country"])


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_resolve(page):
    for link in re.findall(r"\]\(([^)#]+\.md)\)", (DOCS / page).read_text()):
        assert (DOCS / link).exists(), f"{page} links to missing {link}"


def test_every_stage_has_a_page():
    index = (DOCS / "index.md").read_text()
    for page in ("getting-started", "instrument", "responses", "weighting", "estimates",
                 "index-scores", "reliability", "report", "project-file", "cli",
                 "coming-from-r"):
        assert f"({page}.md)" in index, page
