"""The course exercise: a fair tournament between the teams' strategies.

Fair, in four ways:

- **Same market.** Every team runs the trainer's scenario with only its own ``[policy]``
  (:func:`sim.scenario.submission.apply_submission`), on the same replication numbers,
  so replication ``r`` gives every team the same leads and the same customers' decisions
  (common random numbers, :func:`sim.experiments.runner.compare`).
- **Long enough.** The results period covers at least :data:`MIN_QUARTERS` whole
  calendar quarters: a shorter scenario's ``horizon_days`` is raised to the end of the
  eighth whole quarter (:func:`tournament_scenario`), so that one lucky quarter cannot
  decide the ranking and a team that stops prospecting lives to see its slump.
- **A verifiable secret seed.** The trainer may keep the seed secret; the tournament
  publishes :func:`seed_hash`, the SHA-256 of ``"funnel-tournament-seed:" + str(seed)``
  (decimal digits, UTF-8), so that anyone told the seed afterwards can rerun and check
  the ranking. A seed of a few digits can be found from its hash by trying every number:
  a secret seed should be large and random (e.g. 18 random digits).
- **Uncertainty shown.** Every metric is a mean over replications with its 95%
  confidence interval, each team gets its paired difference to a reference strategy,
  and teams whose order the replications cannot settle share a rank.

The metrics, per team and replication:

- ``bookings``: won amounts closed in the results period;
- ``cash_collected``: invoices paid in it;
- ``forecast_error``: ``|forecast - bookings| / bookings`` for a team that gave a
  forecast (undefined, NaN, without one, or when nothing was booked);
- ``composite``: the trainer's weighted score. Within each replication each weighted
  metric is turned into a z-score across the teams (``(x - mean) / sd``, the SD over
  the teams with a value, 0 when they all have the same value or only one has a value;
  for forecast error, lower is better, so its sign is flipped). The composite is the
  weighted mean of the z-scores the team has: a team without a forecast is scored on
  the other terms alone, their weights rescaled to sum to one. The reference strategy,
  when it is not a team, is scored against the teams' means and SDs without changing
  them.

The ranking orders the teams by mean composite. A team *shares the rank* of the team
just above it when the 95% CI of their paired difference in composite (same
replications) contains 0; ties chain, and ranks count as in sport (1, 1, 3).

A team *stopped prospecting* when, in at least :data:`DRY_SHARE` of the 4-week windows
of the results period (over all its reps and replications), a rep spent less than
:data:`DRY_HOURS` hour prospecting: the roller-coaster's first sign
(:mod:`sim.analysis.volatility`).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.levels import level_stock
from sim.analysis.rep_hours import busy_hours_in_period
from sim.analysis.statistics import summarize
from sim.analysis.volatility import bookings_by_period, prospecting_hours
from sim.experiments.runner import compare, paired_difference
from sim.rules.calendar import period_table, results_periods
from sim.scenario.schema import Policy, Scenario
from sim.scenario.submission import (
    DEFAULT_WEIGHTS,
    WEIGHT_METRICS,
    Submission,
    apply_submission,
    check_weights,
)
from sim.scenario.variants import policy_changes, vary

MIN_QUARTERS = 8
"""Whole calendar quarters a tournament's results period covers at least."""

SEED_HASH_PREFIX = "funnel-tournament-seed:"
"""What :func:`seed_hash` puts before the seed's decimal digits."""

REFERENCE = "reference"
"""The label of the reference strategy when it is not one of the teams."""



LOWER_IS_BETTER = ("forecast_error",)

DRY_HOURS = 1.0
"""Prospecting hours below which a rep's 4-week window counts as dry."""
DRY_SHARE = 0.25
"""Share of dry 4-week windows from which a team counts as having stopped prospecting."""

SUMMARY_METRICS = ("composite", "bookings", "cash_collected", "forecast_error",
                   "prospecting_share", "dry_window_share")
