"""The stress test's files under ``funnel stress --out DIR``: ``report.html`` (the figure
and the tables, one self-contained page in the run report's style, in English or Chinese:
``--lang``), ``stress.json`` (the figures, as ``--json`` prints them) and ``deals.csv``
(every deal in the period with its chance and share of the variance).

The files are written all or nothing, through a hidden staging folder beside the target
(:func:`sim.presentation.output.write_folder`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from sim.presentation.i18n import current, known, using
from sim.presentation.i18n import text as _
from sim.presentation.output import write_folder
from sim.presentation.page import html_page
from sim.presentation.plots.stress import stress_chart
from sim.presentation.report import CSS, _cols, _esc, _figure, _table, _why
from sim.rules.calendar import to_date

FIGURES = [("expected", "Expected bookings (mean of the draws)"),
           ("weighted_forecast", "Weighted forecast: booked + Σ amount × chance"),
           ("p10", "P10: a bad period (one draw in ten books less)"),
           ("p50", "P50: the median"),
           ("p90", "P90: a good period (one draw in ten books more)"),
           ("p_quota", "Chance to reach the quota")]
"""Each figure of the stress test and its label (English; the page shows its language)."""

DEALS_COLUMNS = {"name": ("Deal", "text"), "owner": ("Owner", "text"),
                 "stage": ("Stage", "text"), "amount": ("Amount", "money"),
                 "chance": ("Chance to book", "pct"),
                 "variance_share": ("Share of the variance", "pct")}
HISTORY_COLUMNS = {"stage": ("Stage", "text"), "reached": ("Closed deals", "int"),
                   "win_rate": ("Win rate", "pct"), "win_low": ("from", "pct"),
                   "win_high": ("to", "pct"), "days_mean": ("Days in stage", "float"),
                   "expected": ("Expected in past periods", "int"),
                   "slip_rate": ("Slipped", "pct")}
NOT_REACHED = "no closed deal reached the stage"
HISTORY_UNDEFINED = {"win_rate": NOT_REACHED, "win_low": NOT_REACHED, "win_high": NOT_REACHED,
                     "days_mean": "no finished stay in the history",
                     "slip_rate": "no deal expected in a past period"}
"""The tables' columns and why a value can be undefined (English, as :data:`FIGURES`)."""

NOTES = (
    "{n} open deal(s) expected to close before {date} (overdue) left out: re-date them to "
    "count them",
    "{n} open deal(s) without an expected close left out",
    "{n} open deal(s) expected to close after the period",
    "{n} deal(s) without a probability use their stage's win rate from the closed deals",
    "{n} deal(s) in a stage no closed deal reached keep the file's probability",
    "slip: stage(s) {stages} had no deal expected in a past period; they use the slip of all "
    "stages together",
    "slip: no past period in the history to measure it; deals do not slip",
)
"""The notes :func:`sim.crm.stress.stress_pipeline` gives, as templates: a note that
matches one is shown in the page's language; any other as it came."""



def _figures_table(result) -> pd.DataFrame:
    rows = []
    for key, label in FIGURES:
        row = {"figure": _(label), "base": getattr(result.base, key)}
        if result.shifted is not None:
            row["shifted"] = getattr(result.shifted, key)
        rows.append(row)
    return pd.DataFrame(rows)


def build_stress_report(result, source: str, lang: str | None = None) -> str:
    """The stress test of ``source`` (the pipeline file) as one HTML page, in ``lang``
    ("en" or "zh"; default: the enclosing :func:`~sim.presentation.i18n.using` block's
    language, else English): its text, its figure's labels and its ``<html lang>``."""
    with using(lang or current()) as lang:
        return _page(result, source, lang)


def _page(result, source: str, lang: str) -> str:
    figures = _figures_table(result)
    money = figures.iloc[:-1]
    cols = {"figure": (_("Figure"), "text"), "base": (_("As given"), "money")}
    if result.shifted is not None:
        cols["shifted"] = (_("Win rates {shift} points", shift=f"{result.shift * 100:+.0f}"),
                           "money")
    pct_cols = {k: (t, "pct" if k != "figure" else "text") for k, (t, _k) in cols.items()}
    deals = result.deals
    title = _("Stress test: {name}", name=_esc(Path(source).name))
    parts = [
        f"<h1>{title}</h1>",
        '<p class="lead">' + _(
            "{n} open deals expected to close from {start} to {end}; {draws} Monte Carlo "
            "draws (seed {seed}). Already won in the period: {booked}. Made {today}.",
            n=f"{len(deals):,}", start=f"{result.start:%Y-%m-%d}",
            end=f"{to_date(result.end, -1):%Y-%m-%d}", draws=f"{result.draws:,}",
            seed=result.seed, booked=f"{result.booked:,.0f}", today=dt.date.today()) + "</p>",
        _figure(stress_chart(result), _("Distribution of the period's bookings")),
        f"<h2>{_esc(_('Figures'))}</h2>",
        _table(money, cols, "", scope=_("Bookings of the period: won so far plus the draws "
                                        "over the open deals."), empty=_("no figures")),
        _table(figures.iloc[-1:], pct_cols, "", scope=_("Share of draws reaching the quota."),
               empty=_("no quota"), na=_why({"base": "no quota given",
                                             "shifted": "no quota given"})),
        '<p class="note">' + _("Monte Carlo error of the expected bookings: {error}.",
                               error=f"{result.base.mc_error:,.0f}") + "</p>",
        f"<h2>{_esc(_('The deals that carry the risk'))}</h2>",
        _table(deals, _cols(DEALS_COLUMNS), "",
               scope=_("Open deals expected in the period, largest share of the variance "
                       "(amount² × p × (1 - p)) first."),
               empty=_("no open deal is expected to close in the period"), limit=25),
    ]
    if result.fit is not None:
        parts += [f"<h2>{_esc(_('What the history says'))}</h2>",
                  _table(result.fit.table, _cols(HISTORY_COLUMNS), "",
                         scope=_("Stages in funnel order; rates are Beta posteriors (uniform "
                                 "prior) with their 95% interval."),
                         empty=_("no stage"), na=_why(HISTORY_UNDEFINED))]
    if result.notes:
        parts += [f"<h2>{_esc(_('Notes'))}</h2>"] + [f'<p class="note">{_esc(known(n, NOTES))}</p>'
                                                     for n in result.notes]
    return html_page(title, "".join(parts), CSS, lang)


def write_stress(result, out: str | Path, source: str, lang: str | None = None) -> list[Path]:
    """Write ``report.html`` (in ``lang``, as :func:`build_stress_report`), ``stress.json``
    and ``deals.csv`` into ``out`` (new or empty), all or nothing; returns the files
    written."""
    out = Path(out)
    page = build_stress_report(result, source, lang)
    contents = {
        "report.html": page,
        "stress.json": json.dumps(result.as_dict(top=len(result.deals)), indent=2) + "\n",
        "deals.csv": result.deals.to_csv(index=False, date_format="%Y-%m-%d"),
    }
    return write_folder(out, {name: (lambda fh, text=text: fh.write(text))
                              for name, text in contents.items()})
