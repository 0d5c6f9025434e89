"""Validation against analytic results (STYLE.md, "Tests in four kinds").

Each test runs replications with fixed seeds and checks that a confidence interval
over replications (or a goodness-of-fit statistic) agrees with what theory says:
the product of stage conversion rates, the sum of stage means, Erlang C, Little's
law, Poisson arrivals, seasonality, campaign budgets, lost-reason weights and the
speed-to-lead decay. Intervals are at :data:`simhelpers.LEVEL` (99%, see there for
why); each test also bounds the interval's width so that it has the power to fail.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from simhelpers import (
    CI,
    LEVEL,
    chi2_quantile,
    chi2_statistic,
    erlang_c,
    erlang_c_wait,
    fixed,
    in_period,
    inbound,
    run_many,
    scenario,
    time_average_open,
)

from sim.analysis.metrics import utilization

pytestmark = pytest.mark.slow

Z = NormalDist().inv_cdf(0.5 + LEVEL / 2)  # two-sided normal quantile at LEVEL


# =====================================================================================
# An uncongested funnel: 30 pooled reps for ~2 busy on average, leads verified on
# arrival, so nobody waits and every deal's fate and timing follow the stage
# parameters alone (an infinite-server network).
# =====================================================================================
HPD = 8.0
QUALITY = 0.4
LEADS_PER_WEEK = 70.0
WIN_RATES = [0.3, 0.5, 0.8]
WORK_MEAN_HOURS = [2.0, 4.0, 1.0]
DECISION_MEAN_DAYS = [5.0, 8.0, 3.0]
REASON_WEIGHTS = {"competitor": 5.0, "no_budget": 3.0, "no_decision": 2.0}
FUNNEL = {
    "name": "uncongested",
    "seed": 5,
    "warmup_days": 0,  # nothing queues, so each deal's fate needs no steady state
    "horizon_days": 400,
    "channels": [inbound("Web", leads_per_week=LEADS_PER_WEEK, quality=QUALITY)],
    # verified at once; a floor of 1 also removes any speed-to-lead decay
    "leads": {"verify_hours": 0, "speed_to_lead_floor": 1.0},
    "stages": [
        {"name": "Discover", "win_rate": WIN_RATES[0], "work_hours": WORK_MEAN_HOURS[0],
         "decision_days": {"dist": "exponential", "mean": DECISION_MEAN_DAYS[0]}},
        {"name": "Propose", "win_rate": WIN_RATES[1],
         "work_hours": {"dist": "exponential", "mean": WORK_MEAN_HOURS[1]},
         "decision_days": {"dist": "gamma", "mean": DECISION_MEAN_DAYS[1], "cv": 0.7}},
        {"name": "Sign", "win_rate": WIN_RATES[2], "work_hours": WORK_MEAN_HOURS[2],
         "decision_days": fixed(DECISION_MEAN_DAYS[2])},
    ],
    "opportunities": {"lost_reasons": REASON_WEIGHTS},
    "team": {"reps": 30, "hours_per_day": HPD, "assignment": "pool"},
}
FUNNEL_REPLICATIONS = 20
COHORT_END = 300.0  # leads created in [0, 300) have 100 days to close; ~1e-4 stay open


def stage_days(k: int) -> float:
    """Mean time a deal spends in stage k with no waiting: work plus decision."""
    return WORK_MEAN_HOURS[k] / HPD + DECISION_MEAN_DAYS[k]


def advance_rates(win_rates, skill=None):
    w = [*win_rates, 1.0]
    skill = skill or [1.0] * len(win_rates)
    return [min(1.0, w[k] / w[k + 1] * skill[k]) for k in range(len(win_rates))]


@pytest.fixture(scope="module")
def funnel_runs():
    sc = scenario(FUNNEL)
    runs = run_many(sc, FUNNEL_REPLICATIONS)
    for res in runs:  # the premise of every analytic value below: no task ever waited
        assert (res.stage_history["wait_days"].fillna(0) == 0).all()
    return runs


def cohort(res):
    """Leads created in [0, COHORT_END) and the opportunities they became."""
    leads = res.leads[in_period(res.leads["created_day"], 0, COHORT_END)]
    opps = res.opportunities[res.opportunities["lead_id"].isin(leads["lead_id"])]
    return leads, opps


def test_qualify_rate_with_instant_response_is_lead_quality(funnel_runs):
    rates = [len(opps) / len(leads) for leads, opps in map(cohort, funnel_runs)]
    ci = CI(rates)
    # one replication has ~3,000 leads: binomial s.e. ~0.009, so over 20 replications
    # the interval is about +-0.006 (1.5% of q); bounded at 3%, so a 5% error would show
    assert QUALITY in ci, ci
    assert ci.half < 0.03 * QUALITY, ci


def test_wins_per_lead_is_quality_times_first_win_rate(funnel_runs):
    """The stage advance rates telescope: q x prod(w[k] / w[k+1]) = q x w[0]."""
    expected = QUALITY * math.prod(advance_rates(WIN_RATES))
    assert expected == pytest.approx(QUALITY * WIN_RATES[0])
    per_rep = []
    for leads, opps in map(cohort, funnel_runs):
        assert (opps["status"] != "tracking").mean() > 0.999  # the cohort has closed
        per_rep.append((opps["status"] == "won").sum() / len(leads))
    ci = CI(per_rep)
    assert expected in ci, ci
    # s.e. of one replication ~sqrt(.12 x .88 / 3000) = .006; the interval is ~+-.004:
    # tight enough that a wrong advance rate in one stage (e.g. w[k] instead of
    # w[k]/w[k+1]) would be caught by far
    assert ci.half < 0.1 * expected, ci


def test_skill_multiplies_the_advance_rates_up_to_certainty():
    """With per-stage skill s, the chance to advance is min(1, s[k] w[k] / w[k+1])."""
    skill = [0.5, 1.0, 1.5]  # the last stage's 0.8 x 1.5 is capped at 1
    adv = advance_rates(WIN_RATES, skill)
    assert adv[-1] == 1.0
    expected = QUALITY * math.prod(adv)  # 0.075, against 0.12 without skill
    sc = scenario(FUNNEL, seed=7, horizon_days=300, team={"skill": skill})
    per_rep, last_stage_losses = [], 0
    for res in run_many(sc, 10):
        leads = res.leads[in_period(res.leads["created_day"], 0, 200.0)]
        opps = res.opportunities[res.opportunities["lead_id"].isin(leads["lead_id"])]
        assert (opps["status"] != "tracking").mean() > 0.999
        per_rep.append((opps["status"] == "won").sum() / len(leads))
        sh = res.stage_history
        last_stage_losses += int(((sh["stage_index"] == 2) & (sh["outcome"] == "lost")).sum())
    ci = CI(per_rep)
    assert expected in ci, ci
    # ~2,000 leads a replication, binomial s.e. ~0.006, ~+-0.006 over 10: the
    # uncapped product (0.09) or the unskilled one (0.12) lies far outside
    assert ci.half < 0.12 * expected, ci
    assert last_stage_losses == 0  # certainty is certain


def test_stage_reach_rates_follow_advance_rates(funnel_runs):
    """Share of deals entering stage k+1 among those decided in stage k."""
    adv = advance_rates(WIN_RATES)
    for k in range(len(WIN_RATES) - 1):
        shares = []
        for res in funnel_runs:
            sh = res.stage_history
            decided = sh[(sh["stage_index"] == k) & (sh["outcome"] != "open")]
            shares.append((decided["outcome"] == "advanced").mean())
        ci = CI(shares)
        assert adv[k] in ci, (k, ci)
        assert ci.half < 0.05, ci  # binomial, ~1,000+ deals a replication


def test_mean_cycle_of_won_deals_is_the_sum_of_stage_means(funnel_runs):
    """Decision times (exponential, gamma, fixed) and work (fixed, exponential) add up;
    the outcome draws are independent of the durations, so winning does not bias them."""
    expected = sum(stage_days(k) for k in range(len(WIN_RATES)))
    means = []
    for _leads, opps in map(cohort, funnel_runs):
        won = opps[opps["status"] == "won"]
        means.append(won["cycle_days"].mean())
    ci = CI(means)
    assert expected in ci, ci
    # the cycle's s.d. is ~7.5 days over ~360 wins a replication: the interval is
    # ~+-0.3 day on ~16.9 days; a stage mean off by one day would be caught
    assert ci.half < 0.05 * expected, ci


def test_mean_time_in_each_stage_is_work_plus_decision(funnel_runs):
    for k in range(len(WIN_RATES)):
        means = []
        for res in funnel_runs:
            sh = res.stage_history
            # deals of the cohort only: those entered near the end and still deciding
            # would leave out the long decisions and bias the mean down
            rows = sh[(sh["stage_index"] == k) & (sh["entered_day"] < COHORT_END)]
            assert rows["decided_day"].notna().mean() > 0.999
            means.append((rows["decided_day"] - rows["entered_day"]).mean())
        ci = CI(means)
        assert stage_days(k) in ci, (k, ci)
        assert ci.half < 0.05 * stage_days(k), ci


def test_littles_law_in_the_uncongested_funnel(funnel_runs):
    """Time-average open pipeline L = lambda x E[W], with E[W] from the stage means:
    a deal spends stage k's mean time there with the chance it reaches stage k."""
    adv = advance_rates(WIN_RATES)
    reach = np.cumprod([1.0, *adv[:-1]])
    mean_sojourn = float(sum(reach[k] * stage_days(k) for k in range(len(WIN_RATES))))
    opps_per_day = LEADS_PER_WEEK / 7 * QUALITY
    expected = opps_per_day * mean_sojourn
    # from day 60 on the pipeline is stationary (P(sojourn > 60 days) ~ 1e-4); the
    # window ends at the horizon, where open deals count to the end
    sc = funnel_runs[0].scenario
    ci = CI([time_average_open(res.opportunities, 60.0, sc.horizon_days)
             for res in funnel_runs])
    assert expected in ci, ci
    # L ~ 30 deals; its time average over 340 days varies by ~0.5 a replication
    assert ci.half < 0.03 * expected, ci


