"""Locate the bundled instruments and sample data.

They live at the top of the repository (``instruments/``, ``sample_data/``) and are copied into the
wheel as ``surveyindex/_bundled/``; a checkout or an editable install finds the former, a plain
``pip install .`` the latter.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """Return the directory of bundled files called ``name`` ("instruments" or "sample_data").

    >>> bundled_dir("instruments").is_dir()
    True
    """
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"bundled folder {name!r} not found beside the package ({_PACKAGE_DIR}); "
        "reinstall surveyindex with `pip install .` from a full checkout"
    )
