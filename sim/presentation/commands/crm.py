"""``funnel stress`` and ``funnel calibrate``: the manager's own pipeline.

- ``funnel stress PIPELINE.csv [--history HISTORY.csv] [--period 2027-Q1 | --from DATE
  --to DATE] [--quota Q] [--win-rate-shift -0.10] [--draws N] [--seed S] [--json]
  [--out DIR] [--lang en|zh] [--map COLUMN=FIELD] [--date-format FORMAT]`` runs the Monte
  Carlo of :func:`sim.crm.stress.stress_pipeline` over the open deals expected in the period
  (default: the calendar quarter holding the export's latest date) and prints the
  expected bookings, P10/P50/P90, the chance to reach the quota and the deals that carry
  the risk; ``--out`` also writes ``report.html`` (in English, or Chinese with ``--lang
  zh``), ``stress.json`` and ``deals.csv``.
  A period with no open deal in it is not an error: the figures are what was already
  won in it (zero if nothing), exit status 0, and a warning says where the open deals
  are expected instead.
- ``funnel calibrate OPPORTUNITIES.csv [--history HISTORY.csv] --out my.toml [--name
  NAME] [--map ...] [--date-format ...]`` writes a scenario fitted to the export
  (:func:`sim.crm.calibrate.calibrate`), validated before it is written; an existing
  file is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim.presentation.commands.crm_options import (
    add_period_options,
    add_reader_options,
    period_of,
    read_crm,
)
from sim.presentation.commands.support import (
    UsageError,
    add_lang_option,
    check_out_dir,
    fmt_money,
    os_reason,
    say,
    seed_arg,
    whole_number,
    write_out,
)

TOP_DEALS = 10


def _number(text: str, allowed, rule: str) -> float:
    """A finite number (thousands separators allowed) for which ``allowed`` holds; else
    argparse's error saying ``rule``."""
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and allowed(value)):
        raise argparse.ArgumentTypeError(f"value {text!r} is not allowed: {rule}")
    return value


def quota_arg(text: str) -> float:
    """``--quota``: an amount above 0 (thousands separators allowed)."""
    return _number(text, lambda v: v > 0, "the quota must be an amount above 0")


def shift_arg(text: str) -> float:
    """``--win-rate-shift``: from -1 to 1 (-0.10: ten points lower)."""
    return _number(text, lambda v: -1 <= v <= 1,
                   "the shift must lie from -1 to 1 (-0.10: win rates ten points lower)")


def draws_arg(text: str) -> int:
    """``--draws``: a whole number from 100 to 1,000,000."""
    return whole_number(text.replace(",", "").replace("_", ""), 100, 1_000_000, "draws")


def register(subparsers) -> None:
    """Add ``stress`` and ``calibrate``."""
    st = subparsers.add_parser(
        "stress", help="stress-test a CRM pipeline: chance to make the period, deals at risk")
    st.add_argument("pipeline", metavar="PIPELINE.csv",
                    help="the CRM's opportunities (one row per deal)")
    st.add_argument("--history", metavar="HISTORY.csv",
                    help="the opportunity history (one row per change): fits each stage's "
                         "win rate and slip and draws them per draw")
    add_period_options(st)
    st.add_argument("--quota", type=quota_arg, help="the period's bookings target")
    st.add_argument("--win-rate-shift", type=shift_arg, default=0.0, metavar="SHIFT",
                    help="also show every chance moved by SHIFT (-0.10: ten points lower), "
                         "on the same draws")
    st.add_argument("--draws", type=draws_arg, default=10_000,
                    help="Monte Carlo draws, 100 to 1,000,000 (default 10,000)")
    st.add_argument("--seed", type=seed_arg, default=None,
                    help="seed of the draws (default: a fixed one, so runs repeat)")
    st.add_argument("--json", action="store_true", help="print the figures as JSON")
    st.add_argument("--out", help="write report.html, stress.json and deals.csv into this "
                                  "new or empty directory")
    add_lang_option(st, "report.html (its text and its figure)", "English")
    add_reader_options(st)
    st.set_defaults(handler=stress)

    cal = subparsers.add_parser(
        "calibrate", help="fit a scenario to a CRM export and write it as TOML")
    cal.add_argument("opportunities", metavar="OPPORTUNITIES.csv",
                     help="the CRM's opportunities (one row per deal)")
    cal.add_argument("--history", metavar="HISTORY.csv",
                     help="the opportunity history: stage order and decision times")
    cal.add_argument("--out", required=True, metavar="FILE.toml",
                     help="the scenario file to write (must not exist)")
    cal.add_argument("--name", default=None, help="the scenario's name (default: the file's)")
    add_reader_options(cal)
    cal.set_defaults(handler=calibrate)


