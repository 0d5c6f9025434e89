"""The tournament's debrief: one self-contained HTML page for the room, and its tables.

The page (figures embedded as PNG data, styles inline, nothing fetched from the network,
and never the seed, only its hash) holds the leaderboard with each metric's 95% CI and
ties, each team's difference to the reference, each team's bookings over time, and the
roller-coaster of the teams that stopped prospecting. :func:`write_debrief` writes it
as ``debrief.html`` beside ``leaderboard.csv`` (one row per team, and the reference)
and ``results.csv`` (one row per team and replication), all or nothing, as
:mod:`sim.presentation.output` writes a run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.experiments.tournament import DRY_HOURS, DRY_SHARE, SEED_HASH_PREFIX
from sim.presentation.output import write_folder
from sim.presentation.plots import format_money
from sim.presentation.plots.tournament import plot_prospecting_swings, plot_team_bookings
from sim.presentation.report import CSS, NA, _esc, _figure, _no_data, _table
from sim.rules.dates import last_date


def _ci_text(row, metric: str, fmt) -> str:
    mean = row[metric]
    if mean != mean:
        return NA
    lo, hi = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    if lo != lo:
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def _leaderboard_rows(tour):
    """The leaderboard as text cells."""
    cur = tour.scenario.currency
    board = tour.leaderboard.copy()

    def money(x):
        return format_money(x, cur) or "0"

    def signed(x):
        return ("+" if x > 0 else "") + (format_money(x, cur) or "0")

    def pct(x):
        return f"{x:.1%}"

    board["rank_text"] = [
        "reference" if r != r else (f"={r:.0f}" if tied else f"{r:.0f}")
        for r, tied in zip(board["rank"].astype(float), board["tied"], strict=True)]
    for metric, fmt in (("composite", lambda x: f"{x:+.2f}"), ("bookings", money),
                        ("cash_collected", money), ("forecast_error", pct)):
        board[f"{metric}_text"] = [_ci_text(r, metric, fmt) for _, r in board.iterrows()]
    for metric in ("bookings", "cash_collected"):
        key = f"{metric}_vs_reference"
        board[f"{key}_text"] = [
            NA if r[key] != r[key] else (
                f"{signed(r[key])} [{signed(r[f'{key}_ci_low'])}, "
                f"{signed(r[f'{key}_ci_high'])}]" if r[f"{key}_ci_low"] == r[f"{key}_ci_low"]
                else signed(r[key]))
            for _, r in board.iterrows()]
    board["forecast_text"] = [NA if f != f else money(f) for f in board["forecast"]]
    board["prospecting_text"] = [
        NA if s != s else f"{s:.0%}" + (" (stopped)" if stopped else "")
        for s, stopped in zip(board["prospecting_share"], board["stopped_prospecting"],
                              strict=True)]
    return board


LEADERBOARD_COLUMNS = {
    "rank_text": ("Rank", "text"), "team": ("Team", "text"), "policy": ("Policy", "text"),
    "composite_text": ("Composite score [95% CI]", "text"),
    "bookings_text": ("Bookings [95% CI]", "text"),
    "cash_collected_text": ("Cash collected [95% CI]", "text"),
    "forecast_text": ("Forecast", "text"),
    "forecast_error_text": ("Forecast error [95% CI]", "text"),
}
VERSUS_COLUMNS = {
    "team": ("Team", "text"),
    "bookings_vs_reference_text": ("Bookings minus the reference's [95% CI]", "text"),
    "cash_collected_vs_reference_text": ("Cash minus the reference's [95% CI]", "text"),
    "prospecting_text": ("Hours spent prospecting", "text"),
}


def _swings_section(tour) -> str:
    stopped = tour.stopped_prospecting
    rule = (f"A team stopped prospecting when, in at least {DRY_SHARE:.0%} of the 4-week "
            f"windows, a rep spent less than {DRY_HOURS:g} hour prospecting.")
    if not stopped:
        return (f'<p class="note">{_esc(rule)}</p>'
                + _no_data("no team stopped prospecting, so there is no roller-coaster to "
                           "show"))
    board = tour.leaderboard
    steady = board[~board["stopped_prospecting"]].sort_values("dry_window_share")
    shown = stopped + list(steady["team"][:1])
    swings = tour.swings[tour.swings["team"].isin(shown)]
    contrast = (f" For contrast, {steady['team'].iloc[0]}, which kept prospecting."
                if len(steady) else "")
    return (f'<p class="note">{_esc(rule)} They are {_esc(", ".join(stopped))}.'
            f"{_esc(contrast)} The first rep of each, in the first replication: a rep who "
            "stops prospecting while late deals need closing finds the top of the funnel dry, "
            "prospects in a rush, and about one sales cycle later bookings slump.</p>"
            + _figure(plot_prospecting_swings(swings, reference=tour.reference,
                                              order=list(board["team"])),
                      "Prospecting hours and Above-the-Funnel stock over time"))


def build_debrief(tour, skipped=()) -> str:
    """The debrief of a :class:`~sim.experiments.tournament.Tournament` as one
    self-contained HTML document (the seed is not in it, only its hash)."""
    sc = tour.scenario
    cur = sc.currency
    board = _leaderboard_rows(tour)
    w = tour.weights
    skipped_html = "".join(
        f"<li><code>{_esc(Path(s['file']).name)}</code>: "
        + "; ".join(_esc(p) for p in s["problems"]) + "</li>" for s in skipped)
    notes = "".join(f'<p class="note">{_esc(n)}</p>' for n in tour.notes)
    ranked = board[board["rank"].notna()]
    parts = [
        ("leaderboard", "Leaderboard", _table(
            board, LEADERBOARD_COLUMNS, cur,
            scope=f"Means over {len(tour.replications)} paired replications, each with its "
                  "95% confidence interval; amounts in " + cur + ".",
            empty="no team ran.")
         + '<p class="note">The composite score is the weighted mean of z-scores across '
           f"the teams in each replication: bookings {w['bookings']:.2f}, cash collected "
           f"{w['cash']:.2f}, forecast error {w['forecast']:.2f} (lower error scores "
           "higher). A rank marked = is shared: the 95% CI of the paired difference in "
           "composite with the team above contains 0, so the replications cannot tell "
           "them apart. One lucky quarter does not decide this ranking: every team met "
           "the same leads in every replication.</p>" + notes),
        ("reference", f"Against the reference ({tour.reference})", _table(
            ranked, VERSUS_COLUMNS, cur,
            scope="Paired differences: each replication's team figure minus the "
                  "reference's on the same leads, mean and 95% CI.",
            empty="no team ran.")),
        ("bookings", "Bookings over time", _figure(
            plot_team_bookings(tour.quarterly, currency=cur, reference=tour.reference,
                               order=list(tour.leaderboard["team"])),
            "Bookings per quarter per team")),
        ("rollercoaster", "The roller-coaster", _swings_section(tour)),
    ]
    if skipped:
        parts.append(("skipped", "Submissions left out",
                      f"<ul>{skipped_html}</ul>"))
    nav = "".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _ in parts)
    body = "".join(f'<section id="{key}"><h2>{_esc(title)}</h2>{html}</section>'
                   for key, title, html in parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Tournament debrief: {_esc(sc.name)}</title><style>{CSS}</style></head>"
        f"<body><h1>Tournament debrief: {_esc(sc.name)}</h1>"
        f"<p class=\"lead\">{len(ranked)} teams, {len(tour.replications)} paired "
        f"replications, results period {sc.start_date} to {last_date(sc):%Y-%m-%d}. "
        f"Seed SHA-256 <code>{tour.seed_hash}</code> (of the text "
        f"<code>{_esc(SEED_HASH_PREFIX)}&lt;seed&gt;</code>). Made {dt.date.today()}.</p>"
        f"<nav>{nav}</nav>{body}</body></html>\n")


def write_debrief(tour, out: str | Path, skipped=()) -> list[Path]:
    """Write ``debrief.html``, ``leaderboard.csv`` and ``results.csv`` into ``out``, all
    or nothing (:func:`sim.presentation.output.write_folder`: through a hidden staging
    folder beside it, as a run's files).

    Raises
    ------
    FileExistsError, NotADirectoryError, OSError
        As for :func:`~sim.presentation.output.write_run`; nothing is left behind.
    """
    page = build_debrief(tour, skipped)  # before anything is written
    board, results = tour.leaderboard, tour.results
    return write_folder(out, {
        "debrief.html": lambda fh: fh.write(page),
        "leaderboard.csv": lambda fh: board.to_csv(fh, index=False),
        "results.csv": lambda fh: results.to_csv(fh, index=False)})
