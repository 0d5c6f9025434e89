"""Unit tests: streams, distributions, policies, scenario helpers."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sim.engine.policies import POLICIES, classic, fifo
from sim.engine.processes import PROSPECT, STAGE, VERIFY, Task
from sim.engine.streams import Streams, stream_key
from sim.rules.channels import month_of_run
from sim.scenario.checks import Unknown, partial_view
from sim.scenario.distributions import Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import POLICY_NAMES, Scenario, Stage
from sim.scenario.variants import vary


def test_stream_is_reproducible_and_keyed_by_name():
    a, b = Streams(7, 0), Streams(7, 0)
    assert np.array_equal(a["x"].random(5), b["x"].random(5))
    # using another stream first does not shift this one
    c = Streams(7, 0)
    c["other"].random(100)
    assert np.array_equal(c["x"].random(5), Streams(7, 0)["x"].random(5))


def test_streams_differ_by_name_seed_and_replication():
    base = Streams(7, 0)["x"].random(4)
    assert not np.array_equal(base, Streams(7, 0)["y"].random(4))
    assert not np.array_equal(base, Streams(8, 0)["x"].random(4))
    assert not np.array_equal(base, Streams(7, 1)["x"].random(4))


def test_stream_key_is_stable():
    # crc32 is fixed by its definition: a change here would reshuffle every result
    assert stream_key("channel.Search.arrivals") == 1622623252


@pytest.mark.parametrize(
    "dist, mean, cv",
    [
        (Exponential(mean=3.0), 3.0, 1.0),
        (Gamma(mean=10.0, cv=0.5), 10.0, 0.5),
        (Lognormal(mean=40_000.0, cv=0.8), 40_000.0, 0.8),
        (Uniform(low=2.0, high=4.0), 3.0, (2 / np.sqrt(12)) / 3),
        (Triangular(low=1.0, mode=2.0, high=6.0), 3.0, None),
    ],
)
def test_distribution_samples_match_declared_mean_and_cv(dist, mean, cv):
    x = dist.sample(np.random.default_rng(1), 200_000)
    assert dist.mean == pytest.approx(mean)
    # 200k draws: standard error of the mean is cv*mean/447 < 0.2% of the mean; 1% is ~5 SE
    assert x.mean() == pytest.approx(mean, rel=0.01)
    if cv is not None:
        assert x.std() / x.mean() == pytest.approx(cv, rel=0.03)
    assert (x >= 0).all()


def test_fixed_distribution_is_exact():
    x = Fixed(value=2.5).sample(np.random.default_rng(0), (3, 2))
    assert x.shape == (3, 2) and (x == 2.5).all()


def test_policy_names_match_registry():
    assert set(POLICY_NAMES) - {"custom"} == set(POLICIES)


def _tasks():
    return [
        Task(VERIFY, ready=3.0, hours=1, value=500.0, seq=1),
        Task(STAGE, ready=1.0, hours=4, stage=0, value=2_000.0, seq=2),
        Task(STAGE, ready=2.0, hours=4, stage=2, value=9_000.0, seq=3),
        Task(PROSPECT, ready=0.0, hours=2, value=0.0, seq=-1),
    ]


def _pick(key, tasks):
    return min(tasks, key=lambda t: (key(t, None, 5.0), t.ready, t.seq))


def test_fifo_picks_the_oldest_task():
    assert _pick(fifo, _tasks()).kind == PROSPECT
    assert _pick(fifo, _tasks()[:3]).ready == 1.0


def test_classic_picks_highest_expected_value_and_prospects_last():
    picked = _pick(classic, _tasks())
    assert picked.kind == STAGE and picked.value == 9_000.0
    only_prospect_and_verify = [_tasks()[0], _tasks()[3]]
    assert _pick(classic, only_prospect_and_verify).kind == VERIFY


def test_advance_rates_telescope_to_the_first_win_rate():
    sc = Scenario()
    assert np.prod(sc.advance_rates()) == pytest.approx(sc.stages[0].win_rate)
    assert sc.advance_rates()[-1] == sc.stages[-1].win_rate


def test_scenario_is_frozen_and_vary_makes_validated_copies():
    sc = Scenario()
    with pytest.raises(ValidationError, match="frozen"):
        sc.seed = 3
    other = vary(sc, {"seed": 3})
    assert other.seed == 3 and sc.seed == 12345
    with pytest.raises(ScenarioError, match="horizon_days: value -1 is not allowed: must be "
                                            "greater than 0"):
        vary(sc, {"horizon_days": -1})


def test_stage_count_outside_three_to_seven_is_advice_not_error():
    two = Scenario(stages=[Stage(name="a", win_rate=0.3), Stage(name="b", win_rate=0.6)])
    assert any("3 to 7" in a for a in two.advice())
    assert not Scenario().advice()


def test_the_run_month_of_the_arrival_rule_follows_the_calendar():
    """The arrival rule's month lookup (numpy only, so that checking a scenario does not
    load pandas) agrees with pandas' calendar, leap years and centuries included."""
    days = np.linspace(0, 3770, 5001)
    for first in (dt.date(2026, 1, 1), dt.date(1899, 12, 31), dt.date(2200, 2, 28)):
        months = (pd.Timestamp(first) + pd.to_timedelta(np.floor(days), unit="D")).month - 1
        assert np.array_equal(month_of_run(first, days), months.to_numpy())


def test_a_cross_field_rule_yields_every_problem_and_skips_the_unknown():
    """A rule is a generator over the model, or over a view of raw data where a value that
    broke its own rule raises Unknown."""
    rule = Scenario._win_rates_rise
    stages = [Stage(name=n, win_rate=w) for n, w in (("a", 0.5), ("b", 0.4), ("c", 0.3))]
    sc = Scenario.model_construct(stages=stages)
    assert [p.path for p in rule(sc)] == [("stages", 1, "win_rate"), ("stages", 2, "win_rate")]
    data = {"stages": [{"name": "a", "win_rate": 0.5}, {"name": "b", "win_rate": 9},
                       {"name": "c", "win_rate": 0.3}, {"name": "d", "win_rate": 0.2}]}
    view = partial_view(Scenario, data, [("stages", 1, "win_rate")])
    assert [p.path for p in rule(view)] == [("stages", 3, "win_rate")]
    with pytest.raises(Unknown):
        view.stages[1].win_rate  # noqa: B018 - the access is what is tested
    assert view.stages[0].rot_days == 30.0  # left out: the default
