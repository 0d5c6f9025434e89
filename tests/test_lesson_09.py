"""The package functions lesson 09 shows: Erlang C (sim.analysis.queueing) and the
difference of two means from independent replications (welch_difference)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.analysis.queueing import (
    erlang_c,
    erlang_c_wait,
    mean_queue_wait,
    mmc_rates,
    mmc_scenario,
)
from sim.analysis.statistics import t975, welch_difference
from sim.scenario.schema import Scenario


@pytest.mark.parametrize("a", [0.1, 0.5, 0.9])
def test_erlang_c_of_one_server_is_its_load(a):
    assert erlang_c(1, a) == pytest.approx(a)


@pytest.mark.parametrize("a", [0.2, 1.0, 1.8])
def test_erlang_c_of_two_servers_has_a_closed_form(a):
    # M/M/2: P(wait) = a^2 / (2 + a)
    assert erlang_c(2, a) == pytest.approx(a * a / (2 + a))


def test_erlang_c_falls_with_more_servers_and_the_wait_matches_mm1():
    assert erlang_c(3, 2.25) > erlang_c(4, 2.25) > erlang_c(5, 2.25) > 0
    # M/M/1: Wq = rho / (mu - lambda)
    assert erlang_c_wait(3.0, 4.0, 1) == pytest.approx(0.75 / 1.0)
    assert erlang_c(3, 0.0) == 0.0


@pytest.mark.parametrize("c, a, words", [(0, 0.5, "whole number"), (2.5, 1.0, "whole number"),
                                         (3, 3.0, "grows without end"),
                                         (3, -1.0, "from 0"), (3, math.nan, "from 0")])
def test_erlang_c_refuses_impossible_queues(c, a, words):
    with pytest.raises(ValueError, match=words):
        erlang_c(c, a)


def test_erlang_c_wait_refuses_a_server_that_never_serves():
    with pytest.raises(ValueError, match="service_rate"):
        erlang_c_wait(1.0, 0.0, 2)


def test_mmc_scenario_is_the_queue_the_formula_describes():
    base = Scenario(seed=7, horizon_days=200, warmup_days=30, language="zh",
                    post_sale={"work_hours": 3.0})
    sc = mmc_scenario(base, 4, 6.0, 4.0)
    assert (sc.seed, sc.horizon_days, sc.warmup_days, sc.language) == (7, 200, 30, "zh")
    assert [c.kind for c in sc.channels] == ["inbound"] and sc.channels[0].lead_quality == 1
    assert len(sc.stages) == 1 and sc.stages[0].work_hours.dist == "exponential"
    assert (sc.team.reps, sc.team.assignment, sc.policy.name) == (4, "pool", "fifo")
    assert sc.post_sale.work_hours == 0  # the reps do nothing but the queue's work
    rates = mmc_rates(sc)
    assert rates["arrivals_per_day"] == pytest.approx(6.0)
    assert rates["service_rate"] == pytest.approx(2.0)
    assert rates["load"] == pytest.approx(3.0)
    assert rates["erlang_c_wait_days"] == pytest.approx(erlang_c_wait(6.0, 2.0, 4))
    # a load of c or more has no steady wait
    assert math.isnan(mmc_rates(mmc_scenario(base, 2, 6.0, 4.0))["erlang_c_wait_days"])


def test_mean_queue_wait_leaves_out_the_warmup_and_the_last_days():
    history = pd.DataFrame({"entered_day": [-5.0, 0.0, 10.0, 96.0, 99.0],
                            "wait_days": [100.0, 1.0, 3.0, 50.0, 70.0]})
    run = SimpleNamespace(stage_history=history, scenario=SimpleNamespace(horizon_days=100.0))
    assert mean_queue_wait(run) == pytest.approx(2.0)  # only days 0 and 10: before day 95
    assert mean_queue_wait(run, tail_days=0.5) == pytest.approx((1 + 3 + 50 + 70) / 4)


def test_welch_difference_matches_the_formula():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 2, 12), rng.normal(8, 5, 7)
    d = welch_difference(a, b)
    va, vb = a.var(ddof=1) / 12, b.var(ddof=1) / 7
    df = (va + vb) ** 2 / (va**2 / 11 + vb**2 / 6)
    assert d["difference"] == pytest.approx(a.mean() - b.mean())
    assert d["se"] == pytest.approx(math.sqrt(va + vb))
    assert d["df"] == int(df) and 6 <= d["df"] <= 17
    assert d["ci_high"] - d["difference"] == pytest.approx(t975(int(df)) * math.sqrt(va + vb))
    assert (d["n_a"], d["n_b"]) == (12, 7)


def test_welch_difference_needs_two_values_a_side():
    d = welch_difference([1.0, 2.0, math.nan], [4.0])
    assert d["n_a"] == 2 and d["difference"] == pytest.approx(-2.5)
    assert math.isnan(d["ci_low"]) and math.isnan(d["ci_high"])


def test_welch_covers_the_true_difference_about_95_times_in_100():
    # 2,000 pairs of independent normal samples: the interval holds the true difference
    # 2 in about 95% of them; the binomial s.e. of that share is 0.005, so 0.93..0.97
    # is over 4 s.e. wide either side (a z-interval, or a wrong df, falls outside)
    rng = np.random.default_rng(11)
    hits = [(lambda d: d["ci_low"] <= 2 <= d["ci_high"])(
        welch_difference(rng.normal(2, 1, 5), rng.normal(0, 3, 4))) for _ in range(2000)]
    assert 0.93 <= np.mean(hits) <= 0.97
