"""The CRM files' fields: the sandbox's canonical columns, and the one table of the
headers other CRMs export under (Salesforce, HubSpot, Odoo) that the readers map onto
them.

Headers are matched without regard to case, spaces, underscores, hyphens or dots
(``"Close Date"``, ``"close_date"`` and ``"CloseDate"`` are one header), see
:func:`header_key`. The aliases are per file: ``"Created Date"`` is when a deal was
created in an opportunity export, but when the change was made in a history export
(Salesforce's OpportunityHistory).

Besides the canonical fields, a few *helper* fields are read when an export has no
``status`` column, to derive it: ``is_won`` and ``is_closed`` (Salesforce's IsWon and
IsClosed, HubSpot's "Is Closed Won" and "Is Deal Closed?") and ``active`` (Odoo, which
archives a lost deal).

Examples
--------
>>> header_key(" Close_Date ")
'closedate'
>>> field_of("Opportunity Owner", "opportunities")
'owner'
>>> field_of("Created Date", "history")
'timestamp'
>>> forecast_category_of("Best Case")
'best_case'
"""

from __future__ import annotations

import re

OPPORTUNITY_FIELDS = (
    "id", "name", "account", "owner", "stage", "amount", "probability", "forecast_category",
    "created", "expected_close", "closed_date", "status", "lost_reason", "lead_source",
)
"""The columns of ``opportunities.csv``, one row per deal, in order."""

HISTORY_FIELDS = ("opportunity_id", "timestamp", "stage", "amount", "expected_close",
                  "forecast_category")
"""The columns of ``history.csv``, one row per change of a deal, in order."""

HELPER_FIELDS = ("is_won", "is_closed", "active")
"""Opportunity fields read only to derive ``status`` when an export has none."""

REQUIRED = {
    "opportunities": ("id", "stage", "amount", "expected_close"),
    "history": ("opportunity_id", "timestamp", "stage"),
}
"""The fields a file must have (as a column); ``status`` may be derived (see the module)."""

DATE_FIELDS = ("created", "expected_close", "closed_date", "timestamp")
"""Fields read as dates (``timestamp`` keeps its time of day; the others are days)."""

STATUSES = ("tracking", "won", "lost")
"""A deal's status: open (tracking), won or lost, in the course's words."""

CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
"""Forecast categories (Salesforce's), as the sandbox writes them."""

CLOSED_WON, CLOSED_LOST = "Closed Won", "Closed Lost"
"""The stage a history gives a won and a lost deal (Salesforce's convention)."""

_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    # field: headers, the canonical name first; Salesforce (report labels, then API
    # names), HubSpot (labels, then internal names), Odoo (labels, then field names)
    "opportunities": {
        "id": ("id", "Opportunity ID", "Record ID", "Deal ID", "hs_object_id", "Lead ID"),
        "name": ("name", "Opportunity Name", "Deal Name", "dealname", "Opportunity"),
        "account": ("account", "Account Name", "AccountId", "Account", "Associated Company",
                    "Company Name", "Customer", "partner_id"),
        "owner": ("owner", "Opportunity Owner", "OwnerId", "Owner Name", "Deal owner",
                  "hubspot_owner_id", "Salesperson", "user_id"),
        "stage": ("stage", "StageName", "Deal Stage", "dealstage", "stage_id"),
        "amount": ("amount", "Amount (converted)", "Deal amount", "Expected Revenue",
                   "expected_revenue"),
        "probability": ("probability", "Probability (%)", "Deal probability",
                        "hs_deal_stage_probability", "Probability"),
        "forecast_category": ("forecast_category", "Forecast Category", "ForecastCategoryName",
                              "ForecastCategory", "hs_manual_forecast_category",
                              "Deal forecast category"),
        "created": ("created", "Created Date", "CreatedDate", "Create Date", "createdate",
                    "Created on", "create_date"),
        "expected_close": ("expected_close", "Close Date", "CloseDate", "closedate",
                           "Expected Closing", "date_deadline"),
        "closed_date": ("closed_date", "Closed Date", "Date Closed", "Closed on",
                        "date_closed", "hs_closed_date"),
        "status": ("status", "Deal Status", "Opportunity Status"),
        "lost_reason": ("lost_reason", "Loss Reason", "Reason Lost", "Closed lost reason",
                        "closed_lost_reason", "Lost Reason", "lost_reason_id"),
        "lead_source": ("lead_source", "LeadSource", "Original Source", "Original Source Type",
                        "hs_analytics_source", "Source", "source_id"),
        "is_won": ("is_won", "Won", "IsWon", "Is Closed Won", "hs_is_closed_won"),
        "is_closed": ("is_closed", "Closed", "IsClosed", "Is Deal Closed?", "hs_is_closed"),
        "active": ("active", "Active"),
    },
    "history": {
        "opportunity_id": ("opportunity_id", "Opportunity ID", "OpportunityId", "Record ID",
                           "Deal ID"),
        "timestamp": ("timestamp", "Created Date", "CreatedDate", "Last Modified Date",
                      "LastModifiedDate", "Edit Date", "Date", "Changed on", "Timestamp"),
        "stage": ("stage", "StageName", "To Stage", "Deal Stage", "dealstage", "stage_id"),
        "amount": ("amount", "Amount (converted)", "Deal amount"),
        "expected_close": ("expected_close", "Close Date", "CloseDate", "closedate",
                           "Expected Closing", "date_deadline"),
        "forecast_category": ("forecast_category", "Forecast Category", "ForecastCategory",
                              "ForecastCategoryName", "hs_manual_forecast_category"),
    },
}

