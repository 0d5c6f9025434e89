"""The roller-coaster: close_first swings harder than miller_heiman on the same leads.

This is an experiment, not a script with a known ending: the test asserts only the
volatility claim of the course (and of Miller & Heiman), and reports total bookings of
both policies whichever way they come out.
"""

from pathlib import Path

import numpy as np
import pytest

from sim.experiments.runner import compare, kpis_and_swings, paired_difference
from sim.scenario.files import load_scenario
from sim.scenario.variants import vary

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "roller_coaster.toml"
REPLICATIONS = 30  # paired: replication r of both policies meets the same marketing leads


@pytest.fixture(scope="module")
def runs():
    sc = load_scenario(SCENARIO)
    variants = {name: vary(sc, {"policy": {"name": name}})
                for name in ("close_first", "miller_heiman")}
    return compare(variants, REPLICATIONS, metrics=kpis_and_swings, workers=2)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["bookings_cv_quarter", "bookings_cv_month",
                                    "rep_bookings_cv_quarter"])
def test_close_first_bookings_swing_more_than_miller_heiman(runs, metric):
    d = paired_difference(runs, "close_first", "miller_heiman", metric)
    print(f"\n{metric}: close_first {d['mean_a']:.3f} vs miller_heiman {d['mean_b']:.3f}, "
          f"difference {d['difference']:.3f} [{d['ci_low']:.3f}, {d['ci_high']:.3f}]")
    assert d["n"] == REPLICATIONS
    assert d["ci_low"] > 0, d  # the 95% CI of the paired difference excludes zero


@pytest.mark.slow
def test_the_swing_shows_first_in_prospecting_hours(runs):
    d = paired_difference(runs, "close_first", "miller_heiman", "rep_prospecting_cv_4weeks")
    # measured on the prototype: 1.27 vs 0.36; the effect is large, so demand a wide gap
    assert d["ci_low"] > 0.3, d


@pytest.mark.slow
def test_total_bookings_of_both_policies_are_reported(runs, capsys):
    d = paired_difference(runs, "close_first", "miller_heiman", "bookings")
    with capsys.disabled():
        print(f"\ntotal bookings per replication: close_first {d['mean_a']:,.0f}, "
              f"miller_heiman {d['mean_b']:,.0f} (difference {d['difference']:,.0f}, "
              f"95% CI [{d['ci_low']:,.0f}, {d['ci_high']:,.0f}])")
    assert np.isfinite([d["mean_a"], d["mean_b"], d["ci_low"], d["ci_high"]]).all()
    assert d["mean_a"] > 0 and d["mean_b"] > 0


@pytest.mark.slow
def test_team_averages_out_what_each_rep_swings(runs):
    """Independent reps' swings partly cancel: the team's quarterly CV is below the
    average rep's, for both policies."""
    for name, sub in runs.groupby("scenario"):
        assert sub["bookings_cv_quarter"].mean() < sub["rep_bookings_cv_quarter"].mean(), name
