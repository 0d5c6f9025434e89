"""``funnel tournament``: the course exercise, teams' strategies ranked fairly.

``funnel tournament SCENARIO SUBMISSIONS_DIR [--replications N] [--seed S]
[--weights bookings=0.5,cash=0.3,forecast=0.2] [--reference NAME|POLICY] [--json]
[--out DIR] [--lang en|zh] [--workers W | --dask ADDRESS] [--quiet]``; ``--out`` writes
``debrief.html`` in the scenario's ``language``, or ``--lang``.

Each ``*.toml`` file in SUBMISSIONS_DIR is one team's submission
(:mod:`sim.scenario.submission`). A malformed one is reported on standard error
(``error: FILE: field: value ...: rule``, then ``skipped: FILE``) and left out; the
tournament goes on with the others. The exit status is 0 when at least one team ran,
2 when no submission is valid (or the command line or scenario is wrong). The seed is
never printed: its SHA-256 is (see :func:`sim.experiments.tournament.seed_hash`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim.presentation.commands.execution import add_execution_options, execution
from sim.presentation.commands.support import (
    RUN_POLICIES,
    UsageError,
    add_lang_option,
    check_out_dir,
    fmt_money,
    jsonable,
    results_period,
    say,
    seed_arg,
    whole_number,
    write_out,
)
from sim.rules.dates import last_date
from sim.scenario.errors import ScenarioError
from sim.scenario.shipped import open_scenario
from sim.scenario.submission import (
    WEIGHT_METRICS,
    check_weights,
    find_submissions,
    load_submission,
)

DEFAULT_REPLICATIONS = 20
WEIGHTS_HELP = "bookings=0.5,cash=0.3,forecast=0.2"


def register(subparsers) -> None:
    """Add ``funnel tournament``."""
    p = subparsers.add_parser(
        "tournament", help="rank teams' submitted strategies on the same replications")
    p.add_argument("scenario", help="the market every team faces: a scenario TOML file, or a "
                                    "shipped scenario's name (such as roller_coaster)")
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                   help="folder of the teams' submission files (*.toml)")
    p.add_argument("--replications", type=_replications, default=DEFAULT_REPLICATIONS,
                   help=f"paired replications per team (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--seed", type=seed_arg,
                   help="the trainer's seed (default: the scenario's); only its SHA-256 "
                        "is shown, so a long random seed stays secret")
    p.add_argument("--weights", type=weights_arg, default=WEIGHTS_HELP,
                   help=f"the composite score's weights (default {WEIGHTS_HELP})")
    p.add_argument("--reference", default="scenario", metavar="NAME|POLICY",
                   help="what each team is compared with: 'scenario' (its own policy, the "
                        f"default), a policy ({', '.join(RUN_POLICIES)}) or a team's name")
    add_execution_options(p)
    p.add_argument("--out", help="write leaderboard.csv, results.csv and debrief.html into "
                                 "this directory, which must be new or empty")
    p.add_argument("--json", action="store_true", help="print the ranking as JSON")
    add_lang_option(p, "debrief.html (its text and its figures)")
    p.set_defaults(handler=handler)


def _replications(text: str) -> int:
    return whole_number(text, 2, 10_000, "replications")


def weights_arg(text: str) -> dict[str, float]:
    """``--weights``: ``name=value`` pairs separated by commas; names ``bookings``,
    ``cash``, ``forecast``; values finite numbers, 0 or more, not all 0."""

    weights: dict[str, float] = {}
    for part in text.split(","):
        name, eq, value = (s.strip() for s in part.partition("="))
        if not eq or not name:
            raise argparse.ArgumentTypeError(
                f"value {text!r} is not allowed: write name=weight pairs separated by "
                f"commas, such as {WEIGHTS_HELP}")
        if name in weights:
            raise argparse.ArgumentTypeError(
                f"value {text!r} is not allowed: {name} is given twice")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if name in WEIGHT_METRICS and not math.isfinite(number):
            raise argparse.ArgumentTypeError(
                f"value {text!r} is not allowed: {name}: {value!r} is not a number")
        weights[name] = number
    try:
        return check_weights(weights)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"value {text!r} is not allowed: {exc}") from None


def _load_teams(scenario, folder: str):
    """The valid teams, and the skipped files with their problems (reported on stderr)."""
    from sim.experiments.tournament import Team

    teams, skipped, seen = [], [], {}
    for path in find_submissions(folder):
        source = str(path)
        try:
            team = Team.of(scenario, load_submission(path), source)
            if team.name in seen:
                raise ScenarioError(source, [
                    f"team: value {team.name!r} is not allowed: each team needs its own "
                    f"name, and {seen[team.name]} already uses it"])
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"error: {exc.source}: {problem}", file=sys.stderr)
            print(f"skipped: {source}: the tournament goes on without it", file=sys.stderr)
            skipped.append({"file": source, "problems": list(exc.problems)})
            continue
        seen[team.name] = source
        teams.append(team)
    return teams, skipped


def handler(args) -> int:
    from sim.experiments.tournament import run_tournament, tournament_scenario

    out = check_out_dir(args.out) if args.out is not None else None
    sc, _ = open_scenario(args.scenario)
    sc, changed = tournament_scenario(sc, args.seed)
    teams, skipped = _load_teams(sc, args.submissions)
    if not teams:
        raise UsageError(f"{args.submissions}: no valid submission: nothing to run "
                         f"({len(skipped)} file(s) skipped)")
    names = [t.name for t in teams]
    if args.reference not in (*names, "scenario", *RUN_POLICIES):
        raise UsageError(f"--reference: value {args.reference!r} is not allowed: give "
                         f"'scenario', a policy ({', '.join(RUN_POLICIES)}) or a team's "
                         f"name ({', '.join(names)})")
    with execution(args, label="tournament") as where:
        tour = run_tournament(sc, teams, args.replications, weights=args.weights,
                              reference=args.reference, **where)
    if changed:
        tour.notes.insert(0, changed)
    if args.json:
        say(json.dumps(as_json(tour, skipped)))
    else:
        say(format_tournament(tour, skipped))
    if out is not None:
        from sim.presentation.debrief import write_debrief

        write_out(out, lambda: write_debrief(tour, out, skipped, args.lang),
                  quiet=args.json)
    return 0


def _ci(row, metric: str) -> dict:
    return {"mean": jsonable(float(row[metric])),
            "ci_low": jsonable(float(row[f"{metric}_ci_low"])),
            "ci_high": jsonable(float(row[f"{metric}_ci_high"]))}


def _versus(row, metric: str) -> dict:
    key = f"{metric}_vs_reference"
    return {"difference": jsonable(float(row[key])),
            "ci_low": jsonable(float(row[f"{key}_ci_low"])),
            "ci_high": jsonable(float(row[f"{key}_ci_high"]))}


def as_json(tour, skipped: list[dict]) -> dict:
    """The ranking as one JSON-ready dict (see the README's "Run a tournament")."""
    from sim.experiments.tournament import SEED_HASH_PREFIX, VERSUS_METRICS
    sc = tour.scenario
    rows = []
    for row in tour.leaderboard.to_dict(orient="records"):
        ranked = row["rank"] is not None and row["rank"] == row["rank"]
        rows.append({
            "rank": int(row["rank"]) if ranked else None, "tied": bool(row["tied"]),
            "team": row["team"], "file": row["source"] or None, "policy": row["policy"],
            "forecast": jsonable(float(row["forecast"])),
            "metrics": {m: _ci(row, m) for m in
                        ("composite", "bookings", "cash_collected", "forecast_error")},
            "vs_reference": {m: _versus(row, m) for m in VERSUS_METRICS},
            "prospecting_share": jsonable(float(row["prospecting_share"])),
            "stopped_prospecting": bool(row["stopped_prospecting"])})
    return {"scenario": sc.name, "replications": len(tour.replications),
            "results_period": {"start": str(sc.start_date), "end": str(last_date(sc)),
                               "days": sc.horizon_days},
            "seed_sha256": tour.seed_hash,
            "seed_hash_of": f"{SEED_HASH_PREFIX}<seed>",
            "currency": sc.currency, "weights": tour.weights, "reference": tour.reference,
            "teams": [r for r in rows if r["rank"] is not None],
            "reference_strategy": next((r for r in rows if r["rank"] is None), None),
            "skipped": skipped, "notes": tour.notes}


def _fmt_ci(row, metric: str, fmt) -> str:
    mean, lo, hi = row[metric], row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    if mean != mean:
        return "n/a"
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def _z(x) -> str:
    return "n/a" if x != x else f"{x:+.2f}"


def _pct(x) -> str:
    return "n/a" if x != x else f"{x:.1%}"


def _signed_money(x) -> str:
    return "n/a" if x != x else f"{x:+,.0f}"


def format_tournament(tour, skipped: list[dict]) -> str:
    """The leaderboard as text: ranks with ties, each metric's mean and 95% CI, and each
    team's paired difference to the reference."""
    from sim.experiments.tournament import SEED_HASH_PREFIX, describe_policy

    sc = tour.scenario
    board = tour.leaderboard
    ranked = board[board["rank"].notna()]
    ref_row = board[board["rank"].isna()]
    ref_policy = (ref_row["policy"].iloc[0] if len(ref_row)
                  else describe_policy(next(t.policy for t in tour.teams
                                            if t.name == tour.reference)))
    w = tour.weights
    team_w = max([4, *(len(t) for t in board["team"])])
    policy_w = max([6, *(len(p) for p in board["policy"])])
    lines = [
        f"Funnel Sandbox tournament: {sc.name}, {len(ranked)} team(s), "
        f"{len(tour.replications)} paired replications (the same leads for every team)",
        f"  {results_period(sc)}; amounts in {sc.currency}",
        f"  seed sha256 {tour.seed_hash}",
        f"    (of the text '{SEED_HASH_PREFIX}<seed>'; the seed itself is not shown)",
        f"  composite = weighted mean of z-scores across teams per replication: bookings "
        f"{w['bookings']:.2f}, cash {w['cash']:.2f}, forecast error {w['forecast']:.2f}",
        "  reference: " + (f"{ref_policy}, run as '{tour.reference}'"
                           if len(ref_row) else f"team {tour.reference} ({ref_policy})"),
        "",
        "  means with [95% CI] over replications",
        f"  {'rank':>4s}  {'team':{team_w}s}  {'composite':>22s}  {'bookings':>32s}  "
        f"{'cash collected':>32s}  {'forecast error':>24s}",
    ]
    for _, row in ranked.iterrows():
        rank = f"={row['rank']}" if row["tied"] else str(row["rank"])
        lines.append(
            f"  {rank:>4s}  {row['team']:{team_w}s}  {_fmt_ci(row, 'composite', _z):>22s}  "
            f"{_fmt_ci(row, 'bookings', fmt_money):>32s}  "
            f"{_fmt_ci(row, 'cash_collected', fmt_money):>32s}  "
            f"{_fmt_ci(row, 'forecast_error', _pct):>24s}")
    lines += ["", f"  against the reference ({tour.reference}): paired difference [95% CI]",
              f"  {'team':{team_w}s}  {'policy':{policy_w}s}  {'bookings':>36s}  "
              f"{'cash collected':>36s}  prospecting"]
    for _, row in ranked.iterrows():
        versus = [f"{_signed_money(row[f'{m}_vs_reference'])} "
                  f"[{_signed_money(row[f'{m}_vs_reference_ci_low'])}, "
                  f"{_signed_money(row[f'{m}_vs_reference_ci_high'])}]"
                  for m in ("bookings", "cash_collected")]
        stopped = ", stopped" if row["stopped_prospecting"] else ""
        lines.append(f"  {row['team']:{team_w}s}  {row['policy']:{policy_w}s}  {versus[0]:>36s}  "
                     f"{versus[1]:>36s}  {_pct(row['prospecting_share'])} of hours{stopped}")
    for _, row in ref_row.iterrows():
        lines.append(f"  {row['team']:{team_w}s}  {row['policy']:{policy_w}s}  "
                     f"bookings {_fmt_ci(row, 'bookings', fmt_money)}, prospecting "
                     f"{_pct(row['prospecting_share'])} of hours")
    notes = list(tour.notes)
    if board["stopped_prospecting"].any():
        notes.append("stopped: in a quarter or more of the 4-week windows a rep prospected "
                     "less than an hour (the roller-coaster's first sign)")
    if skipped:
        notes.append(f"skipped {len(skipped)} malformed submission(s): "
                     + ", ".join(Path(s["file"]).name for s in skipped))
    if notes:
        lines.append("")
        lines += [f"  note: {n}" for n in notes]
    return "\n".join(lines)
