"""``funnel calibrate`` and :mod:`sim.crm.calibrate`: a scenario from a CRM export, valid,
honest about its fit, and able to recover a simulated company's funnel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.crm.calibrate import calibrate, ks_lognormal, medium_of, pool_adjacent_violators
from sim.crm.export import crm_tables, write_crm
from sim.crm.reader import read_history, read_opportunities
from sim.experiments.runner import simulate
from sim.presentation.cli import main
from sim.scenario.files import load_scenario
from sim.scenario.shipped import load_shipped
from sim.scenario.variants import vary

SF_OPPS = "tests/data/salesforce_opportunities.csv"
SF_HISTORY = "tests/data/salesforce_history.csv"


def test_pooling_adjacent_violators_gives_the_closest_rising_rates():
    assert pool_adjacent_violators([0.3, 0.2, 0.6], [1, 3, 1]).tolist() == pytest.approx(
        [0.225, 0.225, 0.6])
    rates = [0.5, 0.4, 0.45, 0.9]
    out = pool_adjacent_violators(rates, [2, 1, 1, 1])
    assert (np.diff(out) >= 0).all()
    assert np.average(out, weights=[2, 1, 1, 1]) == pytest.approx(
        np.average(rates, weights=[2, 1, 1, 1]))  # pooling keeps the weighted mean


def test_the_ks_distance_of_a_lognormal_sample_to_its_own_law_is_small():
    rng = np.random.default_rng(1)
    x = rng.lognormal(10, 0.7, 2_000)
    # 1.36 / sqrt(n) is the 95% critical value; the true law passes it
    assert ks_lognormal(x, 10, 0.7) < 1.36 / math.sqrt(2_000)
    assert ks_lognormal(x, 10.5, 0.7) > 1.36 / math.sqrt(2_000)


def test_lead_sources_map_to_media():
    assert [medium_of(s) for s in ("Web", "Google Ads", "LinkedIn", "Webinar", "Email",
                                   "Partner")] == [
        "search", "search", "social", "video", "newsletter", "other_media"]


def test_calibrating_the_salesforce_export_gives_a_valid_scenario():
    opps, hist = read_opportunities(SF_OPPS), read_history(SF_HISTORY)
    cal = calibrate(opps, hist, name="acme", source="sf.csv")
    sc = cal.scenario
    assert [s.name for s in sc.stages] == ["Prospecting", "Qualification", "Needs Analysis",
                                           "Proposal/Price Quote", "Negotiation/Review"]
    assert all(np.diff([s.win_rate for s in sc.stages]) >= 0)
    assert sc.team.reps == 4 and [m.name for m in sc.team.members][0] == "Ana Ruiz"
    assert sorted(c.name for c in sc.channels) == sorted(opps["lead_source"].unique())
    assert sc.leads.verify_hours == 0 and all(c.lead_quality == 1 for c in sc.channels)
    # every source has 6 deals over the export's span: the rates are equal and add up to
    # the deals per week
    weeks = (pd.Timestamp("2027-07-08") - opps["created"].min()).days / 7
    assert sum(c.leads_per_week for c in sc.channels) == pytest.approx(len(opps) / weeks,
                                                                        rel=1e-3)
    assert set(cal.report["part"]) >= {"win rate", "days in stage", "deal size",
                                       "arrivals per week", "team"}
    assert any("work_hours" in f for f in cal.fallbacks)
    assert cal.text.startswith("# Calibrated by `funnel calibrate`")


def test_without_a_history_the_decision_times_fall_back_and_say_why():
    cal = calibrate(read_opportunities(SF_OPPS))
    assert sum("decision_days" in f and "no history" in f for f in cal.fallbacks) == len(
        cal.scenario.stages)
    assert any("lost deal(s) left out" in n for n in cal.fit.notes)


def test_funnel_calibrate_writes_a_file_funnel_run_accepts(tmp_path, capsys):
    out = tmp_path / "my.toml"
    assert main(["calibrate", SF_OPPS, "--history", SF_HISTORY, "--out", str(out),
                 "--name", "acme"]) == 0
    text = capsys.readouterr().out
    assert "Fell back to defaults" in text and "win rate" in text
    assert load_scenario(out).name == "acme"
    assert main(["run", str(out), "--days", "30", "--policy", "miller_heiman",
                 "--json"]) == 0
    capsys.readouterr()
    before = out.read_text(encoding="utf-8")
    assert main(["calibrate", SF_OPPS, "--out", str(out)]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == before


def test_funnel_calibrate_reports_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "opps.csv"
    bad.write_text("Opportunity ID,Stage\n1,Closed Won\n", encoding="utf-8")
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "x.toml")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {bad}")
    assert not (tmp_path / "x.toml").exists()


# -- the round trip ----------------------------------------------------------------------------
@pytest.mark.slow
def test_calibrating_a_simulated_company_recovers_its_funnel(tmp_path):
    # Three years of the baseline company, with rot switched off: then the engine's
    # chance to advance from stage k is exactly w[k] / w[k+1] (no skill, no elastic
    # effort in the baseline), so P(win | reached stage k) is the scenario's w[k], the
    # figure the fit estimates. With rot on, "lost to neglect" would lower every rate.
    sc, _ = load_shipped("baseline")
    changes = {"horizon_days": 1095} | {f"stages[{k}].rot_days": 3650 for k in range(4)}
    result = simulate(vary(sc, changes))
    write_crm(result, tmp_path)
    opps = read_opportunities(tmp_path / "opportunities.csv")
    hist = read_history(tmp_path / "history.csv")
    cal = calibrate(opps, hist)
    fit = cal.fit.table
    assert list(cal.fit.stages) == [s.name for s in sc.stages]
    # A CRM stay in a stage is the wait for the rep, the rep's work and the customer's
    # decision. Its true mean is the scenario's decision mean plus the work at the
    # rep's hours per day plus the mean wait the run really had (the queue is the
    # run's, not a parameter).
    stages = result.tables()["stage_history"]
    wait = stages.groupby("stage_index")["wait_days"].mean()
    true_days = [s.decision_days.mean + s.mean_work_hours / sc.team.hours_per_day + wait[k]
                 for k, s in enumerate(sc.stages)]
    # Eight comparisons at once: each estimate must lie within 3 of its standard errors
    # (the 95% interval's half-width / 1.96) of the truth. A z of 3 per check keeps the
    # chance of a false alarm among the eight under 2.2% (Bonferroni); the rates rest
    # on 400 to 1,400 closed deals, so an error of 3 SE is 4 to 7 points.
    for k, s in enumerate(sc.stages):
        se = (fit["win_high"][k] - fit["win_low"][k]) / (2 * 1.96)
        assert abs(fit["win_rate"][k] - s.win_rate) <= 3 * se, (s.name, fit.iloc[k])
        se = (fit["days_high"][k] - fit["days_low"][k]) / (2 * 1.96)
        assert abs(fit["days_mean"][k] - true_days[k]) <= 3 * se, (s.name, true_days[k])
    # the calibrated scenario carries them: the rates (already rising) and the decision
    # time as the stay less the rep's work at the default hours
    for k, st in enumerate(cal.scenario.stages):
        assert st.win_rate == pytest.approx(fit["win_rate"][k], abs=1e-4)
        assert st.decision_days.mean == pytest.approx(fit["days_mean"][k] - 4 / 6, abs=0.01)
    # each lead source is a channel whose arrivals are the run's opportunities per week
    # from it, and whose mean deal size is near the scenario's (lognormal fit, n >= 100)
    opps_by_source = opps.groupby("lead_source").size()
    channels = {c.name: c for c in cal.scenario.channels}
    true_size = {c.name: c.deal_size.mean for c in sc.channels}
    for name, n in opps_by_source.items():
        assert channels[name].leads_per_week * cal.report.query(
            "part == 'arrivals per week' and item == @name")["note"].str.extract(
            r"over ([\d.]+) weeks").astype(float).iloc[0, 0] == pytest.approx(n, rel=1e-2)
        if n >= 100:
            # a lognormal mean from n values with cv ~0.8 has a relative SE near
            # 0.8 / sqrt(n) <= 8%; 4 SE
            assert channels[name].deal_size.mean == pytest.approx(true_size[name],
                                                                  rel=4 * 0.8 / math.sqrt(n))
    assert cal.scenario.team.reps == sc.team.reps


def test_both_commands_read_the_sandbox_own_crm_files(tmp_path, capsys):
    sc, _ = load_shipped("baseline")
    result = simulate(vary(sc, {"horizon_days": 120}))
    opps, hist = crm_tables(result)
    assert {"id", "stage", "status"} <= set(opps.columns)
    write_crm(result, tmp_path)
    files = [str(tmp_path / "opportunities.csv"), "--history", str(tmp_path / "history.csv")]
    assert main(["stress", *files, "--draws", "200", "--json"]) == 0
    assert main(["calibrate", *files, "--out", str(tmp_path / "cal.toml")]) == 0
    capsys.readouterr()
    assert len(load_scenario(tmp_path / "cal.toml").stages) == len(sc.stages)
