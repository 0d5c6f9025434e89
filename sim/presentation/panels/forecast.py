"""Lesson 04's panels: the opportunity view and the forecast."""

from __future__ import annotations

import numpy as np

from sim.analysis import forecast
from sim.presentation import plots
from sim.presentation.i18n import text
from sim.presentation.plots.categories import plot_category_outcomes
from sim.presentation.widgets import Panel, Slider, draw, lesson_language
from sim.scenario.schema import Scenario


def forecast_panel(scenario: Scenario, lang: str | None = None) -> Panel:
    """Lesson 04's panel: the owners' optimism and the proposal stage's win rate; shows
    what became of each forecast category, the forecast made on each quarter's first day
    against the bookings, and a line with the forecast's bias, the deals in each category
    and the commit deals' slippage.

    The owners' optimism changes only their estimates (expected close dates and forecast
    categories), never the selling; the proposal stage's win rate changes both the selling
    and the manager's weights (she uses the true rates)."""
    lang = lang or lesson_language(scenario)
    proposal = min(2, len(scenario.stages) - 1)  # the third stage: proposal & quote
    stage = scenario.stages[proposal]

    def show(run) -> None:
        history = forecast.accuracy(run)  # once: the figures and the line share it
        periods = history.periods
        table = history.by_category()
        commit = table[(table["period"] == "overall") & (table["category"] == "commit")]
        overall = table[table["period"] == "overall"].set_index("category")["n_deals"]
        # the categories first: the owners' optimism moves them at once, while the
        # manager's weighted forecast (true stage win rates) barely moves
        draw(plot_category_outcomes(table[table["period"] == "overall"]))
        draw(plots.plot_forecast(periods, currency=run.scenario.currency,
                                 period=run.scenario.forecast.period))
        print(text("first-day forecast bias {bias} | deals called commit / best case / "
                   "pipeline {commit} / {best} / {pipeline} | commit deals that missed their "
                   "date {slipped} | commit amount won in its {period} {won}", lang,
                   bias=_percent(history.bias_pct / 100, signed=True),
                   commit=overall.get("commit", 0), best=overall.get("best_case", 0),
                   pipeline=overall.get("pipeline", 0),
                   slipped=_percent(periods["commit_slipped_share"].mean()),
                   period=text(run.scenario.forecast.period, lang),
                   won=_percent(commit["won_share"].sum() if len(commit) else np.nan)))

    return Panel(scenario, [
        # steps of 0.1: below that, owners rarely change a category or a period
        Slider("forecast.owner_optimism", text("Owners' optimism", lang), 0.0, 0.9, 0.1),
        # between the stages around it, so that every setting is one the rules allow
        # (win rates must not fall from one stage to the next)
        Slider(f"stages[{proposal}].win_rate",
               text("{stage} win rate", lang, stage=stage.name),
               scenario.stages[proposal - 1].win_rate if proposal else 0.05,
               scenario.stages[proposal + 1].win_rate
               if proposal + 1 < len(scenario.stages) else 0.95, 0.05),
    ], show=show, lang=lang)


def _percent(share: float, signed: bool = False) -> str:
    """A share as a whole percentage ("—" when undefined)."""
    if not np.isfinite(share):
        return "—"
    return f"{share:+.0%}" if signed else f"{share:.0%}"


PANELS = {"forecast": (forecast_panel, "baseline")}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