VERSUS_METRICS = ("composite", "bookings", "cash_collected")
"""The metrics each team is compared on with the reference (forecast error: the
reference makes no forecast)."""


def seed_hash(seed: int) -> str:
    """The SHA-256 (hex) of ``"funnel-tournament-seed:" + str(seed)``, UTF-8.

    Examples
    --------
    >>> seed_hash(7)[:16]
    '1a16cda0527e072f'
    """
    return hashlib.sha256(f"{SEED_HASH_PREFIX}{int(seed)}".encode()).hexdigest()


def quarters_days(scenario: Scenario, quarters: int = MIN_QUARTERS) -> float:
    """Days from ``start_date`` to the end of the ``quarters``-th whole calendar quarter
    (a quarter that starts on or after ``start_date``)."""
    table = period_table(scenario.start_date, "quarter", 0.0, 0.0, extra=quarters)
    whole = table[table["start_day"] >= 0]
    return float(whole["end_day"].iloc[quarters - 1])


def tournament_scenario(scenario: Scenario, seed: int | None = None) -> tuple[Scenario, str]:
    """The scenario a tournament runs: with ``seed`` (if given) and a results period of at
    least :data:`MIN_QUARTERS` whole quarters; and a note saying what was changed
    (empty when nothing was).

    Raises
    ------
    ScenarioError
        If the longer run breaks a rule of the scenario (too many leads, say).
    """
    note = []
    if seed is not None:
        scenario = vary(scenario, {"seed": seed}, source="--seed")
    need = quarters_days(scenario)
    if scenario.horizon_days < need:
        note.append(f"the results period was raised from {scenario.horizon_days:g} to "
                    f"{need:g} days to cover {MIN_QUARTERS} whole quarters")
        scenario = vary(scenario, {"horizon_days": need},
                        source=f"the tournament's {MIN_QUARTERS} quarters")
    return scenario, "; ".join(note)


@dataclass(frozen=True)
class Team:
    """A team in a tournament: its name, the scenario it runs (the trainer's with its own
    policy) and its bookings forecast (None: not scored on forecast error)."""

    name: str
    scenario: Scenario
    forecast: float | None = None
    source: str = ""

    @classmethod
    def of(cls, scenario: Scenario, submission: Submission, source: str = "") -> Team:
        """The team a submission enters (see
        :func:`~sim.scenario.submission.apply_submission`)."""
        return cls(submission.team, apply_submission(scenario, submission, source),
                   submission.forecast, source)

    @property
    def policy(self) -> Policy:
        return self.scenario.policy


def describe_policy(policy: Policy) -> str:
    """``close_first``, ``miller_heiman, prospecting 20%, cap 4 h``: a policy in a few
    words."""
    words = [policy.name + (f" ({' > '.join(policy.order)})" if policy.order else "")]
    if policy.prospecting_share > 0:
        words.append(f"prospecting {policy.prospecting_share:.0%}")
    if policy.effort_cap_hours is not None:
        words.append(f"cap {policy.effort_cap_hours:g} h")
    return ", ".join(words)


def team_metrics(result, shown_replication: int = 0) -> dict:
    """One replication's tournament figures.

    ``bookings`` and ``cash_collected`` (the KPIs), ``prospecting_share`` (share of the
    reps' busy hours spent prospecting), ``dry_window_share`` (share of the reps' 4-week
    windows with less than :data:`DRY_HOURS` of prospecting), ``quarter_bookings`` (per
    whole quarter, a tuple) and, for ``shown_replication`` only, the first rep's
    prospecting hours per 4 weeks and Above-the-Funnel stock per week (tuples of
    ``(day, value)``; None for the other replications).
    """
    k = result.kpis()
    rt = result.rep_time
    hours = busy_hours_in_period(rt, result.scenario.horizon_days)
    busy = float(hours.sum())
    prospect = float(hours[(rt["activity"] == "prospect").to_numpy()].sum())
    windows = prospecting_hours(result)
    row = {"bookings": k["bookings"], "cash_collected": k["cash_collected"],
           "won": k["won"], "win_rate": k["win_rate"],
           "bookings_cv_quarter": k["bookings_cv_quarter"],
           "prospecting_share": prospect / busy if busy > 0 else np.nan,
           "dry_window_share": float((windows.to_numpy() < DRY_HOURS).mean())
           if windows.size else np.nan,
           "quarter_bookings": tuple(bookings_by_period(result, "quarter")["team"]),
           "rep_prospecting": None, "rep_above_funnel": None}
    if result.replication == shown_replication and result.rep_names:
        rep = result.rep_names[0]
        row["rep_prospecting"] = tuple(zip(windows.index, windows[rep], strict=True))
        stock = level_stock(result, 7.0)
        stock = stock[stock["rep"] == rep]
        row["rep_above_funnel"] = tuple(zip(stock["day"], stock["above_funnel"], strict=True))
    return row


