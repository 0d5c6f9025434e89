"""A rep's name and selling hours, as the team, its named members and its plan set them.

The team's plan (``team.hires``, ``team.departures``, ``team.absences``) makes a rep's
hours change over time; :func:`working_hours` is the one rule for them, used by the
engine (when a rep may work, and how fast) and by the analysis (the hours really
available, for utilisation and the headcount table):

- a hire does nothing before ``joins``; in its first calendar months it works the
  ``ramp`` share of its full hours (``ramp = [0.25, 0.5, 0.75]``: a quarter of them in the
  first month, half in the second, three quarters in the third, then all);
- a leaver works no more from its ``leaves`` date on;
- a rep on leave works no hours from ``start`` to ``end`` (both dates included).

A ramping rep *works fewer hours*, rather than working every hour at a lower skill: a
share of full productivity is then exactly a share of the hours, the rep's queue waits
as a busy rep's does, and utilisation (busy over available hours) stays comparable
across reps. Reps are numbered as the tables name them: the team's ``reps`` first, then
each hire in order (a hire of ``count`` reps gives ``count`` of them).
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

from sim.rules.dates import add_months, day_of

REASSIGN_RULES = ("least_loaded", "round_robin")
"""How a leaver's open leads and deals are shared among the reps still working:
``least_loaded`` gives each, deals first then leads (each in order of id), to the rep
who then owns the fewest open deals and leads; ``round_robin`` deals them out in turn."""


def hire_names(hire) -> list[str]:
    """The names of the reps one entry of ``team.hires`` brings: its ``name``, or with
    ``count`` above 1, ``NAME 1``, ``NAME 2``, ..."""
    return [hire.name] if hire.count == 1 else [f"{hire.name} {j + 1}"
                                                for j in range(hire.count)]


def rep_names(team) -> list[str]:
    """Each rep's name: a member's own, else ``Rep 1``, ``Rep 2``, ... by position; then
    the hires' (:func:`hire_names`)."""
    base = [(team.members[i].name if i < len(team.members) and team.members[i].name
             else f"Rep {i + 1}") for i in range(team.reps)]
    return base + [name for hire in team.hires for name in hire_names(hire)]


def rep_specs(team) -> list:
    """Each rep's own settings (``hours_per_day``, ``skill``, ``policy``, each None for
    the team's): its member entry or its hire entry, or None."""
    base = [team.members[i] if i < len(team.members) else None for i in range(team.reps)]
    return base + [hire for hire in team.hires for _ in range(hire.count)]


def rep_hours_per_day(team) -> list[float]:
    """Each rep's full selling hours per calendar day: a member's (or hire's) own, else
    the team's."""
    return [(spec.hours_per_day if spec is not None and spec.hours_per_day
             else team.hours_per_day) for spec in rep_specs(team)]


def has_plan(team) -> bool:
    """True if the team changes over the run (a hire, a leaver or a leave)."""
    return bool(team.hires or team.departures or team.absences)


class WorkingHours(NamedTuple):
    """A rep's selling hours per day over time, constant between ``edges``.

    ``rates[0]`` holds before ``edges[0]``, ``rates[i]`` from ``edges[i - 1]`` to
    ``edges[i]``, and ``rates[-1]`` from the last edge on. Days count from the scenario's
    ``start_date`` (see :meth:`shifted` for another clock).

    >>> hours = WorkingHours((10.0, 20.0), (0.0, 3.0, 6.0))
    >>> hours.on(15), hours.between(0, 30), hours.segment(12)
    (3.0, 90.0, (3.0, 20.0))
    """

    edges: tuple[float, ...]
    rates: tuple[float, ...]

    @classmethod
    def constant(cls, hours_per_day: float) -> WorkingHours:
        """The same hours every day."""
        return cls((), (float(hours_per_day),))

    def on(self, day: float) -> float:
        """Hours per day at ``day`` (a change at ``day`` counts from ``day`` on)."""
        return self.rates[bisect.bisect_right(self.edges, day)]

    def segment(self, day: float) -> tuple[float, float]:
        """``(hours per day, until)``: the rate at ``day`` and the day it next changes
        (``inf`` if never). A change within a billionth of a day counts as made."""
        i = bisect.bisect_right(self.edges, day + 1e-9)
        return self.rates[i], self.edges[i] if i < len(self.edges) else math.inf

    def between(self, first: float, last: float) -> float:
        """Hours available from ``first`` to ``last`` (0 if ``last <= first``)."""
        if last <= first:
            return 0.0
        bounds = [first, *[e for e in self.edges if first < e < last], last]
        return sum(self.on(a) * (b - a) for a, b in zip(bounds, bounds[1:], strict=False))

    def shifted(self, offset: float) -> WorkingHours:
        """The same hours on a clock ``offset`` days later (the engine's clock starts
        ``warmup_days`` before ``start_date``: ``shifted(warmup_days)``)."""
        return WorkingHours(tuple(e + offset for e in self.edges), self.rates)


