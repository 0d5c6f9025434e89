"""The run report: one self-contained HTML file a sales manager can read without help.

Figures are embedded as PNG data, styles are inline, and nothing is fetched from the
network. The report holds the KPIs, the opportunity view, the forecast, the
diagnostics, the money after the win, and the scenario that produced it all.

Honest pages. The headline counts the *results period* (``start_date`` to
``start_date + horizon_days``; the warm-up before it is left out). Every table says in
a one-line note (class ``scope``) what it counts: the results period, the pipeline at
the end of the run, or deals created since the warm-up. A figure that cannot be
computed (a win rate without closed deals, DSO without billings, a forecast without a
whole period) shows as ``n/a``, with the reason in a note under its table or card; a
table or panel with nothing to show says "No data" and why.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from pathlib import Path

import pandas as pd

from sim.analysis import cash, diagnostics, forecast, views
from sim.analysis.rep_hours import team_over_time, team_plan
from sim.analysis.volatility import bookings_by_period
from sim.crm.movement import MOVEMENT_COLUMNS, movement_of_run
from sim.presentation import plots
from sim.presentation.i18n import label, using
from sim.presentation.i18n import text as _
from sim.presentation.page import html_page
from sim.rules.calendar import results_periods
from sim.rules.dates import last_date
from sim.rules.reps import has_plan, rep_names
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
p.scope { color: #555; font-size: .9rem; font-style: italic; margin-bottom: .2rem; }
p.nodata { background: #f6f6f6; border-left: 5px solid #999; padding: .5rem .8rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f2f6fa; }
td.text, th.text { text-align: left; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
        gap: .6rem; }
.kpi { background: #f2f6fa; border-radius: 8px; padding: .6rem .8rem; }
.kpi .v { font-size: 1.5rem; font-weight: 600; }
.kpi .k { color: #444; font-size: .9rem; }
.kpi .why { color: #555; font-size: .8rem; }
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
"""Each section's anchor and its title (English; the page shows it in its language)."""

NA = "n/a"
"""How the report shows a figure that is not defined (never ``nan``, never blank)."""

NO_DATA = "No data"
"""How a table or panel with nothing to show begins its sentence."""

# the scopes the tables share; each table's note says which one it counts
RESULTS = "the results period"
END_PIPELINE = ("The pipeline at the end of the run: every deal still tracking then, "
                "whenever it was created (deals from the warm-up included).")


# -- small HTML helpers -------------------------------------------------------------------

def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _missing(value) -> bool:
    """True for None, NaN and NaT: a figure that is not defined."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _fmt(value, kind: str, currency: str) -> str:
    if _missing(value):
        return _(NA)
    if kind == "money":
        return plots.format_money(float(value), currency)
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "pct100":
        return f"{value:+.1f}%"
    if kind == "pct100abs":
        return f"{value:.1f}%"
    if kind == "days":
        return _("{n} days", n=f"{value:,.0f}")
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "bool":
        return _("yes") if value else _("no")
    if kind == "label":  # a value the model names (a status, a type...): translated
        return label(value)
    if kind == "rep":  # a rep's name as the user wrote it, or the team's row
        return label(value) if value == "team" else str(value)
    return str(value)


TEXT_KINDS = ("text", "label", "rep")
"""The kinds of column shown as text (left-aligned)."""


def _r(**values) -> dict:
    """Values for a text that speaks of the results period (``{results}``) and of the
    forecast period (``{period}``), in the page's language."""
    if "period" in values:
        values["period"] = _(values["period"])
    return {"results": _(RESULTS), **values}


