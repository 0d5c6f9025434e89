"""The stress test of a pipeline (:mod:`sim.crm.stress`, :mod:`sim.crm.fit`) and the
``funnel stress`` command.

Exactness: the Monte Carlo is checked against what it estimates, computed exactly
(the weighted forecast, the Bernoulli variance, the Poisson-binomial tail by dynamic
programming), with tolerances from the Monte Carlo's own sampling error: each bound is
a z of 4 (or the equivalent for a variance or a share), which a correct simulation
breaks with a chance of about 6e-5 per check, so a fixed seed that passes is not luck
and a real bias of that size would show.
"""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.statistics import beta_cdf, beta_interval, poisson_binomial_cdf
from sim.crm.fit import closed_stages, fit_pipeline, stage_order, stays
from sim.crm.stress import (
    StageDraws,
    default_period,
    simulate_bookings,
    stress_pipeline,
    summarize_bookings,
)
from sim.presentation.cli import main
from sim.presentation.plots.stress import plot_stress, stress_chart

Z = 4.0
DATA = "tests/data"
SF_OPPS = f"{DATA}/salesforce_opportunities.csv"
SF_HISTORY = f"{DATA}/salesforce_history.csv"


def deals(n: int, seed: int = 1, integer: bool = False):
    rng = np.random.default_rng(seed)
    amounts = rng.integers(1, 6, n).astype(float) if integer else rng.lognormal(10, 1, n)
    return amounts, rng.uniform(0.02, 0.98, n)


# -- the Monte Carlo against exact answers ---------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mean_is_the_weighted_forecast_within_its_printed_error(seed):
    a, p = deals(300, seed)
    b, _ = simulate_bookings(a, p, draws=20_000, seed=seed)
    s = summarize_bookings(b, float((a * p).sum()), math.nan)
    # the mean of 20,000 independent draws is normal to a good approximation (the
    # bookings of 300 deals are already near normal), so |mean - truth| / error is a
    # standard normal: a z bound of 4
    assert abs(s.expected - s.weighted_forecast) <= Z * s.mc_error
    assert s.mc_error == pytest.approx(s.sd / math.sqrt(20_000))


def test_the_variance_is_the_bernoulli_sum():
    a, p = deals(300, 3)
    d = 40_000
    b, _ = simulate_bookings(a, p, draws=d, seed=7)
    var = float((a**2 * p * (1 - p)).sum())
    # the sample variance s^2 of d draws has Var(s^2) = sigma^4 (2 / (d - 1) + k / d),
    # k the excess kurtosis of the bookings, exact for a sum of independent Bernoulli
    # terms: sum a^4 p (1 - p) (1 - 6 p (1 - p)) / sigma^4
    kurt = float((a**4 * p * (1 - p) * (1 - 6 * p * (1 - p))).sum()) / var**2
    sd_of_s2 = var * math.sqrt(2 / (d - 1) + kurt / d)
    assert abs(b.var(ddof=1) - var) <= Z * sd_of_s2
    assert sd_of_s2 / var < 0.01  # the check is sharp: within about 4% of the truth


def test_p_quota_is_the_poisson_binomial_tail_for_equal_amounts():
    _, p = deals(300, 4)
    quota = 160.0  # deals of 1: P(at least 160 of 300 book)
    b, _ = simulate_bookings(np.ones(300), p, draws=20_000, seed=5)
    s = summarize_bookings(b, float(p.sum()), quota)
    exact = 1 - poisson_binomial_cdf(159, p)
    assert 0.05 < exact < 0.95  # a tail the test can see
    assert abs(s.p_quota - exact) <= Z * math.sqrt(exact * (1 - exact) / 20_000)


def weighted_tail(amounts, p, quota: int) -> float:
    """P(sum of integer amounts x Bernoulli(p) >= quota), by dynamic programming over
    the total: pmf[t] is the chance the deals so far book exactly t."""
    pmf = np.zeros(int(amounts.sum()) + 1)
    pmf[0] = 1.0
    for a, q in zip(amounts.astype(int), p, strict=True):
        nxt = pmf * (1 - q)
        nxt[a:] += pmf[:-a] * q
        pmf = nxt
    return float(pmf[quota:].sum())


