"""``funnel sweep`` and ``funnel warmup``, and the ``--precision`` options they share
with ``funnel compare``.

- ``funnel sweep [SCENARIO] --set PATH=V1,V2 [--set ...] [--policy NAME ...]
  [--replications N | --precision P [--max-replications N]] [--kpi NAME] [--seed N]
  [--days D] [--workers N | --dask ADDRESS] [--quiet] [--json] [--out DIR]`` runs the
  full grid on the same replications (common random numbers) and prints each cell's
  mean and 95% CI for the main KPIs and the paired difference to the first cell.
- ``funnel warmup [SCENARIO] [--replications N] [--kpi MEASURE ...] [--window W]
  [--tolerance T] [--seed N] [--days D] [--workers N | --dask ADDRESS] [--quiet]
  [--json] [--out DIR]`` shows the weekly means over replications from the start of the
  warm-up, smoothed with Welch's moving average, and where they settle.

Every ``--set`` and every cell of the grid is checked before anything runs; a bad one is
reported as ``error: --set: path: value ...: rule`` (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from sim.presentation.commands.execution import add_execution_options, execution
from sim.presentation.commands.support import (
    SCENARIO_HELP,
    UsageError,
    check_out_dir,
    days_arg,
    fmt_number,
    jsonable,
    load_for_run,
    replications_arg,
    results_period,
    say,
    seed_arg,
    whole_number,
    write_out,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.files import to_toml
from sim.scenario.schema import POLICY_NAMES
from sim.scenario.variants import parse_values

SWEEP_POLICIES = tuple(p for p in POLICY_NAMES if p != "custom")
WARMUP_DEFAULT_MEASURES = ("open_deals", "bookings", "rep_utilization")
WARMUP_MEASURE_NAMES = ("bookings", "won", "new_opportunities", "open_deals",
                        "rep_utilization")
MAX_REPLICATIONS = 200
"""The default cap of ``--precision``: no more replications than this per variant."""


def precision_arg(text: str) -> float:
    """``--precision``: a number above 0 (a share of the mean, or an absolute value)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a number above 0, such as 0.05 (the "
            "95% CI half-width within 5% of the mean)")
    return value


def max_replications_arg(text: str) -> int:
    return whole_number(text, 5, 10_000, "the most replications")


def window_arg(text: str) -> int:
    return whole_number(text, 0, 52, "the window (weeks on each side)")


def tolerance_arg(text: str) -> float:
    value = precision_arg(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a share above 0 and below 1, such as "
            "0.1 (within 10% of the settled level)")
    return value


def add_precision_options(parser: argparse.ArgumentParser, kpi_option: bool = True) -> None:
    """Add ``--precision``, ``--max-replications`` and (with ``kpi_option``)
    ``--precision-kpi`` to ``parser``."""
    group = parser.add_argument_group("replications to a precision")
    group.add_argument("--precision", type=precision_arg, metavar="P",
                       help="instead of a fixed --replications, add replications until the "
                            "KPI's 95%% CI half-width is within P of its mean in every "
                            "variant (0.05: 5%%), checked over a few more (sim-tools' "
                            "method)")
    group.add_argument("--absolute", action="store_true",
                       help="with --precision: P is a half-width in the KPI's unit, not a "
                            "share of the mean")
    group.add_argument("--max-replications", type=max_replications_arg,
                       default=MAX_REPLICATIONS, metavar="N",
                       help=f"with --precision: the most replications to run (default "
                            f"{MAX_REPLICATIONS})")
    if kpi_option:
        group.add_argument("--precision-kpi", default="bookings", metavar="NAME",
                           help="with --precision: the KPI whose CI must be narrow "
                                "(default bookings)")


def runs_to_precision(variants: dict, args, kpi: str, metrics, where: dict):
    """Run ``variants`` until ``kpi`` meets ``args.precision`` (see
    :func:`sim.experiments.precision.run_to_precision`); prints how many replications it
    took (unless ``--json``) and returns the :class:`PrecisionRun`."""
    from sim.experiments.precision import run_to_precision

    found = run_to_precision(variants, kpi, args.precision, relative=not args.absolute,
                             max_replications=args.max_replications, metrics=metrics,
                             **where)
    if not args.json:
        say(f"precision: {found.message()}\n")
    elif not found.reached:
        print(f"warning: --precision: {found.message()}", file=sys.stderr)
    return found


