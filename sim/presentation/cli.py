"""The ``funnel`` command line.

- ``funnel run [SCENARIO] [--seed N] [--days D] [--policy NAME] [--out DIR] [--open]
  [--json]`` runs one replication and prints its KPIs (and writes tables and a report);
- ``funnel compare [SCENARIO] --policies A B ...`` runs policies on paired replications;
- ``funnel forecast [SCENARIO]`` prints the manager's forecast per period and its accuracy;
- ``funnel scenarios [--json]`` lists the shipped scenarios;
- ``funnel validate FILE...`` checks scenario files.

SCENARIO is a file, or the name of a shipped scenario (``roller_coaster``) when no such
file exists; left out, it is ``baseline``. ``--seed``, ``--days`` and ``--policy`` make
a variant with :func:`~sim.scenario.variants.vary`, one option at a time, so a broken
rule names the option that broke it.

Bad input prints ``error: SOURCE: field: value ...: rule`` (SOURCE: the file, or the
option) and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import webbrowser
from pathlib import Path

from sim.analysis import forecast as fc
from sim.experiments.runner import compare, kpis_and_swings, paired_difference, simulate
from sim.presentation.output import write_run
from sim.presentation.report import write_report
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.schema import POLICY_NAMES, Scenario
from sim.scenario.shipped import DEFAULT, load_shipped, open_scenario, shipped_files
from sim.scenario.variants import policy_changes, vary

EXIT_BAD_INPUT = 2
RUN_POLICIES = tuple(p for p in POLICY_NAMES if p != "custom")
COMPARE_METRICS = [  # where the swing shows first: prospecting and the top of the funnel
    "rep_prospecting_cv_4weeks", "rep_above_funnel_cv_weeks", "time_share_above_funnel",
    "time_share_best_few", "time_share_in_funnel", "time_share_orders",
    # then bookings, about one sales cycle later
    "dry_top_lag_days", "rep_bookings_cv_quarter", "bookings_cv_month", "bookings_cv_quarter",
    "bookings", "won", "win_rate", "lost_to_neglect", "cash_collected", "dso_days"]
SCENARIO_HELP = f"scenario TOML file, or a shipped scenario's name (default: {DEFAULT})"


class UsageError(Exception):
    """A bad command-line value."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on its own; keep its words, drop usage noise
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="funnel", description="Funnel Sandbox: simulate a B2B sales funnel.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run one replication and print its KPIs")
    run.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    run.add_argument("--seed", type=_seed, help="override the scenario's seed (0 or more)")
    run.add_argument("--days", type=_days, help="override the results period (days, up to 3650)")
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

    cmp_ = sub.add_parser(
        "compare", help="run policies on the same leads (paired replications) and compare")
    cmp_.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    cmp_.add_argument("--policies", nargs="+", choices=RUN_POLICIES,
                      default=["close_first", "miller_heiman"], metavar="NAME",
                      help=f"two or more of {', '.join(RUN_POLICIES)} "
                           "(default: close_first miller_heiman)")
    cmp_.add_argument("--replications", type=_replications, default=30,
                      help="paired replications per policy (default 30)")
    cmp_.add_argument("--seed", type=_seed, help="override the scenario's seed (0 or more)")
    cmp_.add_argument("--days", type=_days, help="override the results period (days)")
    cmp_.add_argument("--workers", type=_workers, default=1,
                      help="local processes to use (default 1)")
    cmp_.add_argument("--json", action="store_true", help="print the comparison as JSON")

    fc_ = sub.add_parser(
        "forecast", help="the manager's weekly forecast: per period, and its accuracy")
    fc_.add_argument("scenario", nargs="?", help=SCENARIO_HELP)
    fc_.add_argument("--seed", type=_seed, help="override the scenario's seed (0 or more)")
    fc_.add_argument("--days", type=_days, help="override the results period (days)")
    fc_.add_argument("--policy", choices=RUN_POLICIES,
                     help="give every rep this policy, replacing the members' own policies")
    fc_.add_argument("--json", action="store_true", help="print the forecast as JSON")

    lst = sub.add_parser("scenarios", help="list the shipped scenarios (funnel run NAME "
                                           "runs one)")
    lst.add_argument("--json", action="store_true", help="print the list as JSON")

    val = sub.add_parser("validate", help="check scenario files and report every problem")
    val.add_argument("files", nargs="+", help="scenario TOML files")
    return p


def _whole(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: {what} must be a whole number from {low} to {high}")
    return value


def _replications(text: str) -> int:
    return _whole(text, 2, 10_000, "replications")


def _workers(text: str) -> int:
    return _whole(text, 1, 256, "workers")


def _seed(text: str) -> int:
    """``--seed``: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a whole number, 0 or more")
    return value


def _days(text: str) -> float:
    """``--days``: a finite number of days in (0, 3650]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 3650):
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a number of days above 0 and at most 3650")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``funnel``; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # bad arguments (status 2) or --help (status 0)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return _dispatch(args)
    except BrokenPipeError:  # e.g. `funnel run --json | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python quiet at exit
        return 0


