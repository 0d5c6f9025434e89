"""Lesson controls: declared as data, checked against the schema, never crash on nonsense."""

import pytest

from sim import ScenarioError, vary
from sim.presentation.widgets import Choice, Panel, Slider, check_controls, fast_mode, field_bounds
from sim.scenario.schema import Scenario
from sim.scenario.variants import parse_path

SC = Scenario(horizon_days=60, warmup_days=20)


def test_vary_sets_fields_by_path_and_validates():
    v = vary(SC, {"team.reps": 7, "stages[2].win_rate": 0.6, "policy.name": "classic"})
    assert (v.team.reps, v.stages[2].win_rate, v.policy.name) == (7, 0.6, "classic")
    assert SC.team.reps == 5  # the original is untouched


@pytest.mark.parametrize("changes, words", [
    ({"stages[9].win_rate": 0.5}, "stages[9].win_rate: no such field"),
    ({"team.repz": 3}, "did you mean 'reps'"),
    ({"team.reps": 0}, "team.reps: value 0 is not allowed"),
    ({"stages[1].win_rate": 0.1}, "win rates must not fall"),
    ({"stages[x]": 1}, "is not a field path"),
])
def test_vary_explains_bad_changes(changes, words):
    with pytest.raises(ScenarioError) as err:
        vary(SC, changes)
    assert words in str(err.value)


def test_parse_path():
    assert parse_path("channels[0].deal_size.mean") == ("channels", 0, "deal_size", "mean")
    assert parse_path("team.reps") == ("team", "reps")


def test_field_bounds_come_from_the_schema():
    assert field_bounds(SC, "stages[2].win_rate") == (0.0, 1.0)
    assert field_bounds(SC, "team.reps") == (1.0, 1000.0)


@pytest.mark.parametrize("control, words", [
    (Slider("stages[0].win_rate", "Win", 0, 2, 0.1), "does not fit stages[0].win_rate"),
    (Slider("team.reps", "Reps", 0, 5, 1, integer=True), "allows 1.0..1000.0"),
    (Slider("team.repz", "Reps", 1, 5, 1), "is not a field of the scenario"),
    (Choice("policy.nam", "Policy", ("fifo",)), "is not a field of the scenario"),
])
def test_controls_are_checked_against_the_schema(control, words):
    with pytest.raises(ValueError, match="control") as err:
        check_controls(SC, [control])
    assert words in str(err.value)


def test_panel_runs_on_change_and_explains_impossible_settings():
    shown = []
    panel = Panel(SC, [Slider("stages[0].win_rate", "First-stage win rate", 0.05, 0.95, 0.05),
                       Slider("team.reps", "Reps", 1, 9, 1, integer=True),
                       Choice("policy.name", "Policy", ("fifo", "classic"))],
                  show=lambda r: shown.append(r.scenario))
    panel.update()
    assert len(shown) == 1 and shown[0] == SC
    panel.widgets[1].value = 3
    assert len(shown) == 2 and shown[-1].team.reps == 3
    # a first-stage win rate above the second stage's breaks a rule: explained, not run
    panel.widgets[0].value = 0.6
    assert len(shown) == 2
    assert "stages[1].win_rate" in panel.message.value and "must not fall" in panel.message.value
    panel.widgets[0].value = 0.2
    assert len(shown) == 3 and panel.message.value == ""


def test_fast_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv("FUNNEL_FAST", "1")
    assert fast_mode()
    monkeypatch.setenv("FUNNEL_FAST", "0")
    assert not fast_mode()
    monkeypatch.delenv("FUNNEL_FAST")
    assert not fast_mode()


def test_a_broken_show_function_fails_the_lesson_test(monkeypatch):
    monkeypatch.setenv("FUNNEL_FAST", "1")

    def broken(result):
        raise KeyError("no_such_column")

    panel = Panel(SC, [Slider("team.reps", "Reps", 1, 9, 1, integer=True)], show=broken)
    with pytest.raises(KeyError, match="no_such_column"):
        panel.update()
