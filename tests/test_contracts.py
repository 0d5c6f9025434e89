"""After the win: contracts and orders, line items, invoices and payments (sim.engine.aftersale).

* Money is conserved deal by deal on real runs of the baseline and of variants (20% bad
  debt, every invoice paid late, a three-instalment plan with delays): paid <= invoiced
  <= booked, line items add up to the amount, the invoices to the amount x the shares
  of the instalments issued, the payments to the paid invoices, and every total agrees
  across tables and with the KPIs.
* A deterministic run (fixed times, one deal per rep, so nothing ever queues) gives the
  exact date of every invoice and payment, recomputed here from the scenario alone.
* Every bad payment plan or payments field gets one clear error naming the file, the
  field, the value and the rule, also through ``funnel validate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from simhelpers import fixed, inbound, merged

from sim.analysis import cash
from sim.experiments.runner import simulate
from sim.presentation.cli import main
from sim.rules.calendar import in_period
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario, validate_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = load_scenario(ROOT / "scenarios" / "baseline.toml").model_dump()

VARIANTS = {
    "baseline": {},
    "bad_debt_20": {"payments": {"bad_debt_share": 0.2}},
    "all_late": {"payments": {"late_share": 1.0}},
    # invoices raised after the hand-over and after delivery, with delays; many line items
    "three_instalments": {
        "contracts": {"line_items_max": 20, "payment_plan": [
            {"share": 0.2, "milestone": "signing"},
            {"share": 0.3, "milestone": "handover", "after_days": 7},
            {"share": 0.5, "milestone": "delivery", "after_days": 14}]},
        "orders": {"payment_plan": [
            {"share": 0.5, "milestone": "handover", "after_days": 3},
            {"share": 0.5, "milestone": "delivery", "after_days": 30}]},
    },
}
RUNS = [("baseline", 0), ("baseline", 1), ("baseline", 2), ("bad_debt_20", 0),
        ("bad_debt_20", 1), ("all_late", 0), ("three_instalments", 0)]
_cache: dict = {}


def run(variant: str, replication: int):
    """One replication of a variant of the baseline, run once per session."""
    key = (variant, replication)
    if key not in _cache:
        sc = Scenario.model_validate(merged(BASELINE, VARIANTS[variant]))
        _cache[key] = simulate(sc, replication)
    return _cache[key]


def close(a, b, scale=1.0):
    """Equal up to float rounding of sums of money (relative 1e-9 of ``scale``)."""
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9,
                               atol=1e-9 * max(scale, 1.0))


# -- money is conserved, deal by deal -------------------------------------------------------
@pytest.mark.parametrize(("variant", "replication"), RUNS,
                         ids=[f"{v}-r{r}" for v, r in RUNS])
def test_money_is_conserved_per_deal_and_in_total(variant, replication):
    r = run(variant, replication)
    sc, h = r.scenario, r.scenario.horizon_days
    opps, c, items, inv, pay = (r.opportunities, r.contracts, r.line_items, r.invoices,
                                r.payments)
    assert len(c) > 50 and len(inv) > len(c) // 2  # a real run, not an empty one
    big = float(c["amount"].sum())

    # one contract (service) or order (product) per won opportunity, signed when won
    won = opps[opps["status"] == "won"].set_index("opportunity_id")
    c = c.set_index("contract_id")
    assert c.index.is_unique and set(c.index) == set(won.index)
    won = won.loc[c.index]
    assert (c["opportunity_id"] == c.index).all()
    close(c["amount"], won["amount"], big)
    assert (c["signed_day"] == won["closed_day"]).all()
    assert (c["kind"] == won["kind"]).all() and set(c["kind"]) == {"contract", "order"}

    # line items: 1..line_items_max per deal, positive, adding up to the amount
    per = items.groupby("contract_id")["amount"].agg(["sum", "count", "min"]).reindex(c.index)
    cap = np.where(c["kind"] == "contract", sc.contracts.line_items_max,
                   sc.orders.line_items_max)
    assert per["count"].notna().all() and (per["count"] >= 1).all()
    assert (per["count"] <= cap).all() and (per["min"] > 0).all()
    close(per["sum"], c["amount"], big)
    assert not items.duplicated(["contract_id", "item"]).any()

    # invoices: exactly the instalments whose milestone (+ after_days) fell before the end,
    # each for amount x share, due terms_days after it was raised
    expected = []
    for cid, deal in c.iterrows():
        plan = (sc.contracts if deal["kind"] == "contract" else sc.orders).payment_plan
        for k, inst in enumerate(plan, start=1):
            milestone = deal[f"{'signed' if inst.milestone == 'signing' else inst.milestone}_day"]
            if pd.notna(milestone) and milestone + inst.after_days < h:
                expected.append((cid, k, inst.share, milestone + inst.after_days))
    expected = pd.DataFrame(expected, columns=["contract_id", "instalment", "share", "issued"])
    got = inv.sort_values(["contract_id", "instalment"]).reset_index(drop=True)
    expected = expected.sort_values(["contract_id", "instalment"]).reset_index(drop=True)
    for col in ("contract_id", "instalment"):
        assert got[col].tolist() == expected[col].tolist()
    close(got["share"], expected["share"])
    close(got["issued_day"], expected["issued"], 1e3)
    close(got["amount"], got["share"] * got["contract_id"].map(c["amount"]), big)
    close(inv["due_day"], inv["issued_day"] + sc.payments.terms_days, 1e3)
    invoiced = inv.groupby("contract_id")["amount"].sum().reindex(c.index, fill_value=0.0)
    shares = expected.groupby("contract_id")["share"].sum().reindex(c.index, fill_value=0.0)
    close(invoiced, c["amount"] * shares, big)  # amount x the shares of the issued instalments
    close(c["invoiced"], invoiced, big)

    # each invoice's status follows from its dates at the end of the run
    is_paid, is_off = inv["paid_day"].notna(), inv["written_off_day"].notna()
    assert not (is_paid & is_off).any()
    assert (inv.loc[is_paid, "paid_day"] < h).all()
    assert (inv.loc[is_off, "written_off_day"] < h).all()
    assert (inv.loc[is_paid, "paid_day"] >= inv.loc[is_paid, "issued_day"]).all()
    close(inv.loc[is_off, "written_off_day"],
          inv.loc[is_off, "due_day"] + sc.payments.write_off_days, 1e3)
    status = np.select([is_paid, is_off, inv["due_day"] < h], ["paid", "written_off", "overdue"],
                       "open")
    assert (inv["status"].to_numpy() == status).all()
    close(inv.loc[is_paid, "days_late"],
          (inv["paid_day"] - inv["due_day"]).clip(lower=0)[is_paid], 1e3)

    # payments: one per paid invoice, for its amount, on its paid day
    assert pay["payment_id"].is_unique and pay["invoice_id"].is_unique
    assert set(pay["invoice_id"]) == set(inv.loc[is_paid, "invoice_id"])
    joined = pay.merge(inv, on="invoice_id", suffixes=("", "_inv"))
    assert (joined["contract_id"] == joined["contract_id_inv"]).all()
    assert (joined["amount"] == joined["amount_inv"]).all()
    assert (joined["paid_day"] == joined["paid_day_inv"]).all()
    collected = pay.groupby("contract_id")["amount"].sum().reindex(c.index, fill_value=0.0)
    close(c["collected"], collected, big)

    # paid <= invoiced <= booked, per deal and in total
    slack = 1e-9 * c["amount"]
    assert (c["collected"] >= 0).all()
    assert (c["collected"] <= c["invoiced"] + slack).all()
    assert (c["invoiced"] <= c["amount"] + slack).all()
    assert pay["amount"].sum() <= inv["amount"].sum() * (1 + 1e-12) <= big * (1 + 1e-9)
    close(inv["amount"].sum(), c["invoiced"].sum(), big)
    close(pay["amount"].sum(), c["collected"].sum(), big)

    # a contract is paid exactly when all of its amount has come in, on its last payment
    fully = np.isclose(c["collected"], c["amount"], rtol=1e-9)
    assert ((c["status"] == "paid") == fully).all()
    last = pay.groupby("contract_id")["paid_day"].max().reindex(c.index)
    assert (c.loc[fully, "fully_paid_day"] == last[fully]).all()
    assert c.loc[~fully, "fully_paid_day"].isna().all()
    bad = c.index.isin(inv.loc[is_off, "contract_id"])
    assert ((c["status"] == "bad_debt") == (bad & ~fully)).all()

    # the KPIs count the same money in the results period
    k = r.kpis()
    close(k["billings"], inv.loc[in_period(inv["issued_day"], h), "amount"].sum(), big)
    close(k["cash_collected"], pay.loc[in_period(pay["paid_day"], h), "amount"].sum(), big)
    signed = in_period(c["signed_day"], h)
    close(k["bookings"], c.loc[signed, "amount"].sum(), big)
    assert k["won"] == int(signed.sum())
    assert 0 < k["cash_collected"] and 0 < k["billings"]
    close(k["receivables_overdue"], inv.loc[inv["status"] == "overdue", "amount"].sum(), big)
    for period in ("month", "quarter"):
        money = cash.money_by_period(r, period)
        close(money[["bookings", "billings", "cash"]].sum(),
              [k["bookings"], k["billings"], k["cash_collected"]], big)

    # receivables are a stock: what was owed before the period, plus billings, less cash
    # and write-offs in the period, is what is owed at its end
    before, end = cash.receivables_at(inv, [-1e-9, h - 1e-9])
    off = inv.loc[in_period(inv["written_off_day"], h), "amount"].sum()
    close(end, before + k["billings"] - k["cash_collected"] - off, big)
    close(end, cash.receivables_ageing(r)["amount"].sum(), big)


def test_payment_behaviour_changes_cash_only():
    """Customers' payment habits act after the win: with common random numbers the same
    deals are signed and invoiced on the same days; only the payments move. Paying every
    invoice late (the same lateness draws the late ones had) delays each payment, so DSO
    rises and less cash has come in by the end; 20% bad debt writes invoices off."""
    base, late, bad = run("baseline", 0), run("all_late", 0), run("bad_debt_20", 0)
    for other in (late, bad):
        pd.testing.assert_frame_equal(
            base.invoices[["contract_id", "instalment", "amount", "issued_day", "due_day"]],
            other.invoices[["contract_id", "instalment", "amount", "issued_day", "due_day"]])
        assert other.kpis()["bookings"] == base.kpis()["bookings"]
        assert other.kpis()["billings"] == base.kpis()["billings"]

    # every invoice paid late is paid after its due date, and no earlier than before
    paid = late.invoices["paid_day"].notna()
    assert paid.sum() > 100
    assert (late.invoices.loc[paid, "days_late"] > 0).all()
    both = paid & base.invoices["paid_day"].notna()
    assert (late.invoices.loc[both, "paid_day"] >= base.invoices.loc[both, "paid_day"]).all()
    assert (late.invoices.loc[both, "paid_day"] > base.invoices.loc[both, "paid_day"]).mean() > 0.3
    assert late.payments["amount"].sum() < base.payments["amount"].sum()
    assert late.kpis()["dso_days"] > base.kpis()["dso_days"] + 5

    # bad debt: the written-off invoices never paid; the deal shows as bad debt
    assert (bad.invoices["status"] == "written_off").sum() > 5
    assert (bad.contracts["status"] == "bad_debt").sum() > 5
    assert bad.payments["amount"].sum() < base.payments["amount"].sum()


def test_bad_debt_share_is_respected():
    """Among invoices whose fate is settled by the end (due + write_off_days before it), a
    share bad_debt_share = 20% is written off. The bad-debt draw is independent of the
    lateness, so the share is unbiased; the band is 3.5 binomial standard errors (a
    chance of about 5e-4 to fail by luck)."""
    rows = []
    for rep in (0, 1):
        r = run("bad_debt_20", rep)
        sc = r.scenario
        inv = r.invoices
        settled = inv[inv["due_day"] + sc.payments.write_off_days < sc.horizon_days]
        rows.append(settled["status"] == "written_off")
    off = pd.concat(rows)
    n, p = len(off), 0.2
    assert n > 150
    assert abs(off.mean() - p) < 3.5 * np.sqrt(p * (1 - p) / n), (off.mean(), n)


def test_baseline_dso_is_in_the_surveyed_range():
    """PARAMETERS.md: net 30 terms, ~47% of B2B invoices paid late, median DSO 39-51 days;
    the baseline is calibrated to about 40 days. Each replication's DSO is noisy (about
    +-6 days), so the mean of three must lie in a band around the survey range."""
    dso = [run("baseline", rep).kpis()["dso_days"] for rep in (0, 1, 2)]
    assert all(25 < d < 65 for d in dso), dso
    assert 33 < np.mean(dso) < 51, dso


# -- a deterministic run gives the exact dates ----------------------------------------------
TERMS, LATENESS, POST_SALE_HOURS, HOURS_PER_DAY = 30.0, 12.0, 3.0, 6.0
DELIVERY = {"contract": 20.0, "order": 4.0}
CONTRACT_PLAN = [{"share": 0.3, "milestone": "signing"},
                 {"share": 0.7, "milestone": "delivery", "after_days": 5}]
ORDER_PLAN = [{"share": 0.25, "milestone": "signing", "after_days": 1.5},
              {"share": 0.25, "milestone": "handover", "after_days": 2},
              {"share": 0.5, "milestone": "delivery"}]


def exact_scenario(late: bool) -> Scenario:
    """Every time fixed; one opportunity per rep (200 reps, ~35 leads), leads verified on
    arrival, win rates of 1: no deal ever waits for a rep, so each one is won exactly the
    sum of its stages' work and decision times after its lead arrives, and handed over
    POST_SALE_HOURS later. Customers pay on the due date exactly (the earliest on-time day
    is the due date) or, with ``late``, exactly LATENESS days after it."""
    stages = [{"name": n, "win_rate": 1.0, "work_hours": w, "decision_days": fixed(d),
               "cycle_part": p}
              for n, w, d, p in [("Design", 2.0, 5.0, "design"), ("Quote", 3.0, 7.0,
                                 "procurement"), ("Sign", 1.0, 3.0, "transaction")]]
    return Scenario.model_validate({
        "horizon_days": 150, "warmup_days": 30, "seed": 3,
        "channels": [inbound("Web", leads_per_week=1.5, quality=1.0, contract_share=0.5)],
        "leads": {"verify_hours": 0.0},
        "stages": stages,
        "post_sale": {"work_hours": POST_SALE_HOURS},
        "team": {"reps": 200, "hours_per_day": HOURS_PER_DAY},
        "contracts": {"delivery_days": fixed(DELIVERY["contract"]),
                      "payment_plan": CONTRACT_PLAN},
        "orders": {"delivery_days": fixed(DELIVERY["order"]), "payment_plan": ORDER_PLAN},
        "payments": {"terms_days": TERMS, "late_share": 1.0 if late else 0.0,
                     "lateness_days": fixed(LATENESS), "on_time_earliest_share": 1.0,
                     "bad_debt_share": 0.0},
    })


@pytest.mark.parametrize("late", [False, True], ids=["on_due_date", "late_by_12_days"])
def test_deterministic_run_gives_the_exact_collection_dates(late):
    sc = exact_scenario(late)
    h = sc.horizon_days
    r = simulate(sc, 0)
    opps = r.opportunities
    # the premise: one deal per rep, every deal won, nothing waits
    assert opps["owner"].is_unique and len(opps) > 15
    assert set(opps["status"]) == {"won", "tracking"}  # won, or still in the funnel at the end
    won = opps[opps["status"] == "won"]
    cycle = sum(w / HOURS_PER_DAY + d for w, d in [(2, 5), (3, 7), (1, 3)])
    np.testing.assert_allclose(won["cycle_days"], cycle, rtol=0, atol=1e-9)
    assert (opps.loc[opps["status"] == "tracking", "created_day"] + cycle >= h - 1e-9).all()

    # the post-sale hand-over takes the rep's time at the "orders" level
    rt = r.rep_time
    rt = rt[(rt["activity"] == "post_sale") & (rt["end_day"] < h)]  # finished by the end
    c = r.contracts.set_index("contract_id")
    assert len(rt) == c["handover_day"].notna().sum() > 15
    assert (rt["hours"] == POST_SALE_HOURS).all() and (rt["level"] == "orders").all()

    # every date from the scenario alone: hand-over, delivery, invoice, payment
    lateness = LATENESS if late else 0.0
    rows = []
    for cid, deal in c.iterrows():
        signed = deal["signed_day"]
        handover = signed + POST_SALE_HOURS / HOURS_PER_DAY
        delivery = handover + DELIVERY[deal["kind"]]
        plan = CONTRACT_PLAN if deal["kind"] == "contract" else ORDER_PLAN
        day = {"signing": signed, "handover": handover, "delivery": delivery}
        for k, inst in enumerate(plan, start=1):
            issued = day[inst["milestone"]] + inst.get("after_days", 0.0)
            if issued < h:
                # signing: paid = signed + after + terms (+ lateness);
                # delivery: paid = handover + delivery + after + terms (+ lateness)
                rows.append((cid, k, issued, issued + TERMS + lateness))
        assert deal["handover_day"] == pytest.approx(handover, abs=1e-9) or handover >= h
        if delivery < h:
            assert deal["delivery_day"] == pytest.approx(delivery, abs=1e-9)
        else:
            assert np.isnan(deal["delivery_day"])
    want = pd.DataFrame(rows, columns=["contract_id", "instalment", "issued", "paid"])
    got = r.invoices.sort_values(["contract_id", "instalment"]).reset_index(drop=True)
    assert len(got) == len(want) > 40
    assert (got["contract_id"].to_numpy() == want["contract_id"].to_numpy()).all()
    assert (got["instalment"].to_numpy() == want["instalment"].to_numpy()).all()
    np.testing.assert_allclose(got["issued_day"], want["issued"], rtol=0, atol=1e-9)
    paid_by_end = want["paid"] < h
    assert paid_by_end.sum() > 20 and (~paid_by_end).sum() > 3  # both cases occur
    np.testing.assert_allclose(got.loc[paid_by_end, "paid_day"], want.loc[paid_by_end, "paid"],
                               rtol=0, atol=1e-9)
    assert got.loc[~paid_by_end, "paid_day"].isna().all()
    assert (got.loc[paid_by_end, "status"] == "paid").all()
    np.testing.assert_allclose(got.loc[paid_by_end, "days_late"], lateness, atol=1e-9)
    np.testing.assert_allclose(got.loc[paid_by_end, "days_to_pay"], TERMS + lateness, atol=1e-9)
    np.testing.assert_allclose(r.payments.sort_values("invoice_id")["paid_day"],
                               got.sort_values("invoice_id").loc[paid_by_end, "paid_day"])

    # a deal fully paid on its last instalment's payment
    last = want.groupby("contract_id")["paid"].max()
    n_inst = want.groupby("contract_id").size()
    plan_len = c["kind"].map({"contract": len(CONTRACT_PLAN), "order": len(ORDER_PLAN)})
    done = (n_inst.reindex(c.index) == plan_len) & (last.reindex(c.index) < h)
    assert done.sum() > 10
    np.testing.assert_allclose(c.loc[done, "fully_paid_day"], last[done[done].index],
                               atol=1e-9)
    assert c.loc[~done, "fully_paid_day"].isna().all()


# -- every bad payment plan gets a clear error ------------------------------------------------
def _plan(*shares, milestone="signing"):
    return [{"share": s, "milestone": milestone} for s in shares]


BAD = [
    # (id, changes, field path, value as shown, the rule)
    ("shares-under-100", {"contracts": {"payment_plan": _plan(0.3, 0.5)}},
     "contracts.payment_plan", "[0.3, 0.5]",
     "instalment shares must add up to 100% (they add up to 80.0%)"),
    ("shares-over-100", {"orders": {"payment_plan": _plan(0.6, 0.5)}},
     "orders.payment_plan", "[0.6, 0.5]",
     "instalment shares must add up to 100% (they add up to 110.0%)"),
    ("empty-plan", {"contracts": {"payment_plan": []}},
     "contracts.payment_plan", "[]", "must have at least 1 item (it has 0)"),
    ("unknown-milestone", {"contracts": {"payment_plan": [
        {"share": 0.5, "milestone": "signing"}, {"share": 0.5, "milestone": "shipment"}]}},
     "contracts.payment_plan[1].milestone", "'shipment'",
     "must be 'signing', 'handover' or 'delivery'"),
    ("misspelt-milestone", {"orders": {"payment_plan": _plan(1.0, milestone="deliver")}},
     "orders.payment_plan[0].milestone", "'deliver'", "did you mean 'delivery'?"),
    ("share-zero", {"orders": {"payment_plan": _plan(0.0, 1.0)}},
     "orders.payment_plan[0].share", "0.0", "must be greater than 0"),
    ("share-negative", {"orders": {"payment_plan": _plan(1.0, -0.2)}},
     "orders.payment_plan[1].share", "-0.2", "must be greater than 0"),
    ("share-above-one", {"contracts": {"payment_plan": _plan(1.5)}},
     "contracts.payment_plan[0].share", "1.5", "must be less than or equal to 1"),
    ("thirteen-instalments", {"contracts": {"payment_plan": _plan(*[1 / 13] * 13)}},
     "contracts.payment_plan", "[{share = 0.0769...", "must have at most 12 items (it has 13)"),
    ("negative-after-days", {"orders": {"payment_plan": [
        {"share": 1.0, "milestone": "delivery", "after_days": -1}]}},
     "orders.payment_plan[0].after_days", "-1", "must be greater than or equal to 0"),
    ("unknown-instalment-field", {"orders": {"payment_plan": [
        {"share": 1.0, "milestone": "delivery", "after_day": 5}]}},
     "orders.payment_plan[0].after_day", "5", "unknown field 'after_day'; did you mean "
     "'after_days'?"),
    ("line-items-0", {"orders": {"line_items_max": 0}},
     "orders.line_items_max", "0", "must be greater than or equal to 1"),
    ("line-items-21", {"contracts": {"line_items_max": 21}},
     "contracts.line_items_max", "21", "must be less than or equal to 20"),
    ("late-share-1.5", {"payments": {"late_share": 1.5}},
     "payments.late_share", "1.5", "must be less than or equal to 1"),
    ("terms-negative", {"payments": {"terms_days": -1}},
     "payments.terms_days", "-1", "must be greater than or equal to 0"),
    ("terms-nan", {"payments": {"terms_days": float("nan")}},
     "payments.terms_days", "nan", "numbers must be finite"),
    ("bad-debt-negative", {"payments": {"bad_debt_share": -0.1}},
     "payments.bad_debt_share", "-0.1", "must be greater than or equal to 0"),
    ("lateness-not-a-distribution", {"payments": {"lateness_days": 5}},
     "payments.lateness_days", "5", "must be a distribution table"),
    ("unknown-payments-field", {"payments": {"late_shares": 0.5}},
     "payments.late_shares", "0.5", "did you mean 'late_share'?"),
    ("post-sale-negative", {"post_sale": {"work_hours": -1}},
     "post_sale.work_hours", "-1", "must be greater than or equal to 0"),
]


@pytest.mark.parametrize(("changes", "path", "value", "rule"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_every_bad_payment_plan_gets_a_clear_error(changes, path, value, rule):
    with pytest.raises(ScenarioError) as info:
        validate_scenario(changes, "bad.toml")
    err = info.value
    assert err.source == "bad.toml" and len(err.problems) == 1, err.problems
    line = err.problems[0]
    shown, sep, said = line.partition(" is not allowed: ")
    assert sep and rule in said, line
    if value.endswith("..."):  # a long value is shortened: check how it starts
        assert shown.startswith(f"{path}: value {value[:-3]}"), line
    else:
        assert shown == f"{path}: value {value}", line
    assert str(err) == f"bad.toml: {line}"


def test_payment_plans_at_the_limits_are_accepted():
    """Twelve instalments, shares written as decimals whose float sum is not exactly 1,
    every milestone, 1 and 20 line items."""
    assert sum([0.1] * 10) != 1.0  # 0.9999999999999999: within the rule's tolerance
    sc = validate_scenario({
        "contracts": {"line_items_max": 20, "payment_plan": _plan(*[1 / 12] * 12)},
        "orders": {"line_items_max": 1, "payment_plan": [
            *_plan(*[0.1] * 9, milestone="handover"),
            {"share": 0.1, "milestone": "delivery", "after_days": 3650}]},
        "payments": {"terms_days": 0, "late_share": 1, "bad_debt_share": 0},
    }, "ok.toml")
    assert len(sc.contracts.payment_plan) == 12 and len(sc.orders.payment_plan) == 10
    assert sc.orders.payment_plan[-1].milestone == "delivery"


def test_funnel_validate_reports_a_bad_plan_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad_plan.toml"
    bad.write_text('name = "bad"\n[contracts]\npayment_plan = [\n'
                   '  { share = 0.3, milestone = "signing" },\n'
                   '  { share = 0.5, milestone = "delivery" },\n]\n'
                   '[payments]\nlate_share = 1.5\n', encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text('name = "good"\n[orders]\npayment_plan = [{ share = 1.0, '
                    'milestone = "handover", after_days = 2 }]\n', encoding="utf-8")
    status = main(["validate", str(bad), str(good)])
    out, err = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert f"error: {bad}: contracts.payment_plan: value [0.3, 0.5] is not allowed: " \
           "instalment shares must add up to 100% (they add up to 80.0%)" in lines
    assert f"error: {bad}: payments.late_share: value 1.5 is not allowed: must be less " \
           "than or equal to 1" in lines
    assert len(lines) == 2
    assert out.startswith(f"ok: {good}")
    assert main(["validate", str(good)]) == 0


# -- a run without sales ------------------------------------------------------------------------
@pytest.mark.parametrize("changes", [
    {"channels": [inbound("Web", leads_per_week=0.0)]},
    {"stages": [{"name": "Only", "win_rate": 0.0}]},
], ids=["no-leads", "no-wins"])
def test_a_run_without_wins_has_empty_typed_tables(changes):
    """Regression: a run without opportunities gave the after-sale tables untyped
    (object) columns, and building them failed (np.isclose on an object column)."""
    sc = Scenario.model_validate({"horizon_days": 40, "warmup_days": 10, **changes})
    r = simulate(sc, 0)
    assert len(r.contracts) == len(r.line_items) == len(r.invoices) == len(r.payments) == 0
    for table, cols in [(r.contracts, ["amount", "signed_day", "invoiced", "collected"]),
                        (r.invoices, ["amount", "issued_day", "paid_day"]),
                        (r.payments, ["amount", "paid_day"]), (r.line_items, ["amount"])]:
        for col in cols:
            assert pd.api.types.is_float_dtype(table[col]), (col, table[col].dtype)
    k = r.kpis()
    assert k["billings"] == k["cash_collected"] == k["receivables_overdue"] == 0.0
    assert np.isnan(k["dso_days"])
    assert cash.receivables_ageing(r)["amount"].sum() == 0.0
    assert len(cash.contract_statistics(r)) == 0
    assert cash.sales_cycle_summary(r)["deals"].sum() == 0