_SEPARATORS = re.compile(r"[\s_\-.]+")


def header_key(header: str) -> str:
    """A header as the alias table compares it: case-folded, without spaces,
    underscores, hyphens or dots."""
    return _SEPARATORS.sub("", str(header)).casefold()


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields a ``kind`` of file (``"opportunities"`` or ``"history"``) may carry."""
    return tuple(_ALIASES[kind])


def aliases(kind: str, field: str) -> tuple[str, ...]:
    """The headers read as ``field`` in a ``kind`` of file, most preferred first."""
    return _ALIASES[kind][field]


_KEYS = {kind: {field: [header_key(h) for h in headers] for field, headers in table.items()}
         for kind, table in _ALIASES.items()}


def field_of(header: str, kind: str) -> str | None:
    """The field a header is read as in a ``kind`` of file, or None."""
    key = header_key(header)
    for field, keys in _KEYS[kind].items():
        if key in keys:
            return field
    return None


def match_headers(headers: list[str], kind: str) -> dict[str, int]:
    """Which column (by position) each field is read from, by the alias table.

    Where several columns name one field, the header earlier in the field's aliases
    wins (``"Amount"`` before ``"Amount (converted)"``); columns no alias names are
    ignored.
    """
    found: dict[str, tuple[int, int]] = {}  # field -> (rank of the alias, column)
    for col, header in enumerate(headers):
        key = header_key(header)
        for field, keys in _KEYS[kind].items():
            if key in keys:
                rank = keys.index(key)
                if field not in found or rank < found[field][0]:
                    found[field] = (rank, col)
                break
    return {field: col for field, (_, col) in found.items()}


_CATEGORY_WORDS = {
    "pipeline": "pipeline", "bestcase": "best_case", "upside": "best_case",
    "commit": "commit", "forecast": "commit",  # Salesforce's API name for Commit
    "closed": "closed", "closedwon": "closed", "won": "closed",
    "omitted": "omitted", "omit": "omitted", "notforecasted": "omitted",
    "closedlost": "omitted", "lost": "omitted",
}


def forecast_category_of(text: str) -> str | None:
    """The forecast category a CRM's word means (``"Best Case"``, ``"BestCase"``,
    ``"BEST_CASE"`` -> ``"best_case"``; Salesforce's API ``"Forecast"`` is Commit,
    HubSpot's ``"Not forecasted"`` is Omitted), or None for a word it does not know."""
    return _CATEGORY_WORDS.get(header_key(text))


_STATUS_WORDS = {
    "tracking": "tracking", "open": "tracking", "inprogress": "tracking",
    "won": "won", "closedwon": "won",
    "lost": "lost", "closedlost": "lost",
}


def status_of(text: str) -> str | None:
    """The status a word means (``"Open"`` -> ``"tracking"``, ``"Closed Won"`` ->
    ``"won"``), or None."""
    return _STATUS_WORDS.get(header_key(text))


def status_of_stage(stage: str) -> str:
    """The status a stage name implies where an export has no status: Salesforce's
    ``"Closed Won"``/``"Closed Lost"``, HubSpot's ``closedwon``/``closedlost`` (or
    ``"Closed won"``), Odoo's ``"Won"``; any other stage is open (``"tracking"``)."""
    key = header_key(stage)
    if key in ("closedwon", "won"):
        return "won"
    if key in ("closedlost", "lost"):
        return "lost"
    return "tracking"


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def flag_of(text: str) -> bool | None:
    """A yes/no cell (``true``/``false``, ``1``/``0``, ``yes``/``no``; blank is no), or
    None for anything else."""
    key = header_key(text)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None
