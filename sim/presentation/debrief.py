"""The tournament's debrief: one self-contained HTML page for the room, and its tables.

The page (figures embedded as PNG data, styles inline, nothing fetched from the network,
and never the seed, only its hash) holds the leaderboard with each metric's 95% CI and
ties, each team's difference to the reference, each team's bookings over time, and the
roller-coaster of the teams that stopped prospecting; in English or Chinese (the
scenario's ``language``, or ``funnel tournament --lang``). :func:`write_debrief` writes it
as ``debrief.html`` beside ``leaderboard.csv`` (one row per team, and the reference)
and ``results.csv`` (one row per team and replication), all or nothing, as
:mod:`sim.presentation.output` writes a run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.experiments.tournament import DRY_HOURS, DRY_SHARE, SEED_HASH_PREFIX
from sim.presentation.i18n import chosen, known, using
from sim.presentation.i18n import text as _
from sim.presentation.output import write_folder
from sim.presentation.page import html_page
from sim.presentation.plots import format_money
from sim.presentation.plots.tournament import plot_prospecting_swings, plot_team_bookings
from sim.presentation.report import CSS, NA, _cols, _esc, _figure, _no_data, _table
from sim.rules.dates import last_date


def _ci_text(row, metric: str, fmt) -> str:
    mean = row[metric]
    if mean != mean:
        return _(NA)
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
        _("reference") if r != r else (f"={r:.0f}" if tied else f"{r:.0f}")
        for r, tied in zip(board["rank"].astype(float), board["tied"], strict=True)]
    for metric, fmt in (("composite", lambda x: f"{x:+.2f}"), ("bookings", money),
                        ("cash_collected", money), ("forecast_error", pct)):
        board[f"{metric}_text"] = [_ci_text(r, metric, fmt) for _, r in board.iterrows()]
    for metric in ("bookings", "cash_collected"):
        key = f"{metric}_vs_reference"
        board[f"{key}_text"] = [
            _(NA) if r[key] != r[key] else (
                f"{signed(r[key])} [{signed(r[f'{key}_ci_low'])}, "
                f"{signed(r[f'{key}_ci_high'])}]" if r[f"{key}_ci_low"] == r[f"{key}_ci_low"]
                else signed(r[key]))
            for _, r in board.iterrows()]
    board["forecast_text"] = [_(NA) if f != f else money(f) for f in board["forecast"]]
    board["prospecting_text"] = [
        _(NA) if s != s else f"{s:.0%}" + (_(" (stopped)") if stopped else "")
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


NOTES = (
    "no forecast from {teams}: forecast error n/a, and the composite weighs the other terms "
    "alone",
    "one team only: its composite is 0 (it is compared with itself); read its metrics and "
    "its difference to the reference",
    "teams marked = share a rank: the 95% CI of the paired difference in composite with the "
    "team above contains 0",
    "the results period was raised from {days} to {need} days to cover {quarters} whole "
    "quarters",
)
"""The notes of :func:`sim.experiments.tournament.run_tournament` and
:func:`~sim.experiments.tournament.tournament_scenario`, as templates: a note that matches
one is shown in the page's language; any other as it came."""


def _swings_section(tour) -> str:
    stopped = tour.stopped_prospecting
    rule = _("A team stopped prospecting when, in at least {share} of the 4-week windows, a "
             "rep spent less than {hours} hour prospecting.", share=f"{DRY_SHARE:.0%}",
             hours=f"{DRY_HOURS:g}")
    if not stopped:
        return (f'<p class="note">{_esc(rule)}</p>'
                + _no_data(_("no team stopped prospecting, so there is no roller-coaster to "
                             "show")))
    board = tour.leaderboard
    steady = board[~board["stopped_prospecting"]].sort_values("dry_window_share")
    shown = stopped + list(steady["team"][:1])
    swings = tour.swings[tour.swings["team"].isin(shown)]
    contrast = (_(" For contrast, {team}, which kept prospecting.",
                  team=steady["team"].iloc[0]) if len(steady) else "")
    return (f'<p class="note">{_esc(rule)} '
            + _esc(_("They are {teams}.", teams=", ".join(stopped))) + _esc(contrast)
            + _esc(_(" The first rep of each, in the first replication: a rep who stops "
                     "prospecting while late deals need closing finds the top of the funnel "
                     "dry, prospects in a rush, and about one sales cycle later bookings "
                     "slump.")) + "</p>"
            + _figure(plot_prospecting_swings(swings, reference=tour.reference,
                                              order=list(board["team"])),
                      _("Prospecting hours and Above-the-Funnel stock over time")))


