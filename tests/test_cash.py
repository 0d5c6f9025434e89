"""Bookings, billings and cash; DSO, receivables ageing, contract statistics and the sales
cycle in the course's four parts (sim.analysis.cash).

* DSO, money per period and ageing are recomputed by hand on small hand-built invoice
  tables, with the arithmetic in the comments, including the edges of the ageing buckets.
* Post-sale work takes rep time, and leaving it last has a cost: on a tight team a policy
  that serves Orders first hands deals over sooner and collects the cash sooner than
  Miller Heiman (Orders last), paired over replications with 95% confidence intervals.
* The sales cycle's four parts add up exactly on a deterministic run.
* Contract statistics agree with the contracts table.
"""

from __future__ import annotations

import datetime as dt
import types

import numpy as np
import pandas as pd
import pytest
from simhelpers import fixed, inbound

from sim.analysis import cash
from sim.analysis.statistics import mean_ci
from sim.experiments.runner import paired_difference, simulate
from sim.rules.calendar import in_period
from sim.scenario.schema import Scenario


def fake_result(horizon: float, invoices: list[tuple], opportunities=(), **scenario):
    """A stand-in for a run's result: a real scenario and hand-written tables.

    ``invoices`` rows are (issued_day, due_day, paid_day, written_off_day, amount), NaN
    where there is none; ``opportunities`` rows are (status, closed_day, amount)."""
    sc = Scenario(horizon_days=horizon, **scenario)
    inv = pd.DataFrame(invoices, columns=["issued_day", "due_day", "paid_day",
                                          "written_off_day", "amount"], dtype=float)
    inv.insert(0, "invoice_id", np.arange(len(inv)))
    paid = inv[inv["paid_day"].notna()]
    payments = pd.DataFrame({"invoice_id": paid["invoice_id"], "paid_day": paid["paid_day"],
                             "amount": paid["amount"]}).reset_index(drop=True)
    opps = pd.DataFrame(list(opportunities), columns=["status", "closed_day", "amount"])
    opps = opps.astype({"closed_day": float, "amount": float})
    return types.SimpleNamespace(scenario=sc, invoices=inv, payments=payments,
                                 opportunities=opps)


NAN = np.nan

# -- DSO and money per period, by hand --------------------------------------------------------
# Results period: 100 days from 2026-01-01. Q1 is days 0-89 (31 + 28 + 31 days), Q2 starts
# on day 90 (1 April). Months: January 0-30, February 31-58, March 59-89, April 90-99.
#      issued  due  paid  written off  amount
DSO_INVOICES = [
    (0, 30, 20, NAN, 100),     # A: paid early              owed on [0, 20)
    (10, 40, 50, NAN, 200),    # B: paid 10 days late       owed on [10, 50)
    (-40, -10, NAN, 80, 300),  # C: raised in the warm-up, written off on day 80: [-40, 80)
    (90, 120, NAN, NAN, 400),  # D: not yet due at the end  owed on [90, 100)
    (60, 90, 95, NAN, 150),    # E: paid 5 days late in Q2  owed on [60, 95)
    (50, 80, NAN, NAN, 50),    # F: overdue at the end      owed on [50, 100)
]
DSO_OPPS = [("won", -45, 500), ("won", 5, 1000), ("won", 95, 2000), ("lost", 10, 7000),
            ("tracking", NAN, 9000)]


@pytest.fixture
def dso_run():
    return fake_result(100, DSO_INVOICES, DSO_OPPS)


def test_receivables_at_by_hand(dso_run):
    inv = dso_run.invoices
    # day 0: A (issued that day) + C = 400; day 20: A was paid that instant, so B + C = 500;
    # day 55: B was paid on day 50, so C + F = 350; day 80: C written off that instant,
    # E + F = 200; day 99.9: D + F = 450
    np.testing.assert_allclose(cash.receivables_at(inv, [-41, 0, 20, 55, 80, 99.9]),
                               [0, 400, 500, 350, 200, 450])


