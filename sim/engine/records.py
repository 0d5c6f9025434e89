"""The event recorder and the tidy tables built from it.

The engine appends plain tuples; the tables are computed afterwards. In every table,
``*_day`` columns count days from the scenario's ``start_date`` (negative during the
warm-up) and date columns are calendar timestamps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_COLUMNS = ["day", "event", "lead_id", "opportunity_id", "rep", "stage", "value", "note"]
"""Events: ``lead_created``, ``verify_start`` (value: response hours), ``lead_qualified`` /
``lead_disqualified`` (value: the qualify chance), ``lead_expired``, ``opp_created``,
``stage_entered`` (value: the owner's expected close day), ``work_start`` (value: days the
task waited), ``work_end``, ``advanced``, ``won`` (value: amount), ``lost`` (note: reason)."""

CUSTOMER_WORDS = (
    ["Apex", "Blue River", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor",
     "Ionic", "Juniper", "Keystone", "Lumen", "Meridian", "Northwind", "Orion", "Pioneer",
     "Quarry", "Redwood", "Summit", "Tidewater", "Unity", "Vertex", "Westfield", "Zenith"],
    ["Industries", "Logistics", "Health", "Foods", "Energy", "Retail", "Bank", "Motors",
     "Pharma", "Telecom", "Group", "Systems"],
)
SUBJECTS = {
    "contract": ["Implementation services", "Managed service contract", "Consulting project",
                 "Support renewal", "Training programme"],
    "order": ["Equipment order", "Licence order", "Spare parts order", "Hardware refresh",
              "Volume order"],
}


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A frame from row tuples, built column by column (much faster than row by row)."""
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    cols = zip(*rows, strict=True)
    return pd.DataFrame({c: np.asarray(v) for c, v in zip(columns, cols, strict=True)})


def _text(column: pd.Series, missing: str) -> pd.Series:
    """A text column with ``missing`` where there was no value (an empty map gives floats)."""
    return column.astype(object).where(column.notna(), missing)


class Recorder:
    """Plain records appended by the engine."""

    def __init__(self):
        self.leads: list[tuple] = []  # (lead_id, channel, row, created, owner)
        self.opportunities: list[tuple] = []  # (opp_id, lead_id, owner, amount, created)
        # (rep, activity, stage, level, lead_id, opp_id, start, end, hours, finished)
        self.rep_time: list[tuple] = []
        self.events: list[tuple] = []

    def event(self, day, kind, lead_id, opp_id, rep, stage, value, note=""):
        self.events.append((day, kind, lead_id, opp_id, rep, stage, value, note))