def _dispatch(args) -> int:
    try:
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args)
        if args.command == "forecast":
            return _forecast(args)
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
        print(f"ok: {f} ({len(sc.stages)} stages, {len(sc.channels)} channels, "
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
        print(json.dumps({"default": DEFAULT, "scenarios": rows}))
        return 0
    name_w = max([len("name"), *(len(r["name"]) for r in rows)])
    file_w = max([len("file"), *(len(r["file"]) for r in rows)])
    print(f"Shipped scenarios: `funnel run NAME` runs one (default {DEFAULT}); copy a file "
          "to change it\n")
    print(f"  {'name':{name_w}s}  {'stages':>6s}  {'reps':>4s}  {'file':{file_w}s}  description")
    for r in rows:
        print(f"  {r['name']:{name_w}s}  {r['stages']:>6d}  {r['reps']:>4d}  "
              f"{r['file']:{file_w}s}  {r['description']}")
    return 0


def _shown_path(source: str) -> str:
    """A file as a user would type it: relative to the working directory when under it."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def load_for_run(args) -> tuple[Scenario, str]:
    """The scenario named on the command line with ``--seed``, ``--days`` and ``--policy``
    applied, and its source for messages.

    Each option makes its variant with :func:`vary` in turn, so a rule it breaks is
    reported as ``--days: field: value ...: rule``.
    """
    sc, source = open_scenario(args.scenario)
    options = [("--seed", {"seed": args.seed} if args.seed is not None else {}),
               ("--days", {"horizon_days": args.days} if args.days is not None else {})]
    if getattr(args, "policy", None) is not None:
        options.append(("--policy", policy_changes(sc, args.policy)))
    for option, changes in options:
        if changes:
            sc = vary(sc, changes, source=option)
    return sc, source


def _compare(args) -> int:
    if len(set(args.policies)) < 2:
        raise UsageError(f"--policies: value {' '.join(args.policies)!r} is not allowed: "
                         "name at least two different policies")
    args.policy = None
    sc, _ = load_for_run(args)
    variants = {name: vary(sc, policy_changes(sc, name), source="--policies")
                for name in dict.fromkeys(args.policies)}
    runs = compare(variants, args.replications, metrics=kpis_and_swings, workers=args.workers)
    names = list(variants)
    rows = []
    for metric in COMPARE_METRICS:
        means = runs.groupby("scenario")[metric].mean()
        row = {"metric": metric, **{n: _jsonable(float(means[n])) for n in names}}
        for other in names[1:]:
            d = paired_difference(runs, other, names[0], metric)
            row[f"{other} - {names[0]}"] = {k: _jsonable(d[k]) for k in
                                            ("difference", "ci_low", "ci_high")}
        rows.append(row)
    if args.json:
        print(json.dumps({"scenario": sc.name, "replications": args.replications,
                          "policies": names, "metrics": rows}))
        return 0
    print(f"Funnel Sandbox: {sc.name}, {args.replications} paired replications "
          f"(seed {sc.seed}); means, and the paired difference with its 95% CI\n")
    head = f"  {'metric':28s}" + "".join(f"{n:>16s}" for n in names)
    head += "".join(f"   {o} - {names[0]}" for o in names[1:])
    print(head)
    for row in rows:
        line = f"  {row['metric']:28s}" + "".join(f"{_fmt(row[n]):>16s}" for n in names)
        for other in names[1:]:
            d = row[f"{other} - {names[0]}"]
            line += (f"   {_fmt(d['difference'])} [{_fmt(d['ci_low'])}, "
                     f"{_fmt(d['ci_high'])}]")
        print(line)
    return 0


def _forecast(args) -> int:
    sc, _ = load_for_run(args)
    result = simulate(sc)
    table = fc.forecast_table(result)
    acc = fc.accuracy(result)
    if args.json:
        records = [{k: _jsonable(v) for k, v in row.items()}
                   for row in table.to_dict(orient="records")]
        print(json.dumps({"scenario": sc.name, "periods": records,
                          "accuracy": {k: _jsonable(v) for k, v in acc.summary().items()}}))
        return 0
    cur = sc.currency
    believed = ("the true win rates" if sc.forecast.assumed_win_rates is None else
                "assumed win rates " + ", ".join(f"{w:.0%}" for w in sc.assumed_win_rates))
    print(f"Funnel Sandbox: {sc.name}, forecast per {sc.forecast.period} made on its first "
          f"day with {believed} (seed {sc.seed})\n")
    print(f"  {'period':8s} {'quota':>12s} {'forecast':>12s} {'commit':>12s} "
          f"{'best case':>12s} {'actual':>12s} {'error':>8s} {'attained':>9s}")
    for row in table.itertuples(index=False):
        print(f"  {row.period:8s} {_money(row.quota):>12s} {_money(row.forecast):>12s} "
              f"{_money(row.commit):>12s} {_money(row.best_case):>12s} "
              f"{_money(row.actual):>12s} {_pct(row.error_pct):>8s} "
              f"{_pct(row.attainment_pct):>9s}")
    s = acc.summary()
    print(f"\n  amounts in {cur}; bias {_pct(s['forecast_bias_pct'])} (mean signed error), "
          f"mean absolute error {_pct(s['forecast_mape_pct'])}, "
          f"{s['forecast_within_5pct_share']:.0%} of periods within 5%")
    return 0


def _money(x) -> str:
    return "n/a" if x != x else f"{x:,.0f}"


def _pct(x) -> str:
    """A value already in percent."""
    return "n/a" if x != x else f"{x:+.1f}%"


def _fmt(x) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3f}"


def _run(args) -> int:
    out = _check_out_dir(args.out) if args.out is not None else None
    sc, source = load_for_run(args)
    for warning in sc.advice():
        print(f"warning: {source}: {warning}", file=sys.stderr)
    result = simulate(sc)
    k = result.kpis()
    if args.json:
        print(json.dumps({key: _jsonable(v) for key, v in k.items()}))
    else:
        print(format_kpis(sc, k))
    if out is not None:
        try:
            written = write_run(result, out)
        except OSError as exc:  # the directory changed while the run was going on
            raise UsageError(f"--out: {exc}; nothing was written") from None
        if not args.json:
            print(f"\nwrote {len(written)} files to {out}")
    if args.open:
        _open_report(result, out)
    return 0


def _open_report(result, out: Path | None) -> None:
    """Open the run's report in a browser; without --out it goes to a new temporary
    directory, so nothing of the user's is touched."""
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="funnel-report-"))
        page = write_report(result, out / "report.html")
    else:
        page = out / "report.html"
    if not webbrowser.open(page.resolve().as_uri()):
        print(f"could not start a web browser; the report is at {page}", file=sys.stderr)


