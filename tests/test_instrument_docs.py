"""docs/instrument.md is generated from the schema and stays in step with it; its example works."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

import surveyindex as si
from surveyindex.instrument.parts import Scoring

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("make_schema_doc",
                                                  ROOT / "tools" / "make_schema_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_page_matches_the_schema():
    tool = _tool()
    assert (ROOT / "docs" / "instrument.md").read_text(encoding="utf-8") == tool.render(), (
        "docs/instrument.md is out of date: run python tools/make_schema_doc.py")


def test_page_documents_every_key():
    tool = _tool()
    page = (ROOT / "docs" / "instrument.md").read_text(encoding="utf-8")
    for model in tool.MODELS:
        section = page.split(f"## {model.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in section, (model.__name__, name)
            assert field.description, f"{model.__name__}.{name} has no description"
    assert "| `top_box` | list of integer or null" not in page  # null is not shown as a type
    assert set(Scoring.model_fields) >= {"method", "top_box", "bottom_box", "dont_know_in_base"}


def test_example_instrument_loads_and_exports(tmp_path):
    page = (ROOT / "docs" / "instrument.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", page, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(example, encoding="utf-8")
    inst = si.load_instrument(path)
    assert inst.targets_rated == 2 and inst.languages == ["en", "es"]
    assert yaml.safe_load(example)["id"] == inst.id
    from surveyindex.fieldwork import write_codebook, write_xlsform
    write_xlsform(inst, tmp_path / "f.xlsx")
    write_codebook(inst, tmp_path / "c.xlsx")


def test_the_error_shown_points_at_the_broken_line():
    page = (ROOT / "docs" / "instrument.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", page, re.S).group(1)
    line = int(re.search(r"trust_demo\.yaml: .*\n  line (\d+), dimensions\[0\]\.scale", page).group(1))
    assert example.splitlines()[line - 1].strip() == "scale: agree5"
