"""The tidy tables of one run, built from the engine's records.

In every table, ``*_day`` columns count days from the scenario's ``start_date``
(negative during the warm-up) and date columns are calendar timestamps. Ids are dense
(``0 .. n-1`` in order of creation), so a table is assembled by indexing arrays with
them rather than by joining frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.events import (
    COMMON_FIELDS,
    KIND_OF,
    Advanced,
    LeadDisqualified,
    LeadExpired,
    LeadQualified,
    Lost,
    Recorder,
    StageEntered,
    VerifyStart,
    Won,
    WorkEnd,
    WorkStart,
    detail_fields,
)
from sim.rules.calendar import to_date
from sim.rules.deals import rot_factor

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
_TEXT_DETAILS = ("lost_reason",)
"""Kind-specific fields that are text (empty where a kind has none); the rest are numbers
(NaN where a kind has none)."""


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A frame from row tuples, built column by column (much faster than row by row)."""
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    cols = zip(*rows, strict=True)
    return pd.DataFrame({c: np.asarray(v) for c, v in zip(columns, cols, strict=True)})


def _column(rows: list[tuple], field: str, cls, dtype=float) -> np.ndarray:
    """One field of a list of records of type ``cls``, as an array."""
    i = cls._fields.index(field)
    return np.fromiter((r[i] for r in rows), dtype=dtype, count=len(rows))


