"""Each policy picks the task its rule says, on hand-built task lists."""

import pytest

from sim.engine.policies import (
    by_levels,
    classic,
    close_first,
    fifo,
    miller_heiman,
    policy_key,
)
from sim.engine.processes import EFFORT, POST_SALE, PROSPECT, STAGE, VERIFY, Engine, Task
from sim.rules.deals import BestFewRule
from sim.scenario.errors import ScenarioError
from sim.scenario.files import validate_scenario
from sim.scenario.schema import Policy, Scenario


def task(kind, ready, stage=-1, value=0.0, level=None, seq=0):
    t = Task(kind, ready=ready, hours=1.0, stage=stage, value=value, seq=seq)
    if level is not None:
        t.level = level
    return t


def pick(key, tasks, now=10.0):
    """The engine's rule: smallest key, then oldest, then first created."""
    return min(tasks, key=lambda t: (key(t, None, now), t.ready, t.seq))


@pytest.fixture
def tasks():
    return {
        "prospect": task(PROSPECT, 0.0, seq=-1),                      # above_funnel
        "verify": task(VERIFY, 6.0, value=800.0, seq=1),               # above_funnel
        "early": task(STAGE, 2.0, stage=0, value=5_000.0, level="in_funnel", seq=2),
        "late": task(STAGE, 5.0, stage=3, value=3_000.0, level="best_few", seq=3),
        "effort": task(EFFORT, 7.0, stage=2, value=9_000.0, level="in_funnel", seq=4),
        "post_sale": task(POST_SALE, 1.0, value=20_000.0, seq=5),      # orders
    }


def name_of(tasks, picked):
    return next(k for k, v in tasks.items() if v is picked)


def test_fifo_takes_the_oldest(tasks):
    assert name_of(tasks, pick(fifo, tasks.values())) == "prospect"
    rest = [t for k, t in tasks.items() if k != "prospect"]
    assert name_of(tasks, pick(fifo, rest)) == "post_sale"


def test_classic_takes_the_highest_expected_value_and_prospects_last(tasks):
    assert name_of(tasks, pick(classic, tasks.values())) == "post_sale"
    only = [tasks["prospect"], tasks["verify"]]
    assert name_of(tasks, pick(classic, only)) == "verify"


def test_close_first_takes_the_latest_stage_and_prospects_last(tasks):
    assert name_of(tasks, pick(close_first, tasks.values())) == "late"
    no_stage = [tasks["prospect"], tasks["verify"], tasks["post_sale"]]
    assert name_of(tasks, pick(close_first, no_stage)) == "post_sale"
    assert name_of(tasks, pick(close_first, [tasks["prospect"], tasks["verify"]])) == "verify"


def test_miller_heiman_serves_best_few_then_above_then_in_then_orders(tasks):
    order = []
    remaining = dict(tasks)
    while remaining:
        picked = pick(miller_heiman, remaining.values())
        name = name_of(tasks, picked)
        order.append(name)
        del remaining[name]
    # within a level the oldest goes first: prospect (day 0) before verify (day 6)
    assert order == ["late", "prospect", "verify", "early", "effort", "post_sale"]


def test_custom_order_of_levels(tasks):
    key = policy_key(Policy(name="custom",
                            order=["orders", "in_funnel", "best_few", "above_funnel"]))
    assert name_of(tasks, pick(key, tasks.values())) == "post_sale"
    no_orders = [t for k, t in tasks.items() if k != "post_sale"]
    assert name_of(tasks, pick(key, no_orders)) == "early"
    assert by_levels(["above_funnel", "best_few", "in_funnel", "orders"])(
        tasks["verify"], None, 0) == 0


