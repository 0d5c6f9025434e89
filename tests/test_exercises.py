"""Widget exercises: a question, controls, a Check button, a verdict and a hidden hint."""

import ipywidgets as widgets
import pytest

import sim.presentation.exercises as exercises_module
from sim import ScenarioError, vary
from sim.presentation.exercises import NO_ANSWER, Exercise, Verdict, choose, estimate, shown
from sim.presentation.i18n import MissingText
from sim.presentation.panels import LESSON_PANELS
from sim.presentation.widgets import LANGUAGE_VARIABLE, lesson_language
from sim.scenario.schema import Scenario
from sim.scenario.shipped import load_shipped


def test_a_choice_is_judged_when_the_button_is_pressed_and_the_hint_waits_to_be_asked():
    ex = choose("Which channel brings the cheapest won deal?", ["Search", "TV", "Print"],
                answer="Search", hint="Divide the spend by the deals won.", why="Search is "
                "cheap per lead, and its leads are qualified.", lang="en")
    control = ex.controls["answer"]
    assert control.value == NO_ANSWER and ex.hint.layout.display == "none"
    assert ex.check() is None and "Choose an answer first" in ex.result.value
    control.value = "TV"
    ex.check_button.click()  # what the learner's click does
    # a wrong answer is not given the right one, only asked to try again
    assert ex.verdict == Verdict(False, "Try again, or open the hint.")
    assert "Not quite." in ex.result.value and "Search" not in ex.result.value
    ex.hint_button.click()
    assert ex.hint.layout.display is None and "Divide the spend" in ex.hint.value
    control.value = "Search"  # a changed answer clears the verdict of the last one
    assert ex.verdict is None and ex.result.value == ""
    ex.check_button.click()
    assert ex.verdict.right and "Right." in ex.result.value and "Search is cheap" in \
        ex.result.value
    assert ex.samples == {"right": {"answer": "Search"}, "wrong": {"answer": "TV"}}


def test_a_choice_may_show_words_other_than_its_values():
    ex = choose("Which level comes first?", [("最佳少数", "best_few"), ("漏斗之上", "above")],
                answer="best_few", hint="提示", lang="zh")
    assert ex.check_button.description == "检查" and ex.hint_button.description == "显示提示"
    assert ex.answer_with("best_few").right and "正确。" in ex.result.value
    assert not ex.answer_with("above").right and "不太对。" in ex.result.value


@pytest.mark.parametrize("answer, options", [("Radio", ["Search", "TV"]), ("TV", ["TV"])])
def test_a_choice_needs_its_answer_among_two_options_or_more(answer, options):
    with pytest.raises(ValueError, match="must be one of at least two options"):
        choose("?", options, answer=answer, hint="h", lang="en")


def test_a_number_is_right_within_its_tolerance_and_the_verdict_tells_the_run_s_answer():
    ex = estimate("How many days does a won deal take?", 97.4, 5, hint="Add up the stages.",
                  unit="days", lang="en")
    assert isinstance(ex.controls["answer"], widgets.FloatText)
    assert ex.answer_with(102.0).right and "This run gives 97 days." in ex.result.value
    assert not ex.answer_with(102.5).right and "Too high" in ex.result.value
    assert "97" not in ex.result.value  # the answer is not given away
    assert not ex.answer_with(92.0).right and "Too low" in ex.result.value
    assert ex.answer_with(ex.samples["right"]).right
    assert not ex.answer_with(ex.samples["wrong"]).right


def test_a_slider_answer_lies_on_its_grid_and_leaves_room_for_a_wrong_one():
    ex = estimate("Share?", 0.23, 0.05, hint="h", slider=(0.0, 1.0, 0.01), lang="en")
    assert isinstance(ex.controls["answer"], widgets.FloatSlider)
    assert ex.samples["right"]["answer"] == pytest.approx(0.23)
    assert ex.samples["wrong"]["answer"] == pytest.approx(0.38)  # 3 tolerances away
    assert not ex.answer_with(ex.samples["wrong"]).right
    with pytest.raises(ValueError, match="coarser than the tolerance"):
        estimate("Share?", 0.23, 0.01, hint="h", slider=(0.0, 1.0, 0.1), lang="en")
    with pytest.raises(ValueError, match="no room"):
        estimate("Share?", 0.5, 0.4, hint="h", slider=(0.0, 1.0, 0.1), lang="en")
    with pytest.raises(ValueError, match="above zero"):
        estimate("Share?", 0.5, 0, hint="h", lang="en")


def test_an_exercise_with_a_setting_and_a_prediction_explains_an_impossible_setting():
    sc = Scenario(horizon_days=60, warmup_days=20)

    def judge(answers):
        mine = vary(sc, {"team.reps": answers["reps"]}, source="your team")
        more = mine.team.reps > sc.team.reps
        return Verdict(answers["prediction"] == ("higher" if more else "lower"), "why")

    ex = Exercise("Set a team size and predict", {
        "reps": widgets.IntText(value=5, description="Reps"),
        "prediction": widgets.Dropdown(options=[NO_ANSWER, "higher", "lower"],
                                       value=NO_ANSWER)},
        judge, hint="h", right={"reps": 8, "prediction": "higher"},
        wrong={"reps": 8, "prediction": "lower"}, lang="en")
    assert ex.answer_with({"reps": 0, "prediction": "higher"}) is None
    assert "team.reps: value 0 is not allowed" in ex.result.value  # the rule, not a verdict
    assert ex.answer_with(ex.samples["right"]).right
    with pytest.raises(ValueError, match="must set every control"):
        Exercise("?", ex.controls, judge, "h", right={"reps": 3}, wrong={"reps": 4})
    with pytest.raises(ScenarioError):
        vary(sc, {"team.reps": 0})


def test_shown_lists_the_exercises_displayed_in_order(monkeypatch):
    monkeypatch.setattr(exercises_module, "display", lambda _box: None)
    first = choose("1?", ["a", "b"], answer="a", hint="h", lang="en")
    second = estimate("2?", 1.0, 0.5, hint="h", lang="en")
    before = len(shown())
    first.display()
    second.display()
    assert shown()[before:] == [first, second]


def test_the_room_s_language_comes_from_the_environment_else_the_scenario(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    assert lesson_language() == "en" and lesson_language(Scenario(language="zh")) == "zh"
    assert choose("?", ["a", "b"], answer="a", hint="h").check_button.description == "Check"
    monkeypatch.setenv(LANGUAGE_VARIABLE, "zh")  # make classroom CLASSROOM_LANG=zh
    assert lesson_language(Scenario(language="en")) == "zh"
    assert choose("?", ["a", "b"], answer="a", hint="h").check_button.description == "检查"
    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    with pytest.raises(MissingText, match="no language 'fr'"):
        lesson_language()


def test_every_lesson_panel_speaks_the_room_s_language(monkeypatch):
    """``make classroom CLASSROOM_LANG=zh`` reaches every panel, whatever its scenario says."""
    monkeypatch.setenv(LANGUAGE_VARIABLE, "zh")
    for name, (build, scenario_name) in LESSON_PANELS.items():
        scenario = load_shipped(scenario_name)[0]
        assert scenario.language == "en", name
        assert build(scenario).lang == "zh", name
