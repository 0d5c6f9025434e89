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
    EVENT_KINDS,
    Advanced,
    ForecastRevised,
    LeadDisqualified,
    LeadExpired,
    LeadQualified,
    Lost,
    PostSaleDone,
    Reassigned,
    Recorder,
    StageEntered,
    VerifyStart,
    Won,
    WorkEnd,
    WorkRecord,
    WorkStart,
    detail_fields,
)
from sim.rules.calendar import to_date
from sim.rules.deals import cycle_days_left, rot_factor, typical_stage_days
from sim.rules.reps import rep_hours_per_day

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
_ID_FIELDS = ("lead_id", "opportunity_id", "rep", "stage", "to_rep")
"""Whole-number fields of the events."""
_REP_DETAILS = ("to_rep",)
"""Kind-specific fields that name a rep (empty where a kind has none)."""
_TEXT_DETAILS = ("category", "lost_reason")
"""Kind-specific fields that are text (empty where a kind has none); the rest are numbers
(NaN where a kind has none)."""


def _names(names: list[str], index: np.ndarray) -> np.ndarray:
    """The names at ``index`` (channel, stage or rep names by position), as objects."""
    return np.asarray(names, dtype=object)[index] if len(names) else np.empty(0, object)


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A frame from row tuples, built column by column (much faster than row by row)."""
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    cols = zip(*rows, strict=True)
    return pd.DataFrame({c: np.asarray(v) for c, v in zip(columns, cols, strict=True)})


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
        self._cols: dict[type, dict[str, np.ndarray]] = {}

    def columns(self, cls) -> dict[str, np.ndarray]:
        """The events of type ``cls`` as arrays, one per field; built once per type."""
        cols = self._cols.get(cls)
        if cols is None:
            rows = self.rec.events[cls.kind]
            text = [f for f in cls._fields if f in _TEXT_DETAILS]
            numbers = cls._fields[:len(cls._fields) - len(text)]  # text fields come last
            grid = (np.array([r[:len(numbers)] for r in rows] if text else rows, dtype=float)
                    if rows else np.empty((0, len(numbers))))
            cols = {f: (grid[:, i].astype(np.int64) if f in _ID_FIELDS else grid[:, i])
                    for i, f in enumerate(numbers)}
            for i, f in enumerate(text, start=len(numbers)):
                cols[f] = np.array([r[i] for r in rows], dtype=object)
            self._cols[cls] = cols
        return cols

    def _date(self, day):
        return to_date(self.sc.start_date, day)

    def _by_id(self, cls, id_field: str, field: str, n: int, dtype=float, fill=np.nan):
        """``field`` of the events of type ``cls``, placed at their ``id_field`` in an
        array of ``n`` (``fill`` where an id has no such event)."""
        cols = self.columns(cls)
        out = np.full(n, fill, dtype=dtype)
        out[cols[id_field]] = cols[field]
        return out

    def _final_owner(self, owner: np.ndarray, id_field: str) -> np.ndarray:
        """``owner`` (by lead or opportunity id) after the last reassignment of each: a
        leaver's open leads (``id_field`` ``"lead_id"``) or deals (``"opportunity_id"``)."""
        got = self.columns(Reassigned)
        if not len(got["day"]):
            return owner
        mine = got["opportunity_id"] < 0 if id_field == "lead_id" else got["opportunity_id"] >= 0
        owner = owner.copy()
        owner[got[id_field][mine]] = got["to_rep"][mine]  # in order: the last one stays
        return owner

    # -- the tables ----------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """Every event, in the order it happened (stable by day): the common fields, the
        kind in ``event``, and one column per kind-specific field."""
        n = len(self.rec.sequence)
        details = detail_fields()
        cols: dict[str, np.ndarray] = {
            "day": np.zeros(n), "event": np.empty(n, dtype=object),
            **{f: np.full(n, -1, dtype=np.int64) for f in COMMON_FIELDS[1:]},
            **{f: (np.full(n, "", dtype=object) if f in _TEXT_DETAILS else np.full(n, np.nan))
               for f in details},
        }
        for kind, pos in self.rec.positions().items():
            cls = EVENT_KINDS[kind]
            got = self.columns(cls)
            cols["event"][pos] = kind
            for f in cls._fields:
                cols[f][pos] = got[f]
        for f in ("day", *[d for d in details if d.endswith("_day")]):
            cols[f] = cols[f] - self.offset
        for f in _REP_DETAILS:
            cols[f] = np.where(np.isnan(cols[f]), "",
                               _names(list(self.rep_names), np.nan_to_num(cols[f]).astype(int)))
        ev = pd.DataFrame(cols)
        ev["rep"] = self.rep_names[ev["rep"].to_numpy()]
        ev = ev.sort_values("day", kind="stable").reset_index(drop=True)
        ev.insert(1, "date", self._date(ev["day"]))
        return ev[["day", "date", "event", *COMMON_FIELDS[1:], *details]]

    # -- columns: the facts of each table as arrays, built once (the KPIs read these) ------
    def lead_columns(self) -> dict[str, np.ndarray]:
        """Per lead (by id): ``channel`` (index), ``owner`` (rep index), ``created_day``,
        ``contacted_day``, ``response_hours``, ``status``, ``closed_day``, ``verified_by``
        (rep index, -1 for none), ``qualify_chance`` and ``opportunity_id`` (-1 for none)."""
        cols = self._cols.get("leads")
        if cols is not None:
            return cols
        grid = np.array(self.rec.leads, dtype=float).reshape(-1, 4)
        n = len(grid)
        cols = {"lead_id": grid[:, 0].astype(np.int64), "channel": grid[:, 1].astype(np.int64),
                "created_day": grid[:, 2] - self.offset,
                "owner": self._final_owner(grid[:, 3].astype(np.int64), "lead_id"),
                "contacted_day": self._by_id(VerifyStart, "lead_id", "day", n) - self.offset,
                "response_hours": self._by_id(VerifyStart, "lead_id", "response_hours", n)}
        status = np.full(n, "open", dtype=object)
        closed = np.full(n, np.nan)
        verified_by = np.full(n, -1, dtype=np.int64)
        chance = np.full(n, np.nan)
        for cls, name in ((LeadQualified, "qualified"), (LeadDisqualified, "disqualified"),
                          (LeadExpired, "expired")):
            got = self.columns(cls)
            ids = got["lead_id"]
            status[ids] = name
            closed[ids] = got["day"] - self.offset
            if cls is not LeadExpired:
                verified_by[ids] = got["rep"]
                chance[ids] = got["qualify_chance"]
        opp = self.opportunity_columns()
        opportunity_id = np.full(n, -1, dtype=np.int64)
        opportunity_id[opp["lead_id"]] = opp["opportunity_id"]
        cols |= {"status": status, "closed_day": closed, "verified_by": verified_by,
                 "qualify_chance": chance, "opportunity_id": opportunity_id}
        self._cols["leads"] = cols
        return cols

    def opportunity_columns(self) -> dict[str, np.ndarray]:
        """Per opportunity (by id): the record's fields (``owner`` and ``channel`` as
        indices), the latest ``stage_index`` and ``expected_close_day``, ``status``,
        ``closed_day``, ``lost_reason`` and ``cycle_days``."""
        cols = self._cols.get("opportunities")
        if cols is not None:
            return cols
        grid = np.array(self.rec.opportunities, dtype=float).reshape(-1, 9)
        m = len(grid)
        cols = {"opportunity_id": grid[:, 0].astype(np.int64),
                "lead_id": grid[:, 1].astype(np.int64),
                "owner": self._final_owner(grid[:, 2].astype(np.int64), "opportunity_id"),
                "amount": grid[:, 3], "created_day": grid[:, 4] - self.offset,
                "channel": grid[:, 5].astype(np.int64), "strategic": grid[:, 6] > 0,
                "contract": grid[:, 7] > 0, "customer_u": grid[:, 8],
                # the latest stage entered
                "stage_index": self._by_id(StageEntered, "opportunity_id", "stage", m,
                                           dtype=np.int64, fill=0)}
        status = np.full(m, "tracking", dtype=object)
        closed = np.full(m, np.nan)
        reason = np.full(m, "", dtype=object)
        for cls, name in ((Won, "won"), (Lost, "lost")):
            got = self.columns(cls)
            ids = got["opportunity_id"]
            status[ids] = name
            closed[ids] = got["day"] - self.offset
            if cls is Lost:
                reason[ids] = got["lost_reason"]
        cols |= {"status": status, "closed_day": closed, "lost_reason": reason,
                 "cycle_days": closed - cols["created_day"]}
        self._cols["opportunities"] = cols
        return cols

    def _forecast_rows(self) -> dict[str, np.ndarray]:
        """The owners' estimates (:class:`StageEntered` and :class:`ForecastRevised`) in
        the order they were made, deal by deal: their fields, ``change`` (the kind) and
        ``revision`` (0, 1, ... per deal)."""
        rows = self._cols.get("forecast")
        if rows is not None:
            return rows
        kinds = (StageEntered, ForecastRevised)
        parts = [self.columns(cls) for cls in kinds]
        codes = np.asarray(self.rec.sequence)
        position = np.concatenate([np.flatnonzero(codes == cls.kind) for cls in kinds])
        rows = {f: np.concatenate([p[f] for p in parts]) for f in StageEntered._fields}
        rows["change"] = np.repeat(np.array([cls.kind for cls in kinds], dtype=object),
                                   [len(p["day"]) for p in parts])
        order = np.lexsort((position, rows["opportunity_id"]))
        rows = {f: v[order] for f, v in rows.items()}
        opp = rows["opportunity_id"]
        first = np.append(True, opp[1:] != opp[:-1]) if len(opp) else np.zeros(0, bool)
        starts = np.flatnonzero(first)
        rows["revision"] = np.arange(len(opp)) - np.repeat(starts, np.diff(np.append(starts,
                                                                                     len(opp))))
        self._cols["forecast"] = rows
        return rows

    def forecast_history(self) -> pd.DataFrame:
        """One row per change of a deal's expected close or forecast category, as its owner
        made it: on entering a stage (``change`` ``stage_entered``) or revising the
        forecast in it (``forecast_revised``). A row is in force from ``day`` until
        ``until_day``: the deal's next change, else the day it was won or lost (NaN while
        it is still tracking)."""
        sc = self.sc
        r = self._forecast_rows()
        opp = r["opportunity_id"]
        day = r["day"] - self.offset
        last = np.append(opp[1:] != opp[:-1], True) if len(opp) else np.zeros(0, bool)
        closed = self.opportunity_columns()["closed_day"]
        until = np.where(last, closed[opp] if len(opp) else day, np.append(day[1:], np.nan))
        return pd.DataFrame({
            "opportunity_id": opp,
            "revision": r["revision"],
            "change": r["change"],
            "owner": self.rep_names[r["rep"]],
            "stage_index": r["stage"],
            "stage": np.array([s.name for s in sc.stages], dtype=object)[r["stage"]],
            "day": day,
            "until_day": until,
            "expected_close_day": r["expected_close_day"] - self.offset,
            "expected_close": self._date(r["expected_close_day"] - self.offset).normalize(),
            "category": r["category"],
        })

    def latest_forecast(self) -> tuple[np.ndarray, np.ndarray]:
        """Per opportunity (by id), its owner's latest expected close day and forecast
        category."""
        r = self._forecast_rows()
        m = len(self.rec.opportunities)
        expected, category = np.full(m, np.nan), np.full(m, "", dtype=object)
        expected[r["opportunity_id"]] = r["expected_close_day"] - self.offset  # last wins
        category[r["opportunity_id"]] = r["category"]
        return expected, category

    def work_columns(self) -> dict[str, np.ndarray]:
        """Per stretch of rep time: ``rep`` (index), ``activity``, ``stage_index``,
        ``level``, ``lead_id``, ``opportunity_id``, ``start_day``, ``end_day``, ``hours``
        and ``finished``."""
        cols = self._cols.get("rep_time")
        if cols is None:
            names = ["stage_index" if f == "stage" else f for f in WorkRecord._fields]
            empty = {"activity": object, "level": object, "finished": bool,
                     "start_day": float, "end_day": float, "hours": float}
            columns = (zip(*self.rec.rep_time, strict=True) if self.rec.rep_time
                       else [np.empty(0, empty.get(n, np.int64)) for n in names])
            cols = {n: np.asarray(c, dtype=object if n in ("activity", "level") else None)
                    for n, c in zip(names, columns, strict=True)}
            cols["start_day"] = cols["start_day"] - self.offset
            cols["end_day"] = cols["end_day"] - self.offset
            self._cols["rep_time"] = cols
        return cols

    def handover_days(self) -> pd.Series:
        """The day each won deal's post-sale hand-over was done, by opportunity id; the
        deal is at the Orders level until then."""
        got = self.columns(PostSaleDone)
        return pd.Series(got["day"] - self.offset, index=got["opportunity_id"], name="day")

    # -- the tables -------------------------------------------------------------------
    def leads(self) -> pd.DataFrame:
        """One row per lead: channel, owner, response time, outcome."""
        c = self.lead_columns()
        chans = self.sc.channels
        ci = c["channel"]
        has_opp = c["opportunity_id"] >= 0
        return pd.DataFrame({
            "lead_id": c["lead_id"],
            "channel": _names([ch.name for ch in chans], ci),
            "kind": _names([ch.kind for ch in chans], ci),
            "medium": _names([ch.medium for ch in chans], ci),
            "owner": self.rep_names[c["owner"]],
            "created": self._date(c["created_day"]),
            "created_day": c["created_day"],
            "contacted_day": c["contacted_day"],
            "response_hours": c["response_hours"],
            "status": c["status"],
            "closed_day": c["closed_day"],
            "verified_by": np.where(c["verified_by"] >= 0,
                                    self.rep_names[np.maximum(c["verified_by"], 0)], ""),
            "qualify_chance": c["qualify_chance"],
            "opportunity_id": pd.arrays.IntegerArray(np.where(has_opp, c["opportunity_id"], 0),
                                                     ~has_opp),
            "in_warmup": c["created_day"] < 0,
        })

    def opportunities(self) -> pd.DataFrame:
        """One row per opportunity, with the fields a CRM list shows."""
        sc = self.sc
        c = self.opportunity_columns()
        ci, oid = c["channel"], c["opportunity_id"]
        kind = np.where(c["contract"], "contract", "order")
        words_a, words_b = CUSTOMER_WORDS
        idx = (c["customer_u"] * len(words_a) * len(words_b)).astype(int)
        mean_size = np.array([ch.deal_size.mean for ch in sc.channels])[ci]
        amount = c["amount"]
        expected, category = self.latest_forecast()
        # Salesforce's convention for decided deals: a win is closed, a loss omitted
        category = np.select([c["status"] == "won", c["status"] == "lost"],
                             ["closed", "omitted"], category).astype(object)
        return pd.DataFrame({
            "opportunity_id": oid,
            "lead_id": c["lead_id"],
            "subject": [f"{SUBJECTS[k][i % len(SUBJECTS[k])]} #{o}"
                        for k, i, o in zip(kind.tolist(), idx.tolist(), oid.tolist(),
                                           strict=True)],
            "customer": [f"{words_a[i // len(words_b)]} {words_b[i % len(words_b)]}"
                         for i in idx.tolist()],
            "priority": np.select([amount >= 1.5 * mean_size, amount < 0.5 * mean_size],
                                  ["high", "low"], "medium"),
            "star": c["strategic"],
            "type": np.where(c["strategic"], "strategic", "tactical"),
            "kind": kind,
            "owner": self.rep_names[c["owner"]],
            "channel": _names([ch.name for ch in sc.channels], ci),
            "medium": _names([ch.medium for ch in sc.channels], ci),
            "amount": amount,
            "created": self._date(c["created_day"]),
            "created_day": c["created_day"],
            "expected_close": self._date(expected).normalize(),
            "expected_close_day": expected,
            "forecast_category": category,
            "stage_index": c["stage_index"],
            "stage": _names([s.name for s in sc.stages], c["stage_index"]),
            "status": c["status"],
            "lost_reason": c["lost_reason"],
            "closed": self._date(c["closed_day"]),
            "closed_day": c["closed_day"],
            "cycle_days": c["cycle_days"],
            "in_warmup": c["created_day"] < 0,
        })

    def stage_history(self) -> pd.DataFrame:
        """One row per opportunity and stage reached: entered, work started and ended,
        decided, the outcome and the rot factor the engine applied."""
        sc = self.sc
        k = max(len(sc.stages), 1)
        entered = self.columns(StageEntered)
        opp, stage = entered["opportunity_id"], entered["stage"]
        n = len(opp)
        # the row of each (opportunity, stage), through a dense key
        row_of = np.full(max(int(opp.max(initial=-1)) + 1, 0) * k, -1, dtype=np.int64)
        row_of[opp * k + stage] = np.arange(n)

        def at(cls, field, dtype=float, fill=np.nan):
            """``field`` of the first event of ``cls`` at each (opportunity, stage) row."""
            out = np.full(n, fill, dtype=dtype)
            got = self.columns(cls)
            pos = row_of[got["opportunity_id"] * k + got["stage"]]
            first = np.unique(pos, return_index=True)[1]
            out[pos[first]] = got[field][first]
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
        # the normal cycle left at each owner's hours, as the engine adds it to the entry day
        left = np.array([cycle_days_left(typical_stage_days(sc.stages, h))
                         for h in rep_hours_per_day(sc.team)]).reshape(-1, len(sc.stages))
        hist = pd.DataFrame({
            "opportunity_id": opp,
            "stage_index": stage,
            "stage": np.array([s.name for s in sc.stages], dtype=object)[stage],
            "owner": self.rep_names[entered["rep"]],
            "entered_day": entered["day"] - self.offset,
            "expected_close_day": entered["expected_close_day"] - self.offset,
            "cycle_close_day": (entered["day"] + left[entered["rep"], stage]) - self.offset,
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
        c = self.work_columns()
        df = pd.DataFrame({k: (self.rep_names[v] if k == "rep" else v) for k, v in c.items()})
        df["start"] = self._date(df["start_day"])
        return df