def build_debrief(tour, skipped=(), lang: str | None = None) -> str:
    """The debrief of a :class:`~sim.experiments.tournament.Tournament` as one
    self-contained HTML document (the seed is not in it, only its hash), in ``lang`` ("en"
    or "zh"; default: the enclosing :func:`~sim.presentation.i18n.using` block's, else the
    scenario's ``language``): its text, its figures' labels and its ``<html lang>``."""
    with using(lang or chosen() or tour.scenario.language) as lang:
        return _page(tour, skipped, lang)


def _page(tour, skipped, lang: str) -> str:
    sc = tour.scenario
    cur = sc.currency
    board = _leaderboard_rows(tour)
    w = tour.weights
    skipped_html = "".join(
        f"<li><code>{_esc(Path(s['file']).name)}</code>: "
        + "; ".join(_esc(p) for p in s["problems"]) + "</li>" for s in skipped)
    notes = "".join(f'<p class="note">{_esc(known(n, NOTES))}</p>' for n in tour.notes)
    ranked = board[board["rank"].notna()]
    parts = [
        ("leaderboard", _("Leaderboard"), _table(
            board, _cols(LEADERBOARD_COLUMNS), cur,
            scope=_("Means over {n} paired replications, each with its 95% confidence "
                    "interval; amounts in {currency}.", n=len(tour.replications),
                    currency=cur),
            empty=_("no team ran."))
         + '<p class="note">' + _(
             "The composite score is the weighted mean of z-scores across the teams in each "
             "replication: bookings {bookings}, cash collected {cash}, forecast error "
             "{forecast} (lower error scores higher). A rank marked = is shared: the 95% CI "
             "of the paired difference in composite with the team above contains 0, so the "
             "replications cannot tell them apart. One lucky quarter does not decide this "
             "ranking: every team met the same leads in every replication.",
             bookings=f"{w['bookings']:.2f}", cash=f"{w['cash']:.2f}",
             forecast=f"{w['forecast']:.2f}") + "</p>" + notes),
        ("reference", _("Against the reference ({reference})", reference=tour.reference),
         _table(ranked, _cols(VERSUS_COLUMNS), cur,
                scope=_("Paired differences: each replication's team figure minus the "
                        "reference's on the same leads, mean and 95% CI."),
                empty=_("no team ran."))),
        ("bookings", _("Bookings over time"), _figure(
            plot_team_bookings(tour.quarterly, currency=cur, reference=tour.reference,
                               order=list(tour.leaderboard["team"])),
            _("Bookings per quarter per team"))),
        ("rollercoaster", _("The roller-coaster"), _swings_section(tour)),
    ]
    if skipped:
        parts.append(("skipped", _("Submissions left out"),
                      f"<ul>{skipped_html}</ul>"))
    nav = "".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _h in parts)
    body = "".join(f'<section id="{key}"><h2>{_esc(title)}</h2>{html}</section>'
                   for key, title, html in parts)
    title = _("Tournament debrief: {name}", name=_esc(sc.name))
    lead = _("{teams} teams, {n} paired replications, results period {start} to {end}. Seed "
             "SHA-256 <code>{hash}</code> (of the text <code>{prefix}&lt;seed&gt;</code>). "
             "Made {today}.", teams=len(ranked), n=len(tour.replications), start=sc.start_date,
             end=f"{last_date(sc):%Y-%m-%d}", hash=tour.seed_hash,
             prefix=_esc(SEED_HASH_PREFIX), today=dt.date.today())
    return html_page(title, f"<h1>{title}</h1><p class=\"lead\">{lead}</p><nav>{nav}</nav>{body}",
                     CSS, lang)


def write_debrief(tour, out: str | Path, skipped=(), lang: str | None = None) -> list[Path]:
    """Write ``debrief.html`` (in ``lang``, as :func:`build_debrief`), ``leaderboard.csv``
    and ``results.csv`` into ``out``, all
    or nothing (:func:`sim.presentation.output.write_folder`: through a hidden staging
    folder beside it, as a run's files).

    Raises
    ------
    FileExistsError, NotADirectoryError, OSError
        As for :func:`~sim.presentation.output.write_run`; nothing is left behind.
    """
    page = build_debrief(tour, skipped, lang)  # before anything is written
    board, results = tour.leaderboard, tour.results
    return write_folder(out, {
        "debrief.html": lambda fh: fh.write(page),
        "leaderboard.csv": lambda fh: board.to_csv(fh, index=False),
        "results.csv": lambda fh: results.to_csv(fh, index=False)})