def test_p_quota_is_the_exact_tail_for_small_integer_amounts():
    a, p = deals(250, 6, integer=True)
    quota = int(round((a * p).sum() + 0.5 * math.sqrt((a * a * p * (1 - p)).sum())))
    exact = weighted_tail(a, p, quota)
    b, _ = simulate_bookings(a, p, draws=20_000, seed=8)
    s = summarize_bookings(b, float((a * p).sum()), float(quota))
    assert 0.05 < exact < 0.95
    assert abs(s.p_quota - exact) <= Z * math.sqrt(exact * (1 - exact) / 20_000)


def test_the_shift_is_paired_and_its_mean_is_exact():
    a, p = deals(200, 9)
    b, s = simulate_bookings(a, p, draws=20_000, seed=1, shift=-0.10)
    # the same uniforms: a deal booked with p - 0.1 is booked with p too, in every draw
    assert (s <= b + 1e-6).all()
    shifted = float((a * np.clip(p - 0.10, 0, 1)).sum())
    assert abs(s.mean() - shifted) <= Z * s.std(ddof=1) / math.sqrt(20_000)
    # and the paired difference is far less noisy than two independent runs would be
    assert (b - s).std() < 0.5 * math.sqrt(b.var() + s.var())


def test_same_seed_same_draws_on_any_thread_count_and_bounded_chunks():
    a, p = deals(1_000, 10)
    one, _ = simulate_bookings(a, p, draws=3_000, seed=3, chunk_cells=100_000, threads=1)
    two, _ = simulate_bookings(a, p, draws=3_000, seed=3, chunk_cells=100_000, threads=2)
    assert np.array_equal(one, two)
    other, _ = simulate_bookings(a, p, draws=3_000, seed=4, chunk_cells=100_000)
    assert not np.array_equal(one, other)


def test_memory_stays_within_the_chunk_whatever_the_draws():
    a, p = deals(20_000, 11)
    tracemalloc.start()
    simulate_bookings(a, p, draws=2_000, seed=1, chunk_cells=250_000)  # 4e7 deal-draws
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # a chunk holds 250,000 uniforms of 8 bytes (2 MB) and their chances; all draws at
    # once would take 320 MB
    assert peak < 8e6, peak


def test_stage_draws_spread_the_bookings_beyond_the_bernoulli_part():
    n = 200
    a = np.full(n, 10.0)
    sd = StageDraws(np.zeros(n, dtype=int), np.array([3.0]), np.array([3.0]),
                    np.array([0.0]), np.array([1.0]), np.ones(n, dtype=bool))
    b, _ = simulate_bookings(a, np.zeros(n), draws=20_000, seed=2, stage_draws=sd)
    # W ~ Beta(3, 3): mean 1/2, Var W = 1/28; bookings = 10 x Binomial(n, W), so
    # Var = 100 (n E[W(1-W)] + n^2 Var W) = 100 (200 x 3/14 + 40,000 / 28)
    var = 100 * (n * (0.25 - 1 / 28) + n * n / 28)
    assert abs(b.mean() - 1_000) <= Z * b.std() / math.sqrt(20_000)
    assert abs(b.var() / var - 1) < 0.1  # excess kurtosis of a beta-binomial is small here
    assert b.var() > 20 * 100 * n * 0.25  # far more than the Bernoulli part alone