class _Change(NamedTuple):
    """What the plan says about one rep, in day numbers (None where it says nothing)."""

    joins: float | None
    ramp_ends: tuple[float, ...]
    ramp: tuple[float, ...]
    leaves: float | None
    away: tuple[tuple[float, float], ...]  # [first day off, first day back)


def _changes(scenario) -> list[_Change]:
    team, start = scenario.team, scenario.start_date
    names = rep_names(team)
    joins: list = [None] * team.reps
    ramp_ends: list = [()] * team.reps
    ramps: list = [()] * team.reps
    for hire in team.hires:
        ends = tuple(day_of(start, add_months(hire.joins, m + 1)) for m in range(len(hire.ramp)))
        joins += [day_of(start, hire.joins)] * hire.count
        ramp_ends += [ends] * hire.count
        ramps += [tuple(hire.ramp)] * hire.count
    leaves: list = [None] * len(names)
    for d in team.departures:
        leaves[names.index(d.rep)] = day_of(start, d.leaves)
    away: list = [[] for _ in names]
    for a in team.absences:
        away[names.index(a.rep)].append((day_of(start, a.start), day_of(start, a.end) + 1))
    return [_Change(joins[i], ramp_ends[i], ramps[i], leaves[i], tuple(away[i]))
            for i in range(len(names))]


def _rate(change: _Change, full: float, day: float) -> float:
    if change.joins is not None and day < change.joins:
        return 0.0
    if change.leaves is not None and day >= change.leaves:
        return 0.0
    if any(a <= day < b for a, b in change.away):
        return 0.0
    i = bisect.bisect_right(change.ramp_ends, day)
    return full * change.ramp[i] if i < len(change.ramp) else full


def working_hours(scenario) -> list[WorkingHours]:
    """Each rep's selling hours per day over time (days from ``start_date``), as the
    team's plan sets them; without a plan, each rep's constant full hours."""
    team = scenario.team
    full = rep_hours_per_day(team)
    if not has_plan(team):
        return [WorkingHours.constant(h) for h in full]
    out = []
    for change, hours in zip(_changes(scenario), full, strict=True):
        edges = sorted({e for e in (change.joins, change.leaves) if e is not None}
                       | set(change.ramp_ends) | {e for span in change.away for e in span})
        rates = [_rate(change, hours, -math.inf)] + [_rate(change, hours, e) for e in edges]
        out.append(WorkingHours(tuple(edges), tuple(rates)))
    return out


def rep_hours_on(scenario, rep: int | str, day: float) -> float:
    """Selling hours per day rep ``rep`` (its index or name) works at ``day`` (days from
    ``start_date``): 0 before a hire joins, from a leaver's leaving date on and during a
    leave, the ramp's share of its full hours in a hire's first months."""
    i = rep if isinstance(rep, int) else rep_names(scenario.team).index(rep)
    return working_hours(scenario)[i].on(day)


def available_hours(scenario, first: float, last: float) -> list[float]:
    """Each rep's selling hours available from day ``first`` to day ``last`` (days from
    ``start_date``): what utilisation divides by."""
    return [hours.between(first, last) for hours in working_hours(scenario)]
