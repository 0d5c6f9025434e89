"""A scenario from a CRM export: ``funnel calibrate`` turns a manager's own history into
a commented TOML that ``funnel run`` accepts.

What is fitted, and from what (each figure's fit is reported in :attr:`Calibration.report`):

- **Stages**, in the order :func:`sim.crm.fit.stage_order` finds, each with its win rate
  ``P(win | reached stage)`` from the closed deals (the Beta posterior's mean), made
  non-decreasing down the funnel as the schema asks (pooling adjacent violators,
  weighted by the deals behind each rate).
- **Decision time** per stage, from the history's days in stage: a gamma with the stays'
  mean and coefficient of variation, less the rep's work time (``work_hours`` at
  ``hours_per_day``, which a CRM does not hold: the schema's defaults). A stay in the
  CRM also holds the time the deal waited for its rep; the simulated reps add their own
  queue to the decision time, so a busy calibrated team shows somewhat longer cycles.
- **Channels**: one inbound channel per lead source. A CRM export holds opportunities,
  not the leads before them, so each channel's arrivals *are* opportunities: its
  ``leads_per_week`` is the source's opportunities per week (created over the export's
  span), its ``lead_quality`` 1, and ``leads.verify_hours`` 0, so that every arrival
  becomes an opportunity at once without rep time. The deal size is a lognormal with
  the source's mean and coefficient of variation (fitted on the logs of the amounts),
  with its Kolmogorov-Smirnov distance as the goodness of fit.
- **Team**: one member per owner, by name.
- **Lost reasons**: the weights of the reasons the file gives, where they read as
  competitor, budget or no decision.

Everything else keeps the schema's defaults (listed in :attr:`Calibration.fallbacks`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.crm.fit import LOST, WON, PipelineFit, fit_pipeline
from sim.crm.stress import as_of
from sim.rules.calendar import to_day
from sim.scenario.files import parse_scenario
from sim.scenario.schema import InboundChannel, Scenario, Stage, Team

WORK_HOURS = Stage.model_fields["work_hours"].default
HOURS_PER_DAY = Team.model_fields["hours_per_day"].default
MIN_DECISION_DAYS = 0.5
"""The shortest mean decision time written: a stay shorter than the rep's work leaves
this much for the customer."""
DEFAULT_CV = 0.6
"""The coefficient of variation used where one cannot be fitted (fewer than two values)."""
CV_RANGE = (0.05, 5.0)

_MEDIA = (("video", r"video|youtube|webinar"),  # before "web"
          ("social", r"social|linkedin|facebook|twitter|instagram"),
          ("newsletter", r"newsletter|e-?mail"),
          ("search", r"search|web|seo|google|site|organic|inbound"))
_REASONS = (("competitor", r"compet|rival|lost to"),
            ("no_budget", r"budget|price|cost|fund|money|expensive"),
            ("no_decision", r"decision|timing|stall|no response|unresponsive|dark|hold"))


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` made.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    text : str
        Its commented TOML (what ``funnel calibrate`` writes).
    fit : PipelineFit
        The funnel fit behind the stages.
    report : DataFrame
        How well each part fits: ``part``, ``item``, ``n``, ``value``, ``fit``
        (an interval or a goodness-of-fit figure), ``note``.
    fallbacks : tuple of str
        The fields left at their defaults, or set without data, and why.
    """

    scenario: Scenario
    text: str
    fit: PipelineFit
    report: pd.DataFrame
    fallbacks: tuple[str, ...] = field(default=())