def test_deals_outside_the_drawn_stages_keep_their_fixed_chance_and_slip():
    n = 400
    a = np.ones(n)
    fixed = np.full(n, 0.9)
    drawn = np.arange(n) < n // 2  # half use stage 0's drawn rate, half their own 0.9
    sd = StageDraws(np.zeros(n, dtype=int), np.array([2.0]), np.array([8.0]),
                    np.array([1.0]), np.array([3.0]), drawn)
    b, s = simulate_bookings(a, fixed, draws=20_000, seed=4, stage_draws=sd, shift=0.05)
    # E[W] = 0.2, E[slip] = 0.25: 200 x 0.2 x 0.75 + 200 x 0.9 x 0.75
    assert abs(b.mean() - 165) <= Z * b.std() / math.sqrt(20_000)
    # shifted: E[clip(W + 0.05)] = 0.25 (W + 0.05 stays below 1 but for 1e-7 of draws)
    assert abs(s.mean() - (200 * 0.25 * 0.75 + 200 * 0.95 * 0.75)) <= Z * s.std() / math.sqrt(
        20_000)


# -- the pipeline --------------------------------------------------------------------------
def frame(rows) -> pd.DataFrame:
    cols = ["id", "name", "account", "owner", "stage", "amount", "probability",
            "forecast_category", "created", "expected_close", "closed_date", "status",
            "lost_reason", "lead_source"]
    df = pd.DataFrame(rows, columns=["id", "stage", "amount", "probability", "status",
                                     "created", "expected_close", "closed_date"])
    for c in ("created", "expected_close", "closed_date"):
        df[c] = pd.to_datetime(df[c])
    for c in cols:
        if c not in df:
            df[c] = "x" if c in ("name", "account", "owner", "lead_source") else math.nan
    return df[cols]


PIPE = frame([
    ("a", "Qualify", 100.0, 0.2, "tracking", "2027-01-05", "2027-04-10", None),
    ("b", "Propose", 200.0, 0.6, "tracking", "2027-01-06", "2027-05-01", None),
    ("c", "Propose", 300.0, math.nan, "tracking", "2027-02-01", "2027-06-30", None),
    ("d", "Qualify", 50.0, 0.2, "tracking", "2027-02-01", "2027-03-01", None),  # overdue
    ("e", "Qualify", 70.0, 0.2, "tracking", "2027-02-01", "2027-08-01", None),  # later
    ("f", "Closed Won", 400.0, 1.0, "won", "2027-01-02", "2027-04-02", "2027-04-02"),
    ("g", "Closed Won", 90.0, 1.0, "won", "2027-01-02", "2027-03-02", "2027-03-02"),
    ("h", "Closed Lost", 80.0, 0.0, "lost", "2027-01-02", "2027-03-02", "2027-03-02"),
])


def test_the_period_counts_open_deals_expected_in_it_and_what_was_won_in_it():
    r = stress_pipeline(PIPE, start="2027-04-01", end="2027-07-01", quota=500, draws=2_000)
    assert sorted(r.deals["id"]) == ["a", "b", "c"]
    assert r.booked == 400.0  # f was won in the period; g before it
    # c has no probability: its stage's win rate from the closed deals, without a
    # history only the won ones are placed (at the last stage): Beta(1 + 2, 1 + 0)
    c = r.deals.set_index("id").loc["c"]
    assert c["chance"] == pytest.approx(3 / 4) and c["chance_from"] == "stage win rate"
    forecast = 400 + 100 * 0.2 + 200 * 0.6 + 300 * 0.75
    assert r.base.weighted_forecast == pytest.approx(forecast)
    assert abs(r.base.expected - forecast) <= Z * r.base.mc_error
    assert any("overdue" in n for n in r.notes)
    assert r.deals["variance_share"].sum() == pytest.approx(1.0)
    assert r.deals["variance_share"].is_monotonic_decreasing


def test_the_default_period_is_the_quarter_of_the_latest_date():
    assert default_period(PIPE) == (pd.Timestamp("2027-04-01"), pd.Timestamp("2027-07-01"))


def test_an_empty_period_gives_what_was_won():
    r = stress_pipeline(PIPE, start="2030-01-01", end="2030-04-01", quota=10, draws=100)
    assert len(r.deals) == 0 and r.base.expected == 0 and r.base.p_quota == 0


@pytest.mark.parametrize("kw, word", [({"quota": 0}, "quota"), ({"quota": -5}, "quota"),
                                      ({"shift": 1.5}, "shift"), ({"draws": 99}, "draws"),
                                      ({"draws": 2_000_000}, "draws"), ({"seed": -1}, "seed"),
                                      ({"start": "2027-05-01", "end": "2027-04-01"}, "empty")])
