"""The manager's stress test: what the open pipeline may book in a period.

The deals are the open ones (status ``tracking``) expected to close in the period
``[start, end)``. Each books its amount with its own chance, independently of the
others; the bookings of the period are what was already won in it plus the sum over the
open deals. A Monte Carlo draws that sum many times (:func:`simulate_bookings`), in
chunks of draws so that memory stays bounded (:data:`CHUNK_CELLS` deal-draws at a time)
and on a few threads (numpy releases the GIL while it draws and compares).

A deal's chance:

- without a history, the probability the file gives it, or where it gives none the
  win rate of its stage fitted from the closed deals (:mod:`sim.crm.fit`);
- with a history, per draw: its stage's win rate drawn from its Beta posterior, times
  one minus its stage's slip chance drawn from its Beta posterior (a deal that slips
  does not book in the period; slipping and losing are taken as independent). The
  spread then holds what the data does not know about the rates, too. A stage the
  history says nothing about keeps the file's probability (and the pooled slip).

The win-rate shift (``shift``, e.g. -0.10: "our win rates are ten points lower") moves
every chance ``p`` to ``clip(p + shift, 0, 1)`` before the slip, and is drawn with *the
same random numbers* (paired), so the difference between the two results is the shift's
effect and not noise.

What is reported (:class:`BookingsSummary`): the mean of the draws with its Monte Carlo
standard error, the exact weighted forecast ``booked + Σ amount × E[chance]`` it
estimates, P10 / P50 / P90 (the bookings fall below P10 in one draw of ten: a bad
period; above P90 in one of ten: a good one), and ``P(bookings >= quota)``. Each deal's
share of the variance is ``a² p (1 - p) / Σ a² p (1 - p)`` (the Bernoulli part; with a
history the rates' own uncertainty adds a spread shared by all deals of a stage).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.crm.fit import OPEN, WON, PipelineFit, fit_pipeline
from sim.rules.calendar import period_table, to_date

DEFAULT_DRAWS = 10_000
DEFAULT_SEED = 20270101
"""The seed a stress test uses unless told otherwise: the same file gives the same
figures run after run."""
MIN_DRAWS, MAX_DRAWS = 100, 1_000_000
CHUNK_CELLS = 1_000_000
"""Deal-draws simulated at once per thread, whatever the size of the pipeline: their
uniforms (8 bytes each, 8 MB), and with stage draws or a shift up to three more arrays
of that size (at most about 32 MB per thread)."""
THREADS = 2
"""Threads drawing chunks at once by default (numpy releases the GIL while it draws and
compares; ``make bench`` shows what one and two give). The draws do not depend on it."""
QUOTA_RTOL = 1e-9
"""Bookings within a billionth of the quota count as reaching it (sums of the same
amounts in another order may differ in the last bits)."""


@dataclass(frozen=True)
class BookingsSummary:
    """The distribution of a period's bookings, as the Monte Carlo draws show it.

    Attributes
    ----------
    expected : float
        Mean of the draws.
    mc_error : float
        Its Monte Carlo standard error (the draws' SD over the root of their number).
    weighted_forecast : float
        What ``expected`` estimates, exactly: booked plus ``Σ amount × E[chance]``.
    sd, p10, p50, p90 : float
        SD and the 10%, 50% and 90% quantiles of the draws.
    p_quota, p_quota_error : float
        Share of draws reaching the quota, and its standard error; NaN without a quota.
    """

    expected: float
    mc_error: float
    weighted_forecast: float
    sd: float
    p10: float
    p50: float
    p90: float
    p_quota: float
    p_quota_error: float

    def as_dict(self) -> dict:
        return {k: _plain(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class StressResult:
    """A stress test of a pipeline (:func:`stress_pipeline`).

    Attributes
    ----------
    start, end : Timestamp
        The period ``[start, end)``.
    deals : DataFrame
        The open deals expected in it: ``id``, ``name``, ``owner``, ``stage``,
        ``amount``, ``expected_close``, ``chance`` (the expected chance to book in the
        period), ``chance_from`` (``file``, ``stage win rate`` or ``history``),
        ``variance_share``; largest share first.
    base, shifted : BookingsSummary
        The figures as given, and with the win-rate shift (None without one).
    bookings, shifted_bookings : ndarray
        Every draw's bookings (with the shift: same draws).
    booked : float
        Amount already won in the period (counted in every draw).
    quota, shift : float
        As asked (quota NaN when none).
    draws, seed : int
    fit : PipelineFit or None
        The fit used for the chances (None when every deal had a probability and no
        history was given).
    notes : tuple of str
        Deals left out, fall-backs, and why.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    deals: pd.DataFrame
    base: BookingsSummary
    shifted: BookingsSummary | None
    bookings: np.ndarray
    shifted_bookings: np.ndarray | None
    booked: float
    quota: float
    shift: float
    draws: int
    seed: int
    fit: PipelineFit | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self, top: int = 10) -> dict:
        """Plain data for JSON: the figures, the period and the ``top`` riskiest deals."""
        out = {"period": {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}"},
               "deals": len(self.deals), "draws": self.draws, "seed": self.seed,
               "quota": _plain(self.quota), "booked": self.booked,
               **self.base.as_dict(),
               "win_rate_shift": self.shift,
               "shifted": None if self.shifted is None else self.shifted.as_dict(),
               "top_deals": [{k: _plain(v) for k, v in row.items()} for row in
                             risk_table(self, top).to_dict(orient="records")],
               "notes": list(self.notes)}
        return out