def _cols(columns: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """A table's {column: (heading, kind)} with its headings in the page's language."""
    return {col: (_(title), kind) for col, (title, kind) in columns.items()}


def _why(reasons: dict[str, str]) -> dict[str, str]:
    """Reasons why a column can be undefined, in the page's language."""
    return {col: _(why) for col, why in reasons.items()}


def _scope(text: str) -> str:
    return f'<p class="note scope">{_esc(text)}</p>'


def _no_data(why: str) -> str:
    """The sentence a panel shows instead of an empty table or figure."""
    return f'<p class="nodata">{_(NO_DATA)}: {_esc(why)}</p>'


def _table(df: pd.DataFrame | None, columns: dict[str, tuple[str, str]], currency: str, *,
           scope: str, empty: str, na: dict[str, str] | None = None,
           limit: int | None = None) -> str:
    """An HTML table of ``columns`` = {column: (heading, kind)}, after its scope note.

    Every text comes in already in the page's language (see :func:`_cols`).

    Parameters
    ----------
    df : DataFrame or None
        The rows; None or no rows shows ``empty`` instead of a table.
    columns : dict
        Column -> (heading, kind), kind as for :func:`_fmt`.
    currency : str
        The scenario's currency, for money.
    scope : str
        One line saying what the table counts (the results period, the pipeline at the
        end...), shown above it.
    empty : str
        Why there is nothing to show, for a table without rows ("No data: ...").
    na : dict, optional
        Column -> why a value in it can be undefined; each column that shows ``n/a``
        gets a line under the table with its reason.
    limit : int, optional
        Show only the first rows.
    """
    if df is None or len(df) == 0:
        return _scope(scope) + _no_data(empty)
    rows = df.head(limit) if limit else df
    head = "".join(
        f'<th class="{"text" if kind in TEXT_KINDS else ""}">{_esc(title)}</th>'
        for title, kind in columns.values())
    body = []
    for _i, row in rows.iterrows():
        cells = "".join(
            f'<td class="{"text" if kind in TEXT_KINDS else ""}">'
            f"{_esc(_fmt(row[col], kind, currency))}</td>"
            for col, (_h, kind) in columns.items())
        body.append(f"<tr>{cells}</tr>")
    reasons = na or {}
    undefined = "".join(
        '<p class="note">'
        + _("{na} under “{column}”: {why}.", na=_(NA), column=_esc(title),
            why=_esc(reasons.get(col, _("not defined for that row")))) + "</p>"
        for col, (title, _k) in columns.items() if rows[col].isna().any())
    more = ('<p class="note">' + _("Showing {shown} of {total} rows; the CSV files hold "
                                   "them all.", shown=limit, total=f"{len(df):,}") + "</p>"
            if limit and len(df) > limit else "")
    return (f"{_scope(scope)}<table><tr>{head}</tr>{''.join(body)}</table>"
            f"{undefined}{more}")


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

KPI_UNDEFINED = {
    "lead_to_opportunity_rate": "no lead arrived in the period",
    "win_rate": "no deal was won or lost in the period",
    "dso_days": "nothing was invoiced in the period",
    "avg_deal_size": "no deal was won in the period",
    "avg_cycle_days": "no deal was won in the period",
    "rep_utilization": "the reps had no selling hours",
}
"""Why a headline figure can be undefined (the swing's reason depends on the run)."""


def _swing_reason(result) -> str:
    whole = len(bookings_by_period(result, "quarter"))
    if whole == 1:
        return _("the period holds 1 whole quarter; a swing needs two")
    if whole < 2:
        return _("the period holds {whole} whole quarters; a swing needs two", whole=whole)
    return _("nothing was booked in the whole quarters")


def _kpis(result, k: dict) -> str:
    cur = result.scenario.currency
    why = _why(KPI_UNDEFINED) | {"bookings_cv_quarter": _swing_reason(result)}
    cards = "".join(
        f'<div class="kpi"><div class="v">{_esc(_fmt(k[key], kind, cur))}</div>'
        f'<div class="k">{_esc(_(name))}</div>'
        + (f'<div class="why">{_(NA)}: {_esc(why.get(key, _("not defined")))}</div>'
           if _missing(k[key]) else "")
        + "</div>" for key, name, kind in KPI_LABELS)
    period = result.scenario.forecast.period
    return (f'<div class="kpis">{cards}</div>'
            '<p class="note">'
            + _("Counts of leads and opportunities are those created in the "
                "results period; won, lost, bookings, the win rate, deal size and cycle count "
                "deals closed in it (some of them created in the warm-up); open counts the "
                "pipeline at the end of the run, whenever its deals were created; billings and "
                "cash count money invoiced and paid in the period.") + "</p>"
            + _scope(_("Bookings per whole {period} of {results}.", **_r(period=period)))
            + _figure(plots.bookings_chart(result, period), _("Bookings per period")))


def _distribution(result, by: str, heading: str, n_opps: int) -> str:
    cur = result.scenario.currency
    d = views.distribution(result, by, include_warmup=False)
    kind = "text" if by in ("channel", "created_quarter") else "label"
    return _table(
        d if d["count"].sum() > 0 else None,
        _cols({by: (heading, kind), "count": ("Deals", "int"), "count_share": ("Share", "pct"),
               "amount": ("Amount", "money"),
               "amount_share": ("Share of amount", "pct")}), cur,
        scope=_("Deals created in {results} (the headline's {n} opportunities), "
                "with their status at the end of the run; deals created in the warm-up "
                "are left out.", **_r(n=f"{n_opps:,}")),
        empty=_("no opportunity was created in the results period."),
        na=_why({"count_share": "no deal to share out",
                 "amount_share": "the deals have no amount to share out"}))


DISTRIBUTIONS = [("type", "By type", "Type"),
                 ("kind", "Contracts and orders", "Contracts and orders"),
                 ("channel", "By channel", "Channel"), ("status", "By status", "Status"),
                 ("created_quarter", "By quarter created", "Quarter created")]
"""The opportunity view's distributions: the column, the title, the first column's
heading."""


def _view(result, k: dict) -> str:
    sc = result.scenario
    cur = sc.currency
    fun = views.funnel(result)
    out = ["<p class=\"lead\">"
           + _("What a CRM's opportunity view shows at the end of the period. "
               "The funnel counts only opportunities still in <em>tracking</em> status: won "
               "and lost deals have left it.") + "</p>",
           _figure(plots.funnel_chart(result), _("Funnel by count and amount")),
           _table(fun if fun["count"].sum() > 0 else None, _cols({
               "stage": ("Stage", "text"), "count": ("Open deals", "int"),
               "amount": ("Amount", "money"), "weighted_amount": ("Weighted amount", "money"),
               "win_rate": ("Stage win rate", "pct"), "rotting": ("Rotting", "int")}), cur,
                  scope=_(END_PIPELINE),
                  empty=_("no deal was tracking at the end of the run.")),
           "<h3>" + _("The pipeline over time") + "</h3>",
           _scope(_("Open deals per stage every week of {results}, whenever created.",
                    **_r())),
           _figure(plots.pipeline_chart(result), _("Open deals per stage over time")),
           "<h3>" + _("Miller Heiman levels over time") + "</h3>",
           "<p class=\"note\">"
           + _("Above the Funnel: unverified leads. In the Funnel: verified "
               "opportunities. Best Few: likely to close soon. Orders: won, hand-over pending. "
               "A shrinking Above-the-Funnel stock warns of a bookings slump about one sales "
               "cycle later.") + "</p>",
           _scope(_("The stock of each level every week of {results}, whenever created.",
                    **_r())),
           _figure(plots.levels_chart(result), _("Miller Heiman level stock over time")),
           "<h3>" + _("Where the reps' time went") + "</h3>",
           _scope(_("Hours worked in {results}.", **_r())),
           _figure(plots.time_by_level_chart(result), _("Rep time by level"))]
    lst = views.opportunity_list(result)
    open_deals = lst[lst["status"] == "tracking"]
    out += ["<h3>" + _("Open opportunities, by expected close") + "</h3>",
            _table(open_deals, _cols({
                "subject": ("Subject", "text"), "customer": ("Customer", "text"),
                "priority": ("Priority", "label"), "star": ("Star", "bool"),
                "type": ("Type", "label"), "owner": ("Owner", "text"),
                "expected_close": ("Expected close", "date"), "stage": ("Stage", "text"),
                "amount": ("Amount", "money"), "level": ("Level", "label"),
                "days_in_stage": ("Days in stage", "int"), "rotting": ("Rotting", "bool")}),
                cur, limit=40, scope=_(END_PIPELINE),
                empty=_("no deal was tracking at the end of the run."))]
    for by, title, heading in DISTRIBUTIONS:
        out += ["<h3>" + _("Distribution: {what}", what=_esc(_(title).lower())) + "</h3>",
                _distribution(result, by, heading, k["opportunities"])]
    coh = views.cohort_funnel(result)
    wide = coh.pivot_table(index="cohort", columns="step_index", values="reached",
                           aggfunc="sum", fill_value=0)
    steps = coh.drop_duplicates("step_index").set_index("step_index")["step"]
    wide.columns = [str(steps[c]) for c in wide.columns]
    wide = wide.reset_index()
    out += ["<h3>" + _("Cohort funnel") + "</h3>",
            "<p class=\"note\">"
            + _("Of the opportunities created in each quarter, how many "
                "reached each stage. Unlike the funnel on a date, a stuck deal cannot make the "
                "top look fat.") + "</p>",
            _table(wide, {c: (_("Cohort") if c == "cohort" else c,  # stage names as written
                              "text" if c == "cohort" else "int") for c in wide.columns}, cur,
                   scope=_("Deals created in {results}, by quarter created; a stage counts "
                           "as reached by the end of the run.", **_r()),
                   empty=_("no opportunity was created in the results period."))]
    return "".join(out)


def _forecast(result) -> str:
    sc = result.scenario
    cur = sc.currency
    period = sc.forecast.period
    table = forecast.forecast_table(result)
    scored_acc = forecast.accuracy(result)
    acc = scored_acc.summary()
    categories = scored_acc.by_category()
    believed = (_("the true stage win rates") if sc.forecast.assumed_win_rates is None else
                _("assumed win rates of {rates}",
                  rates=", ".join(f"{w:.0%}" for w in sc.assumed_win_rates)))
    slipped = forecast.slipped_deals(result)
    no_whole = _("the results period holds no whole {period}, so no forecast can be scored "
                 "yet", **_r(period=period))
    if table.empty:
        scored = ""  # the table's place says why
    elif acc["forecast_periods"] == 0:
        scored = ("<p>" + _("Bias, mean absolute error and the share within 5%: {na}, since "
                            "no whole {period} had any bookings to measure an error against.",
                            na=_(NA), **_r(period=period)) + "</p>")
    else:
        scored = ("<p>" + _(
            "Bias {bias} (the average signed error), mean absolute error {mape}; {within} "
            "of the {n} {period}s with bookings within 5% (in industry surveys only about "
            "a quarter of forecasts are).",
            bias=_esc(_fmt(acc['forecast_bias_pct'], 'pct100', cur)),
            mape=_esc(_fmt(acc['forecast_mape_pct'], 'pct100abs', cur)),
            within=_esc(_fmt(acc['forecast_within_5pct_share'], 'pct', cur)),
            n=acc['forecast_periods'], **_r(period=period)) + "</p>")
    return "".join([
        "<p class=\"lead\">"
        + _("Each {period} the manager forecasts bookings on its first day: deals already "
            "won plus every open deal expected to close in the {period}, weighted by "
            "{believed}. The deals' owners put each one in a category: commit (they expect "
            "it this {period} and believe it will be won), best case (expected this period, "
            "less sure) or pipeline (the rest).", believed=_esc(believed),
            **_r(period=period)) + "</p>",
        _scope(_("Whole {period}s of {results}; a part {period} at the end is not scored.",
                 **_r(period=period))),
        _figure(plots.forecast_chart(result), _("Forecast against actual")),
        _table(table, _cols({
            "period": ("Period", "text"), "quota": ("Quota", "money"),
            "forecast": ("Forecast", "money"), "commit": ("Commit", "money"),
            "best_case": ("Best case", "money"), "pipeline": ("Pipeline", "money"),
            "actual": ("Actual", "money"), "error_pct": ("Error", "pct100"),
            "attainment_pct": ("Quota attained", "pct100abs")}), cur,
               scope=_("Whole {period}s of {results}: the forecast made on each one's first "
                       "day, from the pipeline then (deals from the warm-up included), "
                       "against the deals won in the {period}.", **_r(period=period)),
               empty=no_whole + ".",
               na=_why({"quota": "no quota is set (forecast.quota_per_period)",
                        "attainment_pct": "no quota is set (forecast.quota_per_period)"})
               | {"error_pct": _("nothing was won in the {period}, and an error in "
                                 "percent of nothing is not defined", **_r(period=period))}),
        scored,
        "<h3>" + _("Forecast categories against what happened") + "</h3>",
        _table(categories[categories["period"] == "overall"], _cols({
            "category": ("Category", "label"), "n_deals": ("Deals", "int"),
            "amount": ("Amount", "money"), "won_share": ("Won", "pct"),
            "slipped_share": ("Slipped (still open)", "pct"),
            "lost_share": ("Lost", "pct")}), cur,
               scope=_("The deals their owners had in each category at the forecasts of the "
                       "whole {period}s of {results}, expected to close in the {period}, and "
                       "what became of them by its end (shares of the amount).",
                       **_r(period=period)),
               empty=no_whole + ".",
               na=_why({c: "no deal was in the category" for c in
                        ("won_share", "slipped_share", "lost_share")})),
        "<h3>" + _("Slipped deals ({n})", n=len(slipped)) + "</h3>",
        "<p class=\"note\">"
        + _("Open deals that have passed the expected close date their owner "
            "gave them on entering their stage (owners re-date them when they do).") + "</p>",
        _table(slipped, _cols({
            "opportunity_id": ("Deal", "int"), "owner": ("Owner", "text"),
            "stage": ("Stage", "text"), "amount": ("Amount", "money"),
            "expected_close": ("Expected close", "date"),
            "days_overdue": ("Days overdue", "int")}), cur, limit=20,
               scope=_(END_PIPELINE),
               empty=_("no open deal had passed the expected close date of its stage at the "
                       "end of the run.")),
        _movement(result),
    ])


def _movement(result) -> str:
    """The waterfall of the last whole forecast period's pipeline, and its table."""
    sc = result.scenario
    period = plots.last_whole_period(result)
    if period is None:
        table = pd.DataFrame(columns=list(MOVEMENT_COLUMNS))
        title = "<h3>" + _("Pipeline movement") + "</h3>"
    else:
        table = movement_of_run(result, period)
        title = "<h3>" + _("Pipeline movement in {period}", period=_esc(period)) + "</h3>"
    return "".join([
        title,
        "<p class=\"note\">"
        + _("The deals open and expected to close in the period, from the "
            "period's first day to its end: what came in (new deals, deals pulled in from a "
            "later date), what went out (pushed to another period, won, lost) and how "
            "amounts changed. Opening plus the moves gives Closing; the CRM files "
            "(crm/opportunities.csv, crm/history.csv) hold the history it is built from.")
        + "</p>",
        _figure(plots.plot_movement(table, currency=sc.currency, period=period),
                _("Pipeline movement waterfall")),
        _table(table, _cols({"movement": ("Movement", "label"), "deals": ("Deals", "int"),
                             "amount": ("Amount", "money"), "changes": ("Changes", "int")}),
               sc.currency,
               scope=_("The last whole {period} of {results}, from the "
                       "opportunity history (deals from the warm-up included).",
                       **_r(period=sc.forecast.period)),
               empty=_("the results period holds no whole {period}, so there is "
                       "no period to follow.", **_r(period=sc.forecast.period))),
    ])


def _diagnostics(result, k: dict) -> str:
    sc = result.scenario
    cur = sc.currency
    gaps = diagnostics.capability_gaps(result)
    flagged = gaps[gaps["flagged"]]
    if not gaps["tested"].any():
        gap_text = ('<p class="note">'
                    + _("No capability test: no rep and stage had enough "
                        "decisions in the period (at least 10 for the rep and 10 for the rest "
                        "of the team).") + "</p>")
    elif flagged.empty:
        gap_text = ('<p class="ok">'
                    + _("No rep converts significantly worse than the rest of the "
                        "team at any stage.") + "</p>")
    else:
        gap_text = ('<p class="warn">' + _("Capability gaps: {gaps}.", gaps="; ".join(
            _("{rep} at {stage} ({rate} vs {rest} for the rest)", rep=_esc(r.rep),
              stage=_esc(r.stage), rate=f"{r.conversion_rate:.0%}",
              rest=f"{r.rest_conversion_rate:.0%}")
            for r in flagged.itertuples())) + "</p>")
    conv = diagnostics.stage_conversion(result)
    team = conv[conv["rep"] == "team"]
    dry = diagnostics.dry_top_warning(result)
    if k["leads"] == 0:
        dry_text = _no_data(_("no lead arrived in the results period: the top of the funnel "
                              "was empty throughout, with no flow to compare against."))
    elif dry.empty:
        dry_text = ('<p class="ok">'
                    + _("No dry-top warning: leads kept arriving at every rep.") + "</p>")
    else:
        dry_text = ('<p class="warn">'
                    + _("Dry top: {n} rep-weeks with too few new leads, first on {date} "
                        "({rep}). Expect a bookings slump about one sales cycle later.",
                        n=len(dry), date=f"{pd.Timestamp(dry['date'].iloc[0]):%Y-%m-%d}",
                        rep=_esc(dry['rep'].iloc[0])) + "</p>")
    neglect = diagnostics.neglect_summary(result)
    rotting = diagnostics.rotting_deals(result)
    lost = diagnostics.lost_reasons(result)
    no_decision = _("no deal was decided at this stage in the period")
    return "".join([
        "<h3>" + _("Capability: stage conversion") + "</h3>", gap_text,
        _table(team if team["decided"].sum() > 0 else None, _cols({
            "stage": ("Stage", "text"), "decided": ("Decided", "int"),
            "advanced": ("Advanced", "int"), "conversion_rate": ("Conversion", "pct"),
            "mean_days_in_stage": ("Days in stage", "float"),
            "mean_wait_days": ("Waiting for the rep", "float")}), cur,
            scope=_("Decisions made in {results}, whenever the deal entered the stage.",
                    **_r()),
            empty=_("no deal was decided at any stage in the results period."),
            na={"conversion_rate": no_decision, "mean_days_in_stage": no_decision,
                "mean_wait_days": _("no deal was decided at this stage in the period after "
                                    "its work had started")}),
        "<h3>" + _("Anomalies: the top of the funnel") + "</h3>",
        _scope(_("Leads arriving at each rep, reviewed weekly over {results}.", **_r())),
        dry_text,
        "<h3>" + _("Preventing lost customers: rotting and neglect") + "</h3>",
        _table(neglect, _cols({"rep": ("Rep", "rep"), "tracking": ("Open", "int"),
                               "rotting": ("Rotting", "int"),
                               "rotting_amount": ("Rotting amount", "money"),
                               "stuck": ("Stuck", "int"), "lost": ("Lost", "int"),
                               "lost_to_neglect": ("Lost to neglect", "int")}), cur,
               scope=_("Open, rotting and stuck: the pipeline at the end of the run (deals "
                       "from the warm-up included); lost: deals closed in {results}.", **_r()),
               empty=_("the team has no reps.")),
        _table(rotting, _cols({"opportunity_id": ("Deal", "int"), "owner": ("Owner", "text"),
                               "stage": ("Stage", "text"), "amount": ("Amount", "money"),
                               "days_idle": ("Days idle", "int"),
                               "waiting_on": ("Waiting on", "text")}), cur, limit=15,
               scope=_(END_PIPELINE),
               empty=_("no open deal was rotting at the end of the run.")),
        "<h3>" + _("Balancing the load") + "</h3>",
        _table(diagnostics.load_balance(result), _cols({
            "rep": ("Rep", "rep"), "leads": ("Leads", "int"),
            "opportunities": ("Opportunities", "int"), "won": ("Won", "int"),
            "bookings": ("Bookings", "money"), "open_pipeline": ("Open pipeline", "money"),
            "utilisation": ("Utilisation", "pct")}), cur,
            scope=_("Leads and opportunities created in {results}, deals won in it, hours "
                    "worked in it; open pipeline: at the end of the run, whenever created.",
                    **_r()),
            empty=_("the team has no reps."),
            na=_why({"utilisation": "the rep had no selling hours"})),
        _team_panel(result),
        "<h3>" + _("Why deals were lost") + "</h3>",
        _table(lost if lost["deals"].sum() > 0 else None, _cols({
            "lost_reason": ("Reason", "text"), "deals": ("Deals", "int"),
            "share": ("Share", "pct"), "amount": ("Amount", "money")}), cur,
            scope=_("Deals lost in {results}, whenever they were created.", **_r()),
            empty=_("no deal was lost in the results period.")),
        "<h3>" + _("Channel economics: inbound against outbound") + "</h3>",
        _table(diagnostics.channel_economics(result), _cols({
            "channel": ("Channel", "text"), "cost": ("Cost", "money"),
            "leads": ("Leads", "int"), "won": ("Won", "int"),
            "cost_per_lead": ("Per lead", "money"),
            "cost_per_opportunity": ("Per opportunity", "money"),
            "cost_per_win": ("Per won deal", "money"),
            "bookings_per_cost": ("Bookings per unit of cost", "float")}), cur,
            scope=_("Cost over {results}; leads and opportunities created in it; deals won "
                    "in it (some from leads of the warm-up).", **_r()),
            empty=_("the scenario has no channels."),
            na=_why({"cost_per_lead": "no lead from the channel in the period",
                     "cost_per_opportunity": "no opportunity from the channel in the period",
                     "cost_per_win": "no deal from the channel won in the period",
                     "bookings_per_cost": "the channel cost nothing in the period"})),
        "<h3>" + _("Pipeline velocity") + "</h3>",
        "<p class=\"note\">"
        + _("Open deals x win rate x average deal size / cycle length: the "
            "money the pipeline turns into per day.") + "</p>",
        _table(diagnostics.pipeline_velocity(result), _cols({
            "rep": ("Rep", "rep"), "open_opportunities": ("Open deals", "float"),
            "win_rate": ("Win rate", "pct"), "avg_deal_size": ("Deal size", "money"),
            "cycle_days": ("Cycle", "days"),
            "velocity_per_day": ("Velocity per day", "money"),
            "bookings_per_day": ("Booked per day", "money")}), cur,
            scope=_("Over {results}: open deals on an average day, and the win rate, deal "
                    "size and cycle of the deals closed in it.", **_r()),
            empty=_("the team has no reps."),
            na=_why({"win_rate": "no deal of the rep (or team) was won or lost in the period",
                     **dict.fromkeys(("avg_deal_size", "cycle_days"),
                                     "no deal of the rep (or team) was won in the period"),
                     "velocity_per_day": "it needs a win rate, a deal size and a cycle"})),
    ])


def _money(result) -> str:
    sc = result.scenario
    cur = sc.currency
    period = sc.forecast.period
    dso = cash.dso_by_period(result, period)
    whole = results_periods(sc, period)["whole"].to_numpy()
    part = _(" (part)")
    dso = dso.assign(label=[f"{pd.Timestamp(p):%Y-%m-%d}" + ("" if w else part)
                            for p, w in zip(dso["period"], whole, strict=True)])
    parts = cash.sales_cycle_summary(result)
    ageing = cash.receivables_ageing(result)
    signed = cash.contract_statistics(result, "kind")
    contract_scope = _("Contracts and orders signed in {results}; invoiced and collected: "
                       "to the end of the run.", **_r())
    no_contract = _("no contract or order was signed in the results period.")
    return "".join([
        "<p class=\"lead\">"
        + _("Bookings count a deal when the customer signs, billings when it is "
            "invoiced at the milestones of its payment plan, and cash when the customer pays, "
            "often late. Days sales outstanding (DSO) measures how long the money stays "
            "out.") + "</p>",
        _scope(_("Money booked, invoiced and paid in each {period} of {results}.",
                 **_r(period=period))),
        _figure(plots.cash_chart(result, period), _("Bookings, billings and cash")),
        _table(dso, _cols({
            "label": ("Period", "text"), "bookings": ("Bookings", "money"),
            "billings": ("Billings", "money"), "cash": ("Cash", "money"),
            "receivables": ("Receivables at the end", "money"), "dso_days": ("DSO", "days")}),
            cur,
            scope=_("Each {period} of {results}, by its first day (a part {period} is "
                    "marked); receivables at its end include invoices from the warm-up "
                    "still unpaid.", **_r(period=period)),
            empty=_("the results period is empty."),
            na={"dso_days": _("nothing was invoiced in the {period}", **_r(period=period))}),
        "<h3>" + _("Receivables ageing at the end") + "</h3>",
        _table(ageing if ageing["invoices"].sum() > 0 else None, _cols({
            "bucket": ("Days since invoiced", "text"), "invoices": ("Invoices", "int"),
            "amount": ("Owed", "money"), "overdue": ("Of which overdue", "money")}), cur,
            scope=_("Invoices still owed at the end of the run, whenever they were issued "
                    "(the warm-up's included)."),
            empty=_("nothing was owed at the end of the run.")),
        "<h3>" + _("Contract statistics") + "</h3>",
        _table(signed, _cols({
            "kind": ("Kind", "label"), "count": ("Count", "int"),
            "amount": ("Amount", "money"), "invoiced": ("Invoiced", "money"),
            "collected": ("Collected", "money")}), cur,
            scope=contract_scope, empty=no_contract),
        _table(cash.contract_statistics(result, "status") if len(signed) else None, _cols({
            "status": ("Status", "label"), "count": ("Count", "int"),
            "amount": ("Amount", "money"), "invoiced": ("Invoiced", "money"),
            "collected": ("Collected", "money")}), cur,
            scope=contract_scope, empty=no_contract),
        "<h3>" + _("The sales cycle in four parts") + "</h3>",
        _table(parts if parts["deals"].sum() > 0 else None, _cols({
            "part": ("Part", "label"), "mean_days": ("Average days", "float"),
            "deals": ("Deals", "int")}), cur,
            scope=_("Deals won in {results}, whenever created; collection: those fully paid "
                    "by the end of the run.", **_r()),
            empty=_("no deal was won in the results period."),
            na=_why({"mean_days": "none of the deals won in the period was fully paid by the "
                                  "end"})),
    ])


def _team_panel(result) -> str:
    """The team over time (hires ramping up, leavers, leaves): shown when the scenario
    has a team plan."""
    sc = result.scenario
    if not has_plan(sc.team):
        return ""
    cur = sc.currency
    months = team_over_time(result, "month")
    return "".join([
        "<h3>" + _("The team over time") + "</h3>",
        "<p class=\"note\">"
        + _("The team's plan: hires work the ramp's share of a full rep's "
            "hours in their first months; a leaver's open deals and leads go to the reps still "
            "working ({rule}); on leave a rep works no hours and their waiting work waits.",
            rule=f"<code>{_esc(sc.team.reassign)}</code>") + "</p>",
        _table(team_plan(sc), _cols({
            "rep": ("Rep", "rep"), "change": ("Change", "label"), "start": ("From", "date"),
            "end": ("To", "date"), "share": ("Share of full hours", "pct")}), cur,
            scope=_("Every change the scenario plans, by date."),
            empty=_("the plan is empty."),
            na=_why({"end": "only a leave has a last day"})),
        _table(months[months["rep"] == "team"], _cols({
            "period": ("Month", "text"), "fte": ("Full-time reps", "float"),
            "available_hours": ("Hours available", "int"),
            "hours": ("Hours worked", "int"), "utilisation": ("Utilisation", "pct")}), cur,
            scope=_("The team in each month of {results}: full-time equivalents (hours "
                    "available over a full rep's), and the hours the plan gave and were "
                    "worked.", **_r()),
            empty=_("the results period has no month."),
            na=_why({"utilisation": "no rep had any hours that month"})),
    ])


def build_report(result, lang: str | None = None) -> str:
    """The report of one run as a self-contained HTML document.

    Every table carries a scope note saying what it counts; undefined figures show as
    ``n/a`` with their reason, and empty panels say "No data" and why (see the module's
    notes). It works on any run, also one without leads, opportunities or wins.

    Parameters
    ----------
    result : RunResult
        The run.
    lang : {"en", "zh"}, optional
        The page's language (its text, its figures' labels and its ``<html lang>``);
        the scenario's ``language`` by default.
    """
    sc = result.scenario
    with using(lang or sc.language) as lang:
        return _page(result, lang)


def _page(result, lang: str) -> str:
    sc = result.scenario
    k = result.kpis()
    end = last_date(sc)
    parts = {
        "kpis": _kpis(result, k),
        "view": _view(result, k),
        "forecast": _forecast(result),
        "diagnostics": _diagnostics(result, k),
        "money": _money(result),
        "scenario": ("<p class=\"note\">"
                     + _("Run it again with <code>funnel run scenario.toml</code> to get the "
                         "same tables.") + "</p><pre>" + _esc(to_toml(sc)) + "</pre>"),
    }
    nav = "".join(f'<a href="#{key}">{_esc(_(title))}</a>' for key, title in SECTIONS)
    body = "".join(f'<section id="{key}"><h2>{_esc(_(title))}</h2>{parts[key]}</section>'
                   for key, title in SECTIONS)
    warmup = (_(" A warm-up of {days} days before it filled the pipeline; its deals count "
                "only where a table says so.", days=f"{sc.warmup_days:g}")
              if sc.warmup_days > 0 else "")
    title = _("Funnel Sandbox report: {name}", name=_esc(sc.name))
    lead = _("{description} Results period {start} to {end}.{warmup} {headcount}, policy "
             "{policy}, seed {seed}, replication {replication}. Made {today}.",
             description=_esc(sc.description), start=sc.start_date, end=f"{end:%Y-%m-%d}",
             warmup=_esc(warmup), headcount=_headcount(sc), policy=_esc(sc.policy.name),
             seed=sc.seed, replication=result.replication, today=dt.date.today())
    return html_page(title, f"<h1>{title}</h1><p class=\"lead\">{lead}</p><nav>{nav}</nav>{body}",
                     CSS, lang)


def _headcount(sc) -> str:
    hired = len(rep_names(sc.team)) - sc.team.reps
    if not hired:
        return _("{n} reps", n=sc.team.reps)
    return _("{n} reps and {hired} hired during the run", n=sc.team.reps, hired=hired)


def write_report(result, path: str | Path, lang: str | None = None) -> Path:
    """Write :func:`build_report` to ``path``; refuses to overwrite an existing file."""
    path = Path(path)
    text = build_report(result, lang)
    with path.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return path