def calibrate(opportunities: pd.DataFrame, history: pd.DataFrame | None = None, *,
              name: str = "calibrated", source: str = "<crm export>") -> Calibration:
    """Fit a scenario to a CRM export (see the module's notes).

    Parameters
    ----------
    opportunities, history : DataFrame
        The canonical frames of :mod:`sim.crm.reader` (history optional: without it the
        stage order comes from the probabilities and decision times keep their defaults).
    name : str
        The scenario's name.
    source : str
        Names the export in the scenario's description and in errors.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        When the export has no deals or no funnel stage.
    ScenarioError
        If the scenario made breaks a rule of the schema (it is validated before it is
        returned).
    """
    if len(opportunities) == 0:
        raise ValueError("the file has no deals to calibrate from")
    fit = fit_pipeline(opportunities, history)
    if not fit.stages:
        raise ValueError("no funnel stage found: every stage holds only closed deals")
    rows: list[dict] = []
    fallbacks: list[str] = []
    stages = _stages(fit, rows, fallbacks, history is not None)
    day = as_of(opportunities, history)
    channels = _channels(opportunities, day, rows, fallbacks)
    owners = [str(o) for o in pd.unique(opportunities["owner"].dropna()) if str(o).strip()]
    rows.append({"part": "team", "item": "reps", "n": len(owners), "value": len(owners),
                 "fit": "", "note": "one member per owner"})
    if not owners:
        fallbacks.append("team: no owner in the file; 5 reps (the default)")
    reasons = _lost_reasons(opportunities, rows, fallbacks)
    fallbacks += [
        f"stages.work_hours: {WORK_HOURS:g} hours per stage (the default; a CRM does not "
        "record rep time)",
        f"team.hours_per_day: {HOURS_PER_DAY:g} (the default)",
        "stages.rot_days, channels' cost, strategic and contract shares, after-sale, "
        "payments, policy (fifo), forecast: the defaults",
    ]
    text = _toml(name, source, day, fit, stages, channels, owners, reasons, fallbacks)
    scenario = parse_scenario(text, source=f"the scenario calibrated from {source}")
    return Calibration(scenario, text, fit, pd.DataFrame(rows), tuple(fallbacks))


# -- the parts -----------------------------------------------------------------------------

def _stages(fit: PipelineFit, rows, fallbacks, has_history: bool) -> list[dict]:
    t = fit.table
    rates = t["win_rate"].to_numpy(float).copy()
    weight = t["reached"].to_numpy(float).copy()
    for i in np.flatnonzero(np.isnan(rates)):
        prob = t["probability"].iloc[i]
        rates[i] = prob if prob == prob else Stage.model_fields["win_rate"].default
        weight[i] = 1.0
        fallbacks.append(f"stages[{i}].win_rate ('{t['stage'].iloc[i]}'): no closed deal "
                         "reached it; "
                         + ("the file's probability" if prob == prob else "the default"))
    monotone = pool_adjacent_violators(rates, np.maximum(weight, 1.0))
    out = []
    work_days = WORK_HOURS / HOURS_PER_DAY
    for i, row in t.iterrows():
        width = row["win_high"] - row["win_low"]
        rows.append({"part": "win rate", "item": row["stage"], "n": int(row["reached"]),
                     "value": round(float(monotone[i]), 4),
                     "fit": f"95% interval [{row['win_low']:.2f}, {row['win_high']:.2f}] "
                            f"(width {width:.2f})" if width == width else "no data",
                     "note": "; ".join(
                         n for n, on in (("small sample", row["win_small"]),
                                         ("pooled with a neighbour to rise down the funnel",
                                          abs(monotone[i] - rates[i]) > 1e-9)) if on)})
        decision = None
        if row["stays"] >= 2:
            mean = max(float(row["days_mean"]) - work_days, MIN_DECISION_DAYS)
            cv = float(np.clip(row["days_sd"] / mean, *CV_RANGE))  # the spread stays
            decision = {"dist": "gamma", "mean": round(mean, 2), "cv": round(cv, 3)}
            rows.append({"part": "days in stage", "item": row["stage"], "n": int(row["stays"]),
                         "value": round(float(row["days_mean"]), 2),
                         "fit": f"mean's 95% interval [{row['days_low']:.1f}, "
                                f"{row['days_high']:.1f}] days",
                         "note": "small sample" if row["days_small"] else ""})
        else:
            fallbacks.append(f"stages[{i}].decision_days ('{row['stage']}'): "
                             + ("fewer than two finished stays in the history"
                                if has_history else "no history given")
                             + "; the default (gamma, mean 10 days, cv 0.5)")
        out.append({"name": str(row["stage"]), "win_rate": round(float(monotone[i]), 4),
                    "decision_days": decision, "n": int(row["reached"])})
    return out


