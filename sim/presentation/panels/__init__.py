"""The lessons' panels: one module per lesson, each with its ``PANELS``.

A panel is a :class:`sim.presentation.widgets.Panel` built for one lesson (its controls,
what it draws). They live here, outside the notebooks, so that they can be tested
(``tests/test_widgets.py``) and timed (``bench/bench_widgets.py``) on their own.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.presentation.panels import (
    classic,
    contracts,
    cycle,
    forecast,
    leads,
    miller_heiman,
    stages,
    start,
    stress,
    trust,
)
from sim.presentation.widgets import Panel
from sim.scenario.schema import Scenario

LESSON_PANELS: dict[str, tuple[Callable[[Scenario], Panel], str]] = {
    **start.PANELS, **leads.PANELS, **stages.PANELS, **cycle.PANELS, **forecast.PANELS,
    **classic.PANELS, **miller_heiman.PANELS, **contracts.PANELS, **stress.PANELS,
    **trust.PANELS,
}
"""Every lesson panel by name: its factory and the shipped scenario its lesson starts from."""
