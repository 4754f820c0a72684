"""The import rule, read from the code (issue 13).

surveyindex is one pipeline of stage packages (instrument -> io -> design -> estimate -> index /
reliability -> report, with fieldwork beside instrument). A module may use anything inside its
own stage package; from another stage it imports only that stage's public front door: the names
in ``surveyindex.<stage>.__all__``, taken from ``surveyindex.<stage>`` itself, never a private
``_name`` nor a module past the package. Data flow one way: a stage never imports a later one.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "surveyindex"
STAGES = ["instrument", "fieldwork", "io", "design", "estimate", "index", "reliability", "report"]
# the stage order: a stage may import only stages at or before its own position. fieldwork stands
# beside the chain: it exports the instrument (XLSForm, codebook) with the report stage's sheet
# writer, and io reads fieldwork exports back by the XLSForm's structure.
ORDER = {"instrument": 0, "io": 1, "design": 2, "estimate": 3, "index": 4, "reliability": 4,
         "report": 5}
# shared infrastructure at the top of the package, private by convention of Python packaging
INFRASTRUCTURE = {"surveyindex._version", "surveyindex._resources", "surveyindex._progress",
                  "surveyindex._threads",
                  "surveyindex.errors"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and parts[1] in (*STAGES, "commands") else "surveyindex"


def _imports():
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_pkg else module.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "surveyindex":
                    continue
                yield path, node.lineno, module, target, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("surveyindex"):
                        yield path, node.lineno, module, a.name, []


def _violations():
    out = []
    for path, line, module, target, names in _imports():
        here, there = _package_of(module), _package_of(target)
        where = f"{path.relative_to(ROOT.parent)}:{line}"
        if here == there or target in INFRASTRUCTURE:
            continue
        if there == "surveyindex":
            # a top-level module (pipeline, project, plot...): public names only
            bad = [n for n in names if n.startswith("_")]
            if bad or any(p.startswith("_") for p in target.split(".")[1:]):
                out.append(f"{where}: private {bad or target} from {target}")
            continue
        if target != there:
            out.append(f"{where}: imports {target} past the front door of {there}")
            continue
        exported = set(getattr(importlib.import_module(there), "__all__", []))
        bad = [n for n in names if n.startswith("_") or n not in exported]
        if bad:
            out.append(f"{where}: {bad} not in {there}.__all__")
        h, t = here.split(".")[-1], there.split(".")[-1]
        if h in ORDER and t in ORDER and ORDER[t] > ORDER[h]:
            out.append(f"{where}: stage {h} imports the later stage {t}")
    return out


def test_no_private_or_backdoor_imports_across_stages():
    found = _violations()
    assert not found, "imports across stages must use the stage's public __all__:\n" + "\n".join(found)


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_a_complete_all(stage):
    pkg = importlib.import_module(f"surveyindex.{stage}")
    names = getattr(pkg, "__all__", None)
    assert names, f"surveyindex.{stage} has no __all__"
    missing = [n for n in names if not hasattr(pkg, n)]
    assert not missing, f"surveyindex.{stage}.__all__ names what it lacks: {missing}"