SERIES = ("quarter_bookings", "rep_prospecting", "rep_above_funnel")


@dataclass
class Tournament:
    """What a tournament found.

    Attributes
    ----------
    scenario : Scenario
        The scenario every team ran (its own policy aside), seed and horizon included.
    teams : list of Team
        The teams, in the order they were given.
    reference : str
        The reference strategy's label: :data:`REFERENCE`, or a team's name.
    weights : dict
        The composite's weights (summing to one).
    replications : list of int
        The replication numbers every team ran.
    results : DataFrame
        One row per strategy (the teams, and the reference when it is not a team) and
        replication: ``team``, ``replication``, the metrics, ``forecast``, the z-scores
        (``z_<metric>``) and ``composite``.
    leaderboard : DataFrame
        One row per team, best first: ``rank``, ``tied``, ``team``, ``policy``,
        ``forecast``, each summary metric's ``mean`` with ``_ci_low`` / ``_ci_high``,
        ``<metric>_vs_reference`` with its CI, ``stopped_prospecting`` and ``source``;
        then a row for the reference when it is not a team (``rank`` NaN).
    quarterly : DataFrame
        ``team``, ``quarter`` (label such as ``2026Q1``), ``bookings`` (mean over
        replications): each strategy's bookings over time.
    swings : DataFrame
        ``team``, ``series`` (``prospecting_hours`` per 4 weeks or ``above_funnel``
        stock per week), ``day``, ``value``: the first rep of each strategy in the first
        replication.
    notes : list of str
        What a reader must know (a team scored without a forecast, ...).
    """

    scenario: Scenario
    teams: list[Team]
    reference: str
    weights: dict[str, float]
    replications: list[int]
    results: pd.DataFrame
    leaderboard: pd.DataFrame
    quarterly: pd.DataFrame
    swings: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def seed_hash(self) -> str:
        """:func:`seed_hash` of the scenario's seed."""
        return seed_hash(self.scenario.seed)

    @property
    def stopped_prospecting(self) -> list[str]:
        """The strategies that stopped prospecting (see the module's notes)."""
        board = self.leaderboard
        return list(board.loc[board["stopped_prospecting"], "team"])


def reference_scenario(scenario: Scenario, reference: str) -> Scenario:
    """The reference strategy's scenario: ``"scenario"`` for the scenario's own policy,
    or a built-in policy's name given to every rep."""
    if reference == "scenario":
        return scenario
    return vary(scenario, policy_changes(scenario, reference), source="--reference")


