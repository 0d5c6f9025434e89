"""Reading a paired comparison: many measures side by side, and what each interval says.

:func:`sim.experiments.runner.compare` runs variants on the same replications (common
random numbers) and :func:`~sim.experiments.runner.paired_difference` gives the mean
difference of one measure with its 95% confidence interval. Here:

- :func:`paired_table`: several measures at once, one row each (a lesson's table);
- :func:`direction`: what an interval says in one word: ``"higher"`` (it lies above
  zero), ``"lower"`` (below zero) or ``"unclear"`` (it includes zero: these replications
  cannot tell the variants apart).

>>> direction({"ci_low": 0.2, "ci_high": 1.5}), direction({"ci_low": -0.2, "ci_high": 1.5})
('higher', 'unclear')
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim.experiments.runner import paired_difference

DIRECTIONS = ("higher", "lower", "unclear")
"""The words :func:`direction` answers with."""


def direction(difference: Mapping) -> str:
    """``"higher"`` when the 95% CI of a paired difference (a - b) lies above zero,
    ``"lower"`` when below, else ``"unclear"`` (the interval includes zero, or there is
    none: one replication, or no difference at all)."""
    low, high = difference["ci_low"], difference["ci_high"]
    if math.isnan(low) or math.isnan(high):
        return "unclear"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "unclear"


def paired_table(frame: pd.DataFrame, a: str, b: str,
                 measures: Mapping[str, str] | list[str]) -> pd.DataFrame:
    """Variant ``a`` against ``b`` on the replications both ran, measure by measure.

    Parameters
    ----------
    frame : DataFrame
        Rows of :func:`~sim.experiments.runner.compare` (``scenario``, ``replication``
        and the measures).
    a, b : str
        The two variants' labels.
    measures : dict of str to str, or list of str
        The measures (columns) to compare, in the table's order; a dict gives each the
        row label to show.

    Returns
    -------
    DataFrame
        One row per measure: the mean under ``a`` and under ``b`` (the columns are named
        after them), the mean paired ``difference`` (a - b), its 95% interval ``ci_low``
        to ``ci_high``, and the ``direction`` it says (:func:`direction`).
    """
    labels = dict(measures) if isinstance(measures, Mapping) else {m: m for m in measures}
    rows = []
    for metric, label in labels.items():
        d = paired_difference(frame, a, b, metric)
        rows.append({"measure": label, a: d["mean_a"], b: d["mean_b"],
                     "difference": d["difference"], "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "direction": direction(d)})
    return pd.DataFrame(rows).set_index("measure").rename_axis(None)
