"""Figures for the classroom: legible on a projector, safe for colour-blind eyes.

Every ``plot_*`` function takes a plain :class:`pandas.DataFrame` (the data to draw,
with the columns its docstring names) and returns a :class:`matplotlib.figure.Figure`.
Every ``*_chart`` function is a thin wrapper that computes that frame from one run's
tables (a :class:`sim.analysis.result.RunResult`) and calls the ``plot_*`` function; the
``*_data`` functions that give the frames are public too, e.g.
``plots.funnel_chart(result)`` after ``from sim.presentation import plots``.

In a notebook a figure displays as a PNG on its own. Save one with :func:`save_png` or
embed it in HTML with :func:`to_png_bytes`.

The package's modules each do one job:

- :mod:`~sim.presentation.plots.style`: the classroom look (sizes, palette, the figure
  type and factory, money and period labels) and PNG output;
- :mod:`~sim.presentation.plots.fonts`: CJK fonts for Chinese stage names, and one
  :class:`FontWarning` when none is installed;
- :mod:`~sim.presentation.plots.charts`: the seven charts and their wrappers;
- :mod:`~sim.presentation.plots.movement`: the pipeline movement waterfall.
"""

from sim.presentation.plots.charts import (
    bookings_chart,
    bookings_data,
    cash_chart,
    forecast_chart,
    funnel_chart,
    funnel_data,
    levels_chart,
    pipeline_chart,
    pipeline_data,
    plot_bookings,
    plot_cash,
    plot_forecast,
    plot_funnel,
    plot_levels,
    plot_pipeline,
    plot_time_by_level,
    time_by_level_chart,
)
from sim.presentation.plots.fonts import CJK_FONT_PACKAGES, FontWarning, has_cjk, setup_fonts
from sim.presentation.plots.movement import last_whole_period, movement_chart, plot_movement
from sim.presentation.plots.style import (
    DPI,
    FIGSIZE,
    LEVEL_COLORS,
    LEVEL_LABELS,
    OKABE_ITO,
    ClassroomFigure,
    format_money,
    save_png,
    stage_colors,
    to_png_bytes,
)

__all__ = [
    "CJK_FONT_PACKAGES", "ClassroomFigure", "DPI", "FIGSIZE", "FontWarning", "LEVEL_COLORS",
    "LEVEL_LABELS", "OKABE_ITO", "bookings_chart", "bookings_data", "cash_chart",
    "forecast_chart", "format_money", "funnel_chart", "funnel_data", "has_cjk",
    "last_whole_period", "levels_chart", "movement_chart", "plot_movement",
    "pipeline_chart", "pipeline_data", "plot_bookings", "plot_cash",
    "plot_forecast", "plot_funnel", "plot_levels", "plot_pipeline", "plot_time_by_level",
    "save_png", "setup_fonts", "stage_colors", "time_by_level_chart", "to_png_bytes",
]
