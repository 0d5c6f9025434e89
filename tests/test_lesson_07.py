"""Lesson 07's package parts: the wait for cash by kind of deal, and the cash panel's
sliders, whose grid must hold the scenario's values."""

import pytest

import sim.presentation.widgets as widgets_module
from sim import simulate
from sim.analysis import cash
from sim.presentation.panels import LESSON_PANELS
from sim.presentation.panels.contracts import cash_panel
from sim.scenario.shipped import load_shipped
from sim.scenario.variants import field_value


@pytest.fixture(scope="module")
def run():
    return simulate(load_shipped("baseline")[0])


def test_signing_to_cash_by_kind(run):
    table = cash.signing_to_cash(run).set_index("kind")
    contracts = run.contracts[(run.contracts["signed_day"] >= 0)
                              & (run.contracts["signed_day"] < run.scenario.horizon_days)]
    assert table["deals"].sum() == len(contracts)
    paid = contracts.dropna(subset=["fully_paid_day"])
    for kind, rows in paid.groupby("kind"):
        assert table.loc[kind, "fully_paid"] == len(rows)
        assert table.loc[kind, "signing_to_cash_days"] == pytest.approx(
            (rows["fully_paid_day"] - rows["signed_day"]).mean())
    # a contract waits for its service's delivery (45 days on average in the baseline,
    # against 10 for an order's goods) before 70% of it is invoiced
    assert (table.loc["contract", "signing_to_cash_days"]
            > table.loc["order", "signing_to_cash_days"] + 10)
    with pytest.raises(ValueError, match="not a column"):
        cash.signing_to_cash(run, by="colour")


@pytest.mark.parametrize("name", ["cash", "forecast"])
def test_my_panels_sliders_start_on_their_grid(name):
    """A slider whose start value lies off its grid is snapped by the browser, and a
    step from it did not redraw (the baseline's 47% of invoices paid late on a 0.05
    grid): every slider starts on its grid, at most half a step from the scenario's
    value."""
    build, scenario_name = LESSON_PANELS[name]
    scenario = load_shipped(scenario_name)[0]
    panel = build(scenario)
    for control, widget in zip(panel.controls, panel.widgets, strict=True):
        if not hasattr(control, "step"):
            continue
        steps = (widget.value - widget.min) / widget.step
        assert steps == pytest.approx(round(steps), abs=1e-9), control.path
        assert abs(widget.value - field_value(scenario, control.path)) <= widget.step / 2
        assert widget.value == field_value(panel.scenario, control.path)


def test_one_step_of_each_cash_slider_redraws_a_new_year(monkeypatch):
    """What the browser test does with a key press: one step right of the start must
    change the cash (a step of 0.01 of the late share changed nothing on the baseline)."""
    monkeypatch.setattr(widgets_module, "display", lambda figure: None)
    scenario = load_shipped("baseline")[0]
    assert scenario.payments.late_share == 0.47
    panel = cash_panel(scenario)
    assert panel.widgets[0].value == 0.45 and panel.scenario.payments.late_share == 0.45
    panel.update()
    start = panel.result.kpis()["cash_collected"]
    for widget in panel.widgets:
        before = widget.value
        widget.value = before + widget.step
        assert panel.result.kpis()["cash_collected"] != start, widget.description
        widget.value = before