def pool_adjacent_violators(values, weights) -> np.ndarray:
    """The non-decreasing sequence closest to ``values`` in weighted least squares
    (pool adjacent violators).

    >>> pool_adjacent_violators([0.2, 0.5, 0.4, 0.8], [1, 1, 1, 1]).round(2).tolist()
    [0.2, 0.45, 0.45, 0.8]
    """
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(np.asarray(values, float), np.asarray(weights, float), strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(c, v) for v, _, c in blocks])


def _channels(opportunities, day, rows, fallbacks) -> list[dict]:
    created = opportunities["created"]
    first = created.min()
    weeks = to_day(first, day) / 7 if not pd.isna(first) else math.nan
    if not weeks > 0:
        weeks = math.nan
        fallbacks.append("channels' leads_per_week: the file spans no time (one creation "
                         "date); 10 per week (the default)")
    source = opportunities["lead_source"].fillna("").astype(str).str.strip()
    source = source.where(source != "", "Unknown source")
    out = []
    for name, deals in opportunities.groupby(source, sort=True):
        n = len(deals)
        rate = n / weeks if weeks == weeks else InboundChannel.model_fields[
            "leads_per_week"].default
        half = 1.96 * math.sqrt(n) / weeks if weeks == weeks else math.nan
        rows.append({"part": "arrivals per week", "item": name, "n": n,
                     "value": round(rate, 3),
                     "fit": f"95% interval +-{half:.2f} (Poisson)" if half == half else "",
                     "note": f"over {weeks:.1f} weeks" if weeks == weeks else ""})
        amounts = deals["amount"].to_numpy(float)
        amounts = amounts[np.isfinite(amounts) & (amounts > 0)]
        size = None
        if len(amounts) >= 2 and np.log(amounts).std() > 0:
            logs = np.log(amounts)
            mu, s = float(logs.mean()), float(logs.std(ddof=1))
            mean, cv = math.exp(mu + s * s / 2), math.sqrt(math.expm1(s * s))
            cv = float(np.clip(cv, *CV_RANGE))
            size = {"dist": "lognormal", "mean": round(mean, 2), "cv": round(cv, 3)}
            rows.append({"part": "deal size", "item": name, "n": len(amounts),
                         "value": round(mean, 2),
                         "fit": f"cv {cv:.2f}; Kolmogorov-Smirnov distance "
                                f"{ks_lognormal(amounts, mu, s):.3f}",
                         "note": "small sample" if len(amounts) < 20 else ""})
        elif len(amounts):
            size = {"dist": "lognormal", "mean": round(float(amounts.mean()), 2),
                    "cv": DEFAULT_CV}
            fallbacks.append(f"channel '{name}' deal_size.cv: fewer than two distinct "
                             f"amounts; {DEFAULT_CV}")
        else:
            fallbacks.append(f"channel '{name}' deal_size: no amount; the default")
        out.append({"name": str(name), "medium": medium_of(str(name)),
                    "leads_per_week": round(rate, 4), "deal_size": size, "n": n})
    return out


def medium_of(source: str) -> str:
    """The inbound medium a lead source reads as (``other_media`` when none does).

    >>> medium_of("Web"), medium_of("LinkedIn"), medium_of("Trade Show")
    ('search', 'social', 'other_media')
    """
    for medium, pattern in _MEDIA:
        if re.search(pattern, source, re.IGNORECASE):
            return medium
    return "other_media"


