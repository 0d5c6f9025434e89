"""The run report: one self-contained HTML file a sales manager can read without help.

Figures are embedded as PNG data, styles are inline, and nothing is fetched from the
network. The report holds the KPIs, the opportunity view, the forecast, the
diagnostics, the money after the win, and the scenario that produced it all.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from pathlib import Path

import pandas as pd

from sim.analysis import cash, diagnostics, forecast, views
from sim.presentation import plots
from sim.rules.calendar import last_date
from sim.scenario.files import to_toml

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "WenQuanYi Zen Hei", sans-serif; margin: 2rem auto; max-width: 1200px;
       color: #1b1b1b; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 2rem; margin-bottom: .2rem; }
h2 { font-size: 1.5rem; border-bottom: 3px solid #0072B2; padding-bottom: .2rem;
     margin-top: 2.5rem; }
h3 { font-size: 1.15rem; margin-top: 1.5rem; }
p.lead { color: #444; margin-top: 0; }
p.note { color: #555; font-size: .95rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f2f6fa; }
td.text, th.text { text-align: left; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
        gap: .6rem; }
.kpi { background: #f2f6fa; border-radius: 8px; padding: .6rem .8rem; }
.kpi .v { font-size: 1.5rem; font-weight: 600; }
.kpi .k { color: #444; font-size: .9rem; }
.warn { background: #fff4e5; border-left: 5px solid #E69F00; padding: .5rem .8rem; }
.ok { background: #eef8f0; border-left: 5px solid #009E73; padding: .5rem .8rem; }
img { max-width: 100%; height: auto; margin: .5rem 0 1rem; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; font-size: .85rem; }
nav a { margin-right: 1rem; }
"""

SECTIONS = [("kpis", "Headline figures"), ("view", "Opportunity view"),
            ("forecast", "Forecast"), ("diagnostics", "Diagnostics"),
            ("money", "After the win: contracts, invoices and cash"),
            ("scenario", "Scenario used")]


# -- small HTML helpers -------------------------------------------------------------------

