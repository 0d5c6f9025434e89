"""The runner's API at its boundary: a wrong argument to ``simulate``, ``replicate`` or
``compare`` raises ``TypeError`` (wrong kind) or ``ValueError`` (out of bounds) naming the
argument and the rule, before anything runs; right ones keep working."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario, compare, replicate, simulate
from sim.experiments import runner

SC = Scenario(horizon_days=20, warmup_days=5, seed=2)


def _bookings(result) -> dict:
    return {"bookings": result.kpis()["bookings"]}


def _not_a_dict(result):
    return 3.0


@pytest.fixture
def nothing_runs(monkeypatch):
    """Fail the test if a replication starts: the checks come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("a replication ran")

    monkeypatch.setattr(runner, "Engine", refuse)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: simulate(None), TypeError, "scenario: must be a Scenario"),
    (lambda: simulate({"seed": 1}), TypeError, "scenario: must be a Scenario"),
    (lambda: simulate(SC, replication=-1), ValueError,
     "replication: must be a whole number, 0 or more; got -1"),
    (lambda: simulate(SC, replication=1.5), TypeError,
     "replication: must be a whole number (int), 0 or more; got 1.5 (float)"),
    (lambda: simulate(SC, replication="1"), TypeError, "replication: must be a whole number"),
    (lambda: simulate(SC, replication=True), TypeError, "got True (bool)"),
    (lambda: simulate(SC, policy="fifo"), TypeError,
     "policy: must be a function key(task, rep, now) or None; got 'fifo' (str)"),
], ids=["none", "dict", "negative", "float", "text", "bool", "policy-name"])
def test_simulate_refuses(nothing_runs, call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"replications": 0}, ValueError, "replications: must be a whole number, 1 or more; got 0"),
    ({"replications": -3}, ValueError, "replications: must be a whole number, 1 or more"),
    ({"replications": "10"}, TypeError,
     "replications: must be a count (int, 1 or more) or an iterable of replication numbers; "
     "got '10' (str)"),
    ({"replications": b"10"}, TypeError, "replications: must be a count"),
    ({"replications": 2.0}, TypeError, "replications: must be a count"),
    ({"replications": []}, ValueError, "replications: must name at least one replication"),
    ({"replications": [0, -1]}, ValueError, "replications[]: must be a whole number, 0 or more"),
    ({"replications": [0, 1.5]}, TypeError, "replications[]: must be a whole number (int)"),
    ({"replications": [1, 1]}, ValueError, "each replication may be run once; 1 is listed twice"),
    ({"workers": 0}, ValueError, "workers: must be a whole number, 1 or more; got 0"),
    ({"workers": -2}, ValueError, "workers: must be a whole number, 1 or more"),
    ({"workers": 2.5}, TypeError, "workers: must be a whole number (int), 1 or more"),
    ({"workers": "2"}, TypeError, "workers: must be a whole number (int)"),
    ({"metrics": "bookings"}, TypeError,
     "metrics: must be a function metrics(result) -> dict; got 'bookings' (str)"),
    ({"metrics": None}, TypeError, "metrics: must be a function"),
    ({"policy": 3}, TypeError, "policy: must be a function"),
    ({"executor": object()}, TypeError, "executor: must be a concurrent.futures.Executor"),
    ({"progress": None}, TypeError,
     "progress: must be True, False or a label (str); got None (NoneType)"),
    ({"progress": 1}, TypeError, "progress: must be True, False or a label (str); got 1 (int)"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_replicate_refuses(nothing_runs, kwargs, error, words):
    kwargs = {"replications": 2} | kwargs
    with pytest.raises(error) as info:
        replicate(SC, **kwargs)
    assert words in str(info.value)


@pytest.mark.parametrize(("variants", "error", "words"), [
    ({}, ValueError, "variants: must name at least one scenario; got an empty dict"),
    ([SC], TypeError, "variants: must be a dict of label -> Scenario"),
    (None, TypeError, "variants: must be a dict"),
    ({"a": SC, "b": "baseline"}, TypeError,
     "variants['b']: must be a Scenario (from load_scenario, parse_scenario or vary); "
     "got 'baseline' (str)"),
], ids=["empty", "list", "none", "not-a-scenario"])
def test_compare_refuses(nothing_runs, variants, error, words):
    with pytest.raises(error) as info:
        compare(variants, 2)
    assert words in str(info.value)


def test_replicate_refuses_a_missing_scenario(nothing_runs):
    with pytest.raises(TypeError, match=r"^scenario: must be a Scenario .*got None"):
        replicate(None, 2)


def test_metrics_must_return_a_dict():
    with pytest.raises(TypeError, match=r"metrics: must return a dict .* _not_a_dict "
                                        r"returned 3\.0 \(float\)"):
        replicate(SC, 1, metrics=_not_a_dict)


def test_right_arguments_still_work():
    """Counts, iterables (a range, a tuple, numpy integers) and any worker count give the
    same rows; a numpy integer replication is an int in the result."""
    by_count = replicate(SC, 2, metrics=_bookings)
    assert by_count["replication"].tolist() == [0, 1]
    for reps in (range(2), (0, 1), np.arange(2), [np.int64(0), np.int64(1)]):
        assert replicate(SC, reps, metrics=_bookings).equals(by_count), reps
    assert replicate(SC, np.int64(2), metrics=_bookings).equals(by_count)
    assert replicate(SC, 2, metrics=_bookings, workers=2).equals(by_count)
    assert replicate(SC, 2, metrics=_bookings, workers=None).equals(by_count)
    assert replicate(SC, 2, metrics=_bookings, progress="bookings").equals(by_count)
    result = simulate(SC, np.int64(1))
    assert type(result.replication) is int and result.replication == 1


def test_a_lambda_runs_here_by_default_and_is_refused_for_a_pool():
    """A lambda cannot travel to another process: the default (all usable cores) then
    runs the replications here; asking for 2 workers names the rule instead of failing
    in the pool."""
    def local(result):  # defined inside a function: cannot be pickled either
        return {"bookings": result.kpis()["bookings"]}

    expected = replicate(SC, 2, metrics=_bookings, workers=1)
    assert replicate(SC, 2, metrics=local).equals(expected)
    assert replicate(SC, 2, metrics=lambda r: _bookings(r)).equals(expected)
    with pytest.raises(TypeError, match=r"^workers: 2 processes need jobs that can be "
                                        r"pickled, and these cannot \(.*local.*\); pass "
                                        r"module-level functions"):
        replicate(SC, 2, metrics=local, workers=2)