def precision_json(found) -> dict | None:
    """What ``--json`` shows of a :class:`PrecisionRun` (None without ``--precision``)."""
    if found is None:
        return None
    return {"kpi": found.kpi, "precision": found.precision, "relative": found.relative,
            "reached": found.reached, "needed": found.needed,
            "replications": found.replications,
            "variants": [{k: jsonable(v) for k, v in row.items()}
                         for row in found.table.to_dict(orient="records")]}


def compare_to_precision(variants: dict, args, metrics, where: dict):
    """``funnel compare --precision``: the runs, with ``args.replications`` set to the
    number run and ``args.precision_report`` to what ``--json`` shows."""
    from sim.experiments.sweep import KPI_NAMES

    check_kpi(args.precision_kpi, "--precision-kpi", KPI_NAMES)
    found = runs_to_precision(variants, args, args.precision_kpi, metrics, where)
    args.replications = found.replications
    args.precision_report = precision_json(found)
    return found.runs


def check_kpi(kpi: str, option: str, names) -> None:
    if kpi not in names:
        raise UsageError(f"{option}: value {kpi!r} is not allowed: must be one of "
                         f"{', '.join(names)}")


def register(subparsers) -> None:
    """Add ``funnel sweep`` and ``funnel warmup``."""
    sw = subparsers.add_parser(
        "sweep", help="run a grid of field values (and policies) on the same leads and "
                      "compare every cell with the first")
    sw.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    sw.add_argument("--set", action="append", required=True, metavar="PATH=V1,V2",
                    dest="sets",
                    help="a field and the values to try, as in TOML: team.reps=3,5,7 or "
                         "'stages[2].win_rate=0.4,0.6'; repeat for a grid (every "
                         "combination is run)")
    sw.add_argument("--policy", nargs="+", choices=SWEEP_POLICIES, metavar="NAME",
                    dest="policies",
                    help=f"policies to sweep too, given to every rep: {', '.join(SWEEP_POLICIES)}")
    sw.add_argument("--replications", type=replications_arg, default=10,
                    help="paired replications per cell (default 10)")
    sw.add_argument("--kpi", default="bookings", metavar="NAME",
                    help="the KPI of the figure and of --precision (default bookings)")
    add_precision_options(sw, kpi_option=False)
    _add_common_options(sw, "sweep_tidy.csv, sweep_summary.csv")
    sw.set_defaults(handler=sweep_command)

    wu = subparsers.add_parser(
        "warmup", help="weekly means from the start of the warm-up, smoothed (Welch), to "
                       "see whether warmup_days is long enough")
    wu.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    wu.add_argument("--replications", type=replications_arg, default=10,
                    help="replications to average (default 10)")
    wu.add_argument("--kpi", nargs="+", choices=WARMUP_MEASURE_NAMES, metavar="MEASURE",
                    default=list(WARMUP_DEFAULT_MEASURES),
                    help=f"weekly measures to show: {', '.join(WARMUP_MEASURE_NAMES)} "
                         f"(default {' '.join(WARMUP_DEFAULT_MEASURES)})")
    wu.add_argument("--window", type=window_arg, default=5,
                    help="weeks on each side of Welch's moving average (default 5)")
    wu.add_argument("--tolerance", type=tolerance_arg, default=0.1,
                    help="the settling band, a share of the settled level (default 0.1)")
    _add_common_options(wu, "warmup_table.csv, warmup_weekly.csv")
    wu.set_defaults(handler=warmup_command)


def _add_common_options(parser: argparse.ArgumentParser, tables: str) -> None:
    """``--seed``, ``--days``, ``--json``, ``--out`` and where the replications run."""
    parser.add_argument("--seed", type=seed_arg,
                        help="override the scenario's seed (0 or more)")
    parser.add_argument("--days", type=days_arg, help="override the results period (days)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", help=f"write {tables}, the figure and the scenario into "
                                      "this directory (new or empty)")
    add_execution_options(parser)