def run_tournament(scenario: Scenario, teams: Sequence[Team],
                   replications: int | Iterable[int] = 20, *,
                   weights: Mapping[str, float] = DEFAULT_WEIGHTS,
                   reference: str = "scenario", workers: int | None = None,
                   executor: Executor | None = None,
                   progress: bool | str = False) -> Tournament:
    """Run every team on the same replications and rank them.

    Parameters
    ----------
    scenario : Scenario
        The trainer's scenario, as :func:`tournament_scenario` made it.
    teams : sequence of Team
        At least one; their names must differ and not be :data:`REFERENCE`.
    replications : int or iterable of int
        As for :func:`sim.experiments.runner.compare`.
    weights : mapping
        The composite's weights (see :func:`check_weights`).
    reference : str
        ``"scenario"`` (the scenario's own policy, run as :data:`REFERENCE`), a built-in
        policy's name (run as :data:`REFERENCE`), or a team's name.
    workers, executor, progress
        Where the replications run (all usable cores by default) and whether a progress
        bar shows, as for :func:`~sim.experiments.runner.compare`.

    Raises
    ------
    ValueError
        No team, a name used twice, bad weights, or an unknown reference.
    """
    weights = check_weights(weights)
    teams = list(teams)
    names = [t.name for t in teams]
    if not teams:
        raise ValueError("teams: a tournament needs at least one team")
    if len(set(names)) < len(names) or REFERENCE in names:
        raise ValueError(f"teams: each team needs its own name, and none may be called "
                         f"'{REFERENCE}'; got {names}")
    variants = {t.name: t.scenario for t in teams}
    if reference in variants:
        label, ref = reference, None
    else:
        ref = Team(REFERENCE, reference_scenario(scenario, reference))
        variants[REFERENCE] = ref.scenario
        label = REFERENCE
    reps = list(range(replications)) if isinstance(replications, int) else list(replications)
    metrics = functools.partial(team_metrics, shown_replication=reps[0] if reps else 0)
    runs = compare(variants, replications, metrics=metrics, workers=workers,
                   executor=executor, progress=progress).rename(columns={"scenario": "team"})
    forecasts = {t.name: t.forecast for t in teams}
    runs.insert(2, "forecast", runs["team"].map(forecasts).astype(float))
    runs.insert(3, "forecast_error", (runs["forecast"] - runs["bookings"]).abs()
                / runs["bookings"].where(runs["bookings"] > 0))
    _score(runs, names, weights)
    series = {name: runs.pop(name) for name in SERIES}
    board = _leaderboard(runs, teams, label, ref)
    notes = _notes(teams, weights, label, board)
    return Tournament(scenario, teams, label, weights, reps, runs, board,
                      _quarterly(scenario, runs, series["quarter_bookings"]),
                      _swings(runs, series), notes)


def _score(runs: pd.DataFrame, names: list[str], weights: dict[str, float]) -> None:
    """Add ``z_<metric>`` and ``composite`` columns (see the module's notes)."""
    competing = runs["team"].isin(names)
    total = pd.Series(0.0, index=runs.index)
    weight_present = pd.Series(0.0, index=runs.index)
    for name, metric in WEIGHT_METRICS.items():
        w = weights[name]
        if w <= 0:
            continue
        x = runs[metric].astype(float)
        pool = x.where(competing).groupby(runs["replication"])
        mean = runs["replication"].map(pool.mean())
        sd = runs["replication"].map(pool.std(ddof=0))
        z = ((x - mean) / sd.where(sd > 0)).fillna(0.0).where(x.notna())
        if metric in LOWER_IS_BETTER:
            z = -z
        runs[f"z_{metric}"] = z
        total += w * z.fillna(0.0)
        weight_present += w * z.notna()
    runs["composite"] = total / weight_present.where(weight_present > 0)