def test_dso_by_hand(dso_run):
    # The receivables sampled at the middle of each day, t = 0.5, 1.5, ..., 99.5:
    #   A 20 days x 100 = 2,000   B 40 x 200 = 8,000   C 80 x 300 = 24,000
    #   D 10 x 400 = 4,000        E 35 x 150 = 5,250   F 50 x 50 = 2,500
    # sum 45,750 over 100 days: an average of 457.5 owed. Billings in the period (C was
    # raised before it): 100 + 200 + 400 + 150 + 50 = 900, i.e. 9 a day.
    # DSO = 457.5 / 9 = 50.8333 days.
    assert cash.dso_days(dso_run) == pytest.approx(457.5 / 9, rel=1e-12)


def test_dso_with_a_fractional_last_day():
    """Regression: with a horizon of 10.5 days the last sample (day 10.5) lay outside the
    period and counted as a whole day. An invoice of 100 raised on day 0 and paid on day
    10 is owed for 10 of the 10.5 days: the average is 100 x 10 / 10.5, billings are
    100 / 10.5 a day, so DSO = 10 days (not 10 x 10.5 / 11 = 9.55)."""
    run = fake_result(10.5, [(0, 30, 10, NAN, 100)])
    assert cash.dso_days(run) == pytest.approx(10.0, rel=1e-12)
    # never paid: owed all period long, so DSO is the whole period
    assert cash.dso_days(fake_result(10.5, [(0, 30, NAN, NAN, 100)])) == pytest.approx(10.5)
    # nothing billed in the period: DSO is undefined, whatever is owed from before
    assert np.isnan(cash.dso_days(fake_result(10.5, [(-5, 25, NAN, NAN, 100)])))


def test_money_by_period_by_hand(dso_run):
    q = cash.money_by_period(dso_run, "quarter")
    assert list(q["period"]) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01")]
    # bookings: won on day 5 (1,000) and day 95 (2,000); the warm-up win and the loss not
    np.testing.assert_allclose(q["bookings"], [1000, 2000])
    # billings: Q1 A + B + E + F = 500, Q2 D = 400; cash: Q1 A + B = 300, Q2 E = 150
    np.testing.assert_allclose(q["billings"], [500, 400])
    np.testing.assert_allclose(q["cash"], [300, 150])
    m = cash.money_by_period(dso_run, "month")
    assert list(m["period"].dt.month) == [1, 2, 3, 4]
    # January: A, B raised, A paid; February: F raised (day 50), B paid (day 50);
    # March: E raised (day 60); April: D raised, E paid
    np.testing.assert_allclose(m["billings"], [300, 50, 150, 400])
    np.testing.assert_allclose(m["cash"], [100, 200, 0, 150])
    np.testing.assert_allclose(m["bookings"], [1000, 0, 0, 2000])


def test_dso_by_period_by_hand(dso_run):
    d = cash.dso_by_period(dso_run, "quarter")
    # end of Q1 (just before day 90): E (150) and F (50) owed; C written off on day 80
    # DSO = 200 / 500 billed x 90 days = 36
    # end of Q2 (just before day 100, 10 days in the period): D 400 + F 50 = 450 owed
    # DSO = 450 / 400 x 10 = 11.25
    np.testing.assert_allclose(d["receivables"], [200, 450])
    np.testing.assert_allclose(d["dso_days"], [36.0, 11.25])


def test_receivables_overdue_at_the_end(dso_run):
    # at the end only F (due day 80) is past due; D (due day 120) is owed but not yet due
    assert cash.receivables_overdue(dso_run) == pytest.approx(50)
    ageing = cash.receivables_ageing(dso_run)
    # ages at the end (day 100 - 1e-9, whole days): D 9 days -> 0-30; F 49 days -> 31-60
    assert ageing.set_index("bucket")["amount"].to_dict() == {
        "0-30": 400, "31-60": 50, "61-90": 0, "90+": 0}


