"""Replications to a precision: the confidence-interval method with a look-ahead, checked
against the formula n = (t s / h)^2, on the engine, and on the command line."""

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli import cli as run

from sim.analysis.statistics import mean_ci, t975
from sim.experiments.precision import (
    look_ahead_count,
    replications_for_precision,
    run_to_precision,
    running_half_widths,
)
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "scenarios" / "three_stages.toml"
WEEKLY_LEADS = 20.0
DAYS = 70.0


def test_running_half_widths_are_the_cis_of_each_prefix():
    x = np.random.default_rng(1).normal(10, 3, 12)
    table = running_half_widths(x)
    for n in range(2, 13):
        mean, _, lo, hi = mean_ci(x[:n])
        assert table["mean"].iloc[n - 1] == pytest.approx(mean)
        assert table["half_width"].iloc[n - 1] == pytest.approx((hi - lo) / 2)
    assert np.isnan(table["half_width"].iloc[0])


def test_look_ahead_is_five_then_five_per_cent():
    assert [look_ahead_count(n) for n in (3, 100, 200, 1000)] == [5, 5, 10, 50]


def test_the_look_ahead_rejects_a_lucky_dip():
    """Meets 10% at n = 5 by luck, loses it at n = 6: n is where it holds for 5 more."""
    x = [100, 101, 99, 100, 100, 160] + [100, 120, 80] * 30
    met = (running_half_widths(x)["half_width"]
           <= 0.1 * running_half_widths(x)["mean"].abs()).to_numpy()
    assert met[4] and not met[5]  # the dip, as the test means it
    n = replications_for_precision(x, 0.1)
    assert n > 6 and met[n - 1: n + 5].all() and not met[n - 2]


def test_every_variant_must_meet_the_target():
    steady = [10.0, 10.1, 9.9] * 20
    noisy = [10.0, 11.0, 9.0] * 20
    alone = replications_for_precision(steady, 0.05)
    both = replications_for_precision({"a": steady, "b": noisy}, 0.05)
    assert alone == 5
    assert both == replications_for_precision(noisy, 0.05) > alone


@pytest.mark.parametrize("relative, precision, half", [(True, 0.05, 5.0), (False, 4.0, 4.0)])
def test_n_agrees_with_the_formula_for_a_normal_kpi(relative, precision, half):
    """A KPI ~ Normal(100, 20): the target half-width h (5% of 100, or 4 absolute) needs
    about n = (t s / h)^2 replications, with t at n - 1 degrees of freedom.

    One sequence's n varies with its sample SD (about 20% at n ~ 60: SD(s^2)/s^2 =
    sqrt(2 / n)); the mean over 40 seeded sequences has a standard error near 3% of n.
    Stopping at the first n that meets the target favours sequences whose s happens to
    be low, a bias of a few per cent downwards. 10% covers both with room (about 3
    standard errors)."""
    sd = 20.0
    expected = (t975(60) * sd / half) ** 2
    ns = [replications_for_precision(np.random.default_rng(seed).normal(100, sd, 500),
                                     precision, relative) for seed in range(40)]
    assert None not in ns
    assert np.mean(ns) == pytest.approx(expected, rel=0.10)
    for seed, n in enumerate(ns[:5]):  # and each n meets the target it was asked for
        x = np.random.default_rng(seed).normal(100, sd, 500)[:n]
        mean, _, lo, hi = mean_ci(x)
        assert (hi - lo) / 2 <= (precision * abs(mean) if relative else precision)


@pytest.fixture(scope="module")
def poisson_leads():
    """Two variants whose leads come from one inbound channel: the leads of the results
    period are Poisson with mean 20 x 70 / 7 = 200, the same in both variants (common
    random numbers: the team does not change the arrivals)."""
    base = vary(Scenario(), {"channels": [{"kind": "inbound", "name": "Search",
                                           "leads_per_week": WEEKLY_LEADS}],
                             "horizon_days": DAYS, "warmup_days": 0})
    variants = {"3 reps": vary(base, {"team.reps": 3}), "5 reps": vary(base, {"team.reps": 5})}
    return run_to_precision(variants, "leads", 0.03, workers=1)


