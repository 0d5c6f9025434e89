"""Summaries over replications: mean, standard deviation and a 95% confidence interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# Student t 97.5% quantiles for 1..30 degrees of freedom (two-sided 95% intervals)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        return math.nan
    if df <= 30:
        return _T975[df - 1]
    z = 1.959964  # Cornish-Fisher expansion around the normal quantile; error < 1e-4 here
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci(values) -> tuple[float, float, float, float]:
    """``(mean, sd, ci_low, ci_high)`` of a sample, ignoring NaN; t-interval at 95%."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def summarize(frame: pd.DataFrame, columns=None, by=None) -> pd.DataFrame:
    """Mean, SD and 95% CI of each numeric column over replications.

    Parameters
    ----------
    frame : DataFrame
        One row per replication (as :func:`sim.experiments.runner.replicate` returns).
    columns : list of str, optional
        Which columns; all numeric ones except ``replication`` by default.
    by : str, optional
        A column to group by first (e.g. ``"scenario"``).
    """
    if columns is None:
        columns = [c for c in frame.select_dtypes("number").columns
                   if c not in ("replication",)]
    groups = frame.groupby(by, sort=False) if by else [(None, frame)]
    rows = []
    for key, sub in groups:
        for col in columns:
            mean, sd, lo, hi = mean_ci(sub[col])
            row = {"metric": col, "n": int(sub[col].notna().sum()), "mean": mean, "sd": sd,
                   "ci_low": lo, "ci_high": hi}
            rows.append(({by: key} if by else {}) | row)
    return pd.DataFrame(rows)