def test_bad_parameters_are_refused(kw, word):
    with pytest.raises(ValueError, match=word):
        stress_pipeline(PIPE, **{"start": "2027-04-01", "end": "2027-07-01", **kw})


# -- the fit -----------------------------------------------------------------------------------
def history(rows) -> pd.DataFrame:
    h = pd.DataFrame(rows, columns=["opportunity_id", "timestamp", "stage",
                                    "expected_close", "forecast_category"])
    h["timestamp"] = pd.to_datetime(h["timestamp"])
    h["expected_close"] = pd.to_datetime(h["expected_close"])
    h["amount"] = 1.0
    return h


HIST = history([
    # f: Qualify -> Propose -> won; 10 and 20 days in the stages
    ("f", "2027-01-02", "Qualify", "2027-04-02", "pipeline"),
    ("f", "2027-01-12", "Propose", "2027-04-02", "best_case"),
    ("f", "2027-02-01", "Closed Won", "2027-02-01", "closed"),
    # h: Qualify -> lost after 5 days
    ("h", "2027-01-02", "Qualify", "2027-03-02", "pipeline"),
    ("h", "2027-01-07", "Closed Lost", "2027-01-07", "omitted"),
    # b: Qualify, re-dated, -> Propose (still open)
    ("b", "2027-01-06", "Qualify", "2027-01-31", "pipeline"),
    ("b", "2027-01-20", "Qualify", "2027-03-01", "pipeline"),
    ("b", "2027-02-05", "Propose", "2027-05-01", "commit"),
])


def test_stage_order_from_the_history_even_against_the_probabilities():
    opps = PIPE.assign(probability=PIPE["probability"].where(PIPE["stage"] != "Propose", 0.1))
    assert stage_order(opps) == (["Propose", "Qualify"], "probability")
    assert stage_order(opps, HIST) == (["Qualify", "Propose"], "history")
    assert closed_stages(PIPE, HIST) == {"Closed Won", "Closed Lost"}


def test_fit_counts_paths_stays_and_slips():
    fit = fit_pipeline(PIPE, HIST, period=(pd.Timestamp("2027-02-01"),
                                           pd.Timestamp("2027-02-22")))
    t = fit.table.set_index("stage")
    # won deals f and g (g without history: the whole funnel) and lost h (Qualify only)
    assert t.loc["Qualify", ["reached", "won"]].tolist() == [3, 2]
    assert t.loc["Propose", ["reached", "won"]].tolist() == [2, 2]
    assert t.loc["Qualify", "win_rate"] == pytest.approx(3 / 5)  # Beta(3, 2)
    lo, hi = beta_interval(3, 2)
    assert (t.loc["Qualify", "win_low"], t.loc["Qualify", "win_high"]) == (lo, hi)
    assert beta_cdf(hi, 3, 2) == pytest.approx(0.975)
    # stays: f 10 days in Qualify, 20 in Propose; h 5 in Qualify; b 30 in Qualify (the
    # re-dating row does not end it), its Propose stay still going on
    assert t.loc["Qualify", "days_mean"] == pytest.approx((10 + 5 + 30) / 3)
    assert t.loc["Propose", "days_mean"] == pytest.approx(20)
    assert stays(HIST, list(fit.stages))["days"].isna().sum() == 1
    # the past period of 21 days before 2027-02-01 is [01-11, 02-01): at its start f
    # (Qualify, close 04-02) and b (close 01-31) were open; only b expected inside it,
    # and b had not closed by 02-01: slipped
    assert t.loc["Qualify", ["expected", "slipped"]].tolist() == [1, 1]
    assert t.loc["Propose", "expected"] == 0


