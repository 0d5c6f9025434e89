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

from sim.rules.calendar import to_date

PRODUCTS = {
    "contract": ["Implementation", "Consulting days", "Training", "Support plan",
                 "Managed service", "Integration", "Project management"],
    "order": ["Licence", "Hardware unit", "Spare parts", "Accessory kit", "Maintenance kit",
              "Upgrade pack", "Consumables"],
}


def sale_columns(result) -> dict[str, np.ndarray]:
    """Per won deal, in opportunity-id order: ``contract_id`` (= ``opportunity_id``),
    ``lead_id``, ``contract`` (a contract if true, else an order), ``amount``,
    ``signed_day``, ``handover_day`` (the post-sale hand-over, or the signing when there
    is no post-sale work; NaN while pending) and ``delivery_day`` (hand-over plus the
    deal's delivery draw), as the run recorded them, before the cut at its end."""
    opp = result.facts("opportunities")
    won = np.flatnonzero(opp["status"] == "won")
    ids = opp["opportunity_id"][won]
    signed = opp["closed_day"][won]
    if result.scenario.post_sale.work_hours > 0:
        handover = result.handover_days.reindex(ids).to_numpy(dtype=float)
    else:
        handover = signed
    by_opp = {s.opportunity_id: s for s in result.records.sales}
    delivery = np.array([by_opp[o].delivery_days for o in ids.tolist()], dtype=float)
    return {"contract_id": ids, "lead_id": opp["lead_id"][won], "contract": opp["contract"][won],
            "amount": opp["amount"][won], "signed_day": signed, "handover_day": handover,
            "delivery_day": handover + delivery}


def invoice_columns(result) -> dict[str, np.ndarray]:
    """Every invoice raised by the end of the run (the ``invoices`` table's facts):
    ``invoice_id``, ``contract_id``, ``instalment``, ``milestone``, ``share``, ``amount``,
    ``issued_day``, ``due_day``, ``paid_day`` and ``written_off_day`` (NaN unless by the
    end), and ``status``."""
    sc = result.scenario
    pay = sc.payments
    end = sc.horizon_days
    won = sale_columns(result)
    by_opp = {s.opportunity_id: s for s in result.records.sales}
    rows = []
    for i, cid in enumerate(won["contract_id"].tolist()):
        sale = by_opp[cid]
        plan = (sc.contracts if won["contract"][i] else sc.orders).payment_plan
        milestones = {"signing": won["signed_day"][i], "handover": won["handover_day"][i],
                      "delivery": won["delivery_day"][i]}
        amount = won["amount"][i]
        for k, inst in enumerate(plan):
            issued = milestones[inst.milestone] + inst.after_days
            if np.isnan(issued):
                continue  # its milestone has not been reached
            due = issued + pay.terms_days
            u_bad, u_late, u_when = sale.pay_u[k]
            if u_bad < pay.bad_debt_share:
                paid, written_off = np.inf, due + pay.write_off_days
            elif u_late < pay.late_share:
                paid, written_off = due + sale.lateness_days[k], np.inf
            else:
                earliest = issued + pay.on_time_earliest_share * pay.terms_days
                paid, written_off = earliest + u_when * (due - earliest), np.inf
            rows.append((cid, k + 1, inst.milestone, inst.share, amount * inst.share, issued,
                         due, paid, written_off))
    names = ["contract_id", "instalment", "milestone", "share", "amount", "issued_day",
             "due_day", "paid_day", "written_off_day"]
    types = [np.int64, np.int64, object, float, float, float, float, float, float]
    cols = {n: np.array([r[j] for r in rows], dtype=ty)
            for j, (n, ty) in enumerate(zip(names, types, strict=True))}
    cols = {"invoice_id": np.arange(len(rows)), **cols}
    # only what happened by the end of the run
    kept = cols["issued_day"] < end
    cols = {n: v[kept] for n, v in cols.items()}
    paid = cols["paid_day"] < end
    cols["paid_day"] = np.where(paid, cols["paid_day"], np.nan)
    written = cols["written_off_day"] < end
    cols["written_off_day"] = np.where(written, cols["written_off_day"], np.nan)
    cols["status"] = np.select([paid, written, cols["due_day"] < end],
                               ["paid", "written_off", "overdue"], "open").astype(object)
    return cols


def _with_dates(sc, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a calendar ``*_date`` column after its ``*_day`` columns."""
    for col in [c for c in frame.columns if c.endswith("_day")]:
        frame[col.removesuffix("_day") + "_date"] = to_date(sc.start_date, frame[col])
    return frame


def invoices_table(result) -> pd.DataFrame:
    """Invoices raised on payment-plan milestones, with their status at the end of the run:
    paid, written off, overdue or open; ``days_to_pay`` and ``days_late`` of paid ones."""
    inv = pd.DataFrame(result.facts("invoices"))
    inv["days_to_pay"] = inv["paid_day"] - inv["issued_day"]
    inv["days_late"] = (inv["paid_day"] - inv["due_day"]).clip(lower=0)
    return _with_dates(result.scenario, inv)


def payments_table(result) -> pd.DataFrame:
    """Payments received by the end of the run, one per paid invoice."""
    inv = result.invoices
    payments = inv[inv["status"] == "paid"][
        ["invoice_id", "contract_id", "amount", "paid_day", "days_late"]].reset_index(drop=True)
    payments.insert(0, "payment_id", np.arange(len(payments)))
    return _with_dates(result.scenario, payments)


def contracts_table(result) -> pd.DataFrame:
    """Won deals as contracts (services) or orders (products): signing, hand-over,
    delivery, invoiced and collected amounts, and where each stands at the end."""
    sc = result.scenario
    end = sc.horizon_days
    won = sale_columns(result)
    opps = result.opportunities.set_index("opportunity_id")
    ids = won["contract_id"]
    contracts = pd.DataFrame({
        "contract_id": ids, "opportunity_id": ids,
        **{c: opps[c].reindex(ids).to_numpy(dtype=object)
           for c in ("customer", "owner", "kind", "channel")},
        "amount": won["amount"], "signed_day": won["signed_day"],
        "handover_day": np.where(won["handover_day"] < end, won["handover_day"], np.nan),
        "delivery_day": np.where(won["delivery_day"] < end, won["delivery_day"], np.nan),
    })
    invoices, payments = result.invoices, result.payments
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
    return _with_dates(sc, contracts)


def line_items_table(result) -> pd.DataFrame:
    """The products or services each contract or order is made of: 1 to
    ``line_items_max`` items, the amount split by a flat Dirichlet draw."""
    sc = result.scenario
    won = sale_columns(result)
    by_opp = {s.opportunity_id: s for s in result.records.sales}
    rows = []
    for i, cid in enumerate(won["contract_id"].tolist()):
        kind = "contract" if won["contract"][i] else "order"
        spec = sc.contracts if kind == "contract" else sc.orders
        items_u = by_opp[cid].items_u
        count = 1 + int(items_u[0] * spec.line_items_max)
        weights = -np.log(items_u[1:count + 1])
        amounts = won["amount"][i] * weights / weights.sum()
        names = PRODUCTS[kind]
        for k in range(count):
            rows.append((cid, k + 1, names[(cid + k) % len(names)], float(amounts[k])))
    items = pd.DataFrame(rows, columns=["contract_id", "item", "product", "amount"])
    return items.astype({"contract_id": "int64", "item": "int64", "amount": "float64"})
