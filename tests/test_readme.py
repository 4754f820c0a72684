"""The README's notebook example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_notebook_example_runs():
    code = re.search(r"## In a notebook\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert len(namespace["result"].composite) > 0
    assert {"USA_leads", "CHN_leads"} <= set(namespace["leads"].columns)
