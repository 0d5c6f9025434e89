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

The function must not change the task or the rep. Every policy is work-conserving:
a rep whose list is empty prospects, as long as the week's call list
(``max_hours_per_week``) is not used up. A prospecting task is offered *with* the others
only while the flow target is unmet (weekly hours, unverified-lead stock or the
policy's ``prospecting_share``), so prospecting never becomes an endless task.
"""

from __future__ import annotations

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
    return key


miller_heiman = by_levels(LEVELS)
"""Best Few, then Above the Funnel (prospect and verify), then In the Funnel, then Orders."""

POLICIES: dict[str, PolicyKey] = {
    "fifo": fifo,
    "classic": classic,
    "close_first": close_first,
    "miller_heiman": miller_heiman,
}


def policy_key(policy) -> PolicyKey:
    """The key function of a scenario policy (a :class:`sim.scenario.schema.Policy`) or name."""
    name = getattr(policy, "name", policy)
    if name == "custom":
        return by_levels(policy.order)
    return POLICIES[name]
