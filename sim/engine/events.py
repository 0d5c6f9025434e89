"""The engine's records: typed events, and the plain facts it notes about leads, deals,
rep time and sales.

Every event kind is a :class:`typing.NamedTuple` with named fields, Ciw-style: no field
means one thing for one kind and another for the next. Days are on the engine's clock
(day 0 starts the warm-up); the tables count from ``start_date`` instead.
:data:`EVENT_KINDS` lists the kinds in the order a deal meets them; the README's list is
generated from it (:func:`describe_events`).
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np


class LeadCreated(NamedTuple):
    """A lead arrived from marketing, or a rep found it prospecting; it goes to its owner
    Above the Funnel."""

    day: float
    lead_id: int
    rep: int


class VerifyStart(NamedTuple):
    """A rep made first contact with a lead to verify it."""

    day: float
    lead_id: int
    rep: int
    response_hours: float
    """Hours the lead waited for that first contact (speed-to-lead)."""


class LeadQualified(NamedTuple):
    """A verified lead is a real opportunity."""

    day: float
    lead_id: int
    rep: int
    qualify_chance: float
    """The chance it had, after the speed-to-lead decay."""


class LeadDisqualified(NamedTuple):
    """A verified lead is not an opportunity."""

    day: float
    lead_id: int
    rep: int
    qualify_chance: float
    """The chance it had, after the speed-to-lead decay."""


class LeadExpired(NamedTuple):
    """A lead nobody contacted within ``leads.expiry_days`` expired."""

    day: float
    lead_id: int
    rep: int


class OpportunityCreated(NamedTuple):
    """A qualified lead became an opportunity, owned by the rep who verified it."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int


class StageEntered(NamedTuple):
    """A deal entered a stage; its owner (re-)estimated its close and set its forecast
    category."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    expected_close_day: float
    """The owner's estimate: today plus the days they believe the stages left take."""
    category: str
    """The owner's forecast category: `commit`, `best_case` or `pipeline`."""


class ForecastRevised(NamedTuple):
    """The owner changed a tracking deal's expected close or forecast category without a
    change of stage: they re-dated a deal that passed its expected close, or re-estimated
    it at the start of a forecast period."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    expected_close_day: float
    """The owner's estimate: today plus the days they believe the stages left take."""
    category: str
    """The owner's forecast category: `commit`, `best_case` or `pipeline`."""


class WorkStart(NamedTuple):
    """The owner started the stage's work."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    wait_days: float
    """Days the stage's work waited for the rep (rot sets in past ``rot_days``)."""


class WorkEnd(NamedTuple):
    """The owner finished the stage's work; the customer decides now."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int


class Advanced(NamedTuple):
    """The customer moved the deal on to the next stage."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int


class Won(NamedTuple):
    """The customer signed at the last stage."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    amount: float
    """The deal's amount, in the scenario currency."""


class Lost(NamedTuple):
    """The customer said no at a stage."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    lost_reason: str
    """The reason: one of the scenario's lost reasons, or ``lost_to_neglect``."""


