"""Bookings, billings and cash; DSO, receivables ageing, contract statistics and the
sales cycle in the course's four parts.

Bookings count a deal when it is signed, billings when it is invoiced, cash when the
customer pays: three different stories about the same sales. All functions are pure
functions of a run's tables (see :mod:`sim.engine.aftersale`), over the results period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.calendar import PERIOD_CODES, in_period, results_periods, to_date

AGEING_BUCKETS = [(0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, np.inf, "90+")]
"""Receivables ageing buckets: days since the invoice was raised (whole days)."""
CYCLE_PARTS = ["design", "procurement", "transaction", "collection"]


def _sum_by_period(dates: pd.Series, amounts: pd.Series, starts: pd.DatetimeIndex):
    idx = np.searchsorted(starts.values, dates.values, side="right") - 1
    out = np.zeros(len(starts))
    ok = idx >= 0
    np.add.at(out, idx[ok], amounts.to_numpy()[ok])
    return out


def money_by_period(result, period: str = "month") -> pd.DataFrame:
    """Bookings, billings and cash collected per month or quarter of the results period."""
    sc = result.scenario
    h = sc.horizon_days
    starts = pd.DatetimeIndex(results_periods(sc, period)["start"])

    def dated(days):
        return to_date(sc.start_date, days)

    opps = result.opportunities
    won = opps[(opps["status"] == "won") & in_period(opps["closed_day"], h)]
    inv = result.invoices[in_period(result.invoices["issued_day"], h)]
    pay = result.payments[in_period(result.payments["paid_day"], h)]
    frame = pd.DataFrame({
        "period": starts,
        "bookings": _sum_by_period(dated(won["closed_day"]), won["amount"], starts),
        "billings": _sum_by_period(dated(inv["issued_day"]), inv["amount"], starts),
        "cash": _sum_by_period(dated(pay["paid_day"]), pay["amount"], starts),
    })
    return frame


def receivables_at(invoices, day) -> np.ndarray:
    """Amount owed (invoiced, not yet paid or written off) at each of ``day``.

    ``invoices`` is the table, or its facts (``RunResult.facts("invoices")``).
    """
    day = np.atleast_1d(np.asarray(day, dtype=float))
    issued = _days(invoices, "issued_day")[:, None]
    paid = _days(invoices, "paid_day", missing=np.inf)[:, None]
    gone = _days(invoices, "written_off_day", missing=np.inf)[:, None]
    owed = (issued <= day) & (day < paid) & (day < gone)
    return (_days(invoices, "amount")[:, None] * owed).sum(axis=0)


def _days(table, column: str, missing: float | None = None) -> np.ndarray:
    """A numeric column of a table or of its facts; ``missing`` in place of NaN."""
    values = np.asarray(table[column], dtype=float)
    return values if missing is None else np.where(np.isnan(values), missing, values)


def dso_days(result) -> float:
    """Days sales outstanding over the results period: the average receivables divided by
    the average billings per day (the "average balance" method)."""
    return days_sales_outstanding(result.invoices, result.scenario.horizon_days)


def days_sales_outstanding(invoices, horizon: float) -> float:
    """DSO of ``invoices`` (the table or its facts) over the results period
    ``[0, horizon)``; see :func:`dso_days`."""
    h = horizon
    billed = _days(invoices, "amount")[in_period(_days(invoices, "issued_day"), h)].sum()
    if billed <= 0:
        return float("nan")
    # the time-average of the receivables over [0, h): sampled at the middle of each day,
    # the last day weighted by the part of it inside the period (h need not be whole)
    edges = np.append(np.arange(0.0, h, 1.0), h)
    mids, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    average = float((receivables_at(invoices, mids) * widths).sum() / h)
    return float(average / (billed / h))


def dso_by_period(result, period: str = "quarter") -> pd.DataFrame:
    """DSO per period by the end-of-period method: receivables at the period's end /
    billings in the period x days in the period."""
    sc = result.scenario
    money = money_by_period(result, period)
    periods = results_periods(sc, period)
    ends = np.minimum(periods["end_day"].to_numpy(), sc.horizon_days)
    length = ends - np.maximum(periods["start_day"].to_numpy(), 0)
    owed = receivables_at(result.invoices, ends - 1e-9)
    dso = np.where(money["billings"] > 0, owed / money["billings"].where(
        money["billings"] > 0, 1) * length, np.nan)
    return money.assign(receivables=owed, dso_days=dso)


def receivables_ageing(result, on: float | None = None) -> pd.DataFrame:
    """Open receivables by age (days since invoiced) at day ``on`` (default: the end),
    with the overdue part (past the due date) of each bucket."""
    day = result.scenario.horizon_days - 1e-9 if on is None else float(on)
    return ageing(result.invoices, day)


def ageing(invoices, day: float) -> pd.DataFrame:
    """Open receivables of ``invoices`` (the table or its facts) by age at ``day``; see
    :func:`receivables_ageing`."""
    amount = _days(invoices, "amount")
    issued = _days(invoices, "issued_day")
    owed = receivables_at(invoices, day) if len(amount) else np.zeros(1)
    open_ = ((issued <= day) & ~(_days(invoices, "paid_day") <= day)
             & ~(_days(invoices, "written_off_day") <= day))
    age = np.floor(day - issued)
    past_due = _days(invoices, "due_day") < day
    rows = []
    for lo, hi, label in AGEING_BUCKETS:
        sel = open_ & (age >= lo) & (age <= hi)
        rows.append({"bucket": label, "invoices": int(sel.sum()),
                     "amount": float(amount[sel].sum()),
                     "overdue": float(amount[sel & past_due].sum())})
    table = pd.DataFrame(rows)
    assert np.isclose(table["amount"].sum(), owed[0])  # the buckets cover every receivable
    return table


def receivables_overdue(result) -> float:
    """Amount past its due date and unpaid at the end of the results period."""
    return float(receivables_ageing(result)["overdue"].sum())


def contract_statistics(result, by: str = "kind", period: str = "quarter") -> pd.DataFrame:
    """The course's contract statistics: counts and amounts of contracts and orders by
    ``kind``, ``status`` or signing ``period``, with invoiced and collected amounts."""
    c = result.contracts
    c = c[in_period(c["signed_day"], result.scenario.horizon_days)]
    if by == "period":
        key = c["signed_date"].dt.to_period(PERIOD_CODES[period]).astype(str).rename("period")
    elif by in ("kind", "status", "owner", "channel"):
        key = c[by]
    else:
        raise ValueError(f"by: value {by!r} is not allowed: must be 'kind', 'status', "
                         "'owner', 'channel' or 'period'")
    g = c.groupby(key, sort=True)
    table = pd.DataFrame({"count": g.size(), "amount": g["amount"].sum(),
                          "invoiced": g["invoiced"].sum(), "collected": g["collected"].sum()})
    return table.reset_index()


def signing_to_cash(result, by: str = "kind") -> pd.DataFrame:
    """How long the deals signed in the results period waited for delivery and for their
    money, by ``kind`` (contract or order) or another column of ``result.contracts``.

    Returns
    -------
    DataFrame
        One row per group: ``deals`` (signed in the results period), ``fully_paid`` (of
        them, fully paid by its end), ``signing_to_delivery_days`` (mean, over the delivered
        ones) and ``signing_to_cash_days`` (mean days from signing to the last payment, over
        the fully paid ones: the collection part of the sales cycle; deals signed late in
        the run and not yet paid are left out, so long waits are undercounted).

    >>> from sim import Scenario, simulate
    >>> table = signing_to_cash(simulate(Scenario(horizon_days=120, warmup_days=60)))
    >>> list(table.columns)
    ['kind', 'deals', 'fully_paid', 'signing_to_delivery_days', 'signing_to_cash_days']
    """
    c = result.contracts
    if by not in c.columns:
        raise ValueError(f"by: value {by!r} is not a column of the contracts table")
    c = c[in_period(c["signed_day"], result.scenario.horizon_days)]
    c = c.assign(_delivery=c["delivery_day"] - c["signed_day"],
                 _cash=c["fully_paid_day"] - c["signed_day"])
    g = c.groupby(by, sort=True)
    return pd.DataFrame({"deals": g.size(), "fully_paid": g["_cash"].count(),
                         "signing_to_delivery_days": g["_delivery"].mean(),
                         "signing_to_cash_days": g["_cash"].mean()}).reset_index()


def sales_cycle_parts(result) -> pd.DataFrame:
    """Each won deal's sales cycle in the course's four parts (days): design,
    procurement and transaction time (the stages tagged with each ``cycle_part``), and
    payment-collection time (signing to the last payment; NaN while money is owed)."""
    sc = result.scenario
    hist = result.stage_history
    won = result.opportunities
    won = won[won["status"] == "won"][["opportunity_id", "created_day", "closed_day"]]
    hist = hist[hist["opportunity_id"].isin(won["opportunity_id"])]
    parts = [s.cycle_part or "untagged" for s in sc.stages]
    spent = hist.assign(part=[parts[k] for k in hist["stage_index"]],
                        days=hist["decided_day"] - hist["entered_day"])
    table = spent.pivot_table(index="opportunity_id", columns="part", values="days",
                              aggfunc="sum", fill_value=0.0)
    table = table.reindex(won["opportunity_id"]).fillna(0.0)
    for part in CYCLE_PARTS[:3]:
        if part not in table:
            table[part] = 0.0
    contracts = result.contracts.set_index("contract_id")
    table["collection"] = (contracts["fully_paid_day"] - contracts["signed_day"]).reindex(
        table.index)
    selling = [c for c in table.columns if c != "collection"]
    table["total"] = table[selling].sum(axis=1) + table["collection"]
    table.columns.name = None
    return table.reset_index()


def sales_cycle_summary(result) -> pd.DataFrame:
    """Mean days per part of the sales cycle over deals won in the results period."""
    parts = sales_cycle_parts(result)
    won = result.opportunities.set_index("opportunity_id")["closed_day"]
    parts = parts[in_period(parts["opportunity_id"].map(won), result.scenario.horizon_days)]
    cols = [c for c in [*CYCLE_PARTS, "untagged", "total"] if c in parts]
    return pd.DataFrame({"part": cols, "mean_days": [parts[c].mean() for c in cols],
                         "deals": [int(parts[c].notna().sum()) for c in cols]})