# -- funnel stress -------------------------------------------------------------------------

def stress(args) -> int:
    from sim.crm.stress import DEFAULT_SEED, as_of, stress_pipeline

    out = check_out_dir(args.out) if args.out is not None else None
    opps, history = read_crm(args, args.pipeline, args.history)
    try:
        default = as_of(opps, history)
    except ValueError as exc:
        raise UsageError(f"{args.pipeline}: {exc}") from None
    start, end = period_of(args, default_from=default)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    try:
        result = stress_pipeline(opps, history, start=start, end=end, quota=args.quota,
                                 shift=args.win_rate_shift, draws=args.draws, seed=seed)
    except ValueError as exc:
        raise UsageError(f"{args.pipeline}: {exc}") from None
    if len(result.deals) == 0:
        _say_where_deals_are(args.pipeline, opps, result)
    if args.json:
        say(json.dumps(result.as_dict(TOP_DEALS)))
    else:
        say(format_stress(result, args.pipeline))
    if out is not None:
        from sim.presentation.stress_report import write_stress

        write_out(out, lambda: write_stress(result, out, args.pipeline, args.lang),
                  quiet=args.json)
    return 0


def _say_where_deals_are(source, opps, result) -> None:
    is_open = opps["status"] == "tracking"
    close = opps.loc[is_open, "expected_close"].dropna()
    where = (f"the open deals expect to close from {close.min():%Y-%m-%d} to "
             f"{close.max():%Y-%m-%d}" if len(close) else "the file has no open deal")
    print(f"warning: {source}: no open deal is expected to close from "
          f"{result.start:%Y-%m-%d} to before {result.end:%Y-%m-%d}; {where} (choose "
          "another --period)", file=sys.stderr)


