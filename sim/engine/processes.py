"""The SimPy engine: channels make leads, reps work them, customers decide.

The engine only appends plain records (see :mod:`sim.engine.events`); every table and
figure is computed afterwards. No I/O happens here. The rules it shares with the
analysis (Best Few, levels, rot, the forecast categories) come from :mod:`sim.rules`.

Owners forecast like reps: on entering a stage they date a deal's close from their own
belief of each stage's days (which learns from the days their own deals took, waiting
for them included) and put it in a forecast category; when a deal passes its date still
tracking they re-date it, and at each period's start they review its category. These
beliefs are only recorded: what happens to deals never depends on them (the Best Few
window, which ranks a Miller Heiman rep's work, is anchored on the normal cycle instead),
so changing how owners forecast leaves every outcome unchanged.

Clock: simulation day 0 is the start of the warm-up; a task of ``h`` hours keeps a
rep busy for ``h / hours_per_day`` days.

A team that changes over the run (``team.hires``, ``departures``, ``absences``) gives
its reps hours that change with time (:func:`sim.rules.reps.working_hours`): a rep works
only while its hours are above zero, at the rate they say, and a task a leave
interrupts waits for the rep's return. Marketing leads go only to reps working that
day. A leaver's open leads and deals, with the work waiting on them, go to the reps
still working (``team.reassign``), each with a :class:`~sim.engine.events.Reassigned`
event. Without a plan every rep keeps its constant hours and the code path is the one
it always was.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np
import simpy

from sim.engine.aftersale import sale_record
from sim.engine.events import (
    Advanced,
    ForecastRevised,
    LeadCreated,
    LeadDisqualified,
    LeadExpired,
    LeadQualified,
    LeadRecord,
    Lost,
    OpportunityCreated,
    OpportunityRecord,
    PostSaleDone,
    Reassigned,
    Recorder,
    StageEntered,
    VerifyStart,
    Won,
    WorkEnd,
    WorkRecord,
    WorkStart,
)
from sim.engine.leadgen import LeadTraits, arrival_days
from sim.engine.policies import PolicyKey, checked_policy, fifo, policy_key, unorderable_keys
from sim.engine.streams import Streams
from sim.rules.calendar import period_table
from sim.rules.deals import (
    TASK_LEVELS,
    BestFewRule,
    believed_win_rate,
    cycle_days_left,
    forecast_category,
    opportunity_level,
    rot_factor,
    typical_stage_days,
)
from sim.rules.reps import has_plan, rep_hours_per_day, rep_names, rep_specs, working_hours
from sim.scenario.schema import Scenario

# task kinds
PROSPECT, VERIFY, STAGE, EFFORT, POST_SALE = "prospect", "verify", "stage", "effort", "post_sale"

class Lead:
    __slots__ = ("id", "channel", "row", "created", "owner", "contacted")

    def __init__(self, id_, channel, row, created, owner):
        self.id, self.channel, self.row = id_, channel, row
        self.created, self.owner = created, owner
        self.contacted = created


class Opportunity:
    __slots__ = ("id", "lead", "owner", "amount", "stage", "status", "rot_factor",
                 "cycle_close", "expected_close", "category", "entered", "revision", "due",
                 "deciding", "extra_hours", "effort_task")

    def __init__(self, id_, lead, owner, amount):
        self.id, self.lead, self.owner, self.amount = id_, lead, owner, amount
        self.stage = 0
        self.status = "tracking"
        self.rot_factor = 1.0
        self.cycle_close = 0.0  # entry day + the normal cycle left: the Best Few anchor
        self.expected_close = 0.0  # the owner's belief
        self.category = "pipeline"
        self.entered = 0.0  # the day it entered its stage
        self.revision = 0  # counts the owner's estimates
        self.due = math.inf  # when the timer that watches its expected close fires
        self.deciding = False  # the customer is deciding: elastic effort is possible
        self.extra_hours = 0.0
        self.effort_task = None


class Task:
    """One thing a rep can do next. Policies rank these.

    Attributes
    ----------
    kind : str
        ``"prospect"``, ``"verify"``, ``"stage"`` (the stage's work), ``"effort"``
        (extra closing effort while the customer decides) or ``"post_sale"``.
    level : str
        Miller Heiman level: ``"above_funnel"``, ``"in_funnel"``, ``"best_few"`` or
        ``"orders"`` (set just before the policy ranks the task).
    ready : float
        Day the task became available.
    hours : float
        Rep hours it takes.
    stage : int
        Stage index for stage work, ``-1`` otherwise.
    value : float
        Expected value: amount x win rate for stage work, the channel's expected
        amount x lead quality x first win rate for a lead, 0 for prospecting.
    lead, opp : Lead or Opportunity or None
        What the task is about.
    """

    __slots__ = ("kind", "ready", "hours", "stage", "value", "lead", "opp", "seq", "level",
                 "done")

    def __init__(self, kind, ready, hours, stage=-1, value=0.0, lead=None, opp=None, seq=0):
        self.kind, self.ready, self.hours, self.stage = kind, ready, hours, stage
        self.value, self.lead, self.opp, self.seq = value, lead, opp, seq
        self.level = TASK_LEVELS.get(kind, "in_funnel")
        self.done = 0.0  # hours already worked (a task its rep left unfinished)


class TaskList(list):
    """The tasks waiting for a rep (or a pooled team), and the earliest day one of its
    leads can expire, so that the rep looks for expired leads only when one may be."""

    __slots__ = ("next_expiry",)

    def __init__(self):
        super().__init__()
        self.next_expiry = math.inf


def _ready_seq(task: Task):
    return (task.ready, task.seq)


class Rep:
    """A sales rep: hours, skill, policy and the tasks waiting for it."""

    __slots__ = (
        "idx", "name", "hours_per_day", "skill", "key", "policy", "needs_levels", "effort_cap",
        "tasks", "wake", "week", "prospect_hours_week", "prospect_hours", "busy_hours",
        "above_funnel", "current", "stage_days", "plan", "cycle_left", "believed_days",
        "seen",
    )

    def __init__(self, idx, name, hours_per_day, skill, key, policy, needs_levels, effort_cap):
        self.idx, self.name, self.hours_per_day, self.skill = idx, name, hours_per_day, skill
        self.key, self.policy, self.needs_levels = key, policy, needs_levels
        self.effort_cap = effort_cap  # extra closing hours given to one deal, per stage
        self.tasks = TaskList()
        self.wake = None
        self.week = -1
        self.prospect_hours_week = 0.0
        self.prospect_hours = 0.0
        self.busy_hours = 0.0
        self.above_funnel = 0
        self.current = None  # (task, start) while a task is under way
        self.plan = None  # WorkingHours on the engine's clock, for a rep the plan changes


class Engine:
    """One replication of a scenario.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    replication : int
        Replication number (selects independent random streams).
    policy : callable, optional
        A policy key function overriding the scenario's policy for every rep (its
        ``prospecting_share`` and ``effort_cap_hours`` still apply); see
        :mod:`sim.engine.policies` for its contract.
    """

    def __init__(self, scenario: Scenario, replication: int = 0,
                 policy: PolicyKey | None = None):
        self.scenario = scenario
        self.replication = replication
        self.env = simpy.Environment()
        self.streams = Streams(scenario.seed, replication)
        self.rec = Recorder()
        sc = scenario
        self.k_stages = len(sc.stages)
        self.advance = sc.advance_rates()
        self.rot_days = [s.rot_days for s in sc.stages]
        self.win_rates = sc.win_rates
        self.elastic = [s.elastic_gain > 0 and s.elastic_max_hours > 0 for s in sc.stages]
        self.best_few = BestFewRule.of(sc)
        # the level for each answer of the rule, named once: opportunity_level's check
        # for arrays costs more than the rest of level_of, which runs for most tasks
        self._levels = {holds: opportunity_level(holds) for holds in (False, True)}
        self.post_sale_hours = sc.post_sale.work_hours
        self.leads_cfg = sc.leads
        reasons = sc.opportunities.lost_reasons
        total = sum(reasons.values())
        self.reason_names = list(reasons)
        # per channel, read at every lead: its quality, and a new lead's expected value
        # (its mean deal x quality x the first stage's win rate)
        self.lead_quality = [ch.lead_quality for ch in sc.channels]
        self.lead_values = [ch.deal_size.mean * ch.lead_quality * self.win_rates[0]
                            for ch in sc.channels]
        self.reason_cum = np.cumsum([w / total for w in reasons.values()]) if total else []
        # a function from a notebook is checked as it runs; the built-in policies are not
        self.reps = self._make_reps(checked_policy(policy) if policy is not None else None)
        self.traits = {}
        self.prospecting = None
        self._seq = 0
        self._next_lead = 0
        self._next_opp = 0
        self._rr = 0
        self._assign_rng = self.streams["assignment"]
        for ci, ch in enumerate(sc.channels):
            if ch.kind == "outbound_prospecting":
                self.prospecting = (ci, ch)
                self.traits[ci] = LeadTraits(ch, sc, self.streams)
        self._prospect_rng = self.streams["prospecting.yield"]
        self.opps: list[Opportunity] = []
        fc = sc.forecast
        self.optimism = fc.owner_optimism
        self.learning = fc.owner_learning_deals
        self.redate_min = fc.redate_min_days
        self.stage_left_min = fc.owner_stage_left_min_share
        self.believed = [believed_win_rate(w, fc.owner_optimism) for w in self.win_rates]
        self.commit_min, self.best_case_min = fc.commit_min_win_rate, fc.best_case_min_win_rate
        # forecast periods on the engine's clock: the starts, and the end of each
        periods = period_table(sc.start_date, fc.period, -sc.warmup_days, sc.horizon_days,
                               extra=1)
        self.period_starts = (periods["start_day"].to_numpy(dtype=float)
                              + sc.warmup_days).tolist()
        self.period_ends = (periods["end_day"].to_numpy(dtype=float) + sc.warmup_days).tolist()
        self.open_opps: dict[int, Opportunity] = {}

    # -- set-up -------------------------------------------------------------------
    def _make_reps(self, override):
        team = self.scenario.team
        self.assignment = team.assignment
        self.pooled = team.assignment == "pool"
        shared = TaskList()
        reps = []
        names, hours, specs = rep_names(team), rep_hours_per_day(team), rep_specs(team)
        plans = [None] * len(names)
        if has_plan(team):
            plans = [None if h.edges == () else h.shifted(self.scenario.warmup_days)
                     for h in working_hours(self.scenario)]
        self.planned = any(p is not None for p in plans)
        for i, spec in enumerate(specs):
            skill = (spec.skill if spec and spec.skill else team.skill) or [1.0] * self.k_stages
            policy = (spec.policy if spec and spec.policy else None) or self.scenario.policy
            key = override or policy_key(policy)
            needs_levels = override is not None or policy.name in ("miller_heiman", "custom")
            rep = Rep(i, names[i], hours[i], list(skill), key, policy, needs_levels,
                      self._effort_caps(policy))
            # each stage's typical days at the owner's hours per day, and the cycle left
            rep.stage_days = typical_stage_days(self.scenario.stages, hours[i])
            rep.plan = plans[i]
            rep.cycle_left = cycle_days_left(rep.stage_days)
            # the owner's belief of each stage's days, and how many deals it rests on
            rep.believed_days = list(rep.stage_days)
            rep.seen = [1] * self.k_stages
            if self.pooled:
                rep.tasks = shared
            reps.append(rep)
        return reps

    def _effort_caps(self, policy) -> list[float]:
        caps = []
        for stage in self.scenario.stages:
            if policy.effort_cap_hours is not None:
                cap = policy.effort_cap_hours
            elif policy.name == "miller_heiman":
                cap = stage.elastic_scale_hours  # what closing needs, no more
            else:
                cap = stage.elastic_max_hours
            caps.append(min(cap, stage.elastic_max_hours))
        return caps

    def run(self):
        """Run warm-up plus results period; return the :class:`~sim.engine.events.Recorder`."""
        sc = self.scenario
        arrivals = []
        for ci, ch in enumerate(sc.channels):
            if ch.kind == "outbound_prospecting":
                continue
            days = arrival_days(ch, sc, self.streams[f"channel.{ch.name}.arrivals"])
            self.traits[ci] = LeadTraits(ch, sc, self.streams, size=len(days))
            arrivals.append(np.column_stack([days, np.full(len(days), ci),
                                             np.arange(len(days))]))
        merged = np.concatenate(arrivals) if arrivals else np.empty((0, 3))
        merged = merged[np.lexsort((merged[:, 1], merged[:, 0]))]
        self.env.process(self._marketing(merged))
        for rep in self.reps:
            self.env.process(self._rep(rep) if rep.plan is None else self._planned_rep(rep))
        self.env.process(self._period_reviews())
        self.env.run(until=sc.run_days)
        self._finish()
        return self.rec

    # -- processes ------------------------------------------------------------------
    def _marketing(self, arrivals):
        env = self.env
        # column by column: three lists rather than one per lead for the collector to keep
        for day, ci, row in zip(*arrivals.T.tolist(), strict=True):
            if day > env.now:
                yield env.timeout(day - env.now)
            self._new_lead(int(ci), int(row), self._assign())

    def _assign(self) -> Rep:
        if self.planned:
            return self._assign_working()
        how = self.assignment
        if how in ("round_robin", "pool"):
            rep = self.reps[self._rr % len(self.reps)]
            self._rr += 1
            return rep
        if how == "random":
            return self.reps[int(self._assign_rng.integers(len(self.reps)))]
        return min(self.reps, key=lambda r: (len(r.tasks), r.idx))

    def working(self, now: float) -> list[Rep]:
        """The reps working at ``now`` (joined, not gone, not on leave)."""
        return [r for r in self.reps if r.plan is None or r.plan.on(now) > 0]

    def _assign_working(self) -> Rep:
        """:meth:`_assign` among the reps working today (a team that changes)."""
        how = self.scenario.team.assignment
        working = self.working(self.env.now)
        if how in ("round_robin", "pool"):
            n = len(self.reps)
            for step in range(n):  # the next working rep in the rotation
                rep = self.reps[(self._rr + step) % n]
                if rep in working:
                    self._rr += step + 1
                    return rep
        if how == "random":
            return working[int(self._assign_rng.integers(len(working)))]
        return min(working, key=lambda r: (len(r.tasks), r.idx))

    def _rep(self, rep: Rep):
        env = self.env
        hpd = rep.hours_per_day
        # bound once: this loop runs for every task of the run
        pick, start_task, log_time, complete = self._pick, self._start, self._log_time, \
            self._complete
        while True:
            task = pick(rep)
            if task is None:
                rep.wake = env.event()
                if self.prospecting is not None:
                    next_week = (math.floor(env.now / 7) + 1) * 7
                    yield rep.wake | env.timeout(next_week - env.now)
                else:
                    yield rep.wake
                rep.wake = None
                continue
            start = start_task(task, rep)
            if task.hours > 0:
                rep.current = (task, start)
                yield env.timeout(task.hours / hpd)
                rep.current = None
            rep.busy_hours += task.hours
            log_time(rep, task, start, env.now, task.hours, True)
            complete(task, rep)

    def _planned_rep(self, rep: Rep):
        """:meth:`_rep` for a rep whose hours change over the run (``rep.plan``): it works
        only while its hours are above zero, at their rate; a task is logged as one
        stretch per spell of constant hours (a leave or a ramp month's end cuts it); when
        the rep leaves, its work goes to the others (:meth:`_depart`)."""
        env, plan = self.env, rep.plan
        while True:
            rate, until = plan.segment(env.now)
            if rate <= 0:
                if until == math.inf:  # gone
                    self._depart(rep)
                    return
                yield env.timeout(until - env.now)
                continue
            task = self._pick(rep)
            if task is None:
                rep.wake = env.event()
                if self.prospecting is not None:
                    until = min(until, (math.floor(env.now / 7) + 1) * 7)
                yield rep.wake if until == math.inf else rep.wake | env.timeout(until - env.now)
                rep.wake = None
                continue
            start = self._start(task, rep)
            left, spell, gone = task.hours, start, False
            while left > 1e-9:
                rate, until = plan.segment(env.now)
                if rate <= 0:  # a leave (or the rep's last day): the task waits for them
                    if until == math.inf:
                        gone = True
                        break
                    yield env.timeout(until - env.now)
                    spell = env.now
                    continue
                rep.current = (task, spell)
                now = env.now
                if left / rate <= until - now:
                    yield env.timeout(left / rate)
                    break
                # the hours change: one stretch per spell of constant hours
                yield env.timeout(until - now)
                left -= rate * (until - now)
                rep.current = None
                self._log_time(rep, task, spell, env.now, rate * (until - now), False)
                spell = env.now
            else:
                left = 0.0  # nothing (or a rounding error's worth) left
            rep.current = None
            if gone:  # the rep left with the task unfinished: it goes with the rest
                rep.busy_hours += task.hours - left
                if task.kind != PROSPECT:  # a call list half worked is dropped
                    task.done, task.hours = task.done + task.hours - left, left
                    rep.tasks.append(task)
                continue
            rep.busy_hours += task.hours
            self._log_time(rep, task, spell, env.now, left, True)
            self._complete(task, rep)

    def _depart(self, rep: Rep) -> None:
        """Rep ``rep`` leaves today: each open deal (deals first, then leads, in order of
        id) goes to a rep working today by ``team.reassign``, with the work waiting on it
        and a :class:`~sim.engine.events.Reassigned` event."""
        now = self.env.now
        working = [r for r in self.working(now) if r is not rep]
        mine = [t for t in rep.tasks if (t.opp.owner if t.opp is not None else t.lead.owner)
                == rep.idx]
        handover = {t.opp.id for t in mine if t.kind == POST_SALE}
        deals = [o for o in self.opps if o.owner == rep.idx
                 and (o.status == "tracking" or o.id in handover)]
        leads = sorted({t.lead.id: t.lead for t in mine if t.kind == VERIFY}.items())
        load = dict.fromkeys((r.idx for r in working), 0)
        for o in self.opps:
            if o.status == "tracking" and o.owner in load:
                load[o.owner] += 1
        for r in working:
            load[r.idx] += r.above_funnel
        turn = 0
        for item in [*deals, *(lead for _, lead in leads)]:
            if self.scenario.team.reassign == "round_robin":
                to, turn = working[turn % len(working)], turn + 1
            else:
                to = min(working, key=lambda r: (load[r.idx], r.idx))
            load[to.idx] += 1
            item.owner = to.idx
            if isinstance(item, Opportunity):
                stage = item.stage if item.status == "tracking" else -1
                self.rec.log(Reassigned, now, item.lead.id, item.id, rep.idx, stage, to.idx)
            else:
                rep.above_funnel -= 1
                to.above_funnel += 1
                self.rec.log(Reassigned, now, item.id, -1, rep.idx, -1, to.idx)
        if self.pooled:  # the team's queue is shared: the work stays in it
            return
        moving = list(rep.tasks)
        rep.tasks[:] = []
        rep.tasks.next_expiry = math.inf
        for t in moving:
            self._add_task(self.reps[t.opp.owner if t.opp is not None else t.lead.owner], t)

    def _start(self, task: Task, rep: Rep) -> float:
        """Rep ``rep`` starts ``task`` now (its level noted, its start logged): now."""
        now = self.env.now
        if not rep.needs_levels and task.opp is not None and task.kind != POST_SALE:
            task.level = self.level_of(task.opp, now)
        if task.done:  # begun by a rep who left: only its rest is to do
            return now
        if task.kind == VERIFY:
            task.lead.contacted = now
            self.rec.log(VerifyStart, now, task.lead.id, rep.idx, (now - task.lead.created) * 24)
        elif task.kind == STAGE:
            opp = task.opp
            wait = now - task.ready
            opp.rot_factor = rot_factor(wait, self.rot_days[task.stage])
            self.rec.log(WorkStart, now, opp.lead.id, opp.id, rep.idx, task.stage, wait)
        elif task.kind == PROSPECT:
            rep.prospect_hours_week += task.hours
            rep.prospect_hours += task.hours
        return now

    def _log_time(self, rep, task, start, end, hours, finished) -> None:
        lead_id = task.lead.id if task.lead is not None else (
            task.opp.lead.id if task.opp is not None else -1)
        opp_id = task.opp.id if task.opp is not None else -1
        self.rec.note(WorkRecord, rep.idx, task.kind, task.stage, task.level, lead_id, opp_id,
                      start, end, hours, finished)

    def _pick(self, rep: Rep) -> Task | None:
        now = self.env.now
        tasks = rep.tasks
        if now > tasks.next_expiry - 1e-9:  # some lead may have expired: look
            expiry = self.leads_cfg.expiry_days
            keep = []
            for t in tasks:
                if t.kind == VERIFY and now - t.ready > expiry:
                    self._expire(t.lead, rep)
                else:
                    keep.append(t)
            tasks[:] = keep  # in place: a pooled team shares this list
            tasks.next_expiry = min((t.ready + expiry for t in tasks if t.kind == VERIFY),
                                    default=math.inf)
        prospect = self._prospect_hours(rep, now)
        if not tasks:
            return None if prospect is None else self._prospect_block(prospect, now)
        if prospect is None or not self._prospect_due(rep):
            candidates = tasks
        else:
            candidates = [*tasks, self._prospect_block(prospect, now)]
        if rep.needs_levels:
            for t in candidates:
                if t.opp is not None and t.kind != POST_SALE:
                    t.level = self.level_of(t.opp, now)
        key = rep.key
        if key is fifo:  # the same order as the general rule below, without the calls
            best = candidates[0] if len(candidates) == 1 else min(candidates, key=_ready_seq)
        else:
            try:
                best = min(candidates, key=lambda t: (key(t, rep, now), t.ready, t.seq))
            except TypeError as exc:  # keys of a notebook's policy that cannot be ordered
                why = unorderable_keys(key, candidates, rep, now, exc)
                if why is None:
                    raise
                raise why from exc
        if best.kind != PROSPECT:
            tasks.remove(best)
        return best

    # Prospecting is offered at almost every pick, but taken at few of them: the task is
    # built only when a rep may take it (with nothing else to do, or with the flow
    # target unmet), which saves the engine most of those objects.
    def _prospect_hours(self, rep: Rep, now: float) -> float | None:
        """The hours of the next prospecting block this week, or None when there is no
        prospecting or the week's list is used up."""
        if self.prospecting is None:
            return None
        ch = self.prospecting[1]
        week = math.floor(now / 7)
        if week != rep.week:
            rep.week, rep.prospect_hours_week = week, 0.0
        room = ch.max_hours_per_week - rep.prospect_hours_week
        if room <= 1e-9:
            return None
        return min(ch.block_hours, room)

    def _prospect_due(self, rep: Rep) -> bool:
        """Whether the flow target is unmet, so prospecting competes with the other tasks."""
        ch = self.prospecting[1]
        share = rep.policy.prospecting_share
        return (
            rep.prospect_hours_week < ch.target_hours_per_week
            or rep.above_funnel < ch.target_leads_above_funnel
            or (share > 0 and rep.prospect_hours < share * (rep.busy_hours + ch.block_hours))
        )

    @staticmethod
    def _prospect_block(hours: float, now: float) -> Task:
        """This week's prospecting block of ``hours``."""
        return Task(PROSPECT, math.floor(now / 7) * 7.0, hours, seq=-1)

    def _prospect_task(self, rep: Rep, now: float):
        """``(task, due)`` for prospecting, or None when the week's list is used up (what
        :meth:`_pick` asks its parts, one at a time)."""
        hours = self._prospect_hours(rep, now)
        if hours is None:
            return None
        return self._prospect_block(hours, now), self._prospect_due(rep)

    def level_of(self, opp: Opportunity, now: float) -> str:
        """Miller Heiman level of a tracking opportunity today (see
        :class:`sim.rules.deals.BestFewRule`)."""
        return self._levels[self.best_few.holds(self.win_rates[opp.stage],
                                                opp.cycle_close - now)]

    def _complete(self, task: Task, rep: Rep) -> None:
        if task.kind == PROSPECT:
            ci, ch = self.prospecting
            n = self._prospect_rng.poisson(ch.leads_per_hour * task.hours)
            for _ in range(n):
                self._new_lead(ci, self.traits[ci].take(), rep)
        elif task.kind == VERIFY:
            self._verified(task.lead, rep)
        elif task.kind == STAGE:
            opp, k = task.opp, task.stage
            self.rec.log(WorkEnd, self.env.now, opp.lead.id, opp.id, rep.idx, k)
            lead = opp.lead
            wait = float(self.traits[lead.channel].decision_days[lead.row, k])
            timer = self.env.timeout(wait)
            timer.callbacks.append(lambda _ev, o=opp, k=k: self._decided(o, k))
            if self.elastic[k]:
                opp.deciding, opp.extra_hours = True, 0.0
                self._offer_effort(opp, k)
        elif task.kind == EFFORT:
            opp = task.opp
            if opp.deciding and opp.stage == task.stage:  # else the customer decided meanwhile
                opp.extra_hours += task.hours
                self._offer_effort(opp, task.stage)
        else:
            self.rec.log(PostSaleDone, self.env.now, task.opp.lead.id, task.opp.id, rep.idx,
                         task.hours)

    def _offer_effort(self, opp: Opportunity, k: int) -> None:
        """While the customer decides, offer the owner another session of closing effort."""
        owner = self.reps[opp.owner]
        room = owner.effort_cap[k] - opp.extra_hours
        if room <= 1e-9:
            opp.effort_task = None
            return
        hours = min(self.scenario.stages[k].elastic_block_hours, room)
        task = Task(EFFORT, self.env.now, hours, stage=k,
                    value=opp.amount * self.win_rates[k], opp=opp)
        opp.effort_task = task
        self._add_task(owner, task)

    # -- what happens to leads and opportunities --------------------------------------
    def _add_task(self, rep: Rep, task: Task) -> None:
        self._seq += 1
        task.seq = self._seq
        rep.tasks.append(task)
        if task.kind == VERIFY:
            expires = task.ready + self.leads_cfg.expiry_days
            if expires < rep.tasks.next_expiry:
                rep.tasks.next_expiry = expires
        if self.pooled:  # wake one idle rep of the team
            rep = next((r for r in self.reps if r.wake is not None and not r.wake.triggered),
                       None)
            if rep is None:
                return
        if rep.wake is not None and not rep.wake.triggered:
            rep.wake.succeed()

    def _new_lead(self, ci: int, row: int, rep: Rep) -> None:
        now = self.env.now
        lead = Lead(self._next_lead, ci, row, now, rep.idx)
        self._next_lead += 1
        self.rec.note(LeadRecord, lead.id, ci, now, rep.idx)
        self.rec.log(LeadCreated, now, lead.id, rep.idx)
        rep.above_funnel += 1
        hours = self.leads_cfg.verify_hours
        if hours == 0:  # verified on arrival, without rep time
            self._verified(lead, rep)
            return
        self._add_task(rep, Task(VERIFY, now, hours, value=self.lead_values[ci], lead=lead))

    def _expire(self, lead: Lead, rep: Rep) -> None:
        self.reps[lead.owner].above_funnel -= 1
        self.rec.log(LeadExpired, lead.created + self.leads_cfg.expiry_days, lead.id, lead.owner)

    def _verified(self, lead: Lead, rep: Rep) -> None:
        now = self.env.now
        self.reps[lead.owner].above_funnel -= 1
        cfg = self.leads_cfg
        traits = self.traits[lead.channel]
        # speed-to-lead: the chance decays with the delay before the first contact
        delay_hours = (lead.contacted - lead.created) * 24
        decay = math.exp(-delay_hours / cfg.speed_to_lead_decay_hours)
        floor = cfg.speed_to_lead_floor
        chance = self.lead_quality[lead.channel] * (floor + (1 - floor) * decay)
        if traits.qualify_u[lead.row] >= chance:
            self.rec.log(LeadDisqualified, now, lead.id, rep.idx, chance)
            return
        self.rec.log(LeadQualified, now, lead.id, rep.idx, chance)
        opp = Opportunity(self._next_opp, lead, rep.idx, float(traits.amount[lead.row]))
        self._next_opp += 1
        self.opps.append(opp)
        self.rec.note(OpportunityRecord, opp.id, lead.id, rep.idx, opp.amount, now,
                      lead.channel, bool(traits.strategic[lead.row]),
                      bool(traits.contract[lead.row]), float(traits.customer_u[lead.row]))
        self.rec.log(OpportunityCreated, now, lead.id, opp.id, rep.idx)
        self.open_opps[opp.id] = opp
        self._enter_stage(opp, 0)

    def _enter_stage(self, opp: Opportunity, k: int) -> None:
        now = self.env.now
        opp.stage = k
        rep = self.reps[opp.owner]
        opp.cycle_close = now + rep.cycle_left[k]
        opp.entered = now
        self._estimate(opp, rep, 0.0)
        self.rec.log(StageEntered, now, opp.lead.id, opp.id, opp.owner, k, opp.expected_close,
                     opp.category)
        hours = float(self.traits[opp.lead.channel].work_hours[opp.lead.row, k])
        self._add_task(rep, Task(STAGE, now, hours, stage=k,
                                 value=opp.amount * self.win_rates[k], opp=opp))

    # -- what owners believe and record (never what happens to a deal) ----------------
    def _estimate(self, opp: Opportunity, rep: Rep, at_least: float) -> None:
        """The owner dates the deal's close (today plus their believed days of the stages
        left, the current one's less the days it has spent there but at least
        ``owner_stage_left_min_share`` of them, shortened by ``owner_optimism``, and at
        least ``at_least`` days) and sets its category; a timer re-dates it if it is
        still tracking when that date comes."""
        now, k = self.env.now, opp.stage
        days = rep.believed_days
        # a deal that has overrun its stage is not about to close tomorrow
        left = max(days[k] - (now - opp.entered), self.stage_left_min * days[k])
        left += sum(days[k + 1:])
        opp.expected_close = now + max((1.0 - self.optimism) * left, at_least)
        opp.category = self._category(opp, now)
        opp.revision += 1
        self._watch(opp)

    def _watch(self, opp: Opportunity) -> None:
        """Make sure a timer fires by the deal's expected close. One timer per deal: a
        pending one that fires sooner looks again then (most estimates are replaced
        before their date, so this saves the engine most of their timers)."""
        if opp.due <= opp.expected_close:
            return
        opp.due = due = opp.expected_close
        timer = self.env.timeout(due - self.env.now)
        timer.callbacks.append(lambda _ev, o=opp, d=due: self._due(o, d))

    def _category(self, opp: Opportunity, now: float) -> str:
        i = bisect_right(self.period_starts, now) - 1
        this_period = opp.expected_close < self.period_ends[i]
        return forecast_category(self.believed[opp.stage], this_period, self.commit_min,
                                 self.best_case_min)

    def _due(self, opp: Opportunity, due: float) -> None:
        """A deal's timer fired: if its expected close has come and it is still tracking,
        then once everything else due at that instant has happened (a decision then
        closes it on time), the owner re-dates it to today plus what they believe is
        left, at least ``redate_min_days`` ahead."""
        if opp.status != "tracking" or opp.due != due:  # closed, or a newer timer rules
            return
        opp.due = math.inf
        if opp.expected_close > self.env.now:  # re-estimated later since: watch that date
            self._watch(opp)
            return
        timer = self.env.timeout(0)  # runs after the events already due now
        timer.callbacks.append(lambda _ev, o=opp, r=opp.revision: self._redate(o, r))

    def _redate(self, opp: Opportunity, revision: int) -> None:
        if opp.status != "tracking" or opp.revision != revision:
            return
        self._estimate(opp, self.reps[opp.owner], self.redate_min)
        self._log_revision(opp)

    def _log_revision(self, opp: Opportunity) -> None:
        self.rec.log(ForecastRevised, self.env.now, opp.lead.id, opp.id, opp.owner, opp.stage,
                     opp.expected_close, opp.category)

    def _period_reviews(self):
        """At each forecast period's start every owner scrubs their pipeline: re-estimates
        each tracking deal's close and category (a deal expected this period may now be
        called)."""
        env = self.env
        for start in self.period_starts:
            if start <= env.now:
                continue
            if start >= self.scenario.run_days:
                return
            yield env.timeout(start - env.now)
            for opp in self.open_opps.values():
                before = (opp.expected_close, opp.category)
                self._estimate(opp, self.reps[opp.owner], 0.0)
                if (opp.expected_close, opp.category) != before:
                    self._log_revision(opp)

    def _learn(self, opp: Opportunity, k: int) -> None:
        """The owner learns from the days the deal spent in stage k (a running mean over
        about ``owner_learning_deals`` of their latest deals, the typical days counting
        as the first)."""
        if not self.learning:
            return
        rep = self.reps[opp.owner]
        rep.seen[k] += 1
        step = 1.0 / min(rep.seen[k], self.learning)
        rep.believed_days[k] += (self.env.now - opp.entered - rep.believed_days[k]) * step

    def _decided(self, opp: Opportunity, k: int) -> None:
        now = self.env.now
        rep = self.reps[opp.owner]
        self._learn(opp, k)
        lead = opp.lead
        traits = self.traits[lead.channel]
        chance = self.advance[k] * rep.skill[k]
        if opp.deciding:  # elastic effort: diminishing returns on the extra hours
            opp.deciding = False
            st = self.scenario.stages[k]
            chance *= 1 + st.elastic_gain * -math.expm1(-opp.extra_hours / st.elastic_scale_hours)
            if opp.effort_task is not None:
                tasks = self.reps[opp.owner].tasks
                if opp.effort_task in tasks:
                    tasks.remove(opp.effort_task)
                opp.effort_task = None
        chance = min(1.0, chance)
        u = traits.outcome_u[lead.row, k]
        if u < chance * opp.rot_factor:
            if k + 1 < self.k_stages:
                self.rec.log(Advanced, now, lead.id, opp.id, opp.owner, k)
                self._enter_stage(opp, k + 1)
            else:
                opp.status = "won"
                del self.open_opps[opp.id]
                self.rec.log(Won, now, lead.id, opp.id, opp.owner, k, opp.amount)
                self.rec.sales.append(sale_record(opp.id, traits, lead.row))
                if self.post_sale_hours > 0:
                    self._add_task(rep, Task(POST_SALE, now, self.post_sale_hours,
                                             value=opp.amount, opp=opp))
            return
        opp.status = "lost"
        del self.open_opps[opp.id]
        if u < chance:
            reason = "lost_to_neglect"
        else:
            i = int(np.searchsorted(self.reason_cum, traits.reason_u[lead.row], side="right"))
            reason = self.reason_names[min(i, len(self.reason_names) - 1)]
        self.rec.log(Lost, now, lead.id, opp.id, opp.owner, k, reason)

    def _finish(self) -> None:
        """Log work still under way at the end (as far as it got), and expire the leads
        whose time ran out after their rep last looked."""
        end = self.scenario.run_days
        for rep in self.reps:
            if rep.current is not None:
                task, start = rep.current
                hours = ((end - start) * rep.hours_per_day if rep.plan is None
                         else rep.plan.between(start, end))
                self._log_time(rep, task, start, end, hours, False)
        expiry = self.leads_cfg.expiry_days
        queues = {id(rep.tasks): (rep.tasks, rep) for rep in self.reps}
        for tasks, rep in queues.values():
            for t in tasks:
                if t.kind == VERIFY and t.ready + expiry <= end:
                    self._expire(t.lead, rep)
