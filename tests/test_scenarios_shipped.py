"""The scenarios shipped in ``scenarios/``: each loads, validates and runs; the baseline
and its variants are calibrated to the ranges of ``shared/domain/PARAMETERS.md``; the
Chinese scenario keeps its Chinese stage names through a run and through TOML."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.runner import simulate
from sim.presentation.cli import main as funnel
from sim.scenario.files import load_scenario, parse_scenario, save_scenario, to_toml
from sim.scenario.variants import vary

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIO_DIR.glob("*.toml"))

CHINESE_STAGES = ["初步接洽", "确定需求", "方案报价", "谈判及签约"]
"""The course's four stages (course_original_zh.txt, section 3), in the course's words."""


def test_the_calibrated_scenarios_are_shipped():
    names = {p.name for p in SHIPPED}
    assert set(CALIBRATION) <= names, f"missing: {set(CALIBRATION) - names}"


# -- every file: loads, validates without warnings, runs ------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_funnel_validate_accepts_without_warnings(path, capsys):
    status = funnel(["validate", str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.startswith(f"ok: {path}"), out
    assert err == "", f"validate warned: {err}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_runs_a_short_replication(path):
    sc = load_scenario(path)
    assert sc.advice() == []
    short = vary(sc, {"horizon_days": 60})
    result = simulate(short, 0)
    k = result.kpis()
    assert k["leads"] > 0
    assert k["opportunities"] > 0
    assert 0 < k["rep_utilization"] <= 1
    assert set(result.opportunities["stage"]) <= {s.name for s in sc.stages}


# -- calibration -----------------------------------------------------------------------------
# Each range is where the 95% confidence interval of the mean over REPLICATIONS must lie.
#
# rep_utilization [0.70, 0.90]: the project's calibration target, stated in every scenario's
#   header ("reps are busy 70-90% of their selling hours"): below it reps are idle and the
#   scenario teaches nothing about prioritising; above it queues grow like 1 / (1 - load)
#   and leads go stale (HBR 2011 speed-to-lead).
# win_rate: HubSpot survey of 1,000+ reps (PARAMETERS.md): 25% on average, 15% for
#   enterprise deals over $100K, ~29% for qualified opportunities. Mid-market and small
#   deals: the 25% default +- 10 points, [0.15, 0.35], whose lower edge is the enterprise
#   figure. Enterprise (seven_stages): [0.10, 0.25], from Salesforce's 10% default for an
#   opportunity's first stages up to the all-deal average, which large deals do not beat.
# avg_cycle_days: revops / CRO surveys (PARAMETERS.md): 90 days by default; SMB 14-30,
#   mid-market 30-90, enterprise 90-180+.
#   baseline [60, 120]: the 90-day default +- a third (its deals are mid-market to large).
#   three_stages [30, 60]: small deals on a 3-stage process: above pure transactional SMB
#     (14-30), in the lower half of mid-market (30-90).
#   seven_stages [90, 180]: the enterprise range.
#   course_zh [30, 90]: the mid-market range.
# lead_to_opportunity_rate [0.15, 0.35]: our leads are marketing-qualified, so a lead
#   becomes an opportunity with MQL->SQL 30-60% x SQL->opportunity 40-80% = 12-48%
#   (SiriusDecisions waterfall via b2blead.io; the median MQL->SQL is reported as low as
#   13%, so the top of that product is rarely reached). We ask for the central part.
UTILIZATION = (0.70, 0.90)
LEAD_TO_OPP = (0.15, 0.35)
WIN_RATE = (0.15, 0.35)
CALIBRATION: dict[str, dict[str, tuple[float, float]]] = {
    "baseline.toml": {
        "rep_utilization": UTILIZATION,
        "win_rate": WIN_RATE,
        "avg_cycle_days": (60, 120),
        "lead_to_opportunity_rate": LEAD_TO_OPP,
    },
    "three_stages.toml": {
        "rep_utilization": UTILIZATION,
        "win_rate": WIN_RATE,
        "avg_cycle_days": (30, 60),
        "lead_to_opportunity_rate": LEAD_TO_OPP,
    },
    "seven_stages.toml": {
        "rep_utilization": UTILIZATION,
        "win_rate": (0.10, 0.25),
        "avg_cycle_days": (90, 180),
        "lead_to_opportunity_rate": LEAD_TO_OPP,
    },
    "course_zh.toml": {
        "rep_utilization": UTILIZATION,
        "win_rate": WIN_RATE,
        "avg_cycle_days": (30, 90),
        "lead_to_opportunity_rate": LEAD_TO_OPP,
    },
}

REPLICATIONS = range(10)
T_975_DF9 = 2.2622
"""Student t 97.5% quantile with 9 degrees of freedom (10 replications, 95% two-sided)."""


def confidence_interval(values) -> tuple[float, float, float]:
    """Mean and 95% t confidence interval ``(mean, lo, hi)`` of 10 independent values."""
    v = np.asarray(values, dtype=float)
    assert len(v) == len(REPLICATIONS), "T_975_DF9 is for 10 values"
    mean = float(v.mean())
    half = T_975_DF9 * float(v.std(ddof=1)) / math.sqrt(len(v))
    return mean, mean - half, mean + half


def test_confidence_interval_of_known_values():
    mean, lo, hi = confidence_interval(np.arange(1.0, 11.0))
    # sd of 1..10 is sqrt(55/6); half-width = 2.2622 * sd / sqrt(10)
    assert mean == pytest.approx(5.5)
    assert hi - mean == pytest.approx(2.2622 * math.sqrt(55 / 6) / math.sqrt(10))
    assert mean - lo == pytest.approx(hi - mean)


@cache
def replication_kpis(filename: str) -> tuple[dict, ...]:
    sc = load_scenario(SCENARIO_DIR / filename)
    return tuple(simulate(sc, r).kpis() for r in REPLICATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("filename", sorted(CALIBRATION), ids=lambda f: f.removesuffix(".toml"))
def test_shipped_scenario_is_calibrated(filename):
    runs = replication_kpis(filename)
    problems = []
    for kpi, (low, high) in CALIBRATION[filename].items():
        values = [run[kpi] for run in runs]
        assert np.isfinite(values).all(), f"{kpi}: non-finite values {values}"
        mean, lo, hi = confidence_interval(values)
        if not low <= lo <= hi <= high:
            problems.append(f"{kpi}: mean {mean:.3f}, 95% CI [{lo:.3f}, {hi:.3f}] "
                            f"not inside [{low}, {high}]")
    assert not problems, f"{filename} is off calibration:\n" + "\n".join(problems)


# -- the Chinese scenario ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def course_zh():
    return load_scenario(SCENARIO_DIR / "course_zh.toml")


def test_course_zh_is_in_chinese_and_cny(course_zh):
    assert [s.name for s in course_zh.stages] == CHINESE_STAGES
    assert course_zh.currency == "CNY"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in course_zh.name + course_zh.description)


def test_course_zh_keeps_stage_names_through_a_run(course_zh):
    result = simulate(vary(course_zh, {"horizon_days": 60}), 0)
    stages = result.opportunities["stage"]
    # ~250 opportunities over warm-up and period: every stage holds some at its end
    assert set(stages) == set(CHINESE_STAGES)
    history = result.stage_history
    assert list(history.loc[history["stage_index"] == 0, "stage"].unique()) == ["初步接洽"]
    assert set(history["stage"]) == set(CHINESE_STAGES)


def test_course_zh_keeps_stage_names_through_toml(course_zh, tmp_path):
    text = to_toml(course_zh)
    for name in CHINESE_STAGES:
        assert name in text  # written as UTF-8 text, readable in the file
    again = parse_scenario(text)
    assert [s.name for s in again.stages] == CHINESE_STAGES
    assert again == course_zh
    # and through a file on disk (UTF-8 both ways)
    path = save_scenario(course_zh, tmp_path / "course_zh.toml")
    assert load_scenario(path) == course_zh