class Tables:
    """Builds the tidy tables of one run from its :class:`~sim.engine.events.Recorder`.

    Parameters
    ----------
    scenario : Scenario
        The scenario run (channels, stages and ``start_date`` name and date the rows).
    rec : Recorder
        The engine's records.
    rep_names : list of str
        The reps' names, by index.
    """

    def __init__(self, scenario, rec: Recorder, rep_names: list[str]):
        self.sc = scenario
        self.rec = rec
        self.rep_names = np.asarray(rep_names, dtype=object)
        self.offset = scenario.warmup_days
        self._kinds = None

    @property
    def kinds(self) -> dict[type, list]:
        """The events grouped by type, each with its position in the log (built once)."""
        if self._kinds is None:
            self._kinds = self.rec.by_kind()
        return self._kinds

    def _events_of(self, cls) -> list[tuple]:
        return [ev for _, ev in self.kinds[cls]]

    def _date(self, day):
        return to_date(self.sc.start_date, day)

    def _by_id(self, cls, id_field: str, field: str, n: int, dtype=float, fill=np.nan):
        """``field`` of the events of type ``cls``, placed at their ``id_field`` in an
        array of ``n`` (``fill`` where an id has no such event)."""
        rows = self._events_of(cls)
        out = np.full(n, fill, dtype=dtype)
        if rows:
            out[_column(rows, id_field, cls, int)] = _column(rows, field, cls, dtype)
        return out

    # -- the tables ----------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """Every event, in the order it happened (stable by day): the common fields, the
        kind in ``event``, and one column per kind-specific field."""
        n = len(self.rec.events)
        details = detail_fields()
        cols: dict[str, np.ndarray] = {
            "day": np.zeros(n), "event": np.empty(n, dtype=object),
            **{f: np.full(n, -1, dtype=np.int64) for f in COMMON_FIELDS[1:]},
            **{f: (np.full(n, "", dtype=object) if f in _TEXT_DETAILS else np.full(n, np.nan))
               for f in details},
        }
        for cls, items in self.kinds.items():
            if not items:
                continue
            pos = np.fromiter((i for i, _ in items), dtype=np.int64, count=len(items))
            rows = [ev for _, ev in items]
            cols["event"][pos] = KIND_OF[cls]
            for f in cls._fields:
                dtype = (object if f in _TEXT_DETAILS else
                         np.int64 if f in COMMON_FIELDS[1:] else float)
                cols[f][pos] = _column(rows, f, cls, dtype)
        for f in ("day", *[d for d in details if d.endswith("_day")]):
            cols[f] = cols[f] - self.offset
        ev = pd.DataFrame(cols)
        ev["rep"] = self.rep_names[ev["rep"].to_numpy()]
        ev = ev.sort_values("day", kind="stable").reset_index(drop=True)
        ev.insert(1, "date", self._date(ev["day"]))
        return ev[["day", "date", "event", *COMMON_FIELDS[1:], *details]]

    def leads(self) -> pd.DataFrame:
        """One row per lead: channel, owner, response time, outcome."""
        sc = self.sc
        base = _frame(self.rec.leads, ["lead_id", "ci", "created", "rep"])
        n = len(base)
        chans = sc.channels
        base["channel"] = [chans[i].name for i in base["ci"]]
        base["kind"] = [chans[i].kind for i in base["ci"]]
        base["medium"] = [chans[i].medium for i in base["ci"]]
        base["owner"] = self.rep_names[base["rep"].to_numpy(dtype=int)]
        base["created_day"] = base["created"] - self.offset
        base["created"] = self._date(base["created_day"])
        contacted = self._by_id(VerifyStart, "lead_id", "day", n)
        base["contacted_day"] = contacted - self.offset
        base["response_hours"] = self._by_id(VerifyStart, "lead_id", "response_hours", n)
        status = np.full(n, "open", dtype=object)
        closed = np.full(n, np.nan)
        verified_by = np.full(n, "", dtype=object)
        chance = np.full(n, np.nan)
        for cls, name in ((LeadQualified, "qualified"), (LeadDisqualified, "disqualified"),
                          (LeadExpired, "expired")):
            rows = self._events_of(cls)
            if not rows:
                continue
            ids = _column(rows, "lead_id", cls, int)
            status[ids] = name
            closed[ids] = _column(rows, "day", cls) - self.offset
            if cls is not LeadExpired:
                verified_by[ids] = self.rep_names[_column(rows, "rep", cls, int)]
                chance[ids] = _column(rows, "qualify_chance", cls)
        base["status"] = status
        base["closed_day"] = closed
        base["verified_by"] = verified_by
        base["qualify_chance"] = chance
        opp_of = np.full(n, -1, dtype=np.int64)
        if self.rec.opportunities:
            opps = self.rec.opportunities
            opp_of[[o.lead_id for o in opps]] = [o.opportunity_id for o in opps]
        base["opportunity_id"] = pd.arrays.IntegerArray(np.where(opp_of >= 0, opp_of, 0),
                                                        opp_of < 0)
        base["in_warmup"] = base["created_day"] < 0
        return base[["lead_id", "channel", "kind", "medium", "owner", "created", "created_day",
                     "contacted_day", "response_hours", "status", "closed_day", "verified_by",
                     "qualify_chance", "opportunity_id", "in_warmup"]]

    def opportunities(self) -> pd.DataFrame:
        """One row per opportunity, with the fields a CRM list shows."""
        sc = self.sc
        base = _frame(self.rec.opportunities,
                      ["opportunity_id", "lead_id", "rep", "amount", "created", "ci",
                       "strategic", "contract", "customer_u"])
        m = len(base)
        ci = base["ci"].to_numpy()
        strategic = base["strategic"].to_numpy(dtype=bool)
        contract = base["contract"].to_numpy(dtype=bool)
        cust_u = base["customer_u"].to_numpy(dtype=float)
        base = base.drop(columns=["ci", "strategic", "contract", "customer_u"])
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
        # the latest stage entered, and the owner's estimate made on entering it
        base["stage_index"] = self._by_id(StageEntered, "opportunity_id", "stage", m,
                                          dtype=np.int64, fill=0)
        base["stage"] = [sc.stages[k].name for k in base["stage_index"]]
        base["expected_close_day"] = self._by_id(StageEntered, "opportunity_id",
                                                 "expected_close_day", m) - self.offset
        base["expected_close"] = self._date(base["expected_close_day"]).dt.normalize()
        status = np.full(m, "tracking", dtype=object)
        closed = np.full(m, np.nan)
        reason = np.full(m, "", dtype=object)
        for cls, name in ((Won, "won"), (Lost, "lost")):
            rows = self._events_of(cls)
            if rows:
                ids = _column(rows, "opportunity_id", cls, int)
                status[ids] = name
                closed[ids] = _column(rows, "day", cls) - self.offset
                if cls is Lost:
                    reason[ids] = _column(rows, "lost_reason", cls, object)
        base["status"] = status
        base["closed_day"] = closed
        base["closed"] = self._date(base["closed_day"])
        base["lost_reason"] = reason
        base["cycle_days"] = base["closed_day"] - base["created_day"]
        base["in_warmup"] = base["created_day"] < 0
        return base[["opportunity_id", "lead_id", "subject", "customer", "priority", "star",
                     "type", "kind", "owner", "channel", "medium", "amount", "created",
                     "created_day", "expected_close", "expected_close_day", "stage_index",
                     "stage", "status", "lost_reason", "closed", "closed_day", "cycle_days",
                     "in_warmup"]]

    def stage_history(self) -> pd.DataFrame:
        """One row per opportunity and stage reached: entered, work started and ended,
        decided, the outcome and the rot factor the engine applied."""
        sc = self.sc
        k = max(len(sc.stages), 1)
        entered = self._events_of(StageEntered)
        n = len(entered)
        opp = _column(entered, "opportunity_id", StageEntered, np.int64)
        stage = _column(entered, "stage", StageEntered, np.int64)
        row_of = {key: i for i, key in enumerate((opp * k + stage).tolist())}

        def at(cls, field, dtype=float, fill=np.nan):
            """``field`` of the first event of ``cls`` at each (opportunity, stage) row."""
            out = np.full(n, fill, dtype=dtype)
            rows = self._events_of(cls)
            if rows:
                keys = (_column(rows, "opportunity_id", cls, np.int64) * k
                        + _column(rows, "stage", cls, np.int64))
                pos = np.array([row_of[key] for key in keys.tolist()], dtype=np.int64)
                first = np.unique(pos, return_index=True)[1]
                out[pos[first]] = _column(rows, field, cls, dtype)[first]
            return out

        work_start = at(WorkStart, "day")
        wait = at(WorkStart, "wait_days")
        work_end = at(WorkEnd, "day")
        decided = np.full(n, np.nan)
        outcome = np.full(n, "open", dtype=object)
        reason = np.full(n, "", dtype=object)
        for cls, name in ((Advanced, "advanced"), (Won, "won"), (Lost, "lost")):
            day = at(cls, "day")
            hit = ~np.isnan(day)
            decided[hit] = day[hit]
            outcome[hit] = name
            if cls is Lost:
                reason[hit] = at(cls, "lost_reason", object, "")[hit]
        rot_days = np.array([st.rot_days for st in sc.stages])[stage]
        hist = pd.DataFrame({
            "opportunity_id": opp,
            "stage_index": stage,
            "stage": np.array([s.name for s in sc.stages], dtype=object)[stage],
            "owner": self.rep_names[_column(entered, "rep", StageEntered, int)],
            "entered_day": _column(entered, "day", StageEntered) - self.offset,
            "expected_close_day": (_column(entered, "expected_close_day", StageEntered)
                                   - self.offset),
            "work_start_day": work_start - self.offset,
            "wait_days": wait,
            "work_end_day": work_end - self.offset,
            "decided_day": decided - self.offset,
            "outcome": outcome,
            "lost_reason": reason,
            "rot_factor": rot_factor(wait, rot_days),
        })
        order = np.lexsort((stage, opp))
        return hist.iloc[order].reset_index(drop=True)

    def rep_time(self) -> pd.DataFrame:
        """Who did what, when, for how long (hours), at which Miller Heiman level."""
        df = _frame(self.rec.rep_time, ["rep", "activity", "stage_index", "level", "lead_id",
                                         "opportunity_id", "start_day", "end_day", "hours",
                                         "finished"])
        df["rep"] = self.rep_names[df["rep"].to_numpy(dtype=int)]
        df["start_day"] -= self.offset
        df["end_day"] -= self.offset
        df["start"] = self._date(df["start_day"])
        return df