def _plain(v):
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# -- the Monte Carlo ---------------------------------------------------------------------

@dataclass(frozen=True)
class StageDraws:
    """Per-draw chances by stage, for :func:`simulate_bookings`: each deal's stage
    (``stage``, positions), the Beta parameters of each stage's win rate (``win_a``,
    ``win_b``) and slip chance (``slip_a``, ``slip_b``; a stage with ``slip_a == 0``
    never slips), and which deals use the drawn win rate (``drawn``; the others keep
    their fixed chance)."""

    stage: np.ndarray
    win_a: np.ndarray
    win_b: np.ndarray
    slip_a: np.ndarray
    slip_b: np.ndarray
    drawn: np.ndarray


def simulate_bookings(amounts, chances, *, draws: int = DEFAULT_DRAWS,
                      seed: int = DEFAULT_SEED, shift: float = 0.0,
                      stage_draws: StageDraws | None = None,
                      chunk_cells: int = CHUNK_CELLS,
                      threads: int = THREADS) -> tuple[np.ndarray, np.ndarray | None]:
    """Draw a period's bookings ``Σ amount × Bernoulli(chance)`` ``draws`` times.

    Parameters
    ----------
    amounts, chances : array_like of float
        Each deal's amount and fixed chance to book (0..1).
    draws : int
        Number of draws.
    seed : int
        Seed of the draws: the same seed gives the same draws on any number of threads
        (each chunk of draws has its own stream, spawned from the seed).
    shift : float
        A win-rate shift in [-1, 1]; non-zero also returns the bookings with every
        chance moved to ``clip(p + shift, 0, 1)``, from the same uniforms (paired).
    stage_draws : StageDraws, optional
        Per-draw stage win rates and slip chances (see :class:`StageDraws`).
    chunk_cells : int
        Deal-draws per chunk and thread (bounds the memory: 8 to 32 bytes each).
    threads : int
        Threads drawing chunks at once.

    Returns
    -------
    (ndarray, ndarray or None)
        The bookings of each draw, and with a shift the shifted bookings (else None).
    """
    amounts = np.ascontiguousarray(amounts, dtype=float)
    chances = np.clip(np.asarray(chances, dtype=float), 0.0, 1.0)
    n = len(amounts)
    per_chunk = max(1, min(draws, chunk_cells // max(n, 1)))
    bounds = list(range(0, draws, per_chunk)) + [draws]
    streams = np.random.SeedSequence(seed).spawn(len(bounds) - 1)
    base = np.zeros(draws)
    shifted = np.zeros(draws) if shift != 0 else None

    def run(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        rng = np.random.default_rng(streams[i])
        rates = _stage_rates(rng, hi - lo, stage_draws)
        p = _chances(chances, stage_draws, rates, 0.0)
        u = rng.random((hi - lo, n))
        if shifted is not None:
            q = _chances(chances, stage_draws, rates, shift)
            hits = np.less(u, q, out=np.empty_like(u), casting="unsafe")
            shifted[lo:hi] = hits @ amounts
        np.less(u, p, out=u, casting="unsafe")  # 0/1 in place: no second array
        base[lo:hi] = u @ amounts

    if n == 0:
        return base, shifted
    if threads > 1 and len(bounds) > 2:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, range(len(bounds) - 1)))
    else:
        for i in range(len(bounds) - 1):
            run(i)
    return base, shifted


def _stage_rates(rng, m: int, sd: StageDraws | None):
    """``m`` draws of every stage's win rate and slip chance, ``(m, stages)`` each."""
    if sd is None:
        return None
    win = rng.beta(sd.win_a, sd.win_b, size=(m, len(sd.win_a)))
    slips = sd.slip_a > 0
    slip = np.zeros((m, len(sd.slip_a)))
    slip[:, slips] = rng.beta(sd.slip_a[slips], sd.slip_b[slips], size=(m, int(slips.sum())))
    return win, slip


def _chances(chances: np.ndarray, sd: StageDraws | None, rates, shift: float):
    """Each deal's chance to book: ``chances`` shifted, or with stage draws an ``(m, n)``
    array: the drawn (or fixed) win rate, shifted, times one minus the drawn slip (made
    in place: one ``(m, n)`` array and one temporary)."""
    if sd is None:
        return np.clip(chances + shift, 0.0, 1.0)
    win, slip = rates
    p = win[:, sd.stage]
    if not sd.drawn.all():
        p[:, ~sd.drawn] = chances[~sd.drawn]
    if shift:
        np.add(p, shift, out=p)
        np.clip(p, 0.0, 1.0, out=p)
    p *= (1.0 - slip)[:, sd.stage]
    return p


def summarize_bookings(bookings: np.ndarray, weighted_forecast: float,
                       quota: float) -> BookingsSummary:
    """The figures of a set of draws (see :class:`BookingsSummary`); ``quota`` NaN: no
    quota."""
    b = np.asarray(bookings, dtype=float)
    d = len(b)
    sd = float(b.std(ddof=1)) if d > 1 else math.nan
    p10, p50, p90 = (float(x) for x in np.quantile(b, [0.1, 0.5, 0.9]))
    if quota == quota:
        p_quota = float(np.mean(b >= quota * (1 - QUOTA_RTOL)))
        p_err = math.sqrt(p_quota * (1 - p_quota) / d)
    else:
        p_quota = p_err = math.nan
    return BookingsSummary(float(b.mean()), sd / math.sqrt(d), float(weighted_forecast), sd,
                           p10, p50, p90, p_quota, p_err)


# -- from a CRM export to the test ----------------------------------------------------------

def as_of(opportunities: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.Timestamp:
    """The export's date, as the data shows it: the latest created or closed date (and
    history row), at midnight."""
    dates = [opportunities["created"].max(), opportunities["closed_date"].max()]
    if history is not None and len(history):
        dates.append(history["timestamp"].max())
    dates = [d for d in dates if not pd.isna(d)]
    if not dates:
        raise ValueError("the file has no created or closed date to tell when it was exported")
    return pd.Timestamp(max(dates)).normalize()


def default_period(opportunities: pd.DataFrame,
                   history: pd.DataFrame | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period a stress test looks at unless told: the calendar quarter holding the
    export's date (:func:`as_of`): the quarter the manager is in."""
    day = as_of(opportunities, history)
    row = period_table(day, "quarter", 0.0, 0.0).iloc[0]
    return pd.Timestamp(row["start"]), pd.Timestamp(to_date(day, row["end_day"]))


def stress_pipeline(opportunities: pd.DataFrame, history: pd.DataFrame | None = None, *,
                    start=None, end=None, quota: float | None = None, shift: float = 0.0,
                    draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
                    threads: int = THREADS) -> StressResult:
    """Stress-test the open deals expected to close in ``[start, end)``.

    Parameters
    ----------
    opportunities : DataFrame
        The canonical opportunities (:func:`sim.crm.reader.read_opportunities`).
    history : DataFrame, optional
        The canonical history: with it, the stages' win rates and slip chances are
        fitted and drawn per draw (see the module's notes).
    start, end : date-like, optional
        The period; both or neither (default: :func:`default_period`).
    quota : float, optional
        The bookings target of the period (above 0).
    shift : float
        Win-rate shift in [-1, 1] (0: none).
    draws : int
        Monte Carlo draws, from 100 to 1,000,000.
    seed : int
        Seed (0 or more); the same seed gives the same figures.

    Returns
    -------
    StressResult

    Raises
    ------
    ValueError
        For a bad parameter, or a deal with no probability in a stage without a fitted
        win rate (every such deal is named).
    """
    _check(quota, shift, draws, seed)
    if (start is None) != (end is None):
        raise ValueError("give both start and end, or neither")
    if start is None:
        start, end = default_period(opportunities, history)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if not start < end:
        raise ValueError(f"the period is empty: start {start:%Y-%m-%d} is not before end "
                         f"{end:%Y-%m-%d}")
    quota = math.nan if quota is None else float(quota)
    deals, notes = _period_deals(opportunities, start, end)
    won = opportunities[(opportunities["status"] == WON)
                        & (opportunities["closed_date"] >= start)
                        & (opportunities["closed_date"] < end)]
    booked = float(won["amount"].sum())
    fit = None
    stage_draws = None
    if history is not None and len(history):
        fit = fit_pipeline(opportunities, history, period=(start, end))
        stage_draws, chance, source, more = _drawn_chances(deals, fit)
    else:
        missing = deals["probability"].isna()
        if missing.any():
            fit = fit_pipeline(opportunities)
        chance, source, more = _file_chances(deals, fit)
    notes += more
    deals = deals.assign(chance=chance, chance_from=source)
    a, q = deals["amount"].to_numpy(float), deals["chance"].to_numpy(float)
    var = a**2 * q * (1 - q)
    deals["variance_share"] = var / var.sum() if var.sum() > 0 else 0.0
    deals = deals.sort_values(["variance_share", "amount"], ascending=False,
                              kind="stable").reset_index(drop=True)
    if stage_draws is not None:  # keep the stage positions in the deals' new order
        stage_draws = _stage_draws_for(deals, fit, stage_draws)
    fixed = deals["fixed_chance"].to_numpy(float) if stage_draws is not None else \
        deals["chance"].to_numpy(float)
    base, shifted = simulate_bookings(deals["amount"], fixed, draws=draws, seed=seed,
                                      shift=shift, stage_draws=stage_draws, threads=threads)
    base += booked
    forecast = booked + float((a * q).sum())
    shifted_summary = None
    if shifted is not None:
        shifted += booked
        qs = _shifted_expected(deals, stage_draws, shift)
        shifted_summary = summarize_bookings(shifted, booked + float(
            (deals["amount"].to_numpy(float) * qs).sum()), quota)
    keep = ["id", "name", "owner", "stage", "amount", "expected_close", "chance",
            "chance_from", "variance_share"]
    return StressResult(start, end, deals[keep], summarize_bookings(base, forecast, quota),
                        shifted_summary, base, shifted, booked, quota, float(shift), draws,
                        seed, fit, tuple(notes))


def _check(quota, shift, draws, seed) -> None:
    if quota is not None and not (math.isfinite(quota) and quota > 0):
        raise ValueError(f"quota: value {quota!r} is not allowed: must be an amount above 0")
    if not (math.isfinite(shift) and -1 <= shift <= 1):
        raise ValueError(f"shift: value {shift!r} is not allowed: must lie from -1 to 1 "
                         "(-0.10: win rates ten points lower)")
    if not (isinstance(draws, int | np.integer) and MIN_DRAWS <= draws <= MAX_DRAWS):
        raise ValueError(f"draws: value {draws!r} is not allowed: must be a whole number from "
                         f"{MIN_DRAWS:,} to {MAX_DRAWS:,}")
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        raise ValueError(f"seed: value {seed!r} is not allowed: must be a whole number, 0 or "
                         "more")


def _period_deals(opportunities, start, end) -> tuple[pd.DataFrame, list[str]]:
    """The open deals expected to close in ``[start, end)``, and notes on open deals
    left out."""
    is_open = opportunities["status"] == OPEN
    close = opportunities["expected_close"]
    inside = is_open & (close >= start) & (close < end)
    notes = []
    overdue = int((is_open & (close < start)).sum())
    if overdue:
        notes.append(f"{overdue} open deal(s) expected to close before {start:%Y-%m-%d} "
                     "(overdue) left out: re-date them to count them")
    undated = int((is_open & close.isna()).sum())
    if undated:
        notes.append(f"{undated} open deal(s) without an expected close left out")
    later = int((is_open & (close >= end)).sum())
    if later:
        notes.append(f"{later} open deal(s) expected to close after the period")
    deals = opportunities[inside].reset_index(drop=True)
    bad = deals["amount"].isna() | (deals["amount"] < 0)
    if bad.any():
        raise ValueError("deals without a usable amount: " + ", ".join(deals.loc[bad, "id"]))
    return deals, notes


def _file_chances(deals, fit: PipelineFit | None):
    """Chances from the file's probabilities, the stage win rate where one is missing."""
    chance = deals["probability"].to_numpy(float).copy()
    source = np.where(np.isnan(chance), "stage win rate", "file").astype(object)
    notes = []
    missing = np.isnan(chance)
    if missing.any():
        rates = fit.table.set_index("stage")["win_rate"]
        filled = deals.loc[missing, "stage"].map(rates).to_numpy(float)
        unknown = np.isnan(filled)
        if unknown.any():
            bad = deals.loc[missing].loc[unknown]
            raise ValueError(
                "no probability, and no win rate for the stage (no closed deal reached it): "
                + "; ".join(f"deal {i} in stage '{s}'" for i, s in
                            zip(bad["id"], bad["stage"], strict=True))
                + ": give these deals a probability, or give the history")
        chance[missing] = filled
        notes.append(f"{int(missing.sum())} deal(s) without a probability use their stage's "
                     "win rate from the closed deals")
    return chance, source, notes


def _drawn_chances(deals, fit: PipelineFit):
    """Per-draw chances from the history's fit; the deals' expected chances."""
    t = fit.table
    pos = {s: i for i, s in enumerate(fit.stages)}
    stage = deals["stage"].map(pos)
    has_rate = (t["reached"] > 0).to_numpy()
    drawn = stage.notna().to_numpy() & has_rate[stage.fillna(0).astype(int).to_numpy()]
    fixed = deals["probability"].to_numpy(float)
    notes = []
    unknown = ~drawn & np.isnan(fixed)
    if unknown.any():
        bad = deals[unknown]
        raise ValueError(
            "no probability, and no win rate for the stage (no closed deal in the history "
            "reached it): " + "; ".join(f"deal {i} in stage '{s}'" for i, s in
                                         zip(bad["id"], bad["stage"], strict=True)))
    if (~drawn).any():
        notes.append(f"{int((~drawn).sum())} deal(s) in a stage no closed deal reached keep "
                     "the file's probability")
    win_a = (1 + t["won"]).to_numpy(float)
    win_b = (1 + t["reached"] - t["won"]).to_numpy(float)
    slip_a = (1 + t["slipped"]).to_numpy(float)
    slip_b = (1 + t["expected"] - t["slipped"]).to_numpy(float)
    none = (t["expected"] == 0).to_numpy()
    pooled_n, pooled_s = float(t["expected"].sum()), float(t["slipped"].sum())
    if pooled_n > 0:
        slip_a[none], slip_b[none] = 1 + pooled_s, 1 + pooled_n - pooled_s
        if none.any():
            notes.append("slip: stage(s) " + ", ".join(f"'{s}'" for s in t.loc[none, "stage"])
                         + " had no deal expected in a past period; they use the slip of "
                         "all stages together")
    else:
        slip_a[:], slip_b[:] = 0.0, 1.0
        notes.append("slip: no past period in the history to measure it; deals do not slip")
    sd = StageDraws(stage.fillna(0).astype(int).to_numpy(), win_a, win_b, slip_a, slip_b,
                    drawn)
    chance = _expected_chance(sd, fixed, 0.0)
    source = np.where(drawn, "history", "file").astype(object)
    deals["fixed_chance"] = np.where(drawn, 0.0, fixed)
    return sd, chance, source, notes


def _expected_chance(sd: StageDraws, fixed, shift: float) -> np.ndarray:
    """Each deal's expected chance to book: ``E[clip(w + shift)] × (1 - E[slip])``; the
    clipped mean of a Beta by quadrature when the shift may clip it."""
    slip = np.where(sd.slip_a > 0, sd.slip_a / (sd.slip_a + sd.slip_b), 0.0)
    win = np.array([_clipped_beta_mean(a, b, shift) for a, b in
                    zip(sd.win_a, sd.win_b, strict=True)])
    p = np.where(sd.drawn, win[sd.stage], np.clip(np.asarray(fixed, float) + shift, 0, 1))
    return p * (1 - slip[sd.stage])


def _clipped_beta_mean(a: float, b: float, shift: float) -> float:
    """``E[clip(W + shift, 0, 1)]`` for ``W ~ Beta(a, b)`` (midpoint rule on the log
    density, 20,000 points: exact to about 1e-8)."""
    if shift == 0:
        return a / (a + b)
    x = (np.arange(20_000) + 0.5) / 20_000
    logf = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
    f = np.exp(logf - logf.max())
    return float((np.clip(x + shift, 0, 1) * f).sum() / f.sum())


def _stage_draws_for(deals, fit, sd: StageDraws) -> StageDraws:
    pos = {s: i for i, s in enumerate(fit.stages)}
    stage = deals["stage"].map(pos)
    drawn = (deals["chance_from"] == "history").to_numpy()
    return StageDraws(stage.fillna(0).astype(int).to_numpy(), sd.win_a, sd.win_b, sd.slip_a,
                      sd.slip_b, drawn)


def _shifted_expected(deals, sd: StageDraws | None, shift: float) -> np.ndarray:
    if sd is None:
        return np.clip(deals["chance"].to_numpy(float) + shift, 0, 1)
    return _expected_chance(sd, deals["fixed_chance"].to_numpy(float), shift)


def risk_table(result: StressResult, top: int | None = None) -> pd.DataFrame:
    """The deals that carry the risk: largest share of the variance first (``top`` of
    them), with ``id``, ``name``, ``owner``, ``stage``, ``amount``, ``chance`` and
    ``variance_share``."""
    cols = ["id", "name", "owner", "stage", "amount", "chance", "variance_share"]
    table = result.deals[cols]
    return table.head(top) if top else table
