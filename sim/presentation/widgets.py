"""Sliders for lessons, declared as data and checked against the scenario schema.

A lesson lists its controls as :class:`Slider` specs (a field path, a label, a range);
:class:`Panel` turns them into ipywidgets, makes a validated variant of the scenario on
every change, runs it, and hands the result to the lesson's ``show`` function. An
impossible setting never reaches the engine: the panel shows the field, the value and
the rule in plain words, and keeps the last good picture.

The lessons' panels are built with it in :mod:`sim.presentation.panels` (one module per
lesson), so that they can be tested and timed outside a notebook. A panel answers a slider
move within about a second: it runs one replication, shows "running…" meanwhile, and keeps
the results of the settings already seen. :func:`claim` states a lesson's key claim: the
lesson tests (fast mode) fail when it does not hold.
"""

from __future__ import annotations

import html
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import annotated_types
import ipywidgets as widgets
from IPython.display import display

from sim.experiments.runner import simulate
from sim.presentation.i18n import check_language, text, using
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.variants import field_value, parse_path, vary


@dataclass(frozen=True)
class Slider:
    """One control: the scenario field it sets, and the range a learner may choose."""

    path: str
    label: str
    min: float
    max: float
    step: float
    integer: bool = False


@dataclass(frozen=True)
class Choice:
    """A drop-down for a field with named options (a policy, an assignment rule)."""

    path: str
    label: str
    options: tuple[str, ...]


def field_bounds(scenario: Scenario, path: str) -> tuple[float, float]:
    """The schema's lower and upper bound of the number at ``path`` (inf if none)."""
    parts = parse_path(path)
    model, field = type(scenario), None
    obj = scenario
    for key in parts:
        if isinstance(key, int):
            obj = obj[key]
            model = type(obj)
            continue
        name = next(n for n, f in model.model_fields.items() if key in (n, f.alias))
        field = model.model_fields[name]  # by its name or its alias ("mean" is mean_)
        obj = getattr(obj, name)
        model = type(obj)
    lo, hi = -float("inf"), float("inf")
    for meta in field.metadata if field is not None else []:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            lo = float(getattr(meta, "ge", getattr(meta, "gt", lo)))
        if isinstance(meta, annotated_types.Le | annotated_types.Lt):
            hi = float(getattr(meta, "le", getattr(meta, "lt", hi)))
    return lo, hi


def check_controls(scenario: Scenario, controls) -> None:
    """Every control must name a real field, and a slider's range must lie within the
    field's bounds; raises ``ValueError`` saying which control breaks which rule."""
    for c in controls:
        try:
            field_value(scenario, c.path)
        except ScenarioError:
            raise ValueError(f"control {c.label!r}: {c.path} is not a field of the "
                             "scenario") from None
        if isinstance(c, Slider):
            lo, hi = field_bounds(scenario, c.path)
            if c.min < lo or c.max > hi or c.min >= c.max or c.step <= 0:
                raise ValueError(f"control {c.label!r}: range {c.min}..{c.max} (step {c.step}) "
                                 f"does not fit {c.path}, which allows {lo}..{hi}")