# -- funnel sweep ---------------------------------------------------------------------------
def parse_grid(sc, sets: list[str]) -> dict:
    """The ``--set`` options as a grid, every problem reported at once."""
    grid: dict = {}
    problems: list[str] = []
    for text in sets:
        try:
            path, values = parse_values(sc, text, "--set")
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if path in grid:
            problems.append(f"{path}: is given twice: list all its values in one --set, "
                            f"such as {path}=" + ",".join(str(v) for v in
                                                           [*grid[path], *values]))
            continue
        grid[path] = values
    if problems:
        raise ScenarioError("--set", problems)
    return grid


def sweep_command(args) -> int:
    from sim.experiments.runner import compare, kpis_of
    from sim.experiments.sweep import (
        KPI_NAMES,
        MAIN_KPIS,
        summarize_sweep,
        sweep_cells,
        tidy_sweep,
    )

    check_kpi(args.kpi, "--kpi", KPI_NAMES)
    out = check_out_dir(args.out) if args.out is not None else None
    sc, _ = load_for_run(args)
    cells = sweep_cells(sc, parse_grid(sc, args.sets), args.policies, source="--set")
    variants = {c.label: c.scenario for c in cells}
    found = None
    if not args.json:
        say(f"Funnel Sandbox sweep: {sc.name}, {len(cells)} cells, {results_period(sc)}, "
            f"seed {sc.seed}\n")
    with execution(args, label="sweep") as where:
        if args.precision is not None:
            found = runs_to_precision(variants, args, args.kpi, kpis_of, where)
            runs = found.runs
        else:
            runs = compare(variants, args.replications, **where)
    tidy = tidy_sweep(cells, runs)
    summary = summarize_sweep(tidy)
    shown = list(dict.fromkeys([*MAIN_KPIS, args.kpi]))
    replications = int(tidy["replication"].nunique())
    if args.json:
        say(json.dumps({
            "scenario": sc.name, "seed": sc.seed, "replications": replications,
            "fields": list(cells[0].settings), "cells": list(variants),
            "precision": precision_json(found),
            "summary": _records(summary[summary["metric"].isin(shown)])}))
    else:
        _print_sweep(summary, shown, cells, replications)
    if out is not None:
        _write_sweep(out, sc, tidy, summary, args.kpi, args.json)
    return 0


def _records(frame) -> list[dict]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else jsonable(v))
             for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _ci(mean, low, high) -> str:
    if low != low:
        return f"{fmt_number(mean)}"
    return f"{fmt_number(mean)} [{fmt_number(low)}, {fmt_number(high)}]"


def _print_sweep(summary, shown: list[str], cells, replications: int) -> None:
    first = cells[0].label
    say(f"{replications} paired replications per cell (the same leads in every cell): "
        "each cell's mean [95% CI],\nand its paired difference to the first cell "
        f"({first}) [95% CI]")
    width = max(len("cell"), *(len(c.label) for c in cells))
    for metric in shown:
        rows = summary[summary["metric"] == metric]
        say(f"\n{metric}")
        say(f"  {'cell':{width}s}  {'mean [95% CI]':38s}  difference to the first cell")
        for r in rows.itertuples(index=False):
            diff = ("(the first cell)" if r.scenario == first else
                    _ci(r.difference, r.difference_ci_low, r.difference_ci_high))
            say(f"  {r.scenario:{width}s}  {_ci(r.mean, r.ci_low, r.ci_high):38s}  {diff}")
    if summary.loc[summary["metric"].isin(shown), "ci_low"].isna().any():
        say("\n  n/a or no CI: the figure is undefined (such as a win rate when no deal "
            "closed) or fewer than two replications define it")


def _write_sweep(out, sc, tidy, summary, kpi: str, quiet: bool) -> None:
    from sim.presentation.plots.experiments import plot_sweep
    from sim.presentation.plots.style import to_png_bytes

    png = to_png_bytes(plot_sweep(summary, kpi, currency=sc.currency))
    contents = {"sweep_tidy.csv": lambda fh: tidy.to_csv(fh, index=False),
                "sweep_summary.csv": lambda fh: summary.to_csv(fh, index=False),
                f"sweep_{kpi}.png": lambda fh: fh.write(png),
                "scenario.toml": lambda fh: fh.write(to_toml(sc))}
    _write(out, contents, quiet)


def _write(out, contents: dict, quiet: bool) -> None:
    from sim.presentation.output import write_folder

    write_out(out, lambda: write_folder(out, contents), quiet=quiet)


