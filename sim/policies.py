"""Prioritisation policies: which task a rep does next.

A policy is a *key function* ``key(task, rep, now) -> comparable``. The rep does the
task with the smallest key; ties go to the task that became ready first, then to the
one created first. ``task`` has ``kind`` (``"prospect"``, ``"verify"``, ``"stage"``),
``ready`` (day it became available), ``hours``, ``stage`` (index, or -1), ``value``
(expected value in money) and ``lead`` / ``opp``. ``rep`` has ``idx``, ``name``,
``hours_per_day``, ``skill`` and ``above_funnel`` (unverified leads it holds).

Every policy is work-conserving: a rep whose list is empty prospects, as long as the
week's prospecting list (``max_hours_per_week``) is not used up. Prospecting with
priority is offered only while the flow target is not met, so it is never an
endless task that starves the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PolicyKey = Callable[[Any, Any, float], Any]


def fifo(task, rep, now: float):
    """First come, first served: the task that has waited longest."""
    return task.ready


def classic(task, rep, now: float):
    """Highest expected value (amount x win rate) first; prospecting only when nothing
    else waits."""
    return (task.kind == "prospect", -task.value)


POLICIES: dict[str, PolicyKey] = {"fifo": fifo, "classic": classic}


def policy_key(name: str) -> PolicyKey:
    """The key function of a named policy."""
    return POLICIES[name]