def format_stress(result, source: str) -> str:
    """The stress test as text."""
    b, s = result.base, result.shifted
    last = result.end  # shown as the day before: the period is [start, end)
    lines = [
        f"Stress test: {source}, {len(result.deals):,} open deals expected to close from "
        f"{result.start:%Y-%m-%d} to before {last:%Y-%m-%d}; {result.draws:,} draws "
        f"(seed {result.seed})",
        "",
        f"  Already won in the period        {fmt_money(result.booked):>14}",
        f"  Expected bookings                {fmt_money(b.expected):>14}   "
        f"(Monte Carlo error {fmt_money(b.mc_error)})",
        f"  Weighted forecast                {fmt_money(b.weighted_forecast):>14}   "
        "(won + sum of amount x chance: what the mean estimates)",
        f"  P10 / P50 / P90                  {fmt_money(b.p10)} / {fmt_money(b.p50)} / "
        f"{fmt_money(b.p90)}",
    ]
    if result.quota == result.quota:
        lines.append(f"  Chance to reach {fmt_money(result.quota):>10}     "
                     f"{b.p_quota:>14.1%}   (+- {b.p_quota_error:.1%})")
    if s is not None:
        lines += ["", f"  With win rates {result.shift * 100:+.0f} points (same draws):",
                  f"  Expected bookings                {fmt_money(s.expected):>14}   "
                  f"({fmt_money(s.expected - b.expected)} against as given)",
                  f"  P10 / P50 / P90                  {fmt_money(s.p10)} / "
                  f"{fmt_money(s.p50)} / {fmt_money(s.p90)}"]
        if result.quota == result.quota:
            lines.append(f"  Chance to reach {fmt_money(result.quota):>10}     "
                         f"{s.p_quota:>14.1%}")
    if len(result.deals):
        lines += ["", "  The deals that carry the risk (share of the variance, amount^2 x "
                  "p x (1 - p)):",
                  f"  {'share':>6}  {'amount':>12}  {'chance':>6}  {'stage':20s}  deal"]
        for row in result.deals.head(TOP_DEALS).itertuples(index=False):
            lines.append(f"  {row.variance_share:>6.1%}  {fmt_money(row.amount):>12}  "
                         f"{row.chance:>6.0%}  {str(row.stage)[:20]:20s}  {row.name}")
    if result.fit is not None and result.fit.order_from == "history":
        lines += ["", "  From the history (Beta posteriors, 95% intervals):",
                  f"  {'stage':24s} {'closed':>6}  {'win rate':>18}  {'days':>6}  "
                  f"{'slipped':>18}"]
        for r in result.fit.table.itertuples(index=False):
            lines.append(f"  {str(r.stage)[:24]:24s} {r.reached:>6}  "
                         f"{_rate(r.win_rate, r.win_low, r.win_high):>18}  "
                         f"{_num(r.days_mean):>6}  "
                         f"{_rate(r.slip_rate, r.slip_low, r.slip_high):>18}"
                         + ("  (small sample)" if r.win_small else ""))
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def _rate(mean, lo, hi) -> str:
    return "n/a" if mean != mean else f"{mean:.0%} [{lo:.0%}, {hi:.0%}]"


def _num(x) -> str:
    return "n/a" if x != x else f"{x:.1f}"


# -- funnel calibrate -------------------------------------------------------------------------

def calibrate(args) -> int:
    from sim.crm.calibrate import calibrate as fit_scenario

    out = Path(args.out)
    if out.exists() or out.is_symlink():
        raise UsageError(f"--out: {out} already exists; choose a new file name so nothing "
                         "you have is overwritten")
    if not out.parent.is_dir():
        raise UsageError(f"--out: folder {out.parent} does not exist")
    opps, history = read_crm(args, args.opportunities, args.history)
    name = args.name or Path(args.opportunities).stem
    try:
        cal = fit_scenario(opps, history, name=name, source=Path(args.opportunities).name)
    except ValueError as exc:
        raise UsageError(f"{args.opportunities}: {exc}") from None
    try:
        with out.open("x", encoding="utf-8") as fh:
            fh.write(cal.text)
    except FileExistsError:
        raise UsageError(f"--out: {out} already exists; nothing was written") from None
    except OSError as exc:
        raise UsageError(f"--out: {out} could not be written: {os_reason(exc)}") from None
    say(format_calibration(cal, out))
    return 0


def format_calibration(cal, out) -> str:
    """What was fitted, how well, and what fell back to defaults."""
    lines = [f"wrote {out}: {len(cal.scenario.stages)} stages, {len(cal.scenario.channels)} "
             f"channels, {cal.scenario.team.reps} reps (run it: funnel run {out})", "",
             f"  {'part':18s} {'item':26s} {'n':>5}  {'value':>12}  fit"]
    for r in cal.report.itertuples(index=False):
        value = f"{r.value:,.2f}" if isinstance(r.value, float) else str(r.value)
        lines.append(f"  {r.part:18s} {str(r.item)[:26]:26s} {r.n:>5}  {value:>12}  {r.fit}"
                     + (f"  ({r.note})" if r.note else ""))
    if cal.fit.notes:
        lines += ["", "  Left out of the fit:"] + [f"  - {n}" for n in cal.fit.notes]
    lines += ["", "  Fell back to defaults:"] + [f"  - {f}" for f in cal.fallbacks]
    return "\n".join(lines)
