"""The table lesson 08 shows for the forecast call (sim.presentation.panels.stress)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.crm.stress import stress_pipeline
from sim.presentation.panels.stress import forecast_calls


def pipeline() -> pd.DataFrame:
    """Four open deals in 2027-Q1 (two commit, one best case, one pipeline) and one won
    in it, as the CRM reader gives them."""
    day = pd.Timestamp
    return pd.DataFrame({
        "id": ["1", "2", "3", "4", "5"], "name": list("abcde"), "owner": "Ann",
        "stage": ["Sign", "Sign", "Propose", "Meet", "Closed Won"],
        "amount": [100.0, 50.0, 80.0, 200.0, 30.0],
        "probability": [0.9, 0.8, 0.5, 0.2, 1.0],
        "forecast_category": ["commit", "commit", "best_case", "pipeline", "closed"],
        "created": day("2026-10-01"),
        "expected_close": [day("2027-02-01"), day("2027-03-01"), day("2027-02-15"),
                           day("2027-03-15"), day("2027-01-10")],
        "closed_date": [pd.NaT, pd.NaT, pd.NaT, pd.NaT, day("2027-01-10")],
        "status": ["tracking"] * 4 + ["won"],
    })


def test_forecast_calls_add_the_owners_categories_and_read_the_draws():
    opps = pipeline()
    stress = stress_pipeline(opps, start="2027-01-01", end="2027-04-01", draws=4000, seed=3)
    calls = forecast_calls(stress, opps).set_index("call")
    assert calls.loc["owners' commit", "amount"] == pytest.approx(30 + 100 + 50)
    assert calls.loc["owners' best case", "amount"] == pytest.approx(30 + 100 + 50 + 80)
    assert calls.loc["every open deal", "amount"] == pytest.approx(460)
    assert calls.loc["weighted forecast", "amount"] == pytest.approx(
        30 + 90 + 40 + 40 + 40)
    # the share of draws reaching each amount, counted directly
    for call, row in calls.iterrows():
        assert row["reached"] == pytest.approx(np.mean(stress.bookings >= row["amount"])), call
    # every deal won is the only way to book everything: 0.9 x 0.8 x 0.5 x 0.2 = 7.2%;
    # over 4,000 draws its s.e. is 0.4 points, so +-2 points is 5 s.e.
    assert calls.loc["every open deal", "reached"] == pytest.approx(0.072, abs=0.02)
    assert list(calls["amount"]) == sorted(calls["amount"])
