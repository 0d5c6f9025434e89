"""The stress test's files under ``funnel stress --out DIR``: ``report.html`` (the figure
and the tables, one self-contained page in the run report's style), ``stress.json`` (the
figures, as ``--json`` prints them) and ``deals.csv`` (every deal in the period with its
chance and share of the variance).

The files are written all or nothing, through a hidden staging folder beside the target
(:func:`sim.presentation.output.write_folder`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from sim.presentation.output import write_folder
from sim.presentation.plots.stress import stress_chart
from sim.presentation.report import CSS, _esc, _figure, _table
from sim.rules.calendar import to_date

FIGURES = [("expected", "Expected bookings (mean of the draws)"),
           ("weighted_forecast", "Weighted forecast: booked + Σ amount × chance"),
           ("p10", "P10: a bad period (one draw in ten books less)"),
           ("p50", "P50: the median"),
           ("p90", "P90: a good period (one draw in ten books more)"),
           ("p_quota", "Chance to reach the quota")]


def _figures_table(result) -> pd.DataFrame:
    rows = []
    for key, label in FIGURES:
        row = {"figure": label, "base": getattr(result.base, key)}
        if result.shifted is not None:
            row["shifted"] = getattr(result.shifted, key)
        rows.append(row)
    return pd.DataFrame(rows)


def build_stress_report(result, source: str) -> str:
    """The stress test of ``source`` (the pipeline file) as one HTML page."""
    figures = _figures_table(result)
    money = figures.iloc[:-1]
    cols = {"figure": ("Figure", "text"), "base": ("As given", "money")}
    if result.shifted is not None:
        cols["shifted"] = (f"Win rates {result.shift * 100:+.0f} points", "money")
    pct_cols = {k: (t, "pct" if k != "figure" else "text") for k, (t, _) in cols.items()}
    period = f"{result.start:%Y-%m-%d} to {to_date(result.end, -1):%Y-%m-%d}"
    deals = result.deals
    parts = [
        f"<h1>Stress test: {_esc(Path(source).name)}</h1>",
        f'<p class="lead">{len(deals):,} open deals expected to close from {_esc(period)}; '
        f"{result.draws:,} Monte Carlo draws (seed {result.seed}). Already won in the "
        f"period: {result.booked:,.0f}. Made {dt.date.today()}.</p>",
        _figure(stress_chart(result), "Distribution of the period's bookings"),
        "<h2>Figures</h2>",
        _table(money, cols, "", scope="Bookings of the period: won so far plus the draws "
               "over the open deals.", empty="no figures"),
        _table(figures.iloc[-1:], pct_cols, "", scope="Share of draws reaching the quota.",
               empty="no quota", na={"base": "no quota given", "shifted": "no quota given"}),
        f'<p class="note">Monte Carlo error of the expected bookings: '
        f"{result.base.mc_error:,.0f}.</p>",
        "<h2>The deals that carry the risk</h2>",
        _table(deals, {"name": ("Deal", "text"), "owner": ("Owner", "text"),
                       "stage": ("Stage", "text"), "amount": ("Amount", "money"),
                       "chance": ("Chance to book", "pct"),
                       "variance_share": ("Share of the variance", "pct")}, "",
               scope="Open deals expected in the period, largest share of the variance "
                     "(amount² × p × (1 - p)) first.",
               empty="no open deal is expected to close in the period", limit=25),
    ]
    if result.fit is not None:
        parts += ["<h2>What the history says</h2>",
                  _table(result.fit.table, {
                      "stage": ("Stage", "text"), "reached": ("Closed deals", "int"),
                      "win_rate": ("Win rate", "pct"), "win_low": ("from", "pct"),
                      "win_high": ("to", "pct"), "days_mean": ("Days in stage", "float"),
                      "expected": ("Expected in past periods", "int"),
                      "slip_rate": ("Slipped", "pct")}, "",
                      scope="Stages in funnel order; rates are Beta posteriors (uniform "
                            "prior) with their 95% interval.",
                      empty="no stage",
                      na={"win_rate": "no closed deal reached the stage",
                          "win_low": "no closed deal reached the stage",
                          "win_high": "no closed deal reached the stage",
                          "days_mean": "no finished stay in the history",
                          "slip_rate": "no deal expected in a past period"})]
    if result.notes:
        parts += ["<h2>Notes</h2>"] + [f'<p class="note">{_esc(n)}</p>' for n in result.notes]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Stress test: {_esc(Path(source).name)}</title><style>{CSS}</style>"
            f"</head><body>{''.join(parts)}</body></html>\n")


def write_stress(result, out: str | Path, source: str) -> list[Path]:
    """Write ``report.html``, ``stress.json`` and ``deals.csv`` into ``out`` (new or
    empty), all or nothing; returns the files written."""
    out = Path(out)
    page = build_stress_report(result, source)
    contents = {
        "report.html": page,
        "stress.json": json.dumps(result.as_dict(top=len(result.deals)), indent=2) + "\n",
        "deals.csv": result.deals.to_csv(index=False, date_format="%Y-%m-%d"),
    }
    return write_folder(out, {name: (lambda fh, text=text: fh.write(text))
                              for name, text in contents.items()})
