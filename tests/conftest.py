"""Shared fixtures: the bundled instrument and sample, read once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import surveyindex as si

REFERENCE = Path(__file__).parent / "reference"


def reference(name: str) -> dict:
    """Pinned R output (see tests/reference/README.md for the scripts that made it)."""
    return json.loads((REFERENCE / name).read_text())


def reference_data(name: str) -> pd.DataFrame:
    """An R dataset exported by tests/reference/export_data.R."""
    return pd.read_csv(REFERENCE / "data" / f"{name}.csv")


@pytest.fixture(scope="session")
def inst():
    return si.load_instrument("softpower")


@pytest.fixture(scope="session")
def sample(inst):
    return si.read_responses(si.sample_paths()["responses"], inst)


@pytest.fixture(scope="session")
def margins():
    return pd.read_csv(si.sample_paths()["margins"], dtype={"category": str})


@pytest.fixture(scope="session")
def truth():
    return pd.read_csv(si.sample_paths()["truth"])