def test_with_a_history_the_mean_is_the_weighted_forecast_of_the_drawn_rates():
    r = stress_pipeline(PIPE, HIST, start="2027-04-01", end="2027-07-01", draws=20_000,
                        shift=-0.2)
    assert set(r.deals["chance_from"]) == {"history"}
    assert abs(r.base.expected - r.base.weighted_forecast) <= Z * r.base.mc_error
    assert abs(r.shifted.expected - r.shifted.weighted_forecast) <= Z * r.shifted.mc_error
    assert r.shifted.expected < r.base.expected


# -- the command on the Salesforce-style fixture -----------------------------------------------
def test_funnel_stress_on_the_salesforce_export(capsys):
    status = main(["stress", SF_OPPS, "--history", SF_HISTORY, "--period", "2027-Q3",
                   "--quota", "150000", "--win-rate-shift", "-0.1", "--draws", "2000",
                   "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    for key in ("expected", "p10", "p50", "p90", "p_quota", "deals", "draws", "mc_error",
                "shifted", "weighted_forecast"):
        assert key in out
    assert out["draws"] == 2000 and out["deals"] == 17
    assert out["p10"] <= out["p50"] <= out["p90"]
    assert out["shifted"]["expected"] < out["expected"]
    assert 0 < out["p_quota"] < 1


def test_funnel_stress_text_and_out_files(tmp_path, capsys):
    out = tmp_path / "stress"
    assert main(["stress", SF_OPPS, "--period", "2027-Q3", "--quota", "100,000",
                 "--draws", "500", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Expected bookings" in text and "carry the risk" in text
    assert sorted(p.name for p in out.iterdir()) == ["deals.csv", "report.html",
                                                     "stress.json"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in page and "carry the risk" in page
    assert len(pd.read_csv(out / "deals.csv")) == json.loads(
        (out / "stress.json").read_text())["deals"]
    # the same command again may not write over it
    assert main(["stress", SF_OPPS, "--draws", "500", "--out", str(out)]) == 2


@pytest.mark.parametrize("option", [["--quota", "0"], ["--draws", "50"],
                                    ["--win-rate-shift", "-1.5"], ["--quota", "abc"],
                                    ["--from", "2027-01-01"]])
def test_funnel_stress_refuses_bad_options(option, capsys):
    assert main(["stress", SF_OPPS, *option]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_funnel_stress_lists_every_bad_row(tmp_path, capsys):
    bad = tmp_path / "pipe.csv"
    lines = Path(SF_OPPS).read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"$9,500.00"', "lots")
    lines[5] = lines[5].replace("2027-01-29", "soon")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["stress", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 2 and all(e.startswith(f"error: {bad}: line ") for e in err)


def test_funnel_stress_on_an_empty_period_says_so(capsys):
    assert main(["stress", SF_OPPS, "--period", "2031", "--draws", "100", "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["deals"] == 0
    assert "no open deal is expected" in cap.err


def test_the_figure_marks_the_quantiles_the_forecast_and_the_quota():
    r = stress_pipeline(PIPE, start="2027-04-01", end="2027-07-01", quota=500, draws=500,
                        shift=-0.1)
    fig = stress_chart(r, "USD")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(lab.split()[0] for lab in labels) == ["Bookings", "P10", "P50", "P90",
                                                        "Quota", "Weighted", "Win"]
    fig = plot_stress([5.0, 5.0], weighted_forecast=5, p10=5, p50=5, p90=5)  # no spread
    assert "2 draws" in fig.axes[0].get_title(loc="left")


def test_funnel_stress_reads_odd_headers_with_map(tmp_path, capsys):
    odd = tmp_path / "pipe.csv"
    text = Path(SF_OPPS).read_text(encoding="utf-8")
    odd.write_text(text.replace("Amount,", "Deal Value,", 1), encoding="utf-8")
    assert main(["stress", str(odd), "--period", "2027-Q3", "--draws", "200"]) == 2
    assert "amount" in capsys.readouterr().err  # the missing column is named
    assert main(["stress", str(odd), "--period", "2027-Q3", "--draws", "200", "--json",
                 "--map", "Deal Value=amount"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert main(["stress", SF_OPPS, "--period", "2027-Q3", "--draws", "200", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == got  # same file, same seed, same figures
