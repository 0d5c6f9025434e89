"""The statistics the analyses use, in plain numpy (no scipy).

- Summaries over replications: mean, standard deviation and a 95% confidence interval
  (:func:`t975`, :func:`mean_ci`, :func:`summarize`); the difference of two means
  from independent replications (:func:`welch_difference`).
- Exact tests for the diagnostics: the one-sided Fisher exact test
  (:func:`fisher_lower_p`), the lower tail of a Poisson-binomial law
  (:func:`poisson_binomial_cdf`) and the Holm and Bonferroni multiple-comparison
  adjustments (:func:`adjust_p_values`).
- The Beta law of a rate learnt from successes and failures: its distribution function
  and central interval (:func:`beta_cdf`, :func:`beta_interval`).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

Adjust = Literal["holm", "bonferroni", "none"]
"""A family-wise multiple-comparison adjustment (see :func:`adjust_p_values`)."""

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

    Returns
    -------
    DataFrame
        One row per column (per group): ``metric``, ``n``, ``mean``, ``sd``, ``ci_low``,
        ``ci_high``.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame, or ``columns`` is not a list of column names.
    ValueError
        If ``frame`` has no rows, has no numeric columns to summarize, or lacks a column
        named in ``columns`` or ``by``; or a column named is not numeric.
    """
    columns = _summary_columns(frame, columns, by)
    groups = frame.groupby(by, sort=False) if by else [(None, frame)]
    rows = []
    for key, sub in groups:
        for col in columns:
            mean, sd, lo, hi = mean_ci(sub[col])
            row = {"metric": col, "n": int(sub[col].notna().sum()), "mean": mean, "sd": sd,
                   "ci_low": lo, "ci_high": hi}
            rows.append(({by: key} if by else {}) | row)
    return pd.DataFrame(rows)


def _summary_columns(frame, columns, by) -> list:
    """The columns :func:`summarize` is asked for, checked."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"summarize: frame must be a pandas DataFrame (one row per "
                        f"replication), not {type(frame).__name__}")
    if len(frame) == 0:
        raise ValueError("summarize: frame has no rows: there is nothing to summarize")
    if by is not None and by not in frame.columns:
        raise ValueError(f"summarize: by: {by!r} is not a column of frame; its columns are "
                         f"{list(frame.columns)}")
    if columns is None:
        columns = [c for c in frame.select_dtypes("number").columns
                   if c not in ("replication",)]
        if not columns:
            raise ValueError("summarize: frame has no numeric columns to summarize (besides "
                             f"'replication'); its columns are {list(frame.columns)}")
        return columns
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, list | tuple | pd.Index):
        raise TypeError("summarize: columns must be a list of column names, such as "
                        f"['bookings', 'win_rate'], not {type(columns).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"summarize: columns: {missing} not in frame; its columns are "
                         f"{list(frame.columns)}")
    text = [c for c in columns if not (pd.api.types.is_numeric_dtype(frame[c])
                                       or pd.api.types.is_bool_dtype(frame[c]))]
    if text:
        raise ValueError(f"summarize: columns: {text} are not numeric, so they have no mean")
    if not columns:
        raise ValueError("summarize: columns is empty: name at least one column")
    return list(columns)


def adjust_p_values(p, how: Adjust = "holm") -> np.ndarray:
    """Family-wise adjusted p-values for a family of tests.

    Parameters
    ----------
    p : array_like of float
        Raw p-values; NaN entries (tests not made) are not part of the family and stay NaN.
    how : {"holm", "bonferroni", "none"}
        ``"bonferroni"``: ``min(1, m x p)`` over the ``m`` tests made. ``"holm"``: Holm's
        step-down method, the ``i``-th smallest p-value (from 0) times ``m - i``, made
        non-decreasing in that order, capped at 1; it keeps the chance of any false
        rejection at or below the level under any dependence between the tests and
        rejects everything Bonferroni rejects. ``"none"``: the raw p-values.

    Returns
    -------
    ndarray
        The adjusted p-values, in the order of ``p``.

    Raises
    ------
    ValueError
        When ``how`` is not one of the three.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    q = p[tested]
    m = len(q)
    if how == "none" or m == 0:
        out[tested] = q
    elif how == "bonferroni":
        out[tested] = np.minimum(1.0, m * q)
    elif how == "holm":
        order = np.argsort(q, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * q[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
        out[tested] = adj
    else:
        raise ValueError(f"adjust must be 'holm', 'bonferroni' or 'none', not {how!r}")
    return out


def _log_factorials(n: int) -> np.ndarray:
    """``log(k!)`` for ``k = 0 .. n`` (``n + 1`` values), by cumulative sums of logs."""
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))])