class Tables:
    """Builds the tidy tables of one run from its :class:`Recorder`."""

    def __init__(self, scenario, engine_traits, rec: Recorder, rep_names: list[str]):
        self.sc = scenario
        self.traits = engine_traits
        self.rec = rec
        self.rep_names = np.asarray(rep_names, dtype=object)
        self.offset = scenario.warmup_days
        self.origin = pd.Timestamp(scenario.start_date)

    def _date(self, day):
        return self.origin + pd.to_timedelta(day, unit="D")

    def events(self) -> pd.DataFrame:
        ev = _frame(self.rec.events, EVENT_COLUMNS)
        ev["day"] = ev["day"] - self.offset
        ev.loc[ev["event"] == "stage_entered", "value"] -= self.offset
        ev = ev.sort_values("day", kind="stable").reset_index(drop=True)
        ev.insert(1, "date", self._date(ev["day"]))
        ev["rep"] = self.rep_names[ev["rep"].to_numpy(dtype=int)]
        return ev

    def leads(self, events: pd.DataFrame) -> pd.DataFrame:
        sc = self.sc
        base = _frame(self.rec.leads, ["lead_id", "ci", "row", "created", "rep"])
        chans = sc.channels
        base["channel"] = [chans[i].name for i in base["ci"]]
        base["kind"] = [chans[i].kind for i in base["ci"]]
        base["medium"] = [chans[i].medium for i in base["ci"]]
        base["owner"] = self.rep_names[base["rep"].to_numpy(dtype=int)]
        base["created_day"] = base["created"] - self.offset
        base["created"] = self._date(base["created_day"])
        by_lead = events.set_index("lead_id")
        contact = by_lead[by_lead["event"] == "verify_start"]
        base["contacted_day"] = base["lead_id"].map(contact["day"])
        base["response_hours"] = base["lead_id"].map(contact["value"])
        ends = by_lead[by_lead["event"].isin(["lead_qualified", "lead_disqualified",
                                              "lead_expired"])]
        base["status"] = _text(base["lead_id"].map(ends["event"].str.removeprefix("lead_")),
                               "open")
        base["closed_day"] = base["lead_id"].map(ends["day"])
        verified = ends[ends["event"] != "lead_expired"]
        base["verified_by"] = _text(base["lead_id"].map(verified["rep"]), "")
        base["qualify_chance"] = base["lead_id"].map(
            ends.loc[ends["event"] != "lead_expired", "value"])
        opp = _frame(self.rec.opportunities, ["opportunity_id", "lead_id", "o", "a", "c"])
        base["opportunity_id"] = base["lead_id"].map(opp.set_index("lead_id")["opportunity_id"])
        base["opportunity_id"] = base["opportunity_id"].astype("Int64")
        base["in_warmup"] = base["created_day"] < 0
        return base[["lead_id", "channel", "kind", "medium", "owner", "created", "created_day",
                     "contacted_day", "response_hours", "status", "closed_day", "verified_by",
                     "qualify_chance", "opportunity_id", "in_warmup"]]

    def opportunities(self, events: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
        sc = self.sc
        base = _frame(self.rec.opportunities,
                      ["opportunity_id", "lead_id", "rep", "amount", "created"])
        lead_rows = _frame(self.rec.leads, ["lead_id", "ci", "row", "c", "r"])
        lead_rows = lead_rows.set_index("lead_id").loc[base["lead_id"]]
        ci, row = lead_rows["ci"].to_numpy(), lead_rows["row"].to_numpy()
        strategic = np.array([self.traits[c].strategic[r] for c, r in zip(ci, row, strict=True)],
                             dtype=bool)
        contract = np.array([self.traits[c].contract[r] for c, r in zip(ci, row, strict=True)],
                            dtype=bool)
        cust_u = np.array([self.traits[c].customer_u[r] for c, r in zip(ci, row, strict=True)])
        base["created_day"] = base["created"] - self.offset
        base["created"] = self._date(base["created_day"])
        base["owner"] = self.rep_names[base["rep"].to_numpy(dtype=int)]
        base["channel"] = [sc.channels[i].name for i in ci]
        base["medium"] = [sc.channels[i].medium for i in ci]
        base["type"] = np.where(strategic, "strategic", "tactical")
        base["kind"] = np.where(contract, "contract", "order")
        words_a, words_b = CUSTOMER_WORDS
        idx = (cust_u * len(words_a) * len(words_b)).astype(int)
        base["customer"] = [f"{words_a[i // len(words_b)]} {words_b[i % len(words_b)]}"
                            for i in idx]
        base["subject"] = [
            f"{SUBJECTS[k][i % len(SUBJECTS[k])]} #{oid}"
            for k, i, oid in zip(base["kind"], idx, base["opportunity_id"], strict=True)
        ]
        mean_size = np.array([sc.channels[i].deal_size.mean for i in ci])
        base["priority"] = np.select(
            [base["amount"] >= 1.5 * mean_size, base["amount"] < 0.5 * mean_size],
            ["high", "low"], "medium")
        base["star"] = strategic
        by_opp = events[events["opportunity_id"] >= 0].set_index("opportunity_id")
        entered = by_opp[by_opp["event"] == "stage_entered"]
        last = entered[~entered.index.duplicated(keep="last")]
        base["stage_index"] = base["opportunity_id"].map(last["stage"]).astype(int)
        base["stage"] = [sc.stages[k].name for k in base["stage_index"]]
        base["expected_close_day"] = base["opportunity_id"].map(last["value"])
        base["expected_close"] = self._date(base["expected_close_day"]).dt.normalize()
        ends = by_opp[by_opp["event"].isin(["won", "lost"])]
        base["status"] = _text(base["opportunity_id"].map(ends["event"]), "tracking")
        base["closed_day"] = base["opportunity_id"].map(ends["day"])
        base["closed"] = self._date(base["closed_day"])
        base["lost_reason"] = base["opportunity_id"].map(
            ends.loc[ends["event"] == "lost", "note"]).pipe(_text, "")
        base["cycle_days"] = base["closed_day"] - base["created_day"]
        base["in_warmup"] = base["created_day"] < 0
        return base[["opportunity_id", "lead_id", "subject", "customer", "priority", "star",
                     "type", "kind", "owner", "channel", "medium", "amount", "created",
                     "created_day", "expected_close", "expected_close_day", "stage_index",
                     "stage", "status", "lost_reason", "closed", "closed_day", "cycle_days",
                     "in_warmup"]]

    def lead_rows(self) -> pd.DataFrame:
        return _frame(self.rec.leads, ["lead_id", "ci", "row", "c", "r"]).set_index(
            "lead_id")[["ci", "row"]]

    def stage_history(self, events: pd.DataFrame) -> pd.DataFrame:
        ev = events[events["opportunity_id"] >= 0]
        key = ["opportunity_id", "stage"]
        hist = ev[ev["event"] == "stage_entered"][[*key, "rep", "day", "value"]].rename(
            columns={"rep": "owner", "day": "entered_day", "value": "expected_close_day"})

        def col(kind, name, value=None):
            sub = ev[ev["event"].isin(kind)].drop_duplicates(key, keep="first")
            cols = {"day": name} | ({"value": value} if value else {})
            return sub[[*key, *cols]].rename(columns=cols)

        hist = hist.merge(col(["work_start"], "work_start_day", "wait_days"), on=key, how="left")
        hist = hist.merge(col(["work_end"], "work_end_day"), on=key, how="left")
        dec = ev[ev["event"].isin(["advanced", "won", "lost"])][[*key, "day", "event", "note"]]
        dec = dec.rename(columns={"day": "decided_day", "event": "outcome", "note": "lost_reason"})
        hist = hist.merge(dec, on=key, how="left")
        hist["outcome"] = _text(hist["outcome"], "open")
        # the rot factor the engine applied: exp(-(wait - rot_days) / rot_days) past rot_days
        rot = np.array([st.rot_days for st in self.sc.stages])[hist["stage"].to_numpy(dtype=int)]
        excess = (hist["wait_days"] - rot).to_numpy(dtype=float)
        hist["rot_factor"] = np.where(excess > 0, np.exp(-np.clip(excess, 0, None) / rot), 1.0)
        hist.loc[hist["wait_days"].isna(), "rot_factor"] = np.nan
        hist["lost_reason"] = _text(hist["lost_reason"], "")
        hist = hist.rename(columns={"stage": "stage_index"})
        hist.insert(2, "stage", [self.sc.stages[k].name for k in hist["stage_index"]])
        return hist.sort_values(["opportunity_id", "stage_index"]).reset_index(drop=True)

    def rep_time(self) -> pd.DataFrame:
        df = _frame(self.rec.rep_time, ["rep", "activity", "stage_index", "level", "lead_id",
                                         "opportunity_id", "start_day", "end_day", "hours",
                                         "finished"])
        df["rep"] = self.rep_names[df["rep"].to_numpy(dtype=int)]
        df["start_day"] -= self.offset
        df["end_day"] -= self.offset
        df["start"] = self._date(df["start_day"])
        return df