# -- ageing at the edges of the buckets ---------------------------------------------------------
# Ages on day 200; amounts are powers of two so each bucket's sum tells which invoices are
# in it. Terms are 30 days: due = issued + 30.
#        issued  due    paid   written off  amount   age on day 200     bucket  overdue?
AGEING_INVOICES = [
    (170, 200, NAN, NAN, 1),        # a: 30 days             0-30   no: due today
    (169, 199, NAN, NAN, 2),        # b: 31 days             31-60  yes
    (140, 170, NAN, NAN, 4),        # c: 60 days             31-60  yes
    (139, 169, NAN, NAN, 8),        # d: 61 days             61-90  yes
    (110, 140, NAN, NAN, 16),       # e: 90 days             61-90  yes
    (109, 139, NAN, NAN, 32),       # f: 91 days             90+    yes
    (200, 230, NAN, NAN, 64),       # g: raised today, 0     0-30   no
    (195, 225, NAN, NAN, 128),      # h: 5 days              0-30   no: not yet due
    (169.5, 199.5, NAN, NAN, 256),  # i: 30.5 -> 30 whole    0-30   yes: half a day past due
    (0, 30, NAN, 150, 512),         # j: written off on day 150: no longer a receivable
    (20, 50, NAN, 220, 1024),       # k: to be written off later: 180 days, 90+, yes
    (150, 180, 200, NAN, 2048),     # l: paid today: no longer owed
    (160, 190, 200.5, NAN, 4096),   # m: paid tomorrow: 40 days, 31-60, yes
    (201, 231, NAN, NAN, 8192),     # n: raised tomorrow: not yet a receivable
]


def test_receivables_ageing_edges():
    run = fake_result(365, AGEING_INVOICES)
    table = cash.receivables_ageing(run, on=200).set_index("bucket")
    assert list(table.index) == ["0-30", "31-60", "61-90", "90+"]
    # 0-30: a + g + h + i = 1 + 64 + 128 + 256 = 449, of which i (256) is overdue
    # 31-60: b + c + m = 2 + 4 + 4096 = 4102, all overdue
    # 61-90: d + e = 8 + 16 = 24, all overdue
    # 90+: f + k = 32 + 1024 = 1056, all overdue
    assert table["amount"].to_dict() == {"0-30": 449, "31-60": 4102, "61-90": 24, "90+": 1056}
    assert table["invoices"].to_dict() == {"0-30": 4, "31-60": 3, "61-90": 2, "90+": 2}
    assert table["overdue"].to_dict() == {"0-30": 256, "31-60": 4102, "61-90": 24, "90+": 1056}
    # the buckets hold every receivable: 449 + 4102 + 24 + 1056 = 5631
    assert cash.receivables_at(run.invoices, 200)[0] == 5631 == table["amount"].sum()
    # a day later a (31 days, due yesterday) and i (31.5) move to 31-60, c (61) to 61-90,
    # e (91) to 90+; m has been paid and n (raised that day, age 0) appears
    later = cash.receivables_ageing(run, on=201).set_index("bucket")
    assert later["amount"].to_dict() == {"0-30": 64 + 128 + 8192, "31-60": 1 + 2 + 256,
                                         "61-90": 4 + 8, "90+": 16 + 32 + 1024}
    assert later["overdue"].to_dict() == {"0-30": 0, "31-60": 1 + 2 + 256, "61-90": 4 + 8,
                                          "90+": 16 + 32 + 1024}


# -- post-sale work: neglecting it has a cost ---------------------------------------------------
ORDERS_FIRST = {"name": "custom", "order": ["orders", "best_few", "above_funnel", "in_funnel"]}
POLICIES = {"miller_heiman": {"name": "miller_heiman"}, "orders_first": ORDERS_FIRST}
REPLICATIONS = 6


def tight_team(policy: dict) -> Scenario:
    """Two reps, 22 leads a week, 6 hours of hand-over per won deal: the reps are busy
    about 95% of their time, so a policy that leaves Orders last lets hand-overs wait."""
    stages = [{"name": n, "win_rate": w, "work_hours": hours, "cycle_part": part,
               "decision_days": {"dist": "gamma", "mean": 10, "cv": 0.5}}
              for n, w, hours, part in [("Design", 0.3, 4, "design"),
                                        ("Quote", 0.5, 6, "procurement"),
                                        ("Sign", 0.7, 4, "transaction")]]
    return Scenario.model_validate({
        "horizon_days": 240, "warmup_days": 90, "seed": 7,
        "channels": [inbound("Web", leads_per_week=22, quality=0.5)],
        "leads": {"verify_hours": 1.0}, "stages": stages,
        "post_sale": {"work_hours": 6.0}, "team": {"reps": 2, "hours_per_day": 6},
        "policy": policy,
    })