def test_lost_reasons_follow_their_weights(funnel_runs):
    counts = pd.concat([res.opportunities["lost_reason"] for res in funnel_runs]).value_counts()
    total_weight = sum(REASON_WEIGHTS.values())
    names = list(REASON_WEIGHTS)
    observed = np.array([counts.get(n, 0) for n in names])
    n_lost = observed.sum()
    assert n_lost > 10_000 and counts.get("lost_to_neglect", 0) == 0  # nobody waited
    expected = n_lost * np.array([REASON_WEIGHTS[n] / total_weight for n in names])
    stat = chi2_statistic(observed, expected)
    # goodness of fit with 2 degrees of freedom at LEVEL; with ~17,000 losses a share
    # off by 1.5 points would give a statistic of ~20, far above the bound (~9.2)
    assert stat < chi2_quantile(LEVEL, len(names) - 1), (observed, expected)


def test_weekly_lead_counts_are_poisson(funnel_runs):
    """Mean weekly count = leads_per_week, and variance = mean (index of dispersion)."""
    weekly = []
    for res in funnel_runs:
        week = np.floor(res.leads["created_day"] / 7).astype(int)
        n_weeks = int(res.scenario.horizon_days // 7)
        weekly.append(np.bincount(week[week < n_weeks], minlength=n_weeks))
    means = CI([w.mean() for w in weekly])
    assert LEADS_PER_WEEK in means, means
    assert means.half < 0.03 * LEADS_PER_WEEK, means  # ~1,140 weeks of ~70 leads
    counts = np.concatenate(weekly)
    dof = len(counts) - 1
    dispersion = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    lo, hi = chi2_quantile((1 - LEVEL) / 2, dof), chi2_quantile((1 + LEVEL) / 2, dof)
    # a Poisson count's index of dispersion is chi-square(n - 1); lo/hi are within
    # about 10% of n, so over- or under-dispersion of 10% would fail
    assert lo < dispersion < hi, (dispersion / dof, lo / dof, hi / dof)


# =====================================================================================
# Erlang C and Little's law in an M/M/c queue: one stage, c pooled reps serving a
# shared FIFO queue, Poisson arrivals, exponential work, every lead an opportunity
# on arrival, no decision time.
# =====================================================================================
C = 3
ARRIVALS_PER_DAY = 4.5
WORK_HOURS = 4.0
MM_HPD = 8.0
SERVICE_RATE = MM_HPD / WORK_HOURS  # tasks per rep-day
RHO = ARRIVALS_PER_DAY / (C * SERVICE_RATE)  # 0.75
MMC = {
    "name": "M/M/3",
    "seed": 31,
    "warmup_days": 100,  # ~10 relaxation times of M/M/3 at rho = 0.75 (~1/(c mu (1 - sqrt(rho))^2))
    "horizon_days": 1500,
    "channels": [inbound("Poisson", leads_per_week=ARRIVALS_PER_DAY * 7, quality=1.0)],
    "leads": {"verify_hours": 0, "speed_to_lead_floor": 1.0},
    "stages": [{"name": "Serve", "win_rate": 0.5,
                "work_hours": {"dist": "exponential", "mean": WORK_HOURS},
                "decision_days": fixed(0.0), "rot_days": 3650}],
    "team": {"reps": C, "hours_per_day": MM_HPD, "assignment": "pool"},
    "policy": {"name": "fifo"},
}
MMC_REPLICATIONS = 16


@pytest.fixture(scope="module")
def mmc_runs():
    assert 0.7 <= RHO <= 0.8
    return run_many(scenario(MMC), MMC_REPLICATIONS)


def served_in_period(res):
    """Stage rows entered in the results period, but not in its last 5 days, where a
    task might still be waiting (P(wait > 5 days) = C e^(-(c mu - lambda) 5) ~ 3e-4)."""
    sh = res.stage_history
    return sh[in_period(sh["entered_day"], 0, res.scenario.horizon_days - 5)]


def test_erlang_c_mean_wait(mmc_runs):
    expected = erlang_c_wait(ARRIVALS_PER_DAY, SERVICE_RATE, C)  # 0.3785 days
    ci = CI([served_in_period(res)["wait_days"].mean() for res in mmc_runs])
    assert expected in ci, ci
    # waits are autocorrelated, so one replication's mean (~6,700 tasks) has a s.e.
    # of ~0.045 days; 16 replications give about +-0.03-0.04 (8-11%). Bounded at 15%:
    # a fourth server (Wq 0.07 day) or three separate queues (M/M/1 each, Wq 1.5
    # days) would be far outside
    assert ci.half < 0.15 * expected, ci


def test_erlang_c_chance_of_waiting(mmc_runs):
    expected = erlang_c(C, ARRIVALS_PER_DAY / SERVICE_RATE)  # 0.568
    ci = CI([(served_in_period(res)["wait_days"] > 0).mean() for res in mmc_runs])
    assert expected in ci, ci
    assert ci.half < 0.05 * expected, ci


def test_rep_utilization_is_rho(mmc_runs):
    ci = CI([utilization(res) for res in mmc_runs])
    assert RHO in ci, ci
    assert ci.half < 0.02, ci  # ~6,700 services a replication


def test_littles_law_in_the_queue(mmc_runs):
    """Open deals are those waiting or in service: L = lambda (Wq + 1/mu)."""
    wq = erlang_c_wait(ARRIVALS_PER_DAY, SERVICE_RATE, C)
    expected = ARRIVALS_PER_DAY * (wq + 1 / SERVICE_RATE)  # ~3.95 deals
    horizon = mmc_runs[0].scenario.horizon_days
    ci = CI([time_average_open(res.opportunities, 0.0, horizon) for res in mmc_runs])
    assert expected in ci, ci
    # L ~ 3.95, of which a = 2.25 in service; the interval is ~+-0.2 (5%), bounded at
    # 8%, far below what one more or one fewer server would change (+-1 deal and more)
    assert ci.half < 0.08 * expected, ci


# =====================================================================================
# Little's law in a realistic funnel with queueing, verification and rotting, where
# no formula gives W: the time-average open pipeline L must equal the rate of new
# opportunities times their mean time open, both measured from the tables.
# =====================================================================================
def test_littles_law_holds_in_a_congested_funnel():
    sc = scenario({
        "name": "congested", "seed": 77, "warmup_days": 150, "horizon_days": 450,
        "channels": [inbound("Search", leads_per_week=30, quality=0.5),
                     {"kind": "outbound_campaign", "name": "Ads", "budget_per_month": 4000,
                      "cost_per_lead": 200, "lead_quality": 0.3}],
        "leads": {"verify_hours": 0.5, "expiry_days": 3650},
        "team": {"reps": 3, "hours_per_day": 6},
    })
    window_end = 350.0  # deals created before day 350 get 100 days to close
    diffs, levels, drift = [], [], []
    for res in run_many(sc, 8):
        assert utilization(res) > 0.75  # the reps are busy: deals queue
        opps = res.opportunities
        level = time_average_open(opps, 0.0, window_end)
        born = opps[in_period(opps["created_day"], 0, window_end)]
        rate = len(born) / window_end
        # a deal still open at the end of the run (0 or 1 here) counts by its time so far
        time_open = born["closed_day"].fillna(sc.horizon_days) - born["created_day"]
        diffs.append(level - rate * time_open.mean())
        levels.append(level)
        half = window_end / 2
        drift.append(time_average_open(opps, 0.0, half) - time_average_open(opps, half,
                                                                             window_end))
    # the warm-up of 150 days has reached the steady state: no drift of the pipeline
    # between the two halves of the window (each a ~52-deal average, +-2 a replication)
    assert 0.0 in CI(drift), CI(drift)
    diff = CI(diffs)
    # in a stationary run E[L] = lambda E[W] exactly; the two estimates differ only by
    # the deals straddling the window's ends, so the difference has mean 0. With
    # L ~ 52 deals (W ~ 38 days) its interval is ~+-1 deal; bounded at 5% of L
    assert 0.0 in diff, diff
    assert diff.half < 0.05 * np.mean(levels), (diff, np.mean(levels))


# =====================================================================================
# Arrivals: seasonality and growth of inbound channels, budget-bought campaigns
# =====================================================================================
SEASONALITY = [0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 1.5, 1.0, 0.7]
GROWTH = 0.3


def test_inbound_seasonality_and_growth_and_campaign_rate():
    base_per_week = 20.0
    budget, cost_per_lead = 3_000.0, 100.0
    sc = scenario({
        "name": "arrivals", "seed": 909, "warmup_days": 0, "horizon_days": 730,
        "start_date": "2026-01-01",
        "channels": [
            inbound("Seasonal", leads_per_week=base_per_week, quality=0.05,
                    seasonality=SEASONALITY, growth_per_year=GROWTH),
            {"kind": "outbound_campaign", "name": "Ads", "medium": "print",
             "budget_per_month": budget, "cost_per_lead": cost_per_lead,
             "lead_quality": 0.05},
        ],
        "leads": {"verify_hours": 0},
        "stages": [{"name": "Only", "win_rate": 0.5, "work_hours": 0,
                    "decision_days": fixed(1.0)}],
        "team": {"reps": 2},
    })
    runs = run_many(sc, 12)
    leads = pd.concat([res.leads for res in runs])
    leads = leads[in_period(leads["created_day"], 0, sc.horizon_days)]

    # campaign: budget x 12 / 365 / cost per lead leads a day, flat
    campaign_per_day = budget * 12 / 365 / cost_per_lead
    per_rep = CI([(res.leads["channel"] == "Ads").sum() / sc.horizon_days for res in runs])
    assert campaign_per_day in per_rep, per_rep
    assert per_rep.half < 0.05 * campaign_per_day, per_rep  # ~720 leads a replication

    # inbound: the rate on day d is base x season[month] x (1 + g)^(d / 365); expected
    # counts per calendar month of the two years, integrated on a fine grid
    step = 1 / 48
    grid = np.arange(0, sc.horizon_days, step) + step / 2
    dates = np.datetime64(sc.start_date, "D") + np.floor(grid).astype("timedelta64[D]")
    month = dates.astype("datetime64[M]")
    season = np.asarray(SEASONALITY)[month.astype(int) % 12]

    def monthly(growth):
        rate = base_per_week / 7 * season * (1 + growth) ** (grid / 365)
        return pd.Series(rate * step * len(runs)).groupby(month).sum()

    expected = monthly(GROWTH)
    seasonal = leads[leads["channel"] == "Seasonal"]
    counts = seasonal["created"].dt.to_period("M").value_counts()
    observed = np.array([counts.get(pd.Period(m, "M"), 0) for m in expected.index])
    cells = len(expected)
    assert cells == 24 and observed.sum() > 20_000
    bound = chi2_quantile(LEVEL, cells)  # ~43 for 24 cells
    stat = chi2_statistic(observed, expected.to_numpy())
    assert stat < bound, (observed, expected.to_numpy())
    # power: the same counts are nowhere near a flat rate, nor seasonality without growth
    flat = np.full(cells, observed.sum() / cells)
    assert chi2_statistic(observed, flat) > 20 * bound
    no_growth = monthly(0.0).to_numpy()
    assert chi2_statistic(observed, no_growth * observed.sum() / no_growth.sum()) > 5 * bound
    # and year two over year one is (1 + g), the seasonality cancelling out
    per_year = [(seasonal["created_day"] // 365 == y).sum() for y in (0, 1)]
    ratio, se = per_year[1] / per_year[0], math.sqrt(1 / per_year[0] + 1 / per_year[1])
    assert abs(math.log(ratio) - math.log(1 + GROWTH)) < Z * se, ratio


def test_calendar_months_match_the_start_date():
    """Seasonality follows calendar months also when the run starts mid-year and the
    warm-up crosses into the previous year."""
    only_july = [0.0] * 12
    only_july[6] = 5.0
    sc = scenario({
        "seed": 3, "warmup_days": 40, "horizon_days": 60, "start_date": "2026-06-15",
        "channels": [inbound("July", leads_per_week=50, quality=0.05, seasonality=only_july)],
        "leads": {"verify_hours": 0},
        "stages": [{"name": "Only", "win_rate": 0.5, "work_hours": 0}],
    })
    leads = run_many(sc, 1)[0].leads
    assert len(leads) > 800  # 31 days at 250 a week
    assert (leads["created"].dt.month == 7).all()
    first = dt.date(2026, 7, 1) - sc.start_date
    assert leads["created_day"].min() >= first.days


# =====================================================================================
# Speed-to-lead: the chance to qualify decays with the response delay
# =====================================================================================
def test_speed_to_lead_decay_and_realised_qualification():
    quality, floor, decay_hours = 0.6, 0.2, 6.0
    sc = scenario({
        "name": "speed", "seed": 41, "warmup_days": 20, "horizon_days": 200,
        "channels": [inbound("Web", leads_per_week=30, quality=quality)],
        "leads": {"verify_hours": 1.0, "speed_to_lead_decay_hours": decay_hours,
                  "speed_to_lead_floor": floor, "expiry_days": 3650},
        "stages": [{"name": "Only", "win_rate": 0.5, "work_hours": 0}],
        "team": {"reps": 1, "hours_per_day": 6},  # ~70% busy verifying: delays vary
    })
    qualified, chance_sum, variance = 0, 0.0, 0.0
    for res in run_many(sc, 6):
        leads = res.leads.dropna(subset=["contacted_day"])
        leads = leads[leads["status"] != "open"]
        # the rule, exactly: q x (floor + (1 - floor) e^(-delay / decay))
        rule = quality * (floor + (1 - floor) * np.exp(-leads["response_hours"] / decay_hours))
        np.testing.assert_allclose(leads["qualify_chance"], rule, rtol=1e-12)
        assert leads["response_hours"].quantile(0.9) > decay_hours  # the decay is exercised
        p = leads["qualify_chance"].to_numpy()
        qualified += int((leads["status"] == "qualified").sum())
        chance_sum += p.sum()
        variance += (p * (1 - p)).sum()
    # the realised count of qualified leads is a sum of independent Bernoullis with
    # the recorded chances: a normal approximation holds with ~5,000 leads
    z = (qualified - chance_sum) / math.sqrt(variance)
    assert abs(z) < Z, (qualified, chance_sum, z)