def _check_out_dir(out: str) -> Path:
    """Refuse, before the run, an --out that is a file or a directory with files in it."""
    if not out:
        raise UsageError("--out: value '' is not allowed: give a directory name")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: {out} is a file, not a directory; nothing was written")
    if path.is_dir():
        try:
            if any(path.iterdir()):
                raise UsageError(f"--out: directory {out} is not empty; choose a new one so "
                                 "nothing you have is overwritten")
        except PermissionError:
            raise UsageError(f"--out: directory {out} cannot be read (permission "
                             "denied)") from None
        return path
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out: {out} cannot be created: {parent} is a file, not a "
                         "directory; nothing was written")
    return path


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


LEVEL_LABELS = {"best_few": "Best Few", "above_funnel": "Above the Funnel",
                "in_funnel": "In the Funnel", "orders": "Orders"}


def _fmt_cv(x) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def format_kpis(sc: Scenario, k: dict) -> str:
    """A readable KPI summary."""
    cur = sc.currency

    def money(x):
        return "n/a" if x != x else f"{x:,.0f} {cur}"

    def pct(x):
        return "n/a" if x != x else f"{x:.1%}"

    def days(x):
        return "n/a" if x != x else f"{x:.0f} days"

    last = max(math.ceil(sc.horizon_days) - 1, 0)
    end = sc.start_date.fromordinal(sc.start_date.toordinal() + last)
    lines = [
        f"Funnel Sandbox: {sc.name}  ({sc.start_date} to {end}, seed {sc.seed}, "
        f"policy {sc.policy.name}, {sc.team.reps} reps)",
        "",
        f"  Leads                      {k['leads']:>10,}",
        f"  Opportunities              {k['opportunities']:>10,}"
        f"   ({pct(k['lead_to_opportunity_rate'])} of leads)",
        f"  Won / lost                 {k['won']:>6,} / {k['lost']:,}"
        f"   (win rate {pct(k['win_rate'])})",
        f"  Open (tracking) at end     {k['open']:>10,}",
        f"  Bookings                   {money(k['bookings']):>18}",
        f"  Billings (invoiced)        {money(k['billings']):>18}",
        f"  Cash collected             {money(k['cash_collected']):>18}",
        f"  Days sales outstanding     {days(k['dso_days']):>18}",
        f"  Receivables overdue        {money(k['receivables_overdue']):>18}",
        f"  Average deal size          {money(k['avg_deal_size']):>18}",
        f"  Average sales cycle        {days(k['avg_cycle_days']):>18}",
        f"  Lost to neglect            {k['lost_to_neglect']:>10,}",
        f"  Rep utilisation            {pct(k['rep_utilization']):>10}",
        f"  Bookings swing (CV)        {_fmt_cv(k['bookings_cv_month']):>10} per month, "
        f"{_fmt_cv(k['bookings_cv_quarter'])} per quarter",
        "  Rep time by level          "
        + ", ".join(f"{LEVEL_LABELS[level]} {pct(k['time_share_' + level])}"
                    for level in LEVEL_LABELS),
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
