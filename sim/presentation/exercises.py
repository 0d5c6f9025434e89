"""Exercises a learner answers with widgets, so that they work with no code edits (in
JupyterLab and on the classroom page alike).

An :class:`Exercise` shows a question, one or more answer controls (a drop-down, a slider
or a number box), a **Check** button, a verdict line and a hint that stays hidden until the
learner asks for it. What is right is decided by a *judge*: a function of the answer that
returns a :class:`Verdict`. The lesson computes the right answer with the package (a
notebook holds no model logic); the judge may also run a simulation for the learner's
choices, e.g. "with your team size, will more leads become opportunities?".

Three shapes cover the lessons:

- :func:`choose`: pick one option (a drop-down); one option is right;
- :func:`estimate`: a number, right within a tolerance (a slider or a number box);
- :class:`Exercise` itself: several controls and a judge, for "set this, predict that".

Every exercise shown in a kernel is kept in :func:`shown` (the lesson tests answer each
one, right and wrong, in a real kernel and read the verdicts). The words on buttons and
verdicts come from the text catalogue (:mod:`sim.presentation.i18n`), in the lesson's
language (:func:`sim.presentation.widgets.lesson_language`).

>>> ex = choose("Which stage comes first?", ["Proposal", "Initial contact"],
...             answer="Initial contact", hint="Where does every deal start?", lang="en")
>>> ex.answer_with("Proposal").right, ex.answer_with("Initial contact").right
(False, True)
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
from IPython.display import display

from sim.presentation.i18n import text
from sim.presentation.widgets import lesson_language
from sim.scenario.errors import ScenarioError

NO_ANSWER = "—"
"""The first entry of every drop-down: nothing chosen yet."""


@dataclass(frozen=True)
class Verdict:
    """What the Check button says: right or not, and why (plain words)."""

    right: bool
    message: str = ""


Judge = Callable[[dict], Verdict]
"""``judge(answers) -> Verdict``; ``answers`` maps each control's name to its value."""


class Exercise:
    """A question answered with widgets and checked with a button.

    Parameters
    ----------
    question : str
        The question, in plain words (simple HTML such as ``<b>`` is kept).
    controls : dict of str to ipywidgets.ValueWidget
        The answer controls by name; their values reach the judge under these names.
    judge : callable
        ``judge(answers) -> Verdict``. A :class:`~sim.scenario.errors.ScenarioError` it
        raises (an impossible setting) is shown as the rule it broke, not as a verdict.
    hint : str
        Shown when the learner presses "Show a hint".
    right, wrong : dict
        An answer the judge must call right, and one it must call wrong: the lesson tests
        give both in a real kernel (:func:`shown`), so a lesson whose answer key no longer
        matches its model fails there.
    lang : {"en", "zh"}, optional
        The language of the buttons and verdict words (the lesson's by default).
    """

    def __init__(self, question: str, controls: dict, judge: Judge, hint: str, *,
                 right: dict, wrong: dict, lang: str | None = None):
        self.lang = lang or lesson_language()
        self.question = question
        self.controls = dict(controls)
        self.judge = judge
        self.samples = {"right": dict(right), "wrong": dict(wrong)}
        for name in ("right", "wrong"):
            if set(self.samples[name]) != set(self.controls):
                raise ValueError(f"exercise {question[:40]!r}: the {name} answer must set "
                                 f"every control ({', '.join(self.controls)})")
        self.verdict: Verdict | None = None
        self.check_button = widgets.Button(description=text("Check", self.lang),
                                           button_style="primary")
        self.hint_button = widgets.Button(description=text("Show a hint", self.lang))
        self.hint = widgets.HTML(f"<i>{hint}</i>",
                                 layout=widgets.Layout(display="none"))
        self.result = widgets.HTML()
        self.check_button.on_click(lambda _button: self.check())
        self.hint_button.on_click(lambda _button: self.show_hint())
        for control in self.controls.values():
            control.observe(self._answer_changed, names="value")
            control.style.description_width = "initial"
            control.layout.width = control.layout.width or "480px"
        self.box = widgets.VBox(
            [widgets.HTML(f'<p style="font-size:1.05em"><b>{question}</b></p>'),
             *self.controls.values(),
             widgets.HBox([self.check_button, self.hint_button]), self.result, self.hint],
            layout=widgets.Layout(border="1px solid #c8c8c8", padding="8px", margin="8px 0"))
        self.box.add_class("funnel-exercise")

    def answers(self) -> dict:
        """The controls' current values by name."""
        return {name: control.value for name, control in self.controls.items()}

    def check(self) -> Verdict | None:
        """What the Check button does: judge the current answers and show the verdict.

        Returns None (and asks for an answer) when a drop-down still shows
        :data:`NO_ANSWER`."""
        answers = self.answers()
        if any(value == NO_ANSWER for value in answers.values()):
            self.verdict = None
            self.result.value = _line("#555", text("Choose an answer first.", self.lang))
            return None
        self.result.value = _line("#555", text("running…", self.lang))
        try:
            verdict = self.judge(answers)
        except ScenarioError as problem:
            self.verdict = None
            self.result.value = _line("#b00020", "<br>".join(
                html.escape(p) for p in problem.problems))
            return None
        self.verdict = verdict
        mark = text("Right.", self.lang) if verdict.right else text("Not quite.", self.lang)
        self.result.value = _line("#1b7a2f" if verdict.right else "#b00020",
                                  f"<b>{mark}</b> {verdict.message}")
        return verdict

    def answer_with(self, answers) -> Verdict | None:
        """Set the controls (a dict by name, or one value for a one-control exercise) and
        press Check, as a learner would."""
        if not isinstance(answers, dict):
            (name,) = self.controls
            answers = {name: answers}
        for name, value in answers.items():
            self.controls[name].value = value
        return self.check()

    def _answer_changed(self, _change) -> None:
        """A verdict belongs to the answer it judged: a changed answer clears it."""
        self.verdict = None
        self.result.value = ""

    def show_hint(self) -> None:
        """Unfold the hint (the "Show a hint" button)."""
        self.hint.layout.display = None

    def display(self) -> None:
        """Show the exercise (and remember it for :func:`shown`)."""
        _SHOWN.append(self)
        display(self.box)

    def _ipython_display_(self) -> None:
        self.display()