def _leaderboard(runs: pd.DataFrame, teams: list[Team], label: str,
                 ref: Team | None) -> pd.DataFrame:
    """One row per team, best first, with ranks and ties; then ``ref``, the reference
    when it is not a team (``label`` names the reference either way)."""
    stats = summarize(runs, list(SUMMARY_METRICS), by="team")
    rows = {}
    for team, sub in stats.groupby("team", sort=False):
        row: dict = {"team": team}
        for s in sub.itertuples(index=False):
            row[s.metric] = s.mean
            row[f"{s.metric}_ci_low"], row[f"{s.metric}_ci_high"] = s.ci_low, s.ci_high
        row["n"] = int(sub["n"].max())
        rows[team] = row
    paired = runs.rename(columns={"team": "scenario"})
    for team, row in rows.items():
        for metric in VERSUS_METRICS:
            d = paired_difference(paired, team, label, metric)
            row[f"{metric}_vs_reference"] = d["difference"]
            row[f"{metric}_vs_reference_ci_low"] = d["ci_low"]
            row[f"{metric}_vs_reference_ci_high"] = d["ci_high"]
        row["stopped_prospecting"] = bool(row["dry_window_share"] >= DRY_SHARE)
    by_name = {t.name: t for t in teams}
    order = sorted(by_name, key=lambda n: -rows[n]["composite"]
                   if rows[n]["composite"] == rows[n]["composite"] else math.inf)
    ranked, rank = [], 0
    for i, name in enumerate(order):
        tied_above = i > 0 and _unsettled(paired, order[i - 1], name)
        if not tied_above:
            rank = i + 1
        ranked.append({"rank": rank, "tied": tied_above, **_team_columns(by_name[name]),
                       **rows[name]})
        if tied_above:
            ranked[i - 1]["tied"] = True
    if ref is not None:
        ranked.append({"rank": np.nan, "tied": False, **_team_columns(ref),
                       **rows[REFERENCE]})
    board = pd.DataFrame(ranked)
    board["rank"] = board["rank"].astype("Int64")
    return board


def _team_columns(team: Team) -> dict:
    return {"team": team.name, "policy": describe_policy(team.policy),
            "forecast": np.nan if team.forecast is None else team.forecast,
            "source": team.source}


def _unsettled(paired: pd.DataFrame, upper: str, lower: str) -> bool:
    """True when the 95% CI of the paired difference in composite contains 0 (or is
    undefined): the replications cannot tell the two teams apart."""
    d = paired_difference(paired, upper, lower, "composite")
    low, high = d["ci_low"], d["ci_high"]
    if low != low or high != high:
        return True
    return low <= 0 <= high


def _notes(teams: list[Team], weights: dict, label: str, board: pd.DataFrame) -> list[str]:
    notes = []
    without = [t.name for t in teams if t.forecast is None]
    if weights["forecast"] > 0 and without:
        notes.append(f"no forecast from {', '.join(without)}: forecast error n/a, and "
                     "the composite weighs the other terms alone")
    if len(teams) == 1:
        notes.append("one team only: its composite is 0 (it is compared with itself); "
                     "read its metrics and its difference to the reference")
    if board["tied"].any():
        notes.append("teams marked = share a rank: the 95% CI of the paired difference in "
                     "composite with the team above contains 0")
    return notes


def _quarterly(scenario: Scenario, runs: pd.DataFrame, series: pd.Series) -> pd.DataFrame:
    """Each strategy's mean bookings per whole quarter."""
    periods = results_periods(scenario, "quarter")
    labels = list(periods.loc[periods["whole"], "period"])
    rows = []
    for team, values in series.groupby(runs["team"], sort=False):
        table = np.array([list(v) for v in values], dtype=float).reshape(len(values), -1)
        for q, label in enumerate(labels[: table.shape[1]]):
            rows.append({"team": team, "quarter": label, "bookings": float(table[:, q].mean())})
    return pd.DataFrame(rows, columns=["team", "quarter", "bookings"])


def _swings(runs: pd.DataFrame, series: dict[str, pd.Series]) -> pd.DataFrame:
    """The first rep's prospecting hours and Above-the-Funnel stock in the shown
    replication, per strategy."""
    rows = []
    for column, name in (("rep_prospecting", "prospecting_hours"),
                         ("rep_above_funnel", "above_funnel")):
        for team, pairs in zip(runs["team"], series[column], strict=True):
            for day, value in pairs or ():
                rows.append({"team": team, "series": name, "day": float(day),
                             "value": float(value)})
    return pd.DataFrame(rows, columns=["team", "series", "day", "value"])