@pytest.mark.parametrize(
    "policy, rule",
    [
        ({"name": "custom"}, "needs an order"),
        ({"name": "custom", "order": ["best_few", "in_funnel", "orders"]}, "exactly once"),
        ({"name": "custom", "order": ["best_few", "best_few", "in_funnel", "orders"]},
         "exactly once"),
        ({"name": "miller_heiman", "order": ["best_few", "above_funnel", "in_funnel", "orders"]},
         "only used with name = 'custom'"),
        ({"name": "custom", "order": ["best_few", "above", "in_funnel", "orders"]},
         "must be"),
        ({"name": "greedy"}, "must be"),
    ],
)
def test_malformed_policies_get_clear_errors(policy, rule):
    with pytest.raises(ScenarioError) as err:
        validate_scenario({"policy": policy}, "s.toml")
    text = str(err.value)
    assert "s.toml" in text and "policy" in text and rule in text


def _engine_with(policy, **prospecting):
    sc = Scenario.model_validate({
        "channels": [{"kind": "outbound_prospecting", "name": "Calls", **prospecting}],
        "policy": policy,
    })
    eng = Engine(sc)
    return eng, eng.reps[0]


def test_weekly_flow_target_makes_prospecting_due_until_met():
    eng, rep = _engine_with({"name": "fifo"}, target_hours_per_week=4, max_hours_per_week=6,
                            block_hours=2)
    task_, due = eng._prospect_task(rep, now=0.0)
    assert due and task_.hours == 2
    rep.prospect_hours_week = 4.0
    task_, due = eng._prospect_task(rep, now=1.0)
    assert not due and task_.hours == 2  # still allowed as fallback work
    rep.prospect_hours_week = 6.0
    assert eng._prospect_task(rep, now=2.0) is None  # the week's call list is used up
    assert eng._prospect_task(rep, now=7.0)[1]  # a new week: due again


def test_time_split_makes_prospecting_due_below_its_share():
    eng, rep = _engine_with({"name": "close_first", "prospecting_share": 0.2},
                            target_hours_per_week=0, max_hours_per_week=40)
    rep.busy_hours, rep.prospect_hours = 100.0, 10.0
    assert eng._prospect_task(rep, now=0.0)[1]
    rep.prospect_hours = 30.0
    assert not eng._prospect_task(rep, now=0.0)[1]


def test_each_rep_may_have_its_own_policy():
    sc = Scenario.model_validate({
        "team": {"reps": 2, "members": [{"name": "Closer", "policy": {"name": "close_first"}}]},
        "policy": {"name": "miller_heiman"},
    })
    eng = Engine(sc)
    assert eng.reps[0].key is close_first and eng.reps[1].key is miller_heiman
    assert eng.reps[0].name == "Closer"


def test_miller_heiman_caps_closing_effort_at_what_closing_needs():
    stages = [s.model_dump() for s in Scenario().stages]
    stages[-1] |= {"elastic_gain": 0.5, "elastic_scale_hours": 3, "elastic_max_hours": 20}
    caps = {}
    for name in ("close_first", "miller_heiman"):
        eng = Engine(Scenario.model_validate({"stages": stages, "policy": {"name": name}}))
        caps[name] = eng.reps[0].effort_cap
    assert caps["close_first"][-1] == 20 and caps["miller_heiman"][-1] == 3
    assert caps["close_first"][0] == 0  # not an elastic stage
    eng = Engine(Scenario.model_validate(
        {"stages": stages, "policy": {"name": "close_first", "effort_cap_hours": 5}}))
    assert eng.reps[0].effort_cap[-1] == 5


@pytest.mark.parametrize(
    "rate, days_left, expected",
    [
        (0.5, 45.0, True),     # both at the edge: included
        (0.49, 45.0, False),   # win rate just below
        (0.5, 45.01, False),   # close just too far away
        (0.9, -10.0, True),    # slipped deals with a high win rate stay Best Few
        (0.2, 1.0, False),
    ],
)
def test_best_few_rule_at_its_edges(rate, days_left, expected):
    assert bool(BestFewRule(0.5, 45.0).holds(rate, days_left)) is expected
