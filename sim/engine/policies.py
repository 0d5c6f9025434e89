"""Prioritisation policies: which task a rep does next.

A policy is a *key function* ``key(task, rep, now) -> comparable``. The rep does the
task with the smallest key; ties go to the task that became ready first, then to the
one created first. This is also the contract for a Python function passed from a
notebook (``simulate(scenario, policy=my_key)``):

``task``
    ``kind`` (``"prospect"``, ``"verify"``, ``"stage"``, ``"effort"``, ``"post_sale"``),
    ``level`` (``"above_funnel"``, ``"in_funnel"``, ``"best_few"``, ``"orders"``),
    ``ready`` (day it became available), ``hours``, ``stage`` (index, or -1), ``value``
    (expected value in money: amount x stage win rate), and ``lead`` / ``opp``.
``rep``
    ``idx``, ``name``, ``hours_per_day``, ``skill`` (per stage), ``above_funnel``
    (unverified leads it holds), ``busy_hours`` and ``prospect_hours`` so far.
``now``
    Simulation day.

The function must not change the task or the rep, and must return a key that can be
ordered: a number (``float("inf")`` puts a task last), text, or a tuple of them, the
same kind for every task. A function passed from a notebook is checked as it runs
(:func:`checked_policy`): NaN raises ``ValueError``, and None or a key that cannot be
ordered against the others raises ``TypeError``, each naming the function and the value,
rather than leaving the order arbitrary. The built-in policies are not wrapped and cost
nothing extra. Every policy is work-conserving:
a rep whose list is empty prospects, as long as the week's call list
(``max_hours_per_week``) is not used up. A prospecting task is offered *with* the others
only while the flow target is unmet (weekly hours, unverified-lead stock or the
policy's ``prospecting_share``), so prospecting never becomes an endless task.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from sim.rules.deals import LEVELS

PolicyKey = Callable[[Any, Any, float], Any]


def fifo(task, rep, now: float):
    """First come, first served: the task that has waited longest."""
    return task.ready


def classic(task, rep, now: float):
    """Highest expected value (amount x win rate) first; prospecting only when nothing
    else waits."""
    return (task.kind == "prospect", -task.value)


_CLOSE_FIRST_GROUP = {"stage": 0, "effort": 0, "post_sale": 1, "verify": 2, "prospect": 3}


def close_first(task, rep, now: float):
    """Latest stage first (its work and extra closing effort), then post-sale work,
    then new leads; prospecting last. The roller-coaster recipe."""
    return (_CLOSE_FIRST_GROUP[task.kind], -task.stage)


def by_levels(order) -> PolicyKey:
    """A policy that serves Miller Heiman levels in ``order``, oldest task first within
    a level."""
    rank = {level: i for i, level in enumerate(order)}

    def key(task, rep, now: float):
        return rank[task.level]

    key.__name__ = "by_levels(" + ", ".join(order) + ")"
    key.built_in = True
    return key


miller_heiman = by_levels(LEVELS)
"""Best Few, then Above the Funnel (prospect and verify), then In the Funnel, then Orders."""

POLICIES: dict[str, PolicyKey] = {
    "fifo": fifo,
    "classic": classic,
    "close_first": close_first,
    "miller_heiman": miller_heiman,
}


BUILT_IN: set[PolicyKey] = set(POLICIES.values())
"""Key functions of the package (a :func:`by_levels` key is one too): trusted, not
wrapped by :func:`checked_policy`."""


def policy_key(policy) -> PolicyKey:
    """The key function of a scenario policy (a :class:`sim.scenario.schema.Policy`) or name."""
    name = getattr(policy, "name", policy)
    if name == "custom":
        return by_levels(policy.order)
    return POLICIES[name]


def checked_policy(key: PolicyKey) -> PolicyKey:
    """``key`` with each value it returns checked; the package's own keys as they are.

    Parameters
    ----------
    key : callable
        A policy key function ``key(task, rep, now)``.

    Returns
    -------
    callable
        ``key`` itself for a built-in policy; else a key that returns what ``key``
        returns after checking it can be ordered: not None, not NaN (alone or inside a
        tuple), and comparable with itself. Called, it raises ``ValueError`` for NaN and
        ``TypeError`` for None or a value that cannot be ordered, naming the function,
        the value and the task's kind. Whether the values of different tasks can be
        ordered against each other shows where they are compared
        (:func:`unorderable_keys`).
    """
    if key in BUILT_IN or getattr(key, "built_in", False):
        return key
    return _CheckedKey(key)


def unorderable_keys(key: PolicyKey, candidates, rep, now: float,
                     error: TypeError) -> TypeError | None:
    """Why comparing the keys of ``candidates`` raised ``error``: a ``TypeError`` naming a
    policy function (:func:`checked_policy`) and two of its keys that cannot be ordered;
    None when ``key`` is not such a function or the error came from inside it."""
    if not isinstance(key, _CheckedKey) or error is key.raised:
        return None
    keys = [(key.func(t, rep, now), t) for t in candidates]
    for i, (a, ta) in enumerate(keys):
        for b, tb in keys[:i]:
            try:
                bool(a < b)
            except (TypeError, ValueError):
                return TypeError(
                    f"policy {key.name} returned keys that cannot be ordered against each "
                    f"other: {a!r} for a {ta.kind} task and {b!r} for a {tb.kind} task "
                    f"({error}); return the same kind of key for every task")
    return TypeError(f"policy {key.name} returned keys that cannot be ordered: {error}")


class _CheckedKey:
    """A policy function whose every key is checked (see :func:`checked_policy`)."""

    __slots__ = ("func", "name", "raised", "__weakref__")

    def __init__(self, func: PolicyKey):
        self.func = func
        self.name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) \
            or repr(func)
        self.raised: BaseException | None = None

    def __call__(self, task, rep, now: float):
        try:
            value = self.func(task, rep, now)
            problem = _key_problem(value)
            if problem is not None:
                kind, why = problem
                raise kind(f"policy {self.name} returned {value!r} for a {task.kind} task: "
                           f"{why}; a policy key must be a number (float('inf') puts a task "
                           "last), text, or a tuple of them, that can be ordered")
        except Exception as exc:
            self.raised = exc  # the function's own error, or the check's: not a comparison
            raise
        return value


def _key_problem(value) -> tuple[type[Exception], str] | None:
    """``(exception type, why)`` if ``value`` cannot serve as a key, else None."""
    if value is None:
        return TypeError, "None cannot be ordered"
    if isinstance(value, numbers.Number) and value != value:  # NaN, of any number type
        return ValueError, ("NaN cannot be ordered (every comparison with it is false, so "
                            "the order would be arbitrary)")
    if isinstance(value, tuple | list):
        for item in value:
            problem = _key_problem(item)
            if problem is not None:
                return problem
        return None
    try:
        bool(value < value)
    except (TypeError, ValueError):
        return TypeError, f"a value of type {type(value).__name__} cannot be ordered"
    return None
