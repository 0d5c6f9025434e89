"""Regression: a small fixed scenario still gives the tables stored beside it.

A deliberate change of behaviour regenerates them with
``.venv/bin/python tests/regression/regenerate.py``; the diff then shows what changed.
"""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent / "regression"
sys.path.insert(0, str(HERE))

from regenerate import TABLES, current  # noqa: E402


@pytest.fixture(scope="module")
def now():
    return current()


def test_kpis_are_unchanged(now):
    stored = json.loads((HERE / "kpis.json").read_text())
    kpis, _ = now
    assert set(kpis) == set(stored)
    for key, value in stored.items():
        # 12 significant digits were stored; the same seed gives the same numbers
        assert kpis[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key


@pytest.mark.parametrize("name", list(TABLES))
def test_tables_are_unchanged(now, name):
    _, tables = now
    stored = pd.read_csv(HERE / f"{name}.csv", keep_default_na=False, na_values=[""])
    got = tables[name].reset_index(drop=True)
    assert list(got.columns) == list(stored.columns)
    assert len(got) == len(stored) > 0
    for col in got.columns:
        if pd.api.types.is_numeric_dtype(stored[col]):
            pd.testing.assert_series_equal(got[col].astype(float), stored[col].astype(float),
                                           rtol=1e-9, check_names=False, obj=f"{name}.{col}")
        else:
            assert got[col].fillna("").astype(str).tolist() == \
                stored[col].fillna("").astype(str).tolist(), f"{name}.{col}"