def test_run_to_precision_meets_the_target_on_the_engine(poisson_leads):
    found = poisson_leads
    assert found.reached and found.needed + look_ahead_count(found.needed) <= found.replications
    runs = found.runs
    for label in ("3 reps", "5 reps"):
        mine = runs[runs["scenario"] == label].sort_values("replication")
        assert mine["replication"].tolist() == list(range(found.replications))  # paired
        mean, _, lo, hi = mean_ci(mine["leads"].iloc[:found.needed])
        assert (hi - lo) / 2 <= 0.03 * mean
    assert found.table["met"].all()
    assert "needs" in found.message() and str(found.needed) in found.message()


def test_run_to_precision_agrees_with_the_poisson_formula(poisson_leads):
    """With s^2 = 200 (Poisson) and h = 3% of 200 = 6: n = (t x sqrt(200) / 6)^2, about
    24. One sequence's n spreads by about sqrt(2 / 23) = 30% (its s^2 is estimated from
    some 24 values), so 60% is two standard deviations."""
    lam = WEEKLY_LEADS * DAYS / 7
    expected = (t975(23) * np.sqrt(lam) / (0.03 * lam)) ** 2
    assert poisson_leads.needed == pytest.approx(expected, rel=0.6)


def test_a_target_out_of_reach_stops_at_the_cap():
    sc = vary(Scenario(), {"horizon_days": 30})
    found = run_to_precision({"a": sc}, "bookings", 1e-6, max_replications=7, workers=1)
    assert not found.reached and found.needed is None and found.replications == 7
    assert found.runs["replication"].tolist() == list(range(7))
    assert "was not reached within the cap of 7 replications (not met by a)" in found.message()


@pytest.mark.parametrize("kwargs, message", [
    ({"precision": 0}, "precision: must be a number above 0"),
    ({"precision": float("nan")}, "precision: must be a number above 0"),
    ({"start": 2}, "start: must be 3 or more"),
    ({"start": 6, "max_replications": 5}, "max_replications: must be at least start"),
    ({"kpi": "profit"}, "kpi: 'profit' is not a metric of these runs"),
])
def test_run_to_precision_refuses_bad_arguments(kwargs, message):
    sc = vary(Scenario(), {"horizon_days": 14, "warmup_days": 0})
    with pytest.raises(ValueError, match=message):
        run_to_precision({"a": sc}, **({"workers": 1} | kwargs))


def test_compare_with_precision(capsys):
    status, out, err = run(capsys, "compare", SMALL, "--policies", "fifo", "classic",
                           "--days", "45", "--precision", "0.5", "--precision-kpi", "leads",
                           "--workers", "1", "--json")
    assert status == 0, err
    data = json.loads(out)
    p = data["precision"]
    assert p["kpi"] == "leads" and p["relative"] and p["reached"]
    assert data["replications"] == p["replications"] >= p["needed"] >= 5
    assert all(v["half_width"] <= v["target"] for v in p["variants"])


def test_sweep_with_precision_says_how_many_it_needed(capsys):
    status, out, err = run(capsys, "sweep", SMALL, "--set", "team.reps=2,3", "--days", "45",
                           "--precision", "0.5", "--kpi", "leads", "--workers", "1")
    assert status == 0, err
    line = next(x for x in out.splitlines() if x.startswith("precision: "))
    assert line.startswith("precision: the leads 95% CI half-width within 50% of the mean "
                           "needs 5 replications for every variant (and held over the next "
                           "5; 10 were run")
    assert "10 paired replications per cell" in out


def test_compare_refuses_an_unknown_precision_kpi(capsys):
    status, out, err = run(capsys, "compare", SMALL, "--precision", "0.1",
                           "--precision-kpi", "profit", "--workers", "1")
    assert status == 2 and "error: --precision-kpi: value 'profit' is not allowed" in err
