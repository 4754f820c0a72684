"""Issue 16's check as the suite runs it: the R user's first session (tools/check_notebook.py)
executed in a fresh Jupyter kernel. No cell may fail, every displayed object renders as HTML or
PNG, and no plot shows as ``<Figure size ...>``. The notebook file is not written."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TOOL = Path(__file__).resolve().parents[1] / "tools" / "check_notebook.py"


def test_fresh_kernel_session_displays_everything():
    spec = importlib.util.spec_from_file_location("check_notebook", TOOL)
    tool = importlib.util.module_from_spec(spec)
    sys.modules["check_notebook"] = tool
    spec.loader.exec_module(tool)
    nb = tool.build()
    assert tool.problems(nb) == []
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type == "execute_result"]
    assert sum("image/png" in o.get("data", {}) for o in shown) == 3  # forest, profile, ranks
