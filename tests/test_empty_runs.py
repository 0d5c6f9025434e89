"""Empty and tiny runs: no leads, leads but no opportunities, opportunities but no wins,
and a run of one day still give the KPIs, every table and a report that says "No data"
where there is none, with every undefined figure shown as "n/a" and its reason.

Each scenario is the baseline with one change, run in this process; the report is built
and written with the tables (``write_run``), and every figure the report draws is drawn
on its own too.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from sim import load_scenario, simulate, vary
from sim.analysis.levels import LEVEL_COLUMNS, level_stock
from sim.analysis.volatility import roller_coaster_summary
from sim.presentation import cli, plots
from sim.presentation.output import write_run
from sim.presentation.report import KPI_LABELS, NA, NO_DATA, build_report
from sim.scenario.files import to_toml

ROOT = Path(__file__).resolve().parent.parent
BASE = load_scenario(ROOT / "scenarios" / "baseline.toml")
SHORT = {"horizon_days": 180}

SCENARIOS = {
    "no_leads": {**SHORT, "channels": []},
    "no_opportunities": {**SHORT, **{f"channels[{i}].lead_quality": 0.0
                                     for i in range(len(BASE.channels))}},
    # every stage's win rate 0: deals are created and lost, never won
    "no_wins": {**SHORT, **{f"stages[{i}].win_rate": 0.0 for i in range(len(BASE.stages))}},
    "one_day": {"horizon_days": 1},  # `funnel run --days 1`
}

# each figure the report draws, by the name of its plots function
FIGURES = {
    "bookings_chart": lambda r: plots.bookings_chart(r, r.scenario.forecast.period),
    "funnel_chart": plots.funnel_chart,
    "pipeline_chart": plots.pipeline_chart,
    "levels_chart": plots.levels_chart,
    "time_by_level_chart": plots.time_by_level_chart,
    "forecast_chart": plots.forecast_chart,
    "cash_chart": lambda r: plots.cash_chart(r, r.scenario.forecast.period),
    "movement_chart": plots.movement_chart,
}

# the figures that must say "No data" in each run (others may, too)
EMPTY_FIGURES = {
    "no_leads": set(FIGURES),
    "no_opportunities": {"bookings_chart", "funnel_chart", "pipeline_chart",
                         "forecast_chart", "cash_chart", "movement_chart"},
    "no_wins": {"bookings_chart", "cash_chart"},
    "one_day": {"bookings_chart", "forecast_chart", "cash_chart", "movement_chart"},
}

# sentences the report must show in each run
NO_DATA_SAYS = {
    "no_leads": [
        "no deal was tracking at the end of the run",
        "no opportunity was created in the results period",
        "no lead arrived in the results period",
        "no deal was decided at any stage in the results period",
        "no deal was won in the results period",
        "no contract or order was signed in the results period",
    ],
    "no_opportunities": [
        "no deal was tracking at the end of the run",
        "no opportunity was created in the results period",
        "no deal was lost in the results period",
        "no deal was won in the results period",
    ],
    "no_wins": [
        "no deal was won in the results period",
        "no contract or order was signed in the results period",
        "nothing was owed at the end of the run",
    ],
    "one_day": ["the results period holds no whole quarter"],
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def case(request):
    result = simulate(vary(BASE, SCENARIOS[request.param]))
    return request.param, result, build_report(result)


def _text(page: str) -> str:
    """The page as a reader sees it: no tags, no styles, no scenario listing."""
    page = re.sub(r"<(style|pre)>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_kpis_count_zero_and_leave_undefined_rates_undefined(case):
    name, result, _ = case
    k = result.kpis()
    if name == "no_leads":
        assert k["leads"] == k["opportunities"] == k["open"] == 0
        assert math.isnan(k["lead_to_opportunity_rate"])
    if name in ("no_leads", "no_opportunities"):
        assert k["opportunities"] == k["won"] == k["lost"] == k["open"] == 0
        assert k["bookings"] == k["billings"] == k["cash_collected"] == 0
        assert math.isnan(k["win_rate"])
    if name == "no_opportunities":
        assert k["leads"] > 0 and k["lead_to_opportunity_rate"] == 0
    if name == "no_wins":
        assert k["opportunities"] > 0 and k["lost"] > 0
        assert k["won"] == 0 and k["bookings"] == 0 and k["win_rate"] == 0
    if name != "one_day":
        for key in ("avg_deal_size", "avg_cycle_days", "dso_days", "bookings_cv_quarter"):
            assert math.isnan(k[key]), key
    if name == "one_day":
        assert k["leads"] > 0 and math.isnan(k["bookings_cv_quarter"])


def test_the_tables_and_the_report_are_written(case, tmp_path):
    _, result, _ = case
    out = tmp_path / "out"
    written = write_run(result, out)
    names = {p.relative_to(out).as_posix() for p in written}
    assert names == ({f"{t}.csv" for t in result.tables()}
                     | {"scenario.toml", "report.html", "crm/opportunities.csv",
                        "crm/history.csv"})
    assert all((out / n).is_file() for n in names)
    assert (out / "scenario.toml").read_text(encoding="utf-8") == to_toml(result.scenario)
    assert NO_DATA in (out / "report.html").read_text(encoding="utf-8")


def test_the_report_says_no_data_where_there_is_none(case):
    name, _, page = case
    text = _text(page)
    for why in NO_DATA_SAYS[name]:
        assert f"{NO_DATA}: {why}" in text, why
    assert len(re.findall(r"<img ", page)) == len(FIGURES)


def test_undefined_figures_show_as_na_with_their_reason(case):
    name, result, page = case
    text = _text(page)
    assert not re.search(r"\b(nan|NaN|NaT|None|inf)\b", text)
    assert "not defined for that row" not in text  # every n/a column has its own reason
    k = result.kpis()
    for key, label, _ in KPI_LABELS:
        card = re.search(rf'<div class="v">([^<]*)</div><div class="k">{re.escape(label)}'
                         r'</div>(<div class="why">[^<]*</div>)?', page)
        assert card, label
        if isinstance(k[key], float) and math.isnan(k[key]):
            assert card.group(1) == NA and card.group(2) and f"{NA}: " in card.group(2), label
        else:
            assert card.group(1) != NA and not card.group(2), label
    # a table with an n/a cell is followed by a line saying why
    for table, after in re.findall(r"(<table>.*?</table>)((?:<p[^>]*>.*?</p>)*)", page):
        if f">{NA}<" in table:
            assert f'<p class="note">{NA} under' in after, table[:200]


def test_every_table_says_what_it_counts(case):
    _, _, page = case
    tables = page.count("<table>")
    scoped = len(re.findall(r'<p class="note scope">[^<]+</p><table>', page))
    assert tables == scoped
    # a panel without data says what it would have counted too
    panels = page.count('<p class="nodata">')
    assert len(re.findall(r'<p class="note scope">[^<]+</p><p class="nodata">', page)) == panels


@pytest.mark.parametrize("figure", list(FIGURES))
def test_every_figure_of_the_report_draws_and_says_when_it_has_no_data(case, figure):
    name, result, _ = case
    fig = FIGURES[figure](result)
    said = [t.get_text() for ax in fig.axes for t in ax.texts]
    png = plots.to_png_bytes(fig)
    assert png.startswith(b"\x89PNG")
    if figure in EMPTY_FIGURES[name]:
        assert any(t.startswith(f"{NO_DATA}: ") for t in said), said


def test_the_command_line_writes_an_empty_run(tmp_path, capsys):
    # channels = [] in a file, and one day: the KPIs, then every table and the report
    toml = to_toml(vary(BASE, {"channels": [], "horizon_days": 30}))
    path = tmp_path / "empty.toml"
    path.write_text(toml, encoding="utf-8")
    assert cli.main(["run", str(path), "--out", str(tmp_path / "empty")]) == 0
    assert cli.main(["run", "--days", "1", "--out", str(tmp_path / "day")]) == 0
    out = capsys.readouterr().out
    assert "Leads" in out
    for folder in ("empty", "day"):
        page = (tmp_path / folder / "report.html").read_text(encoding="utf-8")
        assert NO_DATA in page and "</html>" in page


class _Untyped:
    """A run whose empty tables carry no column types (``pd.DataFrame(columns=...)``, as
    an empty table read back or built without its rows has): the analyses must not rely
    on an empty ``stage_index`` column being integer."""

    def __init__(self, result):
        self._result = result

    def __getattr__(self, name):
        value = getattr(self._result, name)
        if isinstance(value, pd.DataFrame) and value.empty:
            return pd.DataFrame(columns=value.columns)
        return value


def test_an_empty_run_whose_tables_carry_no_types_still_reports():
    # the IndexError once seen with `channels = []`: the levels indexed the stage win
    # rates with the stage_history's stage_index column, a float column when empty
    result = _Untyped(simulate(vary(BASE, {"channels": [], "horizon_days": 60})))
    assert result.stage_history["stage_index"].dtype == object
    stock = level_stock(result)
    assert len(stock) and (stock[LEVEL_COLUMNS] == 0).all().all()
    assert math.isnan(roller_coaster_summary(result)["bookings_cv_month"])
    assert f"{NO_DATA}: no opportunity was created" in build_report(result)