class PostSaleDone(NamedTuple):
    """The owner finished the post-sale hand-over of a won deal; delivery starts."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    hours: float
    """Rep hours the hand-over took."""


class Reassigned(NamedTuple):
    """A rep left the team and one of their open leads (``opportunity_id`` -1) or deals
    went to another rep (``team.reassign``); ``rep`` is the leaver, ``stage`` the deal's
    stage (-1 for a lead or a won deal's hand-over)."""

    day: float
    lead_id: int
    opportunity_id: int
    rep: int
    stage: int
    to_rep: int
    """The rep who owns it from now on."""


EVENT_KINDS: dict[str, type] = {
    "lead_created": LeadCreated,
    "verify_start": VerifyStart,
    "lead_qualified": LeadQualified,
    "lead_disqualified": LeadDisqualified,
    "lead_expired": LeadExpired,
    "opp_created": OpportunityCreated,
    "stage_entered": StageEntered,
    "forecast_revised": ForecastRevised,
    "work_start": WorkStart,
    "work_end": WorkEnd,
    "advanced": Advanced,
    "won": Won,
    "lost": Lost,
    "post_sale_done": PostSaleDone,
    "reassigned": Reassigned,
}
"""Event kind (the ``event`` column of the events table) -> its record type."""

KIND_OF: dict[type, str] = {cls: kind for kind, cls in EVENT_KINDS.items()}
for _kind, _cls in EVENT_KINDS.items():
    _cls.kind = _kind  # the record type knows its kind's name

COMMON_FIELDS = ("day", "lead_id", "opportunity_id", "rep", "stage")
"""Fields every row of the events table has (-1 where a kind has no such id)."""


def detail_fields() -> list[str]:
    """The kind-specific fields, each its own column of the events table, in order."""
    out: list[str] = []
    for cls in EVENT_KINDS.values():
        out += [f for f in cls._fields if f not in COMMON_FIELDS and f not in out]
    return out


def _field_doc(cls, name: str) -> str:
    """The docstring written under a field in the class body."""
    lines = inspect.getsource(cls).splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(f"{name}:") and i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            if nxt.startswith('"""'):
                return nxt.strip('"')
    return ""


def describe_events() -> str:
    """The events as a Markdown table: kind, meaning, and its own fields."""
    rows = ["| event | what happened | its own fields |", "|---|---|---|"]
    for kind, cls in EVENT_KINDS.items():
        own = [f"`{f}`: {_field_doc(cls, f)}" for f in cls._fields if f not in COMMON_FIELDS]
        doc = " ".join(inspect.cleandoc(cls.__doc__).split())
        rows.append(f"| `{kind}` | {doc} | {'; '.join(own) or '—'} |".replace("``", "`"))
    return "\n".join(rows) + "\n"


# -- facts about leads, deals, time and sales -----------------------------------------------

class LeadRecord(NamedTuple):
    """A lead as it arrived."""

    lead_id: int
    channel: int
    """Index of its channel in ``scenario.channels``."""
    created_day: float
    owner: int


class OpportunityRecord(NamedTuple):
    """An opportunity as it was created, with the traits a CRM shows."""

    opportunity_id: int
    lead_id: int
    owner: int
    amount: float
    created_day: float
    channel: int
    strategic: bool
    contract: bool
    """A contract (services) if true, else an order (products)."""
    customer_u: float
    """The draw that names the customer."""


class WorkRecord(NamedTuple):
    """A stretch of a rep's time on one task (when the team's plan changes the rep's
    hours during a task, by a leave or a ramp, one stretch per spell of constant hours,
    ``finished`` only on the last)."""

    rep: int
    activity: str
    stage: int
    level: str
    lead_id: int
    opportunity_id: int
    start_day: float
    end_day: float
    hours: float
    finished: bool


class SaleRecord(NamedTuple):
    """A won deal's after-sale draws, taken at the win from the deal's own streams:
    delivery time, line items and how each instalment is paid."""

    opportunity_id: int
    delivery_days: float
    items_u: np.ndarray
    """Line-item draws: the first picks the count, the rest split the amount."""
    pay_u: np.ndarray
    """Per instalment: the bad-debt, late and on-time-day draws."""
    lateness_days: np.ndarray
    """Per instalment: days past due if paid late."""


class Recorder:
    """Plain records the engine appends during a run; every table is built from them.

    The record types above name each record's fields; the lists hold plain tuples in that
    layout (plain tuples of numbers and text cost the garbage collector nothing, which
    matters for a run that makes tens of thousands of them).

    Attributes
    ----------
    leads, opportunities, rep_time : list of tuple
        In the layout of :class:`LeadRecord`, :class:`OpportunityRecord` and
        :class:`WorkRecord`.
    sales : list of SaleRecord
    events : dict of str to list of tuple
        Per event kind (a key of :data:`EVENT_KINDS`), the fields of its events in the
        order they happened.
    sequence : list of str
        The kind of every event, in the order they happened (the whole log's order).
    """

    def __init__(self):
        self.leads: list[tuple] = []
        self.opportunities: list[tuple] = []
        self.rep_time: list[tuple] = []
        self.sales: list[SaleRecord] = []
        self.events: dict[str, list[tuple]] = {kind: [] for kind in EVENT_KINDS}
        self.sequence: list[str] = []
        self._lists = {LeadRecord: self.leads, OpportunityRecord: self.opportunities,
                       WorkRecord: self.rep_time}

    def log(self, kind: type, *fields) -> None:
        """Append an event of record type ``kind`` (e.g. :class:`StageEntered`) with its
        fields in order."""
        name = kind.kind
        self.sequence.append(name)
        self.events[name].append(fields)

    def note(self, record: type, *fields) -> None:
        """Append a fact of type ``record`` (:class:`LeadRecord`, :class:`OpportunityRecord`
        or :class:`WorkRecord`) with its fields in order."""
        self._lists[record].append(fields)

    def typed_events(self):
        """The events as their record types, in the order they happened."""
        taken = dict.fromkeys(self.events, 0)
        for kind in self.sequence:
            yield EVENT_KINDS[kind](*self.events[kind][taken[kind]])
            taken[kind] += 1

    def positions(self) -> dict[str, np.ndarray]:
        """Per event kind, the positions of its events in the whole log."""
        codes = np.array(self.sequence, dtype=object)
        return {kind: np.flatnonzero(codes == kind) for kind in self.events}