_SHOWN: list[Exercise] = []


def shown() -> list[Exercise]:
    """The exercises displayed in this kernel, in order."""
    return list(_SHOWN)


def _line(colour: str, words: str) -> str:
    return f'<p style="color:{colour};font-size:1.05em">{words}</p>'


def choose(question: str, options: Sequence, answer, hint: str, *, why: str = "",
           label: str = "", lang: str | None = None) -> Exercise:
    """A drop-down exercise: one of ``options`` is right.

    ``options`` are values, or ``(label, value)`` pairs when the learner should read
    something other than the value (a translated word). ``why`` is said after the right
    answer; a wrong one is told to try again (or to open the hint), so the answer is not
    given away."""
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    values = [value for _, value in pairs]
    if answer not in values or len(values) < 2:
        raise ValueError(f"exercise {question[:40]!r}: the answer {answer!r} must be one of "
                         f"at least two options {values}")
    lang = lang or lesson_language()
    control = widgets.Dropdown(options=[(NO_ANSWER, NO_ANSWER), *pairs], value=NO_ANSWER,
                               description=label or text("Your answer", lang))

    def judge(answers: dict) -> Verdict:
        if answers["answer"] == answer:
            return Verdict(True, why)
        return Verdict(False, text("Try again, or open the hint.", lang))

    wrong = next(v for v in values if v != answer)
    return Exercise(question, {"answer": control}, judge, hint, right={"answer": answer},
                    wrong={"answer": wrong}, lang=lang)


def estimate(question: str, answer: float, tolerance: float, hint: str, *, why: str = "",
             unit: str = "", slider: tuple[float, float, float] | None = None,
             label: str = "", lang: str | None = None) -> Exercise:
    """A number exercise: right within ``answer ± tolerance``.

    A number box by default; ``slider=(min, max, step)`` gives a slider instead. A right
    answer is told the figure the lesson's run gives (rounded as ``tolerance`` suggests)
    and ``why``; a wrong one only whether it is too high or too low."""
    if not (math.isfinite(answer) and tolerance > 0):
        raise ValueError(f"exercise {question[:40]!r}: the answer {answer!r} must be a number "
                         f"and the tolerance {tolerance!r} above zero")
    lang = lang or lesson_language()
    description = label or text("Your answer", lang) + (f" ({unit})" if unit else "")
    if slider is None:
        control = widgets.FloatText(value=0.0, description=description)
        low, high = -math.inf, math.inf
    else:
        low, high, step = slider
        control = widgets.FloatSlider(value=low, min=low, max=high, step=step,
                                      description=description, continuous_update=False)
    digits = max(0, -math.floor(math.log10(tolerance)))
    said = f"{answer:,.{digits}f}" + (f" {unit}" if unit else "")

    def judge(answers: dict) -> Verdict:
        if abs(answers["answer"] - answer) <= tolerance:
            return Verdict(True, text("This run gives {answer}.", lang, answer=said)
                           + (" " + why if why else ""))
        return Verdict(False, text("Too high: try again, or open the hint."
                                   if answers["answer"] > answer else
                                   "Too low: try again, or open the hint.", lang))

    away = answer + 3 * tolerance if answer + 3 * tolerance <= high else answer - 3 * tolerance
    if not low <= away <= high:
        raise ValueError(f"exercise {question[:40]!r}: the slider {low}..{high} has no room "
                         f"for a wrong answer {3 * tolerance} away from {answer}")
    right = answer
    if slider is not None:  # a slider's values lie on its grid
        right, away = (low + round((v - low) / slider[2]) * slider[2] for v in (answer, away))
        if abs(right - answer) > tolerance:
            raise ValueError(f"exercise {question[:40]!r}: the slider's step {slider[2]} is "
                             f"coarser than the tolerance {tolerance}")
    return Exercise(question, {"answer": control}, judge, hint, right={"answer": right},
                    wrong={"answer": away}, lang=lang)

