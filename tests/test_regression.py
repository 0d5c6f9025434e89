"""Regression: a small fixed scenario still gives the tables stored beside it.

So does `funnel run --json` of every shipped scenario, byte for byte. A deliberate change
of behaviour regenerates them with
``.venv/bin/python tests/regression/regenerate.py``; the diff then shows what changed.
"""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent / "regression"
sys.path.insert(0, str(HERE))

from regenerate import RUN_JSON, SHIPPED, TABLES, current, run_json  # noqa: E402


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


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda p: p.stem)
def test_run_json_of_every_shipped_scenario_is_unchanged(scenario):
    # byte for byte: a change here is a change of behaviour, to be named in its commit
    assert run_json(scenario) == (RUN_JSON / f"{scenario.stem}.json").read_text(
        encoding="utf-8")