def ks_lognormal(values, mu: float, sigma: float) -> float:
    """Kolmogorov-Smirnov distance between the values' empirical distribution and the
    lognormal ``(mu, sigma)`` of their logs: 0 is a perfect fit; for ``n`` values from
    that law it stays below ``1.36 / sqrt(n)`` in 95% of samples."""
    x = np.sort(np.log(np.asarray(values, float)))
    n = len(x)
    cdf = np.array([0.5 * math.erfc(-(v - mu) / (sigma * math.sqrt(2))) for v in x])
    i = np.arange(1, n + 1)
    return float(max((i / n - cdf).max(), (cdf - (i - 1) / n).max()))


def _lost_reasons(opportunities, rows, fallbacks) -> dict | None:
    lost = opportunities.loc[opportunities["status"] == LOST, "lost_reason"].dropna()
    counts = dict.fromkeys((r for r, _ in _REASONS), 0)
    for text in lost.astype(str):
        for reason, pattern in _REASONS:
            if re.search(pattern, text, re.IGNORECASE):
                counts[reason] += 1
                break
    total = sum(counts.values())
    if total == 0:
        fallbacks.append("opportunities.lost_reasons: no lost reason reads as competitor, "
                         "budget or no decision; the defaults")
        return None
    rows.append({"part": "lost reasons", "item": ", ".join(f"{k} {v}" for k, v in
                                                           counts.items()),
                 "n": total, "value": total, "fit": "",
                 "note": f"{len(lost) - total} reason(s) not recognised"
                 if len(lost) > total else ""})
    return {k: v for k, v in counts.items() if v} or None


# -- the TOML ------------------------------------------------------------------------------

def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _dist(d: dict) -> str:
    return "{ " + ", ".join(f"{k} = {_s(v) if isinstance(v, str) else v}"
                            for k, v in d.items()) + " }"


def _toml(name, source, day, fit, stages, channels, owners, reasons, fallbacks) -> str:
    won = int((fit.paths["status"] == WON).sum())
    lines = [
        f"# Calibrated by `funnel calibrate` from {source} (data up to {day:%Y-%m-%d}).",
        f"# {len(fit.paths)} closed deals ({won} won) gave the win rates; stage order from "
        f"the {fit.order_from}.",
        "# Fields the export cannot tell keep the schema's defaults:",
        *(f"#   - {f}" for f in fallbacks),
        "",
        f"name = {_s(name)}",
        f"description = {_s(f'Calibrated from {source}')}",
        f"start_date = {day:%Y-%m-%d}",
        "",
        "# Arrivals are opportunities (a CRM export holds no leads before them): each",
        "# arrival qualifies at once, without rep time.",
        "[leads]",
        "verify_hours = 0",
        "",
    ]
    for ch in channels:
        lines += [f"# lead source {ch['name']!r}: {ch['n']} opportunities",
                  "[[channels]]", 'kind = "inbound"', f"name = {_s(ch['name'])}",
                  f"medium = {_s(ch['medium'])}", f"leads_per_week = {ch['leads_per_week']}",
                  "lead_quality = 1.0", "cost_per_month = 0"]
        if ch["deal_size"] is not None:
            lines.append(f"deal_size = {_dist(ch['deal_size'])}")
        lines.append("")
    for st in stages:
        lines += [f"# win rate from {st['n']} closed deals that reached this stage",
                  "[[stages]]", f"name = {_s(st['name'])}", f"win_rate = {st['win_rate']}"]
        if st["decision_days"] is not None:
            lines.append(f"decision_days = {_dist(st['decision_days'])}   # days in stage, "
                         "less the rep's work")
        lines.append("")
    if reasons:
        lines += ["[opportunities]",
                  "lost_reasons = { " + ", ".join(f"{k} = {v}" for k, v in reasons.items())
                  + " }", ""]
    if owners:
        lines += ["# one rep per owner in the file", "[team]", f"reps = {len(owners)}", ""]
        for o in owners:
            lines += ["[[team.members]]", f"name = {_s(o)}", ""]
    return "\n".join(lines)
