"""Leads of a run: how fast they were answered and what became of them (speed to lead).

A lead (销售线索) is unverified sales information; a rep's first contact verifies it, and
the longer it waited, the smaller its chance to qualify as an opportunity (the engine's
speed-to-lead rule, after HBR 2011, "The Short Life of Online Sales Leads"). A lead nobody
answered within ``leads.expiry_days`` expires.

Pure functions of a run's ``leads`` table, over the leads *created* in the results period
``[0, horizon_days)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.calendar import in_period

RESPONSE_BANDS_HOURS = (1.0, 4.0, 24.0)
"""Upper edges of the response-time bands (hours to the first contact): within an hour,
1 to 4 hours, 4 to 24 hours, over a day: the bands the HBR study compares."""

BAND_NAMES = ("within 1 hour", "1 to 4 hours", "4 to 24 hours", "over a day",
              "never answered")
"""The bands' names, fastest first; "never answered" holds the leads that expired (or were
still waiting at the end of the run)."""


def results_leads(result) -> pd.DataFrame:
    """The leads created in the results period (the warm-up's left out)."""
    leads = result.leads
    return leads[in_period(leads["created_day"], result.scenario.horizon_days)]


def response_hours(leads: pd.DataFrame) -> np.ndarray:
    """Hours each lead waited for a rep's first contact; NaN for a lead never answered
    (expired, or still waiting at the end of the run). A lead verified on arrival, with
    no rep time (``leads.verify_hours = 0``), waited 0 hours."""
    hours = leads["response_hours"].to_numpy(dtype=float)
    verified = leads["status"].isin(["qualified", "disqualified"]).to_numpy()
    return np.where(np.isnan(hours) & verified, 0.0, hours)


def speed_to_lead(result, edges_hours=RESPONSE_BANDS_HOURS) -> pd.DataFrame:
    """The leads of the results period by how long they waited for a rep's first contact.

    Parameters
    ----------
    result : RunResult
    edges_hours : sequence of float
        Upper edges of the bands, rising (default :data:`RESPONSE_BANDS_HOURS`, whose
        bands are named :data:`BAND_NAMES`; other edges give names like "4-24 h").

    Returns
    -------
    DataFrame
        One row per band, fastest first, then "never answered": ``band``, ``leads``,
        ``opportunities`` (those that became one) and ``share`` (opportunities / leads,
        NaN for an empty band). Every lead of the period is in exactly one row.
    """
    edges = [float(e) for e in edges_hours]
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or not edges or edges[0] <= 0:
        raise ValueError(f"edges_hours must rise from above 0; got {edges_hours!r}")
    if tuple(edges) == RESPONSE_BANDS_HOURS:
        names = list(BAND_NAMES)
    else:
        bounds = [0.0, *edges]
        names = [f"{a:g}-{b:g} h" for a, b in zip(bounds, bounds[1:], strict=False)]
        names += [f"over {edges[-1]:g} h", BAND_NAMES[-1]]
    leads = results_leads(result)
    hours = response_hours(leads)
    band = np.where(np.isnan(hours), len(edges) + 1,
                    np.searchsorted(edges, np.nan_to_num(hours), side="left"))
    became = leads["opportunity_id"].notna().to_numpy()
    counts = np.bincount(band, minlength=len(names))
    opps = np.bincount(band, weights=became, minlength=len(names)).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(counts > 0, opps / np.maximum(counts, 1), np.nan)
    return pd.DataFrame({"band": names, "leads": counts, "opportunities": opps,
                         "share": share})


def response_summary(result) -> dict[str, float]:
    """How quickly the leads of the results period were answered.

    Returns
    -------
    dict
        ``leads``, ``median_response_hours`` (of the leads answered; NaN if none was),
        ``answered_within_hour`` (share of all leads), ``never_answered`` (share of all
        leads: expired, or still waiting at the end) and ``lead_to_opportunity``
        (share of all leads that became opportunities); shares are NaN without leads.
    """
    leads = results_leads(result)
    hours = response_hours(leads)
    n = len(hours)
    answered = hours[~np.isnan(hours)]
    share = (lambda k: k / n) if n else (lambda k: np.nan)
    return {"leads": n,
            "median_response_hours": float(np.median(answered)) if len(answered) else np.nan,
            "answered_within_hour": share(float(np.sum(answered <= RESPONSE_BANDS_HOURS[0]))),
            "never_answered": share(float(n - len(answered))),
            "lead_to_opportunity": share(float(leads["opportunity_id"].notna().sum()))}