class Panel:
    """Controls, a run button-free live view, and a message line for bad settings.

    Parameters
    ----------
    scenario : Scenario
        The starting point; the controls start at its values.
    controls : list of Slider or Choice
    show : callable
        ``show(result)`` draws what the lesson wants to see (figures, tables).
    run : callable, optional
        ``run(scenario) -> result``; one replication by default.
    lang : {"en", "zh"}, optional
        The language of the panel's messages and of what ``show`` draws (its figures and
        :func:`sim.presentation.i18n.text`); :func:`lesson_language` by default. The
        controls' labels are given in it.

    Attributes
    ----------
    result
        The last result shown.
    """

    CACHE_SIZE = 32
    """Results kept, by setting: moving a slider back to a value seen shows at once."""

    def __init__(self, scenario: Scenario, controls, show: Callable,
                 run: Callable | None = None, lang: str | None = None):
        check_controls(scenario, controls)
        self.scenario = scenario
        self.lang = lang or lesson_language(scenario)
        self.controls = list(controls)
        self.show = show
        self.run = run or simulate
        self.widgets = []
        for c in self.controls:
            value = field_value(scenario, c.path)
            if isinstance(c, Choice):
                w = widgets.Dropdown(options=list(c.options), value=value, description=c.label)
            elif c.integer:
                w = widgets.IntSlider(value=int(value), min=int(c.min), max=int(c.max),
                                      step=int(c.step), description=c.label,
                                      continuous_update=False)
            else:
                w = widgets.FloatSlider(value=float(value), min=c.min, max=c.max, step=c.step,
                                        description=c.label, continuous_update=False)
            w.style.description_width = "initial"
            w.layout.width = "480px"
            w.observe(self._changed, names="value")
            self.widgets.append(w)
        self.message = widgets.HTML()
        self.output = widgets.Output()
        self.result = None
        self._results: OrderedDict = OrderedDict()

    def settings(self) -> dict:
        """The controls' current values by field path."""
        return {c.path: w.value for c, w in zip(self.controls, self.widgets, strict=True)}

    def variant(self) -> Scenario:
        """The scenario with the controls' values (raises ScenarioError if impossible)."""
        return vary(self.scenario, self.settings(), source="your settings")

    def update(self) -> None:
        """Run the current settings and redraw; explain a bad setting instead."""
        try:
            sc = self.variant()
        except ScenarioError as exc:
            self.message.value = ('<p style="color:#b00020;font-size:1.1em">'
                                  + "<br>".join(html.escape(p) for p in exc.problems)
                                  + "</p>")
            return
        self.message.value = RUNNING if self.lang == "en" else _running(self.lang)
        try:
            self.result = self._run_cached(sc)
        finally:
            self.message.value = ""
        self.output.clear_output(wait=True)
        failure = None
        # shows a failure to the learner (the widget swallows it)
        with self.output, using(self.lang):
            try:
                self.show(self.result)
            except Exception as exc:
                failure = exc
                raise
        if failure is not None and fast_mode():  # ...and to the test suite
            raise failure

    def _run_cached(self, sc: Scenario):
        key = tuple(sorted((path, repr(value)) for path, value in self.settings().items()))
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        result = self._results[key] = self.run(sc)
        if len(self._results) > self.CACHE_SIZE:
            self._results.popitem(last=False)
        return result

    def _changed(self, _change) -> None:
        self.update()

    def display(self) -> None:
        """Show the controls and the first picture."""
        display(widgets.VBox([*self.widgets, self.message, self.output]))
        self.update()


def draw(figure) -> None:
    """Show a figure or table in a panel's output (a panel's ``show`` calls this, so that a
    test or the bench can watch what the panels draw in one place)."""
    display(figure)


RUNNING = '<p style="color:#555">running…</p>'
"""The message line while a panel simulates (in English)."""


def _running(lang: str) -> str:
    """:data:`RUNNING` in ``lang``."""
    return f'<p style="color:#555">{text("running…", lang)}</p>'


LANGUAGE_VARIABLE = "FUNNEL_LANG"
"""The environment variable that sets the lessons' language for a whole room
(``make classroom CLASSROOM_LANG=zh`` and ``make lab LESSON_LANG=zh`` set it)."""


def lesson_language(scenario: Scenario | None = None) -> str:
    """The language a lesson's widgets speak: :data:`LANGUAGE_VARIABLE` if set (a trainer's
    choice for the room), else the scenario's ``language``, else English.

    >>> lesson_language(Scenario(language="zh")) if "FUNNEL_LANG" not in os.environ else "zh"
    'zh'
    """
    chosen = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if chosen:
        return check_language(chosen)
    return scenario.language if scenario is not None else "en"


def fast_mode() -> bool:
    """True when lessons run in the test suite (``FUNNEL_FAST=1``): lessons then use
    fewer replications and shorter runs, so every notebook executes in seconds."""
    return os.environ.get("FUNNEL_FAST", "") not in ("", "0")


def claim(holds: bool, text: str) -> None:
    """A lesson's key claim, checked where the lesson shows it.

    In fast mode (the lesson tests) a claim that does not hold raises ``AssertionError``,
    so the test fails; a learner instead reads a plain note, since chance or their own
    changes can hide an effect.

    >>> claim(2 > 1, "two is more than one")
    """
    if holds:
        return
    if fast_mode():
        raise AssertionError(f"the lesson claims that {text}, but this run does not show it")
    print(f"Note: this run does not show that {text}. Chance plays a part; if you changed "
          "a setting above, that may be why.")
