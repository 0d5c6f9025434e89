"""The sales forecast, as a manager makes it every week, and how accurate it was.

Course section 3 ("Sales forecast"): combine each opportunity's likelihood into the
expected signed amount of a period. At a snapshot day ``t`` and for a calendar period
``[a, b)`` (a month or a quarter, ``scenario.forecast.period``):

- the **weighted forecast** is what was won in the period so far plus, over the deals
  tracking at ``t`` whose expected close *as estimated at t* falls in the period,
  ``amount x p``, where ``p`` is the **assumed** win rate of the deal's stage at ``t``
  (``scenario.assumed_win_rates``: the true ones unless the manager believes otherwise);
- its **variance**, for independent deals, is ``sum(amount^2 x p x (1 - p))`` (won deals
  are certain), and a normal-approximation band ``forecast +/- z x sd`` is given, clipped
  to what is possible (no less than the won amount, no more than won plus every open deal);
- the **forecast categories** (Salesforce's names) split the deals of the period:
  *closed* (won in the period so far), and *commit*, *best case* and *pipeline* as the
  deals' **owners** had put them at ``t`` (they set a category from their own believed
  chance and whether they expect the deal this period, on entering a stage, on re-dating
  a deal and at each period's start; see :mod:`sim.engine.processes`). Category amounts
  are unweighted, as in a CRM's forecast view; the manager's "best-case number" is
  ``closed + commit + best_case``. :meth:`ForecastAccuracy.by_category` scores each
  category against what happened;
- **coverage** is the open amount expected in the period over what is left of the quota
  (``quota - closed``). The coverage a team *needs* is ``1 / win rate``: here
  ``coverage_needed`` is the open amount over its weighted value, i.e. one over the
  pipeline's amount-weighted assumed win rate (the usual "3x" silently assumes 33%).

Everything is rebuilt from ``result.forecast_history`` (each owner's estimates of expected
close and category, each in force until the next; read through
:mod:`sim.analysis.owner_forecast`, the one home of "a deal's category at t") and
``result.opportunities`` (amounts, wins and losses); the engine's mutable state is never
consulted. Slippage (:func:`slippage`, :func:`slipped_deals`) is measured against the
estimate an owner made on entering a deal's current stage (``result.stage_history``):
owners re-date a deal as soon as it passes its date, so the latest estimate never lies in
the past.

Conventions: days count from ``start_date`` (negative in the warm-up); a period is the
half-open interval ``[start_day, end_day)``; at a snapshot ``t`` a deal created at ``t`` is
already tracking and a deal decided at ``t`` already closed. Percentages are in percent
(``error_pct = 5.0`` is 5%); money is in the scenario's currency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from sim.analysis.owner_forecast import in_force
from sim.analysis.statistics import mean_ci
from sim.rules.calendar import period_table, to_date
from sim.rules.deals import in_stage

CATEGORIES = ("closed", "commit", "best_case", "pipeline")
"""Forecast categories, from the surest to the least sure."""

SNAPSHOT_COLUMNS = [
    "day", "date", "periods_ahead", "period", "period_start_day", "period_end_day",
    "closed", "commit", "best_case", "pipeline", "open_amount", "weighted_open", "forecast",
    "variance", "sd", "forecast_low", "forecast_high", "quota", "coverage", "coverage_needed",
    "p_quota", "n_closed", "n_commit", "n_best_case", "n_pipeline",
]
ACCURACY_COLUMNS = [
    "period", "start_day", "end_day", "forecast_day", "forecast", "sd", "forecast_low",
    "forecast_high", "closed_at_forecast", "commit", "best_case", "pipeline", "actual", "quota",
    "error", "error_pct", "abs_error", "abs_error_pct", "within_5pct", "in_band",
    "slipped_share", "commit_slipped_share", "attainment_pct", "bias_pct_so_far",
    "mape_pct_so_far", "within_5pct_share_so_far",
]
TABLE_COLUMNS = [
    "period", "quota", "forecast", "forecast_low", "forecast_high", "commit", "best_case",
    "pipeline", "actual", "error_pct", "attainment_pct",
]
DEAL_COLUMNS = [
    "opportunity_id", "owner", "amount", "stage_index", "stage", "expected_close_day",
    "expected_close", "assumed_win_rate", "weighted", "period", "periods_ahead", "category",
    "days_to_close",
]
SLIPPED_COLUMNS = [
    "opportunity_id", "owner", "amount", "stage_index", "stage", "entered_day",
    "expected_close_day", "expected_close", "days_overdue",
]
CATEGORY_COLUMNS = [
    "period", "category", "n_deals", "amount", "won_amount", "won_share", "slipped_share",
    "lost_share",
]
SLIPPAGE_COLUMNS = [
    "day", "date", "n_tracking", "n_slipped", "slipped_share", "tracking_amount",
    "slipped_amount", "slipped_amount_share",
]


# -- calendar ------------------------------------------------------------------------------
def period_calendar(scenario) -> pd.DataFrame:
    """The forecast periods that touch a run, from the warm-up to the period after the end.

    Parameters
    ----------
    scenario : Scenario
        Its ``forecast.period``, ``start_date``, ``warmup_days`` and ``horizon_days`` are used.

    Returns
    -------
    DataFrame
        One row per calendar month or quarter (see :func:`sim.rules.calendar.period_table`):
        ``period``, ``start``, ``start_day``, ``end_day`` and ``whole`` (the period lies
        entirely inside the results period ``[0, horizon_days)``, so its bookings are fully
        observed).
    """
    table = period_table(scenario.start_date, scenario.forecast.period,
                         -scenario.warmup_days, scenario.horizon_days, extra=1)
    return table.assign(whole=(table["start_day"] >= 0)
                        & (table["end_day"] <= scenario.horizon_days))


def snapshot_days(scenario) -> np.ndarray:
    """The manager's snapshot days: every ``forecast.snapshot_every_days`` from day 0
    through the results period, plus one at its end (``horizon_days``), whose pipeline is
    the one the opportunity table ends with."""
    horizon = scenario.horizon_days
    t = np.arange(0.0, horizon, scenario.forecast.snapshot_every_days)
    return np.append(t, horizon) if t[-1] < horizon else t


# -- the pipeline as arrays ----------------------------------------------------------------
class _Pipeline:
    """A run's owner estimates (or, with ``rows="stage"``, its stage rows, each with the
    estimate made on entering it) and its wins, as numpy arrays (built once per call)."""

    def __init__(self, result, rows: str = "forecast"):
        sc = result.scenario
        self.scenario = sc
        opps = result.opportunities.set_index("opportunity_id")
        self.forecast_rows = rows == "forecast"
        if self.forecast_rows:
            hist = result.forecast_history
            self.entered = hist["day"].to_numpy(dtype=float)
            self.left = hist["until_day"].to_numpy(dtype=float, na_value=np.nan)
            self.category = hist["category"].to_numpy(dtype=object)
        else:
            hist = result.stage_history
            self.entered = hist["entered_day"].to_numpy(dtype=float)
            self.left = hist["decided_day"].to_numpy(dtype=float, na_value=np.nan)
        self.rows = hist
        self.opp = hist["opportunity_id"].to_numpy(dtype=np.int64)
        self.stage = hist["stage_index"].to_numpy(dtype=np.int64)
        self.owner = hist["owner"].to_numpy(dtype=object)
        self.expected = hist["expected_close_day"].to_numpy(dtype=float)
        self.amount = hist["opportunity_id"].map(opps["amount"]).to_numpy(dtype=float)
        self.p = np.asarray(sc.assumed_win_rates, dtype=float)[self.stage]
        won = opps[opps["status"] == "won"]
        self.won_day = won["closed_day"].to_numpy(dtype=float)
        self.won_amount = won["amount"].to_numpy(dtype=float)
        self.closed_day = hist["opportunity_id"].map(opps["closed_day"]).to_numpy(dtype=float)
        self.status = hist["opportunity_id"].map(opps["status"]).to_numpy(dtype=object)

    def active(self, t):
        """(rows x times) mask: the row in force for its (tracking) deal at each time ``t``."""
        if self.forecast_rows:
            return in_force(self.rows, t)
        return in_stage(self.entered, self.left, t)

    def categories(self, t, a, b):
        """Masks (rows x times) of the open deals of each owner category for windows
        [a, b): all of them, commit, best case, pipeline."""
        t, a, b = (np.asarray(x, dtype=float) for x in (t, a, b))
        exp = self.expected[:, None]
        in_window = self.active(t) & (a <= exp) & (exp < b)
        cat = self.category[:, None]
        return (in_window, in_window & (cat == "commit"), in_window & (cat == "best_case"),
                in_window & (cat == "pipeline"))

    def won_in(self, t, a, b):
        """(wins x times) mask: won in [a, b) by time t."""
        t, a, b = (np.asarray(x, dtype=float) for x in (t, a, b))
        d = self.won_day[:, None]
        return (a <= d) & (d < b) & (d <= t)


_erfc = np.vectorize(math.erfc, otypes=[float])


def _z(band: float) -> float:
    if not 0 < band < 1:
        raise ValueError(f"band must lie strictly between 0 and 1, got {band}")
    return NormalDist().inv_cdf(0.5 + band / 2)


def _evaluate(pipe: _Pipeline, t, a, b, band: float) -> dict[str, np.ndarray]:
    """The forecast figures for each (time, window) pair; arrays of equal length."""
    z = _z(band)
    in_window, commit, best, pipeline = pipe.categories(t, a, b)
    won = pipe.won_in(t, a, b).astype(float)
    amount, p = pipe.amount, pipe.p

    def total(weights, mask):
        return weights @ mask.astype(float)

    closed = pipe.won_amount @ won
    open_amount = total(amount, in_window)
    weighted = total(amount * p, in_window)
    variance = total(amount**2 * p * (1 - p), in_window)
    forecast = closed + weighted
    sd = np.sqrt(variance)
    quota = pipe.scenario.forecast.quota_per_period
    remaining = quota - closed
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where((quota > 0) & (remaining > 0), open_amount / remaining, np.nan)
        coverage_needed = np.where(weighted > 0, open_amount / weighted, np.nan)
    if quota > 0:
        # P(bookings >= quota) under the normal approximation; certain either way when sd is 0
        with np.errstate(divide="ignore", invalid="ignore"):
            zq = np.where(sd > 0, (forecast - quota) / sd, np.where(forecast >= quota, 40, -40))
        p_quota = 0.5 * _erfc(-zq / math.sqrt(2))
        # bookings lie in [closed, closed + open_amount]: certain outside that range
        p_quota = np.where(closed >= quota, 1.0,
                           np.where(closed + open_amount < quota, 0.0, p_quota))
    else:
        p_quota = np.full(len(forecast), np.nan)
    return {
        "closed": closed,
        "commit": total(amount, commit),
        "best_case": total(amount, best),
        "pipeline": total(amount, pipeline),
        "open_amount": open_amount,
        "weighted_open": weighted,
        "forecast": forecast,
        "variance": variance,
        "sd": sd,
        "forecast_low": np.maximum(closed, forecast - z * sd),
        "forecast_high": np.minimum(closed + open_amount, forecast + z * sd),
        "quota": np.full(len(forecast), quota if quota > 0 else np.nan),
        "coverage": coverage,
        "coverage_needed": coverage_needed,
        "p_quota": np.asarray(p_quota, dtype=float),
        "n_closed": won.sum(axis=0).astype(int),
        "n_commit": commit.sum(axis=0).astype(int),
        "n_best_case": best.sum(axis=0).astype(int),
        "n_pipeline": pipeline.sum(axis=0).astype(int),
    }


# -- public functions ----------------------------------------------------------------------
def snapshots(result, band: float = 0.8) -> pd.DataFrame:
    """The manager's weekly forecast of the current period and the next one.

    Parameters
    ----------
    result : RunResult
        A run (anything with ``scenario``, ``opportunities`` and ``stage_history``).
    band : float
        Central probability of the normal-approximation band (0.8 gives the 10%-90%
        band; 0.9 the 5%-95% one).

    Returns
    -------
    DataFrame
        Two rows per snapshot day (see :func:`snapshot_days`): ``periods_ahead`` 0 for the
        period containing the day, 1 for the next. Columns:

        - ``day``, ``date``: when the snapshot was taken;
        - ``period``, ``period_start_day``, ``period_end_day``: the period forecast;
        - ``closed``, ``commit``, ``best_case``, ``pipeline``: amounts per category
          (``closed`` = won in the period up to the day); ``open_amount`` = the last three;
        - ``weighted_open``: sum of amount x assumed stage win rate of the open deals;
        - ``forecast`` = ``closed + weighted_open``; ``variance``, ``sd``; ``forecast_low``,
          ``forecast_high``: the band, clipped to ``[closed, closed + open_amount]``;
        - ``quota`` (NaN without one), ``coverage`` = open_amount / (quota - closed) (NaN
          without a quota or once it is met), ``coverage_needed`` = open_amount /
          weighted_open, ``p_quota``: normal-approximation chance of reaching the quota;
        - ``n_closed``, ``n_commit``, ``n_best_case``, ``n_pipeline``: deal counts.
    """
    sc = result.scenario
    pipe = _Pipeline(result)
    cal = period_calendar(sc)
    t = snapshot_days(sc)
    current = np.searchsorted(cal["start_day"].to_numpy(), t, side="right") - 1
    ahead = np.tile([0, 1], len(t))
    idx = np.repeat(current, 2) + ahead
    tt = np.repeat(t, 2)
    a = cal["start_day"].to_numpy()[idx]
    b = cal["end_day"].to_numpy()[idx]
    figures = _evaluate(pipe, tt, a, b, band)
    frame = pd.DataFrame({
        "day": tt, "date": to_date(sc.start_date, pd.Series(tt)), "periods_ahead": ahead,
        "period": cal["period"].to_numpy()[idx], "period_start_day": a, "period_end_day": b,
        **figures,
    })
    return frame[SNAPSHOT_COLUMNS]


def forecast_deals(result, on: float) -> pd.DataFrame:
    """The deals behind a snapshot: every deal tracking on day ``on`` that is expected to
    close in the current or next period, with its forecast category.

    Parameters
    ----------
    result : RunResult
    on : float
        The snapshot day (days from start_date).

    Returns
    -------
    DataFrame
        Columns ``opportunity_id``, ``owner``, ``amount``, ``stage_index``, ``stage``,
        ``expected_close_day`` and ``expected_close`` (as estimated on ``on``),
        ``assumed_win_rate``, ``weighted`` (amount x assumed rate), ``period``,
        ``periods_ahead`` (0 or 1), ``category`` (``commit``, ``best_case`` or
        ``pipeline``) and ``days_to_close`` (negative: slipped). Won deals (``closed``) are
        not listed; :func:`snapshots` totals them.
    """
    sc = result.scenario
    pipe = _Pipeline(result)
    cal = period_calendar(sc)
    if not -sc.warmup_days <= on <= sc.horizon_days:
        raise ValueError(f"on must lie in [{-sc.warmup_days}, {sc.horizon_days}], got {on}")
    k = int(np.searchsorted(cal["start_day"].to_numpy(), on, side="right") - 1)
    parts = []
    for ahead in (0, 1):
        a, b = cal["start_day"].iloc[k + ahead], cal["end_day"].iloc[k + ahead]
        _, commit, best, pipeline = (m[:, 0] for m in pipe.categories([on], [a], [b]))
        category = np.select([commit, best, pipeline], ["commit", "best_case", "pipeline"], "")
        rows = category != ""
        parts.append(pd.DataFrame({
            "opportunity_id": pipe.opp[rows], "owner": pipe.owner[rows],
            "amount": pipe.amount[rows], "stage_index": pipe.stage[rows],
            "stage": [sc.stages[s].name for s in pipe.stage[rows]],
            "expected_close_day": pipe.expected[rows],
            "expected_close": to_date(sc.start_date,
                                      pd.Series(pipe.expected[rows])).dt.normalize(),
            "assumed_win_rate": pipe.p[rows], "weighted": pipe.amount[rows] * pipe.p[rows],
            "period": cal["period"].iloc[k + ahead], "periods_ahead": ahead,
            "category": category[rows].astype(object),
            "days_to_close": pipe.expected[rows] - on,
        }))
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out = out.assign(_c=out["category"].map(order)).sort_values(
        ["periods_ahead", "_c", "expected_close_day"], kind="stable")
    return out.drop(columns="_c").reset_index(drop=True)[DEAL_COLUMNS]


def slipped_deals(result, on: float | None = None) -> pd.DataFrame:
    """Deals still tracking on day ``on`` that have passed the expected close their owner
    gave them on entering their current stage (and have been re-dated since).

    Parameters
    ----------
    result : RunResult
    on : float, optional
        The day to look (days from start_date); the end of the results period by default.

    Returns
    -------
    DataFrame
        Columns ``opportunity_id``, ``owner``, ``amount``, ``stage_index``, ``stage``,
        ``entered_day`` (of the current stage), ``expected_close_day``, ``expected_close``
        (the estimate made on entering it) and ``days_overdue`` (``on -
        expected_close_day``, > 0); most overdue first.
    """
    sc = result.scenario
    on = sc.horizon_days if on is None else float(on)
    pipe = _Pipeline(result, rows="stage")
    rows = pipe.active([on])[:, 0] & (pipe.expected < on)
    out = pd.DataFrame({
        "opportunity_id": pipe.opp[rows], "owner": pipe.owner[rows],
        "amount": pipe.amount[rows], "stage_index": pipe.stage[rows],
        "stage": [sc.stages[s].name for s in pipe.stage[rows]],
        "entered_day": pipe.entered[rows], "expected_close_day": pipe.expected[rows],
        "expected_close": to_date(sc.start_date, pd.Series(pipe.expected[rows])).dt.normalize(),
        "days_overdue": on - pipe.expected[rows],
    })
    return out.sort_values("days_overdue", ascending=False, kind="stable").reset_index(
        drop=True)[SLIPPED_COLUMNS]


def slippage(result) -> pd.DataFrame:
    """How much of the tracking pipeline has slipped, at every snapshot day.

    Returns
    -------
    DataFrame
        One row per snapshot day (see :func:`snapshot_days`): ``day``, ``date``,
        ``n_tracking``, ``n_slipped`` (tracking deals that have passed the expected close
        their owner gave them on entering their current stage), ``slipped_share`` (NaN
        with nothing tracking),
        ``tracking_amount``, ``slipped_amount``, ``slipped_amount_share``.
    """
    sc = result.scenario
    pipe = _Pipeline(result, rows="stage")
    t = snapshot_days(sc)
    active = pipe.active(t)
    slipped = active & (pipe.expected[:, None] < t)
    n_tracking, n_slipped = active.sum(axis=0), slipped.sum(axis=0)
    amount_tracking = pipe.amount @ active.astype(float)
    amount_slipped = pipe.amount @ slipped.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_tracking > 0, n_slipped / n_tracking, np.nan)
        amount_share = np.where(amount_tracking > 0, amount_slipped / amount_tracking, np.nan)
    return pd.DataFrame({
        "day": t, "date": to_date(sc.start_date, pd.Series(t)),
        "n_tracking": n_tracking.astype(int),
        "n_slipped": n_slipped.astype(int), "slipped_share": share,
        "tracking_amount": amount_tracking, "slipped_amount": amount_slipped,
        "slipped_amount_share": amount_share,
    })[SLIPPAGE_COLUMNS]


@dataclass(frozen=True)
class ForecastAccuracy:
    """How good the manager's forecasts were, once their periods closed.

    Attributes
    ----------
    periods : DataFrame
        One row per whole period (the history; see :func:`accuracy` for the columns).
    n_periods : int
        Whole periods scored (those with bookings; a period without any has no error %).
    bias_pct : float
        Mean signed error %, (forecast - actual) / actual: > 0 the manager over-forecasts.
    bias_pct_ci : tuple of float
        95% t-interval of the bias over the periods (NaN with fewer than two).
    mape_pct : float
        Mean absolute error %.
    within_5pct_share : float
        Share of periods forecast within +/-5% (about 28% in practice, InsideSales Labs).
    in_band_share : float
        Share of periods whose bookings fell inside the forecast's band.
    categories : DataFrame
        Per whole period and owner category, what became of the deals in it at the
        forecast (see :meth:`by_category`).
    """

    periods: pd.DataFrame
    n_periods: int
    bias_pct: float
    bias_pct_ci: tuple[float, float]
    mape_pct: float
    within_5pct_share: float
    in_band_share: float
    categories: pd.DataFrame

    def by_category(self, overall: bool = True) -> pd.DataFrame:
        """How each forecast category held up: per whole period, the deals their owners
        had in ``commit``, ``best_case`` and ``pipeline`` at the forecast (expected to
        close in the period), and what became of them by the period's end.

        Parameters
        ----------
        overall : bool
            Also give the totals over all periods, as rows with ``period`` ``"overall"``.

        Returns
        -------
        DataFrame
            Columns :data:`CATEGORY_COLUMNS`: ``period``, ``category``, ``n_deals``,
            ``amount`` (in the category at the forecast), ``won_amount`` (of it, won in
            the period), and the amount shares ``won_share``, ``slipped_share`` (still
            tracking at the period's end) and ``lost_share`` (lost by then), which add up
            to 1 (NaN for an empty category).
        """
        table = self.categories
        if overall:
            sums = table.groupby("category", sort=False)[
                ["n_deals", "amount", "won_amount", "_slipped", "_lost"]].sum().reset_index()
            table = pd.concat([table, sums.assign(period="overall")], ignore_index=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            amount = table["amount"].where(table["amount"] > 0)
            table = table.assign(won_share=table["won_amount"] / amount,
                                 slipped_share=table["_slipped"] / amount,
                                 lost_share=table["_lost"] / amount)
        return table[CATEGORY_COLUMNS].reset_index(drop=True)

    def summary(self) -> dict[str, float]:
        """The headline figures as a flat dict (e.g. for ``--json`` or replications)."""
        return {"forecast_periods": self.n_periods, "forecast_bias_pct": self.bias_pct,
                "forecast_bias_pct_ci_low": self.bias_pct_ci[0],
                "forecast_bias_pct_ci_high": self.bias_pct_ci[1],
                "forecast_mape_pct": self.mape_pct,
                "forecast_within_5pct_share": self.within_5pct_share,
                "forecast_in_band_share": self.in_band_share}


def _category_outcomes(pipe: _Pipeline, masks, cal: pd.DataFrame, b) -> pd.DataFrame:
    """Per period and category: deals, amount, and the amounts won, slipped and lost by the
    period's end ``b`` (the raw sums behind :meth:`ForecastAccuracy.by_category`)."""
    closed_by_end = pipe.closed_day[:, None] < b  # NaN (still tracking) compares False
    won = closed_by_end & (pipe.status == "won")[:, None]
    lost = closed_by_end & (pipe.status == "lost")[:, None]
    parts = []
    for name, mask in zip(("commit", "best_case", "pipeline"), masks, strict=True):
        m = mask.astype(float)
        parts.append(pd.DataFrame({
            "period": cal["period"].to_numpy(), "category": name,
            "n_deals": mask.sum(axis=0).astype(int), "amount": pipe.amount @ m,
            "won_amount": pipe.amount @ (m * won), "_slipped": pipe.amount @ (m * ~closed_by_end),
            "_lost": pipe.amount @ (m * lost)}))
    out = pd.concat(parts, ignore_index=True)
    order = {p: i for i, p in enumerate(cal["period"])}
    return out.sort_values("period", key=lambda c: c.map(order), kind="stable").reset_index(
        drop=True)


def accuracy(result, lead_days: float | None = None, band: float = 0.8) -> ForecastAccuracy:
    """Score the forecast of every whole period of the results period against its bookings.

    By default the forecast scored is the one made on the period's first day
    (``forecast_day = start_day``): the number a manager commits to for the period, before
    any of it is won. With ``lead_days`` it is the one made ``lead_days`` before the
    period's end (``forecast_day = end_day - lead_days``; more than the period's length
    scores a forecast made in an earlier period). A snapshot on an exact day is used, not
    the nearest weekly one, so that every period is judged at the same lead.

    Parameters
    ----------
    result : RunResult
    lead_days : float, optional
        Days before the period's end the forecast was made; None = at the period's start.
    band : float
        Central probability of the band (see :func:`snapshots`).

    Returns
    -------
    ForecastAccuracy
        Its ``periods`` frame has, per whole period: ``period``, ``start_day``,
        ``end_day``, ``forecast_day``; the forecast then (``forecast``, ``sd``,
        ``forecast_low``, ``forecast_high``, ``closed_at_forecast``, ``commit``, ``best_case``,
        ``pipeline``); ``actual`` (bookings: amounts won in the period), ``quota``;
        ``error`` = forecast - actual (money), ``error_pct`` = 100 x error / actual (NaN
        when nothing was won), ``abs_error``, ``abs_error_pct``, ``within_5pct``,
        ``in_band``; ``slipped_share``: share of the deals expected in the period at the
        forecast that were still tracking at its end (their close slipped out of it);
        ``commit_slipped_share``: share of the commit deals at the forecast that were not
        closed (won or lost) by their expected close date (Ebsta: 20-44% per quarter);
        ``attainment_pct`` = 100 x actual / quota; and the history as the manager sees it
        after each period closes: ``bias_pct_so_far``, ``mape_pct_so_far``,
        ``within_5pct_share_so_far``.
    """
    sc = result.scenario
    if lead_days is not None and not lead_days >= 0:
        raise ValueError(f"lead_days must be 0 or more, got {lead_days}")
    cal = period_calendar(sc)
    cal = cal[cal["whole"]].reset_index(drop=True)
    a, b = cal["start_day"].to_numpy(), cal["end_day"].to_numpy()
    t = a.copy() if lead_days is None else b - lead_days
    pipe = _Pipeline(result)
    figures = _evaluate(pipe, t, a, b, band)
    actual = pipe.won_amount @ pipe.won_in(b, a, b).astype(float)
    # deals expected in the period at the forecast that were still tracking at its end
    in_window, commit, best, pipeline = pipe.categories(t, a, b)
    open_at_end = ~(pipe.closed_day[:, None] < b)  # NaN (never closed) counts as open
    with np.errstate(divide="ignore", invalid="ignore"):
        slipped_share = np.where(in_window.any(axis=0),
                                 (in_window & open_at_end).sum(axis=0) / in_window.sum(axis=0),
                                 np.nan)
        # Ebsta's measure: commit deals not closed (won or lost) by their expected close
        missed = ~(pipe.closed_day <= pipe.expected)[:, None]
        commit_slipped = np.where(commit.any(axis=0),
                                  (commit & missed).sum(axis=0) / commit.sum(axis=0), np.nan)
        error = figures["forecast"] - actual
        error_pct = np.where(actual > 0, 100 * error / actual, np.nan)
    quota = figures["quota"]
    scored = ~np.isnan(error_pct)
    frame = pd.DataFrame({
        "period": cal["period"], "start_day": a, "end_day": b, "forecast_day": t,
        "forecast": figures["forecast"], "sd": figures["sd"],
        "forecast_low": figures["forecast_low"], "forecast_high": figures["forecast_high"],
        "closed_at_forecast": figures["closed"], "commit": figures["commit"],
        "best_case": figures["best_case"], "pipeline": figures["pipeline"],
        "actual": actual, "quota": quota, "error": error, "error_pct": error_pct,
        "abs_error": np.abs(error), "abs_error_pct": np.abs(error_pct),
        "within_5pct": scored & (np.abs(error_pct) <= 5.0),
        "in_band": (figures["forecast_low"] <= actual) & (actual <= figures["forecast_high"]),
        "slipped_share": slipped_share, "commit_slipped_share": commit_slipped,
        "attainment_pct": 100 * actual / quota,
    })
    count = np.cumsum(scored)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["bias_pct_so_far"] = np.cumsum(np.where(scored, error_pct, 0.0)) / count
        frame["mape_pct_so_far"] = np.cumsum(np.where(scored, np.abs(error_pct), 0.0)) / count
        frame["within_5pct_share_so_far"] = np.cumsum(frame["within_5pct"]) / count
    frame.loc[count == 0, ["bias_pct_so_far", "mape_pct_so_far",
                           "within_5pct_share_so_far"]] = np.nan
    frame = frame[ACCURACY_COLUMNS]
    errors = error_pct[scored]
    n = int(scored.sum())
    _, _, lo, hi = mean_ci(errors) if n else (math.nan,) * 4
    return ForecastAccuracy(
        periods=frame,
        n_periods=n,
        bias_pct=float(errors.mean()) if n else math.nan,
        bias_pct_ci=(lo, hi),
        mape_pct=float(np.abs(errors).mean()) if n else math.nan,
        within_5pct_share=float(frame["within_5pct"][scored].mean()) if n else math.nan,
        in_band_share=float(frame["in_band"][scored].mean()) if n else math.nan,
        categories=_category_outcomes(pipe, (commit, best, pipeline), cal, b),
    )


def forecast_table(result, lead_days: float | None = None, band: float = 0.8) -> pd.DataFrame:
    """A compact per-period table for a report, one row per whole period.

    It has the columns :func:`sim.presentation.plots.plot_forecast` reads (``period``, ``forecast``,
    ``forecast_low``, ``forecast_high``, ``actual``).

    Parameters
    ----------
    result : RunResult
    lead_days : float, optional
        As in :func:`accuracy`: None = the forecast made on the period's first day.
    band : float
        Central probability of the band.

    Returns
    -------
    DataFrame
        ``period``, ``quota`` (NaN without one), ``forecast`` (made at the period's start,
        or ``lead_days`` before its end) with its band ``forecast_low``, ``forecast_high``,
        ``commit``, ``best_case``, ``pipeline`` (amounts at that forecast), ``actual``
        (bookings: amounts won in the period), ``error_pct`` (100 x (forecast - actual) /
        actual) and ``attainment_pct`` (100 x actual / quota).
    """
    periods = accuracy(result, lead_days=lead_days, band=band).periods
    return periods[TABLE_COLUMNS].reset_index(drop=True)
