"""The Python API at its door: a wrong argument to ``vary`` or ``summarize``, or a policy
function that returns a key that cannot be ordered, raises ``TypeError`` or
``ValueError`` naming the argument (or the function), the value and the rule, rather
than an ``AttributeError`` from deep inside or a silently arbitrary order."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import Scenario, ScenarioError, replicate, simulate, summarize, vary
from sim.engine.policies import (
    POLICIES,
    by_levels,
    checked_policy,
    classic,
    fifo,
    miller_heiman,
)

SMALL = vary(Scenario(), {"horizon_days": 60, "warmup_days": 0})
"""A short run with the default channels and stages (a few dozen leads)."""


# -- vary --------------------------------------------------------------------------------
def test_vary_wants_a_dict_of_changes():
    with pytest.raises(TypeError, match=r"^vary: changes must be a dict of field path -> new "
                                        r"value, such as .*, not a list$"):
        vary(SMALL, [("team.reps", 3)])


def test_vary_wants_a_scenario():
    with pytest.raises(TypeError, match=r"^vary: scenario must be a Scenario \(from "
                                        r"load_scenario, parse_scenario or Scenario\(\)\), not "
                                        r"a dict$"):
        vary({"team": {"reps": 3}}, {"team.reps": 4})
    with pytest.raises(TypeError, match="not a NoneType"):
        vary(None, {"team.reps": 4})


def test_vary_wants_field_paths_as_text():
    with pytest.raises(TypeError, match=r"^vary: changes: each key must be a field path "
                                        r"written as text, such as 'stages\[2\].win_rate', "
                                        r"not an int 3$"):
        vary(SMALL, {3: 4})


def test_vary_wants_its_source_as_text():
    with pytest.raises(TypeError, match="vary: source must be text"):
        vary(SMALL, {"team.reps": 4}, source=7)


def test_vary_still_reports_bad_values_as_scenario_errors():
    with pytest.raises(ScenarioError) as info:
        vary(SMALL, {"team.reps": 0})
    assert info.value.problems == [
        "team.reps: value 0 is not allowed: must be greater than or equal to 1"]


# -- summarize ---------------------------------------------------------------------------------
RUNS = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "replication": [0, 1, 0, 1],
                     "bookings": [1.0, 2.0, 3.0, 5.0], "won": [True, False, True, True]})


def test_summarize_wants_a_frame():
    with pytest.raises(TypeError, match=r"^summarize: frame must be a pandas DataFrame .*, "
                                        r"not dict$"):
        summarize({"bookings": [1, 2]})


def test_summarize_refuses_an_empty_frame():
    with pytest.raises(ValueError, match=r"^summarize: frame has no rows"):
        summarize(RUNS.iloc[0:0])
    with pytest.raises(ValueError, match=r"^summarize: frame has no rows"):
        summarize(pd.DataFrame())


def test_summarize_refuses_a_frame_without_numbers():
    with pytest.raises(ValueError, match=r"^summarize: frame has no numeric columns to "
                                         r"summarize .*\['scenario', 'replication'\]"):
        summarize(RUNS[["scenario", "replication"]])


def test_summarize_names_unknown_columns():
    with pytest.raises(ValueError, match=r"^summarize: columns: \['bookngs'\] not in frame; "
                                         r"its columns are \['scenario', 'replication', "
                                         r"'bookings', 'won'\]$"):
        summarize(RUNS, ["bookngs", "won"])
    with pytest.raises(ValueError, match=r"^summarize: by: 'scenaro' is not a column"):
        summarize(RUNS, ["bookings"], by="scenaro")


def test_summarize_refuses_text_columns_and_wrong_kinds_of_columns():
    with pytest.raises(ValueError, match=r"^summarize: columns: \['scenario'\] are not "
                                         r"numeric"):
        summarize(RUNS, ["scenario"])
    with pytest.raises(TypeError, match=r"^summarize: columns must be a list of column names"):
        summarize(RUNS, 3)
    with pytest.raises(ValueError, match=r"^summarize: columns is empty"):
        summarize(RUNS, [])


def test_summarize_still_summarizes():
    out = summarize(RUNS, "bookings", by="scenario")  # one name is one column
    assert out["metric"].tolist() == ["bookings", "bookings"]
    assert out["mean"].tolist() == [1.5, 4.0]
    assert summarize(RUNS)["metric"].tolist() == ["bookings"]
    assert summarize(RUNS, ["won"])["mean"].tolist() == [0.75]  # true/false count as 1/0


# -- policy keys -------------------------------------------------------------------------------
def returns_nan(task, rep, now):
    return math.nan


def returns_none(task, rep, now):
    return None


def returns_an_object(task, rep, now):
    return object()


def returns_nan_in_a_tuple(task, rep, now):
    return (task.kind == "prospect", np.float32("nan"))


def mixes_text_and_numbers(task, rep, now):
    return "later" if task.kind == "verify" else -task.value


def fails_itself(task, rep, now):
    return task.value + "x"


def biggest_deal_first(task, rep, now):
    return -task.value if task.kind != "prospect" else float("inf")


@pytest.mark.parametrize(("key", "error", "words"), [
    (returns_nan, ValueError, "returned nan for a verify task: NaN cannot be ordered"),
    (returns_none, TypeError, "returned None for a verify task: None cannot be ordered"),
    (returns_an_object, TypeError, "a value of type object cannot be ordered"),
    (returns_nan_in_a_tuple, ValueError, "returned (False, np.float32(nan)) for a verify task: "
                                         "NaN cannot be ordered"),
], ids=lambda x: getattr(x, "__name__", None))
def test_a_policy_key_that_cannot_be_ordered_is_named(key, error, words):
    with pytest.raises(error) as info:
        simulate(SMALL, policy=key)
    message = str(info.value)
    assert message.startswith(f"policy {key.__qualname__} returned ")
    assert words in message
    assert "a policy key must be a number (float('inf') puts a task last), text, or a tuple " \
           "of them, that can be ordered" in message


def test_keys_that_cannot_be_ordered_against_each_other_are_named():
    with pytest.raises(TypeError) as info:
        simulate(vary(SMALL, {"horizon_days": 200}), policy=mixes_text_and_numbers)
    message = str(info.value)
    assert message.startswith("policy mixes_text_and_numbers returned keys that cannot be "
                              "ordered against each other: 'later' for a verify task and ")
    assert "return the same kind of key for every task" in message


def test_an_error_inside_the_policy_function_is_its_own():
    with pytest.raises(TypeError, match=r"^unsupported operand type\(s\) for \+: 'float' and "
                                        r"'str'$"):
        simulate(SMALL, policy=fails_itself)


def test_the_check_reaches_replications_too():
    with pytest.raises(ValueError, match="policy returns_nan returned nan"):
        replicate(SMALL, 2, policy=returns_nan)


def test_a_good_policy_function_runs_as_before():
    plain = simulate(SMALL, policy=biggest_deal_first)
    assert plain.kpis()["leads"] > 0


def test_the_built_in_policies_are_not_wrapped():
    """Their cost stays zero: the engine calls them directly."""
    for key in (*POLICIES.values(), by_levels(["orders", "best_few", "in_funnel",
                                               "above_funnel"])):
        assert checked_policy(key) is key
    assert checked_policy(fifo) is fifo and checked_policy(miller_heiman) is miller_heiman
    wrapped = checked_policy(biggest_deal_first)
    assert wrapped is not biggest_deal_first
    # a built-in passed as the override gives the same run as the scenario naming it
    named = vary(SMALL, {"policy.name": "classic"})
    assert pd.Series(simulate(SMALL, policy=classic).kpis()).equals(
        pd.Series(simulate(named).kpis()))