def fisher_lower_p(a, n, b, m) -> np.ndarray:
    """One-sided Fisher exact test: is ``a`` successes of ``n`` *lower* than ``b`` of ``m``?

    Conditional on the margins, the first group's successes follow a hypergeometric law
    (``n`` draws from ``n + m`` items of which ``a + b`` are successes); the p-value is
    ``P(X <= a)``. Exact for small counts, and conservative (its real false-alarm rate is
    at or below the nominal one).

    Parameters
    ----------
    a, n, b, m : int or array_like of int
        Successes and trials of the first group (``a`` of ``n``) and of the second
        (``b`` of ``m``); arrays of equal length test many tables at once.

    Returns
    -------
    ndarray
        One p-value per table (length 1 for scalars, 0 for empty arrays); computed with
        exact log-factorials.
    """
    a, n, b, m = (np.atleast_1d(np.asarray(v, dtype=np.int64)) for v in (a, n, b, m))
    total, succ = n + m, a + b
    if len(a) == 0:
        return np.empty(0)
    lf = _log_factorials(int(total.max()))

    def lchoose(x, y):
        return lf[x] - lf[y] - lf[x - y]

    x = np.arange(int(a.max()) + 1)[None, :]
    lo = np.maximum(0, n - (total - succ))[:, None]
    valid = (x >= lo) & (x <= a[:, None])
    xs = np.where(valid, x, lo)  # any valid index; masked out below
    logp = (lchoose(succ[:, None], xs) + lchoose((total - succ)[:, None], n[:, None] - xs)
            - lchoose(total, n)[:, None])
    p = np.where(valid, np.exp(logp), 0.0).sum(axis=1)
    return np.minimum(p, 1.0)


def poisson_binomial_cdf(k: int, probs) -> float:
    """``P(X <= k)`` for a sum ``X`` of independent Bernoulli trials with chances ``probs``.

    Parameters
    ----------
    k : int
        Successes (``P(X <= k)`` is 0 for a negative ``k``).
    probs : array_like of float
        Each trial's chance of success (they may differ: that is the Poisson-binomial
        law; all equal, it is the binomial).

    Returns
    -------
    float
        The lower tail, from the exact distribution (repeated convolution).
    """
    if k < 0:
        return 0.0
    pmf = np.ones(1)
    for p in np.asarray(probs, dtype=float):
        pmf = np.convolve(pmf, [1.0 - p, p])
    return float(min(1.0, pmf[: k + 1].sum()))


def beta_cdf(x: float, a: float, b: float) -> float:
    """``P(X <= x)`` for ``X ~ Beta(a, b)``: the regularized incomplete beta function.

    Computed with the continued fraction of Numerical Recipes (modified Lentz), on the
    side of the mode where it converges fast; accurate to about 1e-12.

    >>> round(beta_cdf(0.3, 1, 1), 12)   # uniform
    0.3
    >>> round(beta_cdf(0.5, 2, 1), 12)   # x ** a when b = 1
    0.25
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"beta_cdf: a and b must be above 0 (got a={a!r}, b={b!r})")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1.0 - front * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def beta_interval(a: float, b: float, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` interval of ``Beta(a, b)``: its ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles, found by bisection on :func:`beta_cdf` (to 1e-10).

    With a uniform prior, a rate seen ``s`` times in ``n`` trials has the posterior
    ``Beta(s + 1, n - s + 1)``; this is its 95% credible interval.

    >>> [round(v, 6) for v in beta_interval(1, 1)]
    [0.025, 0.975]
    """
    if not 0 < level < 1:
        raise ValueError(f"beta_interval: level must lie strictly between 0 and 1 (got {level!r})")
    tail = (1.0 - level) / 2
    return _beta_quantile(tail, a, b), _beta_quantile(1.0 - tail, a, b)


def _beta_quantile(q: float, a: float, b: float) -> float:
    lo, hi = 0.0, 1.0
    while hi - lo > 1e-10:
        mid = (lo + hi) / 2
        if beta_cdf(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def welch_difference(a, b) -> dict:
    """The difference of two means, ``mean(a) - mean(b)``, from *independent* samples
    (replications run on different random numbers), with Welch's 95% t-interval.

    Its standard error is ``sqrt(s_a² / n_a + s_b² / n_b)``, with the
    Welch-Satterthwaite degrees of freedom (rounded down). Compare
    :func:`sim.experiments.runner.paired_difference`, for two variants run on the *same*
    replications (common random numbers): the luck both share cancels there, so its
    interval is narrower when the runs are positively correlated.

    Returns
    -------
    dict
        ``n_a``, ``n_b``, ``mean_a``, ``mean_b``, ``difference``, ``se``, ``df``,
        ``ci_low``, ``ci_high`` (NaN where a sample has fewer than two values).

    Examples
    --------
    >>> d = welch_difference([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])
    >>> d["difference"], d["df"], round(d["ci_low"], 3), round(d["ci_high"], 3)
    (2.0, 4, -0.267, 4.267)
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    out = {"n_a": len(x), "n_b": len(y),
           "mean_a": float(x.mean()) if len(x) else math.nan,
           "mean_b": float(y.mean()) if len(y) else math.nan}
    out["difference"] = out["mean_a"] - out["mean_b"]
    if len(x) < 2 or len(y) < 2:
        return out | {"se": math.nan, "df": math.nan, "ci_low": math.nan,
                      "ci_high": math.nan}
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(va + vb)
    if se == 0:
        df = len(x) + len(y) - 2
    else:
        df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    df = max(1, int(df))
    half = t975(df) * se
    return out | {"se": se, "df": df, "ci_low": out["difference"] - half,
                  "ci_high": out["difference"] + half}
