"""The ``funnel`` command line.

- ``funnel run [SCENARIO] [--seed N] [--days D] [--policy NAME] [--out DIR] [--open]
  [--json] [--lang en|zh]`` runs one replication and prints its KPIs (and writes tables
  and a report, in English or Chinese);
- ``funnel compare [SCENARIO] --policies A B ... [--workers N | --dask ADDRESS]
  [--quiet]`` runs policies on paired replications, on all usable cores by default
  (see :mod:`sim.presentation.commands.execution`);
- ``funnel scenarios [--json]`` lists the shipped scenarios;
- ``funnel validate FILE...`` checks scenario files.

The command modules under :mod:`sim.presentation.commands` add the rest:
``sweep`` and ``warmup`` (:mod:`~sim.presentation.commands.experiments`), ``stress`` and
``calibrate`` (:mod:`~sim.presentation.commands.crm`), ``movement``
(:mod:`~sim.presentation.commands.movement`), ``tournament`` and ``forecast`` (the
manager's forecast per period and its accuracy, :mod:`~sim.presentation.commands.forecast`).

SCENARIO is a file, or the name of a shipped scenario (``roller_coaster``) when no such
file exists; left out, it is ``baseline``. ``--seed``, ``--days`` and ``--policy`` make
a variant with :func:`~sim.scenario.variants.vary`, one option at a time, so a broken
rule names the option that broke it.

Bad input prints ``error: SOURCE: field: value ...: rule`` (SOURCE: the file, or the
option) and exits with status 2, without a traceback; so does output that cannot be
written (``--out`` in a place that cannot take it, checked before the run; a full disk
under ``> FILE``). A reader that leaves early (``funnel run --json | head``) ends the
command quietly. Ctrl-C prints ``interrupted`` and exits with status 130, leaving no
worker process and no half-written ``--out`` folder behind.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Only the light scenario layer is imported here, so that ``funnel --help`` and ``funnel
# validate`` start at once; each command imports the heavy modules it needs (the
# experiments, the analysis, the report: pandas, SimPy, matplotlib) when it runs. The
# command line is the one agreed exception to "no import inside a function"
# (tests/test_architecture.py).
from sim.presentation.commands import crm as crm_commands
from sim.presentation.commands import experiments as experiments_commands
from sim.presentation.commands import forecast as forecast_commands
from sim.presentation.commands import movement as movement_commands
from sim.presentation.commands import tournament as tournament_commands
from sim.presentation.commands.execution import add_execution_options, execution
from sim.presentation.commands.support import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    RUN_POLICIES,
    SCENARIO_HELP,
    OutputError,
    UsageError,
    add_lang_option,
    check_out_dir,
    days_arg,
    flush_stdout,
    fmt_number,
    in_language,
    jsonable,
    load_for_run,
    os_reason,
    replications_arg,
    say,
    seed_arg,
    silence_stdout,
    write_out,
)
from sim.rules.dates import last_date
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.shipped import DEFAULT, load_shipped, shipped_files
from sim.scenario.variants import policy_changes, vary

COMMAND_MODULES = (crm_commands, movement_commands, experiments_commands,
                   tournament_commands, forecast_commands)
"""Modules that add sub-commands: each has ``register(subparsers)`` (see
:mod:`sim.presentation.commands.support`)."""

COMPARE_METRICS = [  # where the swing shows first: prospecting and the top of the funnel
    "rep_prospecting_cv_4weeks", "rep_above_funnel_cv_weeks", "time_share_above_funnel",
    "time_share_best_few", "time_share_in_funnel", "time_share_orders",
    # then bookings, about one sales cycle later
    "dry_top_lag_days", "rep_bookings_cv_quarter", "bookings_cv_month", "bookings_cv_quarter",
    "bookings", "won", "win_rate", "lost_to_neglect", "cash_collected", "dso_days"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on its own; keep its words, drop usage noise
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)

    def print_help(self, file=None):  # argparse drops a failed write; report it instead
        if file is None or file is sys.stdout:
            say(self.format_help().rstrip("\n"))
        else:
            super().print_help(file)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="funnel", description="Funnel Sandbox: simulate a B2B sales funnel.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run one replication and print its KPIs")
    run.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    run.add_argument("--seed", type=seed_arg, help="override the scenario's seed (0 or more)")
    run.add_argument("--days", type=days_arg, help="override the results period (days, up to 3650)")
    run.add_argument("--out", help="write tables (CSV), the scenario (TOML) and the report "
                                   "(report.html) into this directory, which must be new or "
                                   "empty")
    run.add_argument("--open", action="store_true",
                     help="open the report in a web browser (in a new temporary directory "
                          "unless --out is given)")
    run.add_argument("--policy", choices=RUN_POLICIES,
                     help="give every rep this policy, replacing the members' own policies "
                          "(default: the scenario's own)")
    run.add_argument("--json", action="store_true", help="print KPIs as one JSON object")
    add_lang_option(run, "the report")

    cmp_ = sub.add_parser(
        "compare", help="run policies on the same leads (paired replications) and compare")
    cmp_.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    cmp_.add_argument("--policies", nargs="+", choices=RUN_POLICIES,
                      default=["close_first", "miller_heiman"], metavar="NAME",
                      help=f"two or more of {', '.join(RUN_POLICIES)} "
                           "(default: close_first miller_heiman)")
    cmp_.add_argument("--replications", type=replications_arg, default=30,
                      help="paired replications per policy (default 30)")
    cmp_.add_argument("--seed", type=seed_arg, help="override the scenario's seed (0 or more)")
    cmp_.add_argument("--days", type=days_arg, help="override the results period (days)")
    cmp_.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_execution_options(cmp_)
    experiments_commands.add_precision_options(cmp_)

    lst = sub.add_parser("scenarios", help="list the shipped scenarios (funnel run NAME "
                                           "runs one)")
    lst.add_argument("--json", action="store_true", help="print the list as JSON")

    val = sub.add_parser("validate", help="check scenario files and report every problem")
    val.add_argument("files", nargs="+", help="scenario TOML files")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``funnel``; returns the exit status.

    Returns
    -------
    int
        0 on success, 2 for bad input or output that cannot be written, 130 after an
        interrupt (Ctrl-C).
    """
    try:
        status = _main(argv)
        flush_stdout()
        return status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `funnel run --json | head`: the reader left, not an error
        silence_stdout()
        return 0
    except OutputError as exc:
        silence_stdout()
        print(f"error: the output could not be written: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _main(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # bad arguments (status 2) or --help (status 0)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    return _dispatch(args)


def _dispatch(args) -> int:
    try:
        if getattr(args, "handler", None) is not None:
            return args.handler(args)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args)
        if args.command == "scenarios":
            return _scenarios(args)
        return _run(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {exc.source}: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("error: not enough memory for this run; try a shorter --days, fewer "
              "replications or fewer --workers", file=sys.stderr)
        return EXIT_BAD_INPUT


def _validate(files: list[str]) -> int:
    status = 0
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"error: {exc.source}: {problem}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        for warning in sc.advice():
            print(f"warning: {f}: {warning}", file=sys.stderr)
        say(f"ok: {f} ({len(sc.stages)} stages, {len(sc.channels)} channels, "
             f"{sc.team.reps} reps, policy {sc.policy.name})")
    return status


def _scenarios(args) -> int:
    """``funnel scenarios``: the shipped scenarios, each with its file, description (first
    line), stages and reps."""
    rows = []
    for name in shipped_files():
        sc, source = load_shipped(name)
        rows.append({"name": name, "file": _shown_path(source),
                     "description": (sc.description.strip().splitlines() or [""])[0],
                     "stages": len(sc.stages), "reps": sc.team.reps})
    if args.json:
        say(json.dumps({"default": DEFAULT, "scenarios": rows}))
        return 0
    name_w = max([len("name"), *(len(r["name"]) for r in rows)])
    file_w = max([len("file"), *(len(r["file"]) for r in rows)])
    say(f"Shipped scenarios: `funnel run NAME` runs one (default {DEFAULT}); copy a file "
         "to change it\n")
    say(f"  {'name':{name_w}s}  {'stages':>6s}  {'reps':>4s}  {'file':{file_w}s}  description")
    for r in rows:
        say(f"  {r['name']:{name_w}s}  {r['stages']:>6d}  {r['reps']:>4d}  "
             f"{r['file']:{file_w}s}  {r['description']}")
    return 0


def _shown_path(source: str) -> str:
    """A file as a user would type it: relative to the working directory when under it."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def _compare(args) -> int:
    from sim.experiments.runner import compare, kpis_and_swings, paired_difference

    if len(set(args.policies)) < 2:
        raise UsageError(f"--policies: value {' '.join(args.policies)!r} is not allowed: "
                         "name at least two different policies")
    args.policy = None
    sc, _ = load_for_run(args)
    variants = {name: vary(sc, policy_changes(sc, name), source="--policies")
                for name in dict.fromkeys(args.policies)}
    with execution(args) as where:
        runs = (compare(variants, args.replications, metrics=kpis_and_swings, **where)
                if args.precision is None else
                experiments_commands.compare_to_precision(variants, args, kpis_and_swings, where))
    names = list(variants)
    rows = []
    for metric in COMPARE_METRICS:
        means = runs.groupby("scenario")[metric].mean()
        row = {"metric": metric, **{n: jsonable(float(means[n])) for n in names}}
        for other in names[1:]:
            d = paired_difference(runs, other, names[0], metric)
            row[f"{other} - {names[0]}"] = {k: jsonable(d[k]) for k in
                                            ("difference", "ci_low", "ci_high")}
        rows.append(row)
    if args.json:
        say(json.dumps({"scenario": sc.name, "replications": args.replications,
                         "policies": names, "metrics": rows,
                         "precision": getattr(args, "precision_report", None)}))
        return 0
    say(f"Funnel Sandbox: {sc.name}, {args.replications} paired replications "
         f"(seed {sc.seed}); means, and the paired difference with its 95% CI\n")
    head = f"  {'metric':28s}" + "".join(f"{n:>16s}" for n in names)
    head += "".join(f"   {o} - {names[0]}" for o in names[1:])
    say(head)
    undefined = False
    for row in rows:
        line = f"  {row['metric']:28s}" + "".join(f"{fmt_number(row[n]):>16s}" for n in names)
        for other in names[1:]:
            d = row[f"{other} - {names[0]}"]
            line += (f"   {fmt_number(d['difference'])} [{fmt_number(d['ci_low'])}, "
                     f"{fmt_number(d['ci_high'])}]")
        undefined |= "n/a" in line
        say(line)
    if undefined:
        say("\n  n/a: the figure is undefined in every replication (a rate or swing with "
             "nothing to measure,\n  such as a win rate when no deal closed), or fewer than "
             "two replications define the difference")
    return 0


def _run(args) -> int:
    from sim.experiments.runner import simulate
    from sim.presentation.output import write_run

    out = check_out_dir(args.out) if args.out is not None else None
    sc, source = load_for_run(args)
    sc = in_language(sc, args.lang)  # the report's language only: the run is the same
    for warning in sc.advice():
        print(f"warning: {source}: {warning}", file=sys.stderr)
    result = simulate(sc)
    k = result.kpis()
    if args.json:
        say(json.dumps({key: jsonable(v) for key, v in k.items()}))
    else:
        say(format_kpis(sc, k))
    if out is not None:
        write_out(out, lambda: write_run(result, out), quiet=args.json)
    if args.open:
        _open_report(result, out)
    return 0


def _open_report(result, out: Path | None) -> None:
    """Open the run's report in a browser; without --out it goes to a new temporary
    directory, so nothing of the user's is touched."""
    import tempfile
    import webbrowser

    from sim.presentation.report import write_report

    if out is None:
        try:
            out = Path(tempfile.mkdtemp(prefix="funnel-report-"))
            page = write_report(result, out / "report.html")
        except OSError as exc:
            raise UsageError(f"--open: the report could not be written: "
                             f"{os_reason(exc)}") from None
    else:
        page = out / "report.html"
    if not webbrowser.open(page.resolve().as_uri()):
        print(f"could not start a web browser; the report is at {page}", file=sys.stderr)


LEVEL_LABELS = {"best_few": "Best Few", "above_funnel": "Above the Funnel",
                "in_funnel": "In the Funnel", "orders": "Orders"}


def _fmt_cv(x) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def format_kpis(sc: Scenario, k: dict) -> str:
    """A readable KPI summary; a figure that is undefined shows as ``n/a`` with the
    reason."""
    cur = sc.currency

    def money(x):
        return "n/a" if x != x else f"{x:,.0f} {cur}"

    def pct(x):
        return "n/a" if x != x else f"{x:.1%}"

    def days(x):
        return "n/a" if x != x else f"{x:.0f} days"

    def why(x, reason):
        return f"   (n/a: {reason})" if x != x else ""

    swing = k["bookings_cv_month"], k["bookings_cv_quarter"]
    swing_reason = ("nothing was booked" if k["bookings"] == 0 else
                    "it needs bookings in two or more whole periods of the results period")
    lines = [
        f"Funnel Sandbox: {sc.name}  ({sc.start_date} to {last_date(sc)}, seed {sc.seed}, "
        f"policy {sc.policy.name}, {sc.team.reps} reps"
        + (f" + {hired} hired" if (hired := sum(h.count for h in sc.team.hires)) else "") + ")",
        "",
        f"  Leads                      {k['leads']:>10,}",
        f"  Opportunities              {k['opportunities']:>10,}"
        + (f"   ({pct(k['lead_to_opportunity_rate'])} of the leads became one)"
           if k["lead_to_opportunity_rate"] == k["lead_to_opportunity_rate"] else
           "   (share of leads n/a: no leads)"),
        f"  Won / lost                 {k['won']:>6,} / {k['lost']:,}"
        f"   (win rate {pct(k['win_rate'])}"
        + (": no deal closed)" if k["win_rate"] != k["win_rate"] else ")"),
        f"  Open (tracking) at end     {k['open']:>10,}",
        f"  Bookings                   {money(k['bookings']):>18}",
        f"  Billings (invoiced)        {money(k['billings']):>18}",
        f"  Cash collected             {money(k['cash_collected']):>18}",
        f"  Days sales outstanding     {days(k['dso_days']):>18}"
        + why(k["dso_days"], "nothing was invoiced"),
        f"  Receivables overdue        {money(k['receivables_overdue']):>18}",
        f"  Average deal size          {money(k['avg_deal_size']):>18}"
        + why(k["avg_deal_size"], "no deal was won"),
        f"  Average sales cycle        {days(k['avg_cycle_days']):>18}"
        + why(k["avg_cycle_days"], "no deal was won"),
        f"  Lost to neglect            {k['lost_to_neglect']:>10,}",
        f"  Rep utilisation            {pct(k['rep_utilization']):>10}"
        + why(k["rep_utilization"], "the reps had no working hours"),
        f"  Bookings swing (CV)        {_fmt_cv(swing[0]):>10} per month, "
        f"{_fmt_cv(swing[1])} per quarter"
        + (f"   (n/a: {swing_reason})" if any(x != x for x in swing) else ""),
        "  Rep time by level          "
        + ", ".join(f"{LEVEL_LABELS[level]} {pct(k['time_share_' + level])}"
                    for level in LEVEL_LABELS),
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