_tight: dict = {}


def tight_run(name: str, replication: int):
    if (name, replication) not in _tight:
        _tight[name, replication] = simulate(tight_team(POLICIES[name]), replication)
    return _tight[name, replication]


def after_sale_metrics(r) -> dict:
    """Per replication, over deals signed in the results period. A deal not handed over
    (or not fully paid) by the end counts as handed over (paid) at the end: these
    restricted means are lower bounds of the true ones, and since Orders-last leaves far
    more deals waiting, censoring only shrinks the difference the test looks for."""
    h = r.scenario.horizon_days
    c = r.contracts[in_period(r.contracts["signed_day"], h)]
    return {
        "handover_delay": float((c["handover_day"].fillna(h) - c["signed_day"]).mean()),
        "days_to_cash": float((c["fully_paid_day"].fillna(h) - c["signed_day"]).mean()),
        "collected_share": float(c["collected"].sum() / c["amount"].sum()),
    }


def orders_hours(r) -> float:
    """Rep hours at the Orders level in tasks finished before the end of the run (a task
    still under way at the end may be logged with the hours done so far)."""
    rt = r.rep_time
    done = (rt["level"] == "orders") & (rt["end_day"] < r.scenario.horizon_days)
    return float(rt.loc[done, "hours"].sum())


def test_neglecting_post_sale_work_delays_the_cash():
    """Paired over 6 replications (the same leads and customers under both policies), with
    95% t intervals (sim.analysis.statistics.mean_ci via sim.experiments.runner.paired_difference).

    Tolerances: the seeds are fixed, so the test is deterministic; what it guards against
    is a change of the engine's random draws turning it over. With these settings the
    interval of each difference lies far from zero (hand-over delay about -55 days with
    a half-width of about 25; days to cash about -30 +- 15; collected share +0.3 +- 0.17,
    and likewise for seeds 8, 9 and 10), so only a real change of behaviour fails it."""
    rows = [{"scenario": name, "replication": rep, **after_sale_metrics(tight_run(name, rep))}
            for name in POLICIES for rep in range(REPLICATIONS)]
    frame = pd.DataFrame(rows)

    # the hand-over takes rep time under both policies: 6 hours per deal handed over
    for name in POLICIES:
        runs = [tight_run(name, rep) for rep in range(REPLICATIONS)]
        handed = sum(r.contracts["handover_day"].notna().sum() for r in runs)
        hours = sum(orders_hours(r) for r in runs)
        assert hours == pytest.approx(6.0 * handed) and handed > 100

    delay = paired_difference(frame, "orders_first", "miller_heiman", "handover_delay")
    assert delay["n"] == REPLICATIONS
    assert delay["ci_high"] < -10, delay  # handed over weeks sooner
    # orders first: the hand-over starts about when the rep finishes the current task
    assert 1.0 <= delay["mean_a"] < 3.0, delay
    assert delay["mean_b"] > 20, delay

    to_cash = paired_difference(frame, "orders_first", "miller_heiman", "days_to_cash")
    assert to_cash["ci_high"] < 0, to_cash  # the cash comes in sooner ...
    share = paired_difference(frame, "orders_first", "miller_heiman", "collected_share")
    assert share["ci_low"] > 0, share  # ... so more of what was signed is collected

    # the same interval by hand
    wide = frame.pivot(index="replication", columns="scenario", values="days_to_cash")
    diff = wide["orders_first"] - wide["miller_heiman"]
    mean, sd, lo, hi = mean_ci(diff)
    half = 2.571 * diff.std(ddof=1) / np.sqrt(REPLICATIONS)  # t(0.975, 5 df) = 2.571
    assert (mean, lo, hi) == pytest.approx((to_cash["difference"], mean - half, mean + half))


# -- the sales cycle in four parts ---------------------------------------------------------------
HPD = 6.0
CYCLE_STAGES = [  # name, work hours, decision days, cycle part
    ("Contact", 2.0, 4.0, "design"), ("Needs", 4.0, 6.0, "design"),
    ("Quote", 6.0, 8.0, "procurement"), ("Sign", 3.0, 5.0, "transaction")]