# -- funnel warmup --------------------------------------------------------------------------
def warmup_command(args) -> int:
    from sim.experiments.warmup import warmup_study

    out = check_out_dir(args.out) if args.out is not None else None
    measures = list(dict.fromkeys(args.kpi))
    sc, _ = load_for_run(args)
    with execution(args, label="warmup") as where:
        study = warmup_study(sc, args.replications, window=args.window,
                             tolerance=args.tolerance, measures=measures, **where)
    suggested = study.suggested_days()
    if args.json:
        say(json.dumps({
            "scenario": sc.name, "seed": sc.seed, "replications": args.replications,
            "window": args.window, "tolerance": args.tolerance,
            "warmup_days": sc.warmup_days, "suggested_warmup_days": suggested,
            "advice": _records(study.advice), "table": _records(study.table)}))
    else:
        _print_warmup(sc, study, measures, args.replications)
    if out is not None:
        _write_warmup(out, sc, study, measures, args.json)
    return 0


def _print_warmup(sc, study, measures: list[str], replications: int) -> None:
    w = study.window
    say(f"Funnel Sandbox warm-up: {sc.name}, {replications} replications (seed {sc.seed}), "
        f"week by week from the start of\nthe {sc.warmup_days:g}-day warm-up (day "
        f"{-sc.warmup_days:g}) to the end of the {results_period(sc)}")
    say(f"mean: over the replications; welch: Welch's moving average over {2 * w + 1} "
        f"weeks ({w} on each side; shorter at the start)\n")
    table = study.table
    head = f"  {'week':>4s} {'day':>6s}" + "".join(f"  {m + ' mean':>24s} {'welch':>12s}"
                                                    for m in measures)
    say(head)
    by = {m: table[table["measure"] == m].reset_index(drop=True) for m in measures}
    for i, row in by[measures[0]].iterrows():
        line = f"  {int(row['week']):>4d} {row['start_day']:>6g}"
        for m in measures:
            r = by[m].iloc[i]
            welch = "" if r["welch"] != r["welch"] else fmt_number(r["welch"])
            line += f"  {fmt_number(r['mean']):>24s} {welch:>12s}"
        say(line)
    say("\nWhere the curves settle (advice, not a verdict): the settled level is the mean "
        "over the second half\nof the run; a curve settles at the first week from which "
        f"Welch's average stays within {study.tolerance:.0%}\nof that level (or within twice "
        "its own spread there, if wider).")
    for a in study.advice.itertuples(index=False):
        direction = ("below" if a.first < a.level - a.band else
                     "above" if a.first > a.level + a.band else "near")
        where = (f"does not settle by this rule ({direction} at first)" if a.week is None
                 else f"settles by day {a.start_day:g} ({a.run_days:g} days into the run)")
        say(f"  {a.measure:18s} level {fmt_number(a.level)} +/- {fmt_number(a.band)}; starts "
            f"{direction} it ({fmt_number(a.first)}); {where}")
    suggested = study.suggested_days()
    if suggested is None:
        say(f"\n  No suggestion: a curve never settles in this run; try more --replications, "
            f"a wider --window or a longer --days. warmup_days is {sc.warmup_days:g}.")
    elif suggested <= sc.warmup_days:
        say(f"\n  Suggested warm-up: about {suggested:g} days (the latest settling point); "
            f"warmup_days = {sc.warmup_days:g} looks long enough.")
    else:
        say(f"\n  Suggested warm-up: about {suggested:g} days (the latest settling point); "
            f"warmup_days = {sc.warmup_days:g} looks too short: the results period starts "
            "before the pipeline has filled.")


def _write_warmup(out, sc, study, measures: list[str], quiet: bool) -> None:
    from sim.presentation.plots.experiments import plot_warmup
    from sim.presentation.plots.style import to_png_bytes

    png = to_png_bytes(plot_warmup(study.table, study.advice, warmup_days=sc.warmup_days,
                                   measures=measures, currency=sc.currency))
    contents = {"warmup_table.csv": lambda fh: study.table.to_csv(fh, index=False),
                "warmup_weekly.csv": lambda fh: study.weekly.to_csv(fh, index=False),
                "warmup.png": lambda fh: fh.write(png),
                "scenario.toml": lambda fh: fh.write(to_toml(sc))}
    _write(out, contents, quiet)
