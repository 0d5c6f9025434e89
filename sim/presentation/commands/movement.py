"""``funnel movement OPPORTUNITIES.csv --history HISTORY.csv [--period P | --from D --to D]
[--map COLUMN=FIELD ...] [--date-format F] [--json] [--out DIR] [--lang en|zh]``: how a period's
pipeline moved, from a CRM history (see :mod:`sim.crm.movement`).

It prints the movement table (Opening, New, Pulled in, Pushed out, Won, Lost, Amount
up, Amount down, Closing) and the forecast-category changes; with ``--out`` it also
writes ``movement.csv``, ``category_changes.csv`` and the waterfall ``movement.png``
(in English, or Chinese with ``--lang zh``).
Without a period it takes the calendar quarter of the history's latest change; when the
history ends before the period does, Closing is the pipeline at its last change.
"""

from __future__ import annotations

import json

from sim.presentation.commands import crm_options
from sim.presentation.commands.support import (
    add_lang_option,
    check_out_dir,
    fmt_money,
    jsonable,
    say,
    write_out,
)
from sim.presentation.i18n import text as _
from sim.presentation.i18n import using


def register(subparsers) -> None:
    """Add ``funnel movement``."""
    p = subparsers.add_parser(
        "movement", help="how a period's pipeline moved (new, pulled in, pushed out, won, "
                         "lost, amount up and down) from a CRM history")
    p.add_argument("opportunities", metavar="OPPORTUNITIES.csv",
                   help="the CRM's opportunity export (one row per deal)")
    p.add_argument("--history", required=True, metavar="HISTORY.csv",
                   help="the CRM's opportunity history (one row per change)")
    crm_options.add_period_options(p)
    crm_options.add_reader_options(p)
    p.add_argument("--json", action="store_true", help="print the tables as one JSON object")
    p.add_argument("--out", metavar="DIR",
                   help="also write movement.csv, category_changes.csv and the waterfall "
                        "movement.png into this directory, which must be new or empty")
    add_lang_option(p, "movement.png's title and labels", "English")
    p.set_defaults(handler=handler)


def handler(args) -> int:
    """Run ``funnel movement``; returns the exit status."""
    from sim.crm.movement import category_changes, movement
    from sim.presentation.output import write_folder
    from sim.presentation.plots import plot_movement, to_png_bytes

    out = check_out_dir(args.out) if args.out is not None else None
    opps, hist = crm_options.read_crm(args, args.opportunities, args.history)
    latest = hist["timestamp"].max() if len(hist) else None
    start, end = crm_options.period_of(args, default_from=latest)
    table = movement(opps, hist, start, end)
    changes = category_changes(opps, hist, start, end)
    shown = f"{start:%Y-%m-%d} to {end.to_period('D') - 1}"  # the last day included
    partial = latest is not None and latest < end  # the export was taken inside the period
    if args.json:
        say(json.dumps({
            "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}",
            "history_ends": None if latest is None else f"{latest:%Y-%m-%d %H:%M:%S}",
            "movement": [{k: jsonable(v) for k, v in row.items()}
                         for row in table.to_dict(orient="records")],
            "category_changes": [{k: jsonable(v) for k, v in row.items()}
                                 for row in changes.to_dict(orient="records")]}))
    else:
        say(f"Pipeline movement, {shown}: the deals open and expected to close in the "
            "period")
        if partial:
            say(f"(the history ends on {latest:%Y-%m-%d}: Closing is the pipeline then)")
        say()
        say(f"  {'movement':12s} {'deals':>7s} {'amount':>14s} {'changes':>8s}")
        for row in table.itertuples(index=False):
            say(f"  {row.movement:12s} {row.deals:>7d} {fmt_money(row.amount):>14s} "
                f"{row.changes:>8d}")
        say("\nForecast-category changes of deals that stayed in the pipeline")
        if changes.empty:
            say("  none")
        for row in changes.itertuples(index=False):
            say(f"  {row.from_category or '(none)':>10s} -> {row.to_category or '(none)':10s}"
                f" {row.deals:>5d} deals {fmt_money(row.amount):>14s}")
    if out is not None:
        with using(args.lang or "en"):
            figure = plot_movement(table, period=_("{start} to {end}", start=f"{start:%Y-%m-%d}",
                                                   end=end.to_period("D") - 1))
        write_out(out, lambda: write_folder(out, {
            "movement.csv": lambda fh: table.to_csv(fh, index=False),
            "category_changes.csv": lambda fh: changes.to_csv(fh, index=False),
            "movement.png": lambda fh: fh.write(to_png_bytes(figure))}), quiet=args.json)
    return 0
