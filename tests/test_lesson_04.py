"""Lesson 04's package parts: the forecast panel and the figure of the forecast
categories' outcomes."""

import numpy as np
import pandas as pd
import pytest

import sim.presentation.widgets as widgets_module
from sim import simulate, vary
from sim.analysis import forecast
from sim.presentation.panels.forecast import forecast_panel
from sim.presentation.plots.categories import category_outcomes_chart, plot_category_outcomes
from sim.scenario.shipped import load_shipped

SHORT = {"horizon_days": 190, "warmup_days": 60}


@pytest.fixture(scope="module")
def run():
    return simulate(vary(load_shipped("baseline")[0], SHORT))


def bar_widths(fig) -> list[float]:
    return [round(p.get_width(), 6) for p in fig.axes[0].patches]


def test_the_category_figure_stacks_won_slipped_and_lost_to_the_whole_amount(run):
    table = forecast.accuracy(run).by_category()
    overall = table[table["period"] == "overall"]
    fig = plot_category_outcomes(overall)
    widths = np.array(bar_widths(fig)).reshape(3, 3)  # outcome x category
    shares = overall.set_index("category").loc[["commit", "best_case", "pipeline"],
                                                ["won_share", "slipped_share", "lost_share"]]
    assert np.allclose(widths, 100 * np.nan_to_num(shares.to_numpy().T), atol=1e-6)
    # each category's bar reaches 100% (the three outcomes are all there is)
    for column, amount in zip(widths.T, shares.index.map(overall.set_index("category")["amount"]),
                              strict=True):
        assert column.sum() == pytest.approx(100.0 if amount > 0 else 0.0)
    assert bar_widths(category_outcomes_chart(run)) == bar_widths(fig)


def test_an_empty_category_says_so_instead_of_drawing_a_bar():
    outcomes = pd.DataFrame({"category": ["commit", "best_case", "pipeline"],
                             "amount": [100.0, 0.0, 50.0], "won_share": [1.0, np.nan, 0.2],
                             "slipped_share": [0.0, np.nan, 0.3],
                             "lost_share": [0.0, np.nan, 0.5]})
    fig = plot_category_outcomes(outcomes)
    said = [t.get_text() for t in fig.axes[0].texts]
    assert said.count("no deals in this category") == 1
    fig_zh = plot_category_outcomes(outcomes, lang="zh")
    assert "此类别没有机会" in [t.get_text() for t in fig_zh.axes[0].texts]
    assert [t.get_text() for t in fig_zh.axes[0].get_yticklabels()] == ["承诺", "最佳情况", "管道"]


def test_owners_optimism_moves_their_categories_not_the_selling(monkeypatch, capsys):
    """The panel's first slider changes only the owners' estimates: the same deals are
    won (bookings unchanged), while more of them are called commit and more commits
    miss their date (one seeded run; the effect is large: 27% -> 62% at 0.5 on the
    baseline year)."""
    shown = []
    monkeypatch.setattr(widgets_module, "display", shown.append)
    panel = forecast_panel(load_shipped("baseline")[0])
    panel.update()
    calm = panel.result
    panel.widgets[0].value = 0.5
    rosy = panel.result
    assert rosy.kpis()["bookings"] == calm.kpis()["bookings"]
    slipped = [forecast.accuracy(r).periods["commit_slipped_share"].mean()
               for r in (calm, rosy)]
    assert slipped[1] > slipped[0] + 0.1
    # (outside a kernel the Output widget's clear_output writes escape codes too)
    lines = [line for line in capsys.readouterr().out.splitlines() if "|" in line]
    assert len(lines) == 2 and lines[0] != lines[1] and "commit deals that missed" in lines[1]