TERMS, LATENESS = 30.0, 10.0
# signing -> last payment: contracts are paid 40% on signing (30 + 10 days later) and 60%
# 10 days after a 30-day delivery (30 + 10 + 30 + 10 = 80 days); orders in full after a
# 7-day shipment (7 + 30 + 10 = 47 days); delivery starts after the hand-over, which
# takes the post-sale hours (3 hours at 6 a day: half a day more).
COLLECTION = {"contract": 80.0, "order": 47.0}


def cycle_scenario(untagged: bool, post_sale_hours: float) -> Scenario:
    """Fixed times, one deal per rep (nothing waits), every deal won, paid exactly late."""
    stages = [{"name": n, "win_rate": 1.0, "work_hours": w, "decision_days": fixed(d),
               "cycle_part": None if untagged and n == "Needs" else part}
              for n, w, d, part in CYCLE_STAGES]
    return Scenario.model_validate({
        "horizon_days": 200, "warmup_days": 30, "seed": 11,
        "channels": [inbound("Web", leads_per_week=1.5, quality=1.0)],
        "leads": {"verify_hours": 0.0}, "stages": stages,
        "team": {"reps": 200, "hours_per_day": HPD},
        "post_sale": {"work_hours": post_sale_hours},
        "contracts": {"delivery_days": fixed(30), "payment_plan": [
            {"share": 0.4, "milestone": "signing"},
            {"share": 0.6, "milestone": "delivery", "after_days": 10}]},
        "orders": {"delivery_days": fixed(7),
                   "payment_plan": [{"share": 1.0, "milestone": "delivery"}]},
        "payments": {"terms_days": TERMS, "late_share": 1.0, "lateness_days": fixed(LATENESS),
                     "bad_debt_share": 0.0},
    })


@pytest.mark.parametrize(("untagged", "post_sale_hours"), [(False, 3.0), (True, 0.0)],
                         ids=["all-tagged-3h-handover", "one-untagged-no-handover"])
def test_sales_cycle_parts_add_up_exactly(untagged, post_sale_hours):
    r = simulate(cycle_scenario(untagged, post_sale_hours), 0)
    h = r.scenario.horizon_days
    opps = r.opportunities.set_index("opportunity_id")
    won = opps[opps["status"] == "won"]
    assert opps["owner"].is_unique and len(won) > 20  # one deal per rep: nothing waits

    parts = cash.sales_cycle_parts(r).set_index("opportunity_id")
    assert set(parts.index) == set(won.index)
    days = {name: w / HPD + d for name, w, d, _ in CYCLE_STAGES}
    want = {"design": days["Contact"] + days["Needs"], "procurement": days["Quote"],
            "transaction": days["Sign"]}
    if untagged:
        want = want | {"design": days["Contact"], "untagged": days["Needs"]}
    selling = list(want)
    assert sorted(c for c in parts.columns if c not in ("collection", "total")) == sorted(selling)
    for part, value in want.items():
        np.testing.assert_allclose(parts[part], value, rtol=0, atol=1e-9)
    # design + procurement + transaction (+ untagged) is the deal's cycle, created -> won
    np.testing.assert_allclose(parts[selling].sum(axis=1), won.loc[parts.index, "cycle_days"],
                               rtol=0, atol=1e-9)
    # the hand-over: the post-sale hours after signing (none: at the signing itself)
    contracts = r.contracts.set_index("contract_id")
    handover = post_sale_hours / HPD
    np.testing.assert_allclose(contracts["handover_day"] - contracts["signed_day"], handover,
                               rtol=0, atol=1e-9)

    # collection: signing -> last payment, known exactly; NaN while money is owed
    kind = contracts.loc[parts.index, "kind"]
    expected = kind.map(COLLECTION) + handover
    paid = won.loc[parts.index, "closed_day"] + expected < h
    assert paid.sum() > 10 and (~paid).sum() > 3
    np.testing.assert_allclose(parts.loc[paid, "collection"], expected[paid], atol=1e-9)
    assert parts.loc[~paid, "collection"].isna().all() and parts.loc[~paid, "total"].isna().all()
    np.testing.assert_allclose(parts.loc[paid, "total"],
                               sum(want.values()) + expected[paid], atol=1e-9)

    # the summary: mean days per part over the deals won in the period
    summary = cash.sales_cycle_summary(r).set_index("part")
    in_h = in_period(won.loc[parts.index, "closed_day"], h)
    for part, value in want.items():
        assert summary.loc[part, "mean_days"] == pytest.approx(value)
        assert summary.loc[part, "deals"] == in_h.sum()
    assert summary.loc["collection", "deals"] == (in_h & paid).sum()
    assert summary.loc["collection", "mean_days"] == pytest.approx(expected[in_h & paid].mean())


