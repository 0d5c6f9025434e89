"""A deliberately plain SimPy model of a scenario's arrivals and funnel stages.

This is the yardstick for ``bench/bench_engine.py``: the model a SimPy user would
write first, in the textbook style, for the same leads and the same work:

* a process per inbound or campaign channel draws Poisson arrivals one at a time
  (exponential gaps at the channel's peak rate, thinned to the actual rate, so the
  monthly seasonality and yearly growth of inbound channels are honoured);
* outbound prospecting is modelled as one more Poisson stream at the channel's
  average yield, ``reps x prospect_hours_per_week x leads_per_hour`` leads a week
  (by default the whole weekly call list, ``max_hours_per_week``: the baseline reps,
  idle ~15% of their time, use nearly all of it). Only the leads are modelled: the
  rep hours spent prospecting are left out, so this model does *less* rep work than
  the engine;
* every lead is its own process; all rep work goes through one shared
  ``simpy.Resource(capacity=reps)`` in first-come, first-served order: first the
  verification (a lead not reached within ``expiry_days`` expires), then each
  stage's work (``hours / hours_per_day`` days), the customer's decision time and an
  advance/loss draw (with the engine's speed-to-lead and rotting rules);
* every random number is drawn when it is needed, one call at a time, from one
  shared ``random.Random`` (default) or ``numpy.random.Generator``.

Not modelled: per-rep queues and lead assignment, prioritisation policies, rep
skills and per-rep hours, event records and tables. Counts therefore agree with the
engine only roughly; they are printed side by side as a sanity check, not a test.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.scenario.distributions import Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform
from sim.scenario.schema import CampaignChannel, InboundChannel, ProspectingChannel, Scenario


@dataclass
class NaiveCounts:
    """What happened over the whole run (warm-up included)."""

    leads: int = 0
    expired: int = 0
    disqualified: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    lost_to_neglect: int = 0
    leads_by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def open(self) -> int:
        """Opportunities still in the funnel at the end."""
        return self.opportunities - self.won - self.lost


class _Draws:
    """Per-call random draws from one generator: stdlib ``random`` or numpy."""

    def __init__(self, seed: int, kind: str):
        self.kind = kind
        if kind == "random":
            r = random.Random(seed)
            self.random = r.random
            self.expovariate = r.expovariate  # rate
            self.gamma = r.gammavariate  # shape, scale
            self.lognormal = r.lognormvariate  # mu, sigma
            self.uniform = r.uniform
            self.triangular = lambda lo, mode, hi: r.triangular(lo, hi, mode)
            self._poisson = self._poisson_knuth
        elif kind == "numpy":
            g = np.random.default_rng(seed)
            self.random = g.random
            self.expovariate = lambda rate: g.exponential(1.0 / rate)
            self.gamma = g.gamma
            self.lognormal = g.lognormal
            self.uniform = g.uniform
            self.triangular = g.triangular
            self._poisson = g.poisson
        else:
            raise ValueError(f"rng must be 'random' or 'numpy', not {kind!r}")

    def poisson(self, lam: float) -> int:
        return int(self._poisson(lam))

    def _poisson_knuth(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, self.random()
        while p > limit:
            k += 1
            p *= self.random()
        return k

    def sample(self, spec) -> float:
        """One draw of a scenario distribution (or a plain number)."""
        if isinstance(spec, float | int):
            return float(spec)
        if isinstance(spec, Fixed):
            return spec.value
        if isinstance(spec, Exponential):
            return self.expovariate(1.0 / spec.mean)
        if isinstance(spec, Gamma):
            shape = 1.0 / spec.cv**2
            return self.gamma(shape, spec.mean / shape)
        if isinstance(spec, Lognormal):
            sigma2 = math.log1p(spec.cv**2)
            return self.lognormal(math.log(spec.mean) - sigma2 / 2, math.sqrt(sigma2))
        if isinstance(spec, Uniform):
            return self.uniform(spec.low, spec.high)
        if isinstance(spec, Triangular):
            return self.triangular(spec.low, spec.mode, spec.high)
        raise TypeError(f"unknown distribution {spec!r}")


class NaiveModel:
    """One replication of the plain model.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose arrivals and stages to model.
    seed : int
        Seed of the single random generator.
    rng : {"random", "numpy"}
        Draw from a stdlib ``random.Random`` or a numpy ``Generator``, one call per draw.
    prospect_hours_per_week : float, optional
        Prospecting hours per rep per week behind the prospecting lead stream; default
        the channel's ``max_hours_per_week``.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, rng: str = "random",
                 prospect_hours_per_week: float | None = None):
        self.sc = scenario
        self.draw = _Draws(seed, rng)
        self.env = simpy.Environment()
        team = scenario.team
        self.reps = simpy.Resource(self.env, capacity=team.reps)
        self.hpd = team.hours_per_day
        self.advance = scenario.advance_rates()
        self.prospect_hours_per_week = prospect_hours_per_week
        self.origin = scenario.start_date - dt.timedelta(days=scenario.warmup_days)
        reasons = scenario.opportunities.lost_reasons
        self.reasons, self.reason_weights = list(reasons), list(reasons.values())
        self.counts = NaiveCounts(leads_by_channel={c.name: 0 for c in scenario.channels})

    # -- arrivals -----------------------------------------------------------------------
    def rate_per_day(self, ch, day: float) -> float:
        """Mean leads per day of a channel at ``day``."""
        if isinstance(ch, CampaignChannel):
            return ch.budget_per_month * 12 / 365 / ch.cost_per_lead
        if isinstance(ch, ProspectingChannel):
            hours = (ch.max_hours_per_week if self.prospect_hours_per_week is None
                     else self.prospect_hours_per_week)
            return self.sc.team.reps * hours * ch.leads_per_hour / 7
        assert isinstance(ch, InboundChannel)
        rate = ch.leads_per_week / 7
        if ch.seasonality is not None:
            month = (self.origin + dt.timedelta(days=day)).month
            rate *= ch.seasonality[month - 1]
        if ch.growth_per_year:
            rate *= (1 + ch.growth_per_year) ** ((day - self.sc.warmup_days) / 365)
        return rate

    def peak_rate(self, ch) -> float:
        """An upper bound of the channel's rate over the run (for thinning)."""
        if not isinstance(ch, InboundChannel):
            return self.rate_per_day(ch, 0.0)
        peak = ch.leads_per_week / 7
        if ch.seasonality is not None:
            peak *= max(ch.seasonality)
        if ch.growth_per_year:
            sc = self.sc
            ends = ((0 - sc.warmup_days) / 365, (sc.run_days - sc.warmup_days) / 365)
            peak *= max((1 + ch.growth_per_year) ** y for y in ends)
        return peak

    def arrivals(self, ch):
        env, draw = self.env, self.draw
        peak = self.peak_rate(ch)
        if peak <= 0:
            return
        end = self.sc.run_days
        while True:
            gap = draw.expovariate(peak)
            if env.now + gap >= end:
                return
            yield env.timeout(gap)
            if draw.random() * peak < self.rate_per_day(ch, env.now):
                env.process(self.lead(ch))

    # -- one lead -----------------------------------------------------------------------
    def lead(self, ch):
        env, draw, c, cfg = self.env, self.draw, self.counts, self.sc.leads
        c.leads += 1
        c.leads_by_channel[ch.name] += 1
        created = env.now

        # verification, unless the lead verifies itself
        if cfg.verify_hours > 0:
            req = self.reps.request()
            got = yield req | env.timeout(cfg.expiry_days)
            if req not in got:
                req.cancel()
                c.expired += 1
                return
            response_hours = (env.now - created) * 24
            yield env.timeout(cfg.verify_hours / self.hpd)
            self.reps.release(req)
        else:
            response_hours = 0.0
        decay = math.exp(-response_hours / cfg.speed_to_lead_decay_hours)
        chance = ch.lead_quality * (cfg.speed_to_lead_floor
                                    + (1 - cfg.speed_to_lead_floor) * decay)
        if draw.random() >= chance:
            c.disqualified += 1
            return

        # an opportunity: work each stage, wait for the customer, draw the outcome
        c.opportunities += 1
        draw.sample(ch.deal_size)  # the amount: unused here, drawn for parity with the engine
        for k, stage in enumerate(self.sc.stages):
            asked = env.now
            with self.reps.request() as req:
                yield req
                wait = env.now - asked
                yield env.timeout(draw.sample(stage.work_hours) / self.hpd)
            yield env.timeout(draw.sample(stage.decision_days))
            rot = stage.rot_days
            rot_factor = math.exp(-(wait - rot) / rot) if wait > rot else 1.0
            chance = self.advance[k]
            u = draw.random()
            if u < chance * rot_factor:
                continue
            c.lost += 1
            if u < chance:
                c.lost_to_neglect += 1
            else:
                self._reason()
            return
        c.won += 1

    def _reason(self) -> str:
        u = self.draw.random() * sum(self.reason_weights)
        for name, w in zip(self.reasons, self.reason_weights, strict=True):
            u -= w
            if u < 0:
                return name
        return self.reasons[-1]

    def run(self) -> NaiveCounts:
        for ch in self.sc.channels:
            self.env.process(self.arrivals(ch))
        self.env.run(until=self.sc.run_days)
        return self.counts


def run_naive(scenario: Scenario, replication: int = 0, rng: str = "random") -> NaiveCounts:
    """One replication of the naive model; the seed mixes scenario seed and replication."""
    return NaiveModel(scenario, seed=scenario.seed * 1_000_003 + replication, rng=rng).run()


if __name__ == "__main__":  # pragma: no cover - a quick look
    import sys

    from sim.scenario.files import load_scenario

    sc = load_scenario(sys.argv[1] if len(sys.argv) > 1 else "scenarios/baseline.toml")
    print(run_naive(sc))
