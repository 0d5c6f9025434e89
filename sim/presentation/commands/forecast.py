"""``funnel forecast [SCENARIO] [--seed N] [--days D] [--policy NAME] [--json]
[--lang en|zh]``: the manager's forecast per period, made on each period's first day,
against the bookings that came, its accuracy, and what became of the owners' forecast
categories (see :mod:`sim.analysis.forecast`).

The text speaks the scenario's ``language``, or ``--lang``; ``--json`` is the same in
both (its keys and the categories' names are the model's).
"""

from __future__ import annotations

import json

from sim.presentation.commands.support import (
    RUN_POLICIES,
    SCENARIO_HELP,
    add_lang_option,
    days_arg,
    fit,
    fmt_money,
    fmt_pct,
    in_language,
    jsonable,
    load_for_run,
    results_period,
    say,
    seed_arg,
)
from sim.presentation.i18n import label, using
from sim.presentation.i18n import text as _

TABLE = (("period", 8, "<"), ("quota", 12, ">"), ("forecast", 12, ">"), ("commit", 12, ">"),
         ("best case", 12, ">"), ("actual", 12, ">"), ("error", 8, ">"), ("attained", 9, ">"))
"""The per-period table's columns: heading (English; shown in the reader's language),
width and alignment."""

CATEGORY_TABLE = (("category", 10, "<"), ("deals", 6, ">"), ("amount", 12, ">"),
                  ("won", 6, ">"), ("slipped", 8, ">"), ("lost", 6, ">"))
"""The owners' categories table's columns, as :data:`TABLE`."""


def register(subparsers) -> None:
    """Add ``funnel forecast``."""
    p = subparsers.add_parser(
        "forecast", help="the manager's weekly forecast: per period, and its accuracy")
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    p.add_argument("--seed", type=seed_arg, help="override the scenario's seed (0 or more)")
    p.add_argument("--days", type=days_arg, help="override the results period (days)")
    p.add_argument("--policy", choices=RUN_POLICIES,
                   help="give every rep this policy, replacing the members' own policies")
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")
    add_lang_option(p, "the printed text")
    p.set_defaults(handler=handler)


def _line(columns, cells) -> str:
    return "  " + " ".join(fit(cell, width, align)
                           for (_h, width, align), cell in zip(columns, cells, strict=True))


def _heading(columns) -> str:
    return _line(columns, [_(heading) for heading, _w, _a in columns])


def _share(x) -> str:
    return f"{x:.0%}" if x == x else _("n/a")


def handler(args) -> int:
    """Run ``funnel forecast``; returns the exit status."""
    from sim.analysis import forecast as fc
    from sim.experiments.runner import simulate

    sc, _source = load_for_run(args)
    sc = in_language(sc, args.lang)  # the text only: the run is the same
    result = simulate(sc)
    table = fc.forecast_table(result)
    acc = fc.accuracy(result)
    categories = acc.by_category()
    if args.json:
        def records(frame):
            return [{k: jsonable(v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")]

        say(json.dumps({"scenario": sc.name, "periods": records(table),
                        "accuracy": {k: jsonable(v) for k, v in acc.summary().items()},
                        "categories": records(categories)}))
        return 0
    with using(sc.language):
        say(format_forecast(sc, table, acc, categories))
    return 0


def format_forecast(sc, table, acc, categories) -> str:
    """The forecast as text, in the language of the enclosing
    :func:`~sim.presentation.i18n.using` block."""
    period = label(sc.forecast.period)
    believed = (_("the true win rates") if sc.forecast.assumed_win_rates is None else
                _("assumed win rates {rates}",
                  rates=", ".join(f"{w:.0%}" for w in sc.assumed_win_rates)))
    lines = [_("Funnel Sandbox: {name}, forecast per {period} made on its first day with "
               "{believed} (seed {seed})", name=sc.name, period=period, believed=believed,
               seed=sc.seed) + "\n"]
    if table.empty:
        lines.append(_("  n/a: no whole {period} lies in the {results}, so there is no "
                       "forecast to score\n  (a {period} counts once it starts and ends "
                       "inside the results period; a longer --days gives some)",
                       period=period, results=results_period(sc)))
        return "\n".join(lines)
    lines.append(_heading(TABLE))
    for row in table.itertuples(index=False):
        lines.append(_line(TABLE, [
            row.period, *(fmt_money(x) for x in (row.quota, row.forecast, row.commit,
                                                 row.best_case, row.actual)),
            fmt_pct(row.error_pct), fmt_pct(row.attainment_pct)]))
    s = acc.summary()
    notes = []
    if table["quota"].isna().any():
        notes.append(_("quota and attained n/a: the scenario sets no quota "
                       "(forecast.quota_per_period = 0)"))
    if table["error_pct"].isna().any():
        notes.append(_("error n/a: nothing was booked in that {period}, so an error in "
                       "percent of the bookings is undefined", period=period))
    lines.append("\n" + _("  amounts in {currency}; ", currency=sc.currency) + (
        _("bias {bias} (mean signed error), mean absolute error {mape}, {within} of periods "
          "within 5%", bias=fmt_pct(s["forecast_bias_pct"]),
          mape=fmt_pct(s["forecast_mape_pct"], sign=False),
          within=f"{s['forecast_within_5pct_share']:.0%}")
        if s["forecast_periods"] else
        _("bias, mean absolute error and periods within 5% n/a: no whole {period} had "
          "bookings to score the forecast against", period=period)))
    lines += [f"  {note}" for note in notes]
    overall = categories[categories["period"] == "overall"]
    lines.append("\n" + _("  the owners' categories at those forecasts, and what became of "
                          "them by the {period}'s end:", period=period))
    lines.append(_heading(CATEGORY_TABLE))
    for row in overall.itertuples(index=False):
        lines.append(_line(CATEGORY_TABLE, [
            label(row.category), f"{row.n_deals:d}", fmt_money(row.amount),
            *(_share(x) for x in (row.won_share, row.slipped_share, row.lost_share))]))
    missed = acc.periods["commit_slipped_share"].mean()
    lines.append(_("  (won, slipped: still open at the end, lost: shares of the amount; "
                   "commit deals that missed their\n  expected close: {missed}, against "
                   "20-44% in industry surveys)",
                   missed=f"{missed:.0%}" if missed == missed else
                   _("n/a, no commit deal")))
    return "\n".join(lines)
