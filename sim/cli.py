"""The ``funnel`` command line.

``funnel run [SCENARIO] [--seed N] [--days D] [--out DIR] [--json]`` runs one
replication and prints its KPIs; ``funnel validate FILE...`` checks scenario files.
Bad input prints ``error: FILE: field: value ...: rule`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim.scenario import Scenario
from sim.scenario_file import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


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
    run.add_argument("scenario", nargs="?", help="scenario TOML file (default: baseline)")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--days", type=float, help="override the results period (days)")
    run.add_argument("--out", help="write tables (CSV) and the scenario (TOML) into this "
                                   "directory, which must be new or empty")
    run.add_argument("--json", action="store_true", help="print KPIs as one JSON object")

    val = sub.add_parser("validate", help="check scenario files and report every problem")
    val.add_argument("files", nargs="+", help="scenario TOML files")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``funnel``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.files)
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


def load_for_run(args) -> Scenario:
    """The scenario named on the command line, with --seed / --days applied."""
    path = args.scenario or DEFAULT_SCENARIO
    sc = load_scenario(path)
    changes = {}
    if args.seed is not None:
        if args.seed < 0:
            raise UsageError(f"--seed: value {args.seed} is not allowed: must be 0 or more")
        changes["seed"] = args.seed
    if args.days is not None:
        if not (math.isfinite(args.days) and 0 < args.days <= 3650):
            raise UsageError(f"--days: value {args.days} is not allowed: must be in (0, 3650]")
        changes["horizon_days"] = args.days
    return sc.with_(**changes) if changes else sc


def _run(args) -> int:
    from sim.experiment import simulate
    from sim.output import write_run

    out = _check_out_dir(args.out) if args.out else None
    sc = load_for_run(args)
    for warning in sc.advice():
        print(f"warning: {warning}", file=sys.stderr)
    result = simulate(sc)
    k = result.kpis()
    if args.json:
        print(json.dumps({key: _jsonable(v) for key, v in k.items()}))
    else:
        print(format_kpis(sc, k))
    if out is not None:
        written = write_run(result, out)
        if not args.json:
            print(f"\nwrote {len(written)} files to {out}")
    return 0


def _check_out_dir(out: str) -> Path:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: {out} is a file, not a directory; nothing was written")
    if path.is_dir() and any(path.iterdir()):
        raise UsageError(f"--out: directory {out} is not empty; choose a new one so nothing "
                         "you have is overwritten")
    return path


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def format_kpis(sc: Scenario, k: dict) -> str:
    """A readable KPI summary."""
    cur = sc.currency

    def money(x):
        return "n/a" if x != x else f"{x:,.0f} {cur}"

    def pct(x):
        return "n/a" if x != x else f"{x:.1%}"

    def days(x):
        return "n/a" if x != x else f"{x:.0f} days"

    end = sc.start_date.fromordinal(sc.start_date.toordinal() + int(sc.horizon_days) - 1)
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
        f"  Average deal size          {money(k['avg_deal_size']):>18}",
        f"  Average sales cycle        {days(k['avg_cycle_days']):>18}",
        f"  Lost to neglect            {k['lost_to_neglect']:>10,}",
        f"  Rep utilisation            {pct(k['rep_utilization']):>10}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
