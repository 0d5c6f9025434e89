"""After the win: contracts (services) and orders (products), invoices and payments.

A won opportunity becomes a contract or an order, following its ``kind``. The rep's
post-sale hand-over starts delivery; each instalment of the payment plan is invoiced
at its milestone (signing, hand-over or delivery) plus ``after_days``, falls due
``terms_days`` later, and is paid on time, late, or never (bad debt). The dates follow
from the run's records, including the after-sale draws the engine took at each win
(:mod:`sim.engine.aftersale`), so the tables are rebuilt after the run like every
other table. Only what happened by the end of the
run is shown: later invoices do not exist yet, and later payments are still owed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.events import KIND_OF, PostSaleDone, SaleRecord
from sim.engine.leadgen import MAX_INSTALMENTS
from sim.rules.calendar import to_date

PRODUCTS = {
    "contract": ["Implementation", "Consulting days", "Training", "Support plan",
                 "Managed service", "Integration", "Project management"],
    "order": ["Licence", "Hardware unit", "Spare parts", "Accessory kit", "Maintenance kit",
              "Upgrade pack", "Consumables"],
}


def handover_days(events: pd.DataFrame) -> pd.Series:
    """The day each won deal's post-sale hand-over was done (by opportunity id), from the
    events table; the deal is at the Orders level until then."""
    done = events[events["event"].to_numpy(dtype=object) == KIND_OF[PostSaleDone]]
    return done.groupby("opportunity_id")["day"].min()


def _won_deals(result) -> pd.DataFrame:
    """Won opportunities with their signing and hand-over days."""
    opps = result.opportunities
    won = opps[opps["status"] == "won"][["opportunity_id", "lead_id", "customer", "owner",
                                          "kind", "channel", "amount", "closed_day"]]
    won = won.rename(columns={"closed_day": "signed_day"}).reset_index(drop=True)
    # an empty run's tables have untyped (object) columns: give these their types
    won = won.astype({"opportunity_id": "int64", "lead_id": "int64", "amount": "float64",
                      "signed_day": "float64"})
    if result.scenario.post_sale.work_hours > 0:
        won["handover_day"] = won["opportunity_id"].map(handover_days(result.events)).astype(
            float)
    else:
        won["handover_day"] = won["signed_day"]
    return won


def _sales(result, won: pd.DataFrame) -> list[SaleRecord]:
    """The after-sale draws of each won deal, in the order of ``won``."""
    by_opp = {s.opportunity_id: s for s in result.records.sales}
    return [by_opp[o] for o in won["opportunity_id"]]


def contract_tables(result) -> dict[str, pd.DataFrame]:
    """``contracts``, ``line_items``, ``invoices`` and ``payments`` of one run.

    Day columns count from ``start_date``, as in every table.
    """
    sc = result.scenario
    end = sc.horizon_days
    won = _won_deals(result)
    sales = _sales(result, won)
    n = len(won)
    delivery = np.array([s.delivery_days for s in sales], dtype=float)
    won["delivery_day"] = won["handover_day"].to_numpy() + delivery
    contracts = won.rename(columns={"opportunity_id": "contract_id"})
    contracts.insert(1, "opportunity_id", contracts["contract_id"])

    # line items: 1..max items, the amount split by a flat Dirichlet draw
    items_u = np.array([s.items_u for s in sales]) if n else np.empty((0, 1))
    item_rows = []
    for i, c in enumerate(contracts.itertuples(index=False)):
        spec = sc.contracts if c.kind == "contract" else sc.orders
        count = 1 + int(items_u[i, 0] * spec.line_items_max)
        weights = -np.log(items_u[i, 1:count + 1])
        amounts = c.amount * weights / weights.sum()
        names = PRODUCTS[c.kind]
        for k in range(count):
            item_rows.append((c.contract_id, k + 1, names[(c.contract_id + k) % len(names)],
                              float(amounts[k])))
    line_items = pd.DataFrame(item_rows, columns=["contract_id", "item", "product", "amount"])
    line_items = line_items.astype({"contract_id": "int64", "item": "int64", "amount": "float64"})

    invoices = _invoices(sc, contracts,
                         np.array([s.pay_u for s in sales]) if n else
                         np.empty((0, MAX_INSTALMENTS, 3)),
                         np.array([s.lateness_days for s in sales]) if n else
                         np.empty((0, MAX_INSTALMENTS)))
    # only what happened by the end of the run
    invoices = invoices[invoices["issued_day"] < end].reset_index(drop=True)
    paid = invoices["paid_day"] < end
    invoices.loc[~paid, "paid_day"] = np.nan
    written = invoices["written_off_day"] < end
    invoices.loc[~written, "written_off_day"] = np.nan
    invoices["status"] = np.select(
        [paid, written, invoices["due_day"] < end], ["paid", "written_off", "overdue"], "open")
    invoices["days_to_pay"] = invoices["paid_day"] - invoices["issued_day"]
    invoices["days_late"] = (invoices["paid_day"] - invoices["due_day"]).clip(lower=0)
    payments = invoices[invoices["status"] == "paid"][
        ["invoice_id", "contract_id", "amount", "paid_day", "days_late"]].reset_index(drop=True)
    payments.insert(0, "payment_id", np.arange(len(payments)))

    contracts["delivery_day"] = contracts["delivery_day"].where(
        contracts["delivery_day"] < end)
    contracts["handover_day"] = contracts["handover_day"].where(
        contracts["handover_day"] < end)
    invoiced = invoices.groupby("contract_id")["amount"].sum()
    collected = payments.groupby("contract_id")["amount"].sum()
    contracts["invoiced"] = contracts["contract_id"].map(invoiced).fillna(0.0)
    contracts["collected"] = contracts["contract_id"].map(collected).fillna(0.0)
    last_paid = payments.groupby("contract_id")["paid_day"].max()
    fully = np.isclose(contracts["collected"], contracts["amount"], rtol=1e-9, atol=1e-6)
    contracts["fully_paid_day"] = contracts["contract_id"].map(last_paid).where(fully)
    bad = contracts["contract_id"].isin(
        invoices.loc[invoices["status"] == "written_off", "contract_id"])
    contracts["status"] = np.select(
        [fully, bad, contracts["delivery_day"].notna(), contracts["handover_day"].notna()],
        ["paid", "bad_debt", "delivered", "in_delivery"], "awaiting_handover")
    contracts = contracts.drop(columns=["lead_id"])
    for df in (contracts, invoices, payments):
        for col in [c for c in df.columns if c.endswith("_day")]:
            df[col.removesuffix("_day") + "_date"] = to_date(sc.start_date, df[col])
    return {"contracts": contracts, "line_items": line_items, "invoices": invoices,
            "payments": payments}


def _invoices(sc, contracts: pd.DataFrame, pay_u: np.ndarray,
              lateness: np.ndarray) -> pd.DataFrame:
    """Every instalment's invoice and payment, before cutting at the end of the run."""
    pay = sc.payments
    rows = []
    for i, c in enumerate(contracts.itertuples(index=False)):
        plan = (sc.contracts if c.kind == "contract" else sc.orders).payment_plan
        milestones = {"signing": c.signed_day, "handover": c.handover_day,
                      "delivery": c.delivery_day}
        for k, inst in enumerate(plan):
            issued = milestones[inst.milestone] + inst.after_days
            if np.isnan(issued):
                continue  # its milestone has not been reached
            due = issued + pay.terms_days
            u_bad, u_late, u_when = pay_u[i, k]
            if u_bad < pay.bad_debt_share:
                paid, written_off = np.inf, due + pay.write_off_days
            elif u_late < pay.late_share:
                paid, written_off = due + lateness[i, k], np.inf
            else:
                earliest = issued + pay.on_time_earliest_share * pay.terms_days
                paid, written_off = earliest + u_when * (due - earliest), np.inf
            rows.append((c.contract_id, k + 1, inst.milestone, inst.share,
                         c.amount * inst.share, issued, due, paid, written_off))
    frame = pd.DataFrame(rows, columns=["contract_id", "instalment", "milestone", "share",
                                        "amount", "issued_day", "due_day", "paid_day",
                                        "written_off_day"])
    frame = frame.astype({"contract_id": "int64", "instalment": "int64", "share": "float64",
                          "amount": "float64", "issued_day": "float64", "due_day": "float64",
                          "paid_day": "float64", "written_off_day": "float64"})
    frame.insert(0, "invoice_id", np.arange(len(frame)))
    return frame
