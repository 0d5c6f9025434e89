"""Lesson 07's package parts: the wait for cash by kind of deal, and the cash panel's
sliders, whose grid must hold the scenario's values."""

import pytest

import sim.presentation.widgets as widgets_module
from sim import simulate, vary
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
    step back to the start did not redraw (the baseline's 47% of invoices paid late on a
    0.05 grid): the grid must hold the scenario's value."""
    build, scenario_name = LESSON_PANELS[name]
    scenario = load_shipped(scenario_name)[0]
    panel = build(scenario)
    for control, widget in zip(panel.controls, panel.widgets, strict=True):
        if not hasattr(control, "step"):
            continue
        steps = (widget.value - widget.min) / widget.step
        assert steps == pytest.approx(round(steps), abs=1e-6), control.path
        assert widget.value == pytest.approx(field_value(scenario, control.path))


def test_the_late_share_slider_holds_the_baseline_and_redraws_one_step_away(monkeypatch):
    monkeypatch.setattr(widgets_module, "display", lambda figure: None)
    scenario = vary(load_shipped("baseline")[0], {"horizon_days": 190, "warmup_days": 60})
    panel = cash_panel(scenario)
    late = panel.widgets[0]
    assert late.value == pytest.approx(0.47)
    panel.update()
    start = panel.result
    late.value = round(late.value + late.step, 2)  # one step: a new run
    assert panel.result is not start and panel.result.scenario.payments.late_share == 0.48