def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _fmt(value, kind: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "money":
        return plots.format_money(float(value), currency)
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "pct100":
        return f"{value:+.1f}%"
    if kind == "days":
        return f"{value:,.0f} days"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "bool":
        return "yes" if value else ""
    return str(value)


def _table(df: pd.DataFrame, columns: dict[str, tuple[str, str]], currency: str,
           limit: int | None = None) -> str:
    """An HTML table of ``columns`` = {column: (heading, kind)}."""
    if df is None or len(df) == 0:
        return '<p class="note">Nothing to show.</p>'
    rows = df.head(limit) if limit else df
    head = "".join(
        f'<th class="{"text" if kind == "text" else ""}">{_esc(title)}</th>'
        for title, kind in columns.values())
    body = []
    for _, row in rows.iterrows():
        cells = "".join(
            f'<td class="{"text" if kind == "text" else ""}">'
            f"{_esc(_fmt(row[col], kind, currency))}</td>"
            for col, (_, kind) in columns.items())
        body.append(f"<tr>{cells}</tr>")
    more = (f'<p class="note">Showing {limit} of {len(df):,} rows; the CSV files hold '
            "them all.</p>" if limit and len(df) > limit else "")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def _figure(fig, alt: str) -> str:
    data = base64.b64encode(plots.to_png_bytes(fig)).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


# -- the sections ---------------------------------------------------------------------------

KPI_LABELS = [
    ("leads", "Leads", "int"), ("opportunities", "Opportunities", "int"),
    ("lead_to_opportunity_rate", "Leads that became opportunities", "pct"),
    ("won", "Deals won", "int"), ("lost", "Deals lost", "int"),
    ("win_rate", "Win rate", "pct"), ("open", "Open (tracking) at the end", "int"),
    ("bookings", "Bookings", "money"), ("billings", "Billings (invoiced)", "money"),
    ("cash_collected", "Cash collected", "money"), ("dso_days", "Days sales outstanding", "days"),
    ("receivables_overdue", "Receivables overdue", "money"),
    ("avg_deal_size", "Average deal size", "money"),
    ("avg_cycle_days", "Average sales cycle", "days"),
    ("lost_to_neglect", "Deals lost to neglect", "int"),
    ("rep_utilization", "Rep utilisation", "pct"),
    ("bookings_cv_quarter", "Bookings swing per quarter (CV)", "float"),
]


def _kpis(result, k: dict) -> str:
    cur = result.scenario.currency
    cards = "".join(
        f'<div class="kpi"><div class="v">{_esc(_fmt(k[key], kind, cur))}</div>'
        f'<div class="k">{_esc(label)}</div></div>' for key, label, kind in KPI_LABELS)
    return (f'<div class="kpis">{cards}</div>'
            '<p class="note">Counts of leads and opportunities are those created in the '
            "period; won, lost, bookings and the win rate count deals closed in it.</p>"
            + _figure(plots.bookings_chart(result, result.scenario.forecast.period),
                      "Bookings per period"))


def _view(result) -> str:
    sc = result.scenario
    cur = sc.currency
    fun = views.funnel(result)
    out = ["<p class=\"lead\">What a CRM's opportunity view shows at the end of the period. "
           "The funnel counts only opportunities still in <em>tracking</em> status: won and "
           "lost deals have left it.</p>",
           _figure(plots.funnel_chart(result), "Funnel by count and amount"),
           _table(fun, {"stage": ("Stage", "text"), "count": ("Open deals", "int"),
                        "amount": ("Amount", "money"),
                        "weighted_amount": ("Weighted amount", "money"),
                        "win_rate": ("Stage win rate", "pct"),
                        "rotting": ("Rotting", "int")}, cur),
           "<h3>The pipeline over time</h3>",
           _figure(plots.pipeline_chart(result), "Open deals per stage over time"),
           "<h3>Miller Heiman levels over time</h3>",
           "<p class=\"note\">Above the Funnel: unverified leads. In the Funnel: verified "
           "opportunities. Best Few: likely to close soon. Orders: won, hand-over pending. "
           "A shrinking Above-the-Funnel stock warns of a bookings slump about one sales "
           "cycle later.</p>",
           _figure(plots.levels_chart(result), "Miller Heiman level stock over time"),
           "<h3>Where the reps' time went</h3>",
           _figure(plots.time_by_level_chart(result), "Rep time by level")]
    lst = views.opportunity_list(result)
    open_deals = lst[lst["status"] == "tracking"]
    out += ["<h3>Open opportunities, by expected close</h3>",
            _table(open_deals, {
                "subject": ("Subject", "text"), "customer": ("Customer", "text"),
                "priority": ("Priority", "text"), "star": ("Star", "bool"),
                "type": ("Type", "text"), "owner": ("Owner", "text"),
                "expected_close": ("Expected close", "date"), "stage": ("Stage", "text"),
                "amount": ("Amount", "money"), "level": ("Level", "text"),
                "days_in_stage": ("Days in stage", "int"), "rotting": ("Rotting", "bool")},
                cur, limit=40)]
    for by, title in [("type", "By type"), ("kind", "Contracts and orders"),
                      ("channel", "By channel"), ("status", "By status"),
                      ("created_quarter", "By quarter created")]:
        d = views.distribution(result, by)
        out += [f"<h3>Distribution: {_esc(title.lower())}</h3>",
                _table(d, {by: (title.removeprefix("By ").capitalize(), "text"),
                           "count": ("Deals", "int"), "count_share": ("Share", "pct"),
                           "amount": ("Amount", "money"),
                           "amount_share": ("Share of amount", "pct")}, cur)]
    coh = views.cohort_funnel(result)
    wide = coh.pivot_table(index="cohort", columns="step_index", values="reached",
                           aggfunc="sum", fill_value=0)
    steps = coh.drop_duplicates("step_index").set_index("step_index")["step"]
    wide.columns = [str(steps[c]) for c in wide.columns]
    wide = wide.reset_index()
    out += ["<h3>Cohort funnel</h3>",
            "<p class=\"note\">Of the opportunities created in each quarter, how many "
            "reached each stage. Unlike the funnel on a date, a stuck deal cannot make the "
            "top look fat.</p>",
            _table(wide, {c: (c.capitalize() if c == "cohort" else c,
                              "text" if c == "cohort" else "int") for c in wide.columns}, cur)]
    return "".join(out)


def _forecast(result) -> str:
    sc = result.scenario
    cur = sc.currency
    table = forecast.forecast_table(result)
    acc = forecast.accuracy(result).summary()
    believed = ("the true stage win rates" if sc.forecast.assumed_win_rates is None else
                "assumed win rates of " + ", ".join(f"{w:.0%}" for w in sc.assumed_win_rates))
    slipped = forecast.slipped_deals(result)
    return "".join([
        f"<p class=\"lead\">Each {sc.forecast.period} the manager forecasts bookings on its "
        f"first day: deals already won plus every open deal expected to close in the "
        f"{sc.forecast.period}, weighted by {_esc(believed)}. Commit deals are the Best Few; "
        "best case adds likely deals; pipeline is the rest.</p>",
        _figure(plots.forecast_chart(result), "Forecast against actual"),
        _table(table, {"period": ("Period", "text"), "quota": ("Quota", "money"),
                       "forecast": ("Forecast", "money"), "commit": ("Commit", "money"),
                       "best_case": ("Best case", "money"), "pipeline": ("Pipeline", "money"),
                       "actual": ("Actual", "money"), "error_pct": ("Error", "pct100"),
                       "attainment_pct": ("Quota attained", "pct100")}, cur),
        f"<p>Bias {_esc(_fmt(acc['forecast_bias_pct'], 'pct100', cur))} (the average "
        "signed error), mean absolute error "
        f"{_esc(_fmt(acc['forecast_mape_pct'], 'pct100', cur))}; "
        f"{acc['forecast_within_5pct_share']:.0%} of periods within 5% "
        "(in industry surveys only about a quarter of forecasts are).</p>",
        f"<h3>Slipped deals ({len(slipped)})</h3>",
        "<p class=\"note\">Open deals whose expected close date has passed.</p>",
        _table(slipped, {"opportunity_id": ("Deal", "int"), "owner": ("Owner", "text"),
                         "stage": ("Stage", "text"), "amount": ("Amount", "money"),
                         "expected_close": ("Expected close", "date"),
                         "days_overdue": ("Days overdue", "int")}, cur, limit=20),
    ])


def _diagnostics(result) -> str:
    sc = result.scenario
    cur = sc.currency
    gaps = diagnostics.capability_gaps(result)
    flagged = gaps[gaps["flagged"]]
    gap_text = ('<p class="ok">No rep converts significantly worse than the rest of the team '
                "at any stage.</p>" if flagged.empty else
                '<p class="warn">Capability gaps: '
                + "; ".join(f"{_esc(r.rep)} at {_esc(r.stage)} ({r.conversion_rate:.0%} vs "
                            f"{r.rest_conversion_rate:.0%} for the rest)"
                            for r in flagged.itertuples()) + ".</p>")
    conv = diagnostics.stage_conversion(result)
    team = conv[conv["rep"] == "team"]
    dry = diagnostics.dry_top_warning(result)
    dry_text = ('<p class="ok">No dry-top warning: leads kept arriving at every rep.</p>'
                if dry.empty else
                f'<p class="warn">Dry top: {len(dry)} rep-weeks with too few new leads, '
                f"first on {pd.Timestamp(dry['date'].iloc[0]):%Y-%m-%d} "
                f"({_esc(dry['rep'].iloc[0])}). Expect a bookings slump about one sales cycle "
                "later.</p>")
    neglect = diagnostics.neglect_summary(result)
    rotting = diagnostics.rotting_deals(result)
    return "".join([
        "<h3>Capability: stage conversion</h3>", gap_text,
        _table(team, {"stage": ("Stage", "text"), "decided": ("Decided", "int"),
                      "advanced": ("Advanced", "int"),
                      "conversion_rate": ("Conversion", "pct"),
                      "mean_days_in_stage": ("Days in stage", "float"),
                      "mean_wait_days": ("Waiting for the rep", "float")}, cur),
        "<h3>Anomalies: the top of the funnel</h3>", dry_text,
        "<h3>Preventing lost customers: rotting and neglect</h3>",
        _table(neglect, {"rep": ("Rep", "text"), "tracking": ("Open", "int"),
                         "rotting": ("Rotting", "int"),
                         "rotting_amount": ("Rotting amount", "money"),
                         "stuck": ("Stuck", "int"), "lost": ("Lost", "int"),
                         "lost_to_neglect": ("Lost to neglect", "int")}, cur),
        _table(rotting, {"opportunity_id": ("Deal", "int"), "owner": ("Owner", "text"),
                         "stage": ("Stage", "text"), "amount": ("Amount", "money"),
                         "days_idle": ("Days idle", "int"),
                         "waiting_on": ("Waiting on", "text")}, cur, limit=15),
        "<h3>Balancing the load</h3>",
        _table(diagnostics.load_balance(result), {
            "rep": ("Rep", "text"), "leads": ("Leads", "int"),
            "opportunities": ("Opportunities", "int"), "won": ("Won", "int"),
            "bookings": ("Bookings", "money"), "open_pipeline": ("Open pipeline", "money"),
            "utilisation": ("Utilisation", "pct")}, cur),
        "<h3>Why deals were lost</h3>",
        _table(diagnostics.lost_reasons(result), {
            "lost_reason": ("Reason", "text"), "deals": ("Deals", "int"),
            "share": ("Share", "pct"), "amount": ("Amount", "money")}, cur),
        "<h3>Channel economics: inbound against outbound</h3>",
        _table(diagnostics.channel_economics(result), {
            "channel": ("Channel", "text"), "cost": ("Cost", "money"),
            "leads": ("Leads", "int"), "won": ("Won", "int"),
            "cost_per_lead": ("Per lead", "money"),
            "cost_per_opportunity": ("Per opportunity", "money"),
            "cost_per_win": ("Per won deal", "money"),
            "bookings_per_cost": ("Bookings per unit of cost", "float")}, cur),
        "<h3>Pipeline velocity</h3>",
        "<p class=\"note\">Open deals x win rate x average deal size / cycle length: the "
        "money the pipeline turns into per day.</p>",
        _table(diagnostics.pipeline_velocity(result), {
            "rep": ("Rep", "text"), "open_opportunities": ("Open deals", "float"),
            "win_rate": ("Win rate", "pct"), "avg_deal_size": ("Deal size", "money"),
            "cycle_days": ("Cycle", "days"),
            "velocity_per_day": ("Velocity per day", "money"),
            "bookings_per_day": ("Booked per day", "money")}, cur),
    ])


def _money(result) -> str:
    cur = result.scenario.currency
    period = result.scenario.forecast.period
    return "".join([
        "<p class=\"lead\">Bookings count a deal when the customer signs, billings when it is "
        "invoiced at the milestones of its payment plan, and cash when the customer pays, "
        "often late. Days sales outstanding (DSO) measures how long the money stays "
        "out.</p>",
        _figure(plots.cash_chart(result, period), "Bookings, billings and cash"),
        _table(cash.dso_by_period(result, period), {
            "period": ("Period", "date"), "bookings": ("Bookings", "money"),
            "billings": ("Billings", "money"), "cash": ("Cash", "money"),
            "receivables": ("Receivables at the end", "money"), "dso_days": ("DSO", "days")},
            cur),
        "<h3>Receivables ageing at the end</h3>",
        _table(cash.receivables_ageing(result), {
            "bucket": ("Days since invoiced", "text"), "invoices": ("Invoices", "int"),
            "amount": ("Owed", "money"), "overdue": ("Of which overdue", "money")}, cur),
        "<h3>Contract statistics</h3>",
        _table(cash.contract_statistics(result, "kind"), {
            "kind": ("Kind", "text"), "count": ("Count", "int"), "amount": ("Amount", "money"),
            "invoiced": ("Invoiced", "money"), "collected": ("Collected", "money")}, cur),
        _table(cash.contract_statistics(result, "status"), {
            "status": ("Status", "text"), "count": ("Count", "int"),
            "amount": ("Amount", "money"), "invoiced": ("Invoiced", "money"),
            "collected": ("Collected", "money")}, cur),
        "<h3>The sales cycle in four parts</h3>",
        _table(cash.sales_cycle_summary(result), {
            "part": ("Part", "text"), "mean_days": ("Average days", "float"),
            "deals": ("Deals", "int")}, cur),
    ])


def build_report(result) -> str:
    """The report of one run as a self-contained HTML document."""
    sc = result.scenario
    k = result.kpis()
    end = last_date(sc)
    parts = {
        "kpis": _kpis(result, k),
        "view": _view(result),
        "forecast": _forecast(result),
        "diagnostics": _diagnostics(result),
        "money": _money(result),
        "scenario": ("<p class=\"note\">Run it again with <code>funnel run scenario.toml"
                     "</code> to get the same tables.</p><pre>"
                     + _esc(to_toml(sc)) + "</pre>"),
    }
    nav = "".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title in SECTIONS)
    body = "".join(f'<section id="{key}"><h2>{_esc(title)}</h2>{parts[key]}</section>'
                   for key, title in SECTIONS)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Funnel Sandbox report: {_esc(sc.name)}</title><style>{CSS}</style></head>"
        f"<body><h1>Funnel Sandbox report: {_esc(sc.name)}</h1>"
        f"<p class=\"lead\">{_esc(sc.description)} {sc.start_date} to {end:%Y-%m-%d}, "
        f"{sc.team.reps} reps, policy {_esc(sc.policy.name)}, seed {sc.seed}, replication "
        f"{result.replication}. Made {dt.date.today()}.</p><nav>{nav}</nav>{body}"
        "</body></html>\n")


def write_report(result, path: str | Path) -> Path:
    """Write :func:`build_report` to ``path``; refuses to overwrite an existing file."""
    path = Path(path)
    text = build_report(result)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return path