def test_sales_cycle_parts_add_up_on_a_busy_team():
    """With queues and random times, the tagged parts still add up to each won deal's
    cycle (float rounding only)."""
    r = tight_run("miller_heiman", 0)
    parts = cash.sales_cycle_parts(r).set_index("opportunity_id")
    cycle = r.opportunities.set_index("opportunity_id").loc[parts.index, "cycle_days"]
    assert len(parts) > 30 and "untagged" not in parts
    np.testing.assert_allclose(parts[["design", "procurement", "transaction"]].sum(axis=1),
                               cycle, rtol=1e-12, atol=1e-9)
    done = parts["collection"].notna()
    assert done.sum() > 10
    np.testing.assert_allclose(parts.loc[done, "total"], cycle[done] + parts.loc[done,
                               "collection"], rtol=1e-12)


# -- contract statistics -------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(POLICIES))
def test_contract_statistics_agree_with_the_contracts_table(name):
    r = tight_run(name, 0)
    sc = r.scenario
    c = r.contracts[in_period(r.contracts["signed_day"], sc.horizon_days)]
    k = r.kpis()
    dates = pd.Timestamp(sc.start_date) + pd.to_timedelta(c["signed_day"], unit="D")
    keys = {
        "kind": c["kind"], "status": c["status"], "owner": c["owner"], "channel": c["channel"],
        "period": pd.Series([f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in dates], c.index),
    }
    for by, key in keys.items():
        stats = cash.contract_statistics(r, by).set_index(by)
        assert list(stats.index) == sorted(set(key)), by
        for label in stats.index:
            mine = c[key == label]
            assert stats.loc[label, "count"] == len(mine)
            for col in ("amount", "invoiced", "collected"):
                assert stats.loc[label, col] == pytest.approx(mine[col].sum(), rel=1e-12)
        # the statistics cover every deal signed in the period, as the KPIs count them
        assert stats["count"].sum() == k["won"] == len(c)
        assert stats["amount"].sum() == pytest.approx(k["bookings"], rel=1e-12)
    months = cash.contract_statistics(r, "period", period="month")
    assert list(months["period"]) == sorted({f"{d.year}-{d.month:02d}" for d in dates})
    assert months["count"].sum() == len(c)
    # both kinds and several statuses occur, so the check above means something
    assert set(c["kind"]) == {"contract", "order"} and c["status"].nunique() >= 3
    with pytest.raises(ValueError, match="by: value 'region' is not allowed"):
        cash.contract_statistics(r, "region")


def test_the_period_follows_the_start_date():
    """A results period starting mid-month: the first month and quarter are partial, and
    DSO per period uses only the days inside the period."""
    run = fake_result(60, [(0, 30, 40, NAN, 100), (20, 50, NAN, NAN, 100)],
                      [("won", 1, 300)], start_date=dt.date(2026, 3, 17))
    q = cash.dso_by_period(run, "quarter")
    # periods: Q1 from 2026-01-01 (the period starts on 17 March, day 0, so Q1 has the 15
    # days 0-14) and Q2 from 1 April (day 15) to the end (day 60): 45 days
    assert list(q["period"]) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01")]
    np.testing.assert_allclose(q["billings"], [100, 100])
    np.testing.assert_allclose(q["bookings"], [300, 0])
    # end of Q1: the first invoice is owed: 100 / 100 x 15 days = 15
    # end of the period: the second is owed: 100 / 100 x 45 days = 45
    np.testing.assert_allclose(q["dso_days"], [15.0, 45.0])
