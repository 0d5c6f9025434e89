"""What the diagnostics share: the team's row label, the neglect reason, safe ratios,
per-rep sums, time overlaps and the day a stage row ends."""

from __future__ import annotations

import numpy as np
import pandas as pd

TEAM = "team"
"""The value of ``rep`` in rows about the whole team."""

NEGLECT = "lost_to_neglect"
"""The lost reason the engine gives a deal lost because a stage task was left waiting."""


def _ratio(num, den):
    """``num / den`` with NaN where ``den`` is 0 (no division warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _rep_index(owner: pd.Series, reps: list[str]) -> np.ndarray:
    """Position of each item's owner in ``reps`` (-1 for an unknown owner)."""
    return owner.map({r: i for i, r in enumerate(reps)}).fillna(-1).to_numpy(dtype=int)


def _sum_by_rep(idx: np.ndarray, values: np.ndarray, n_reps: int) -> np.ndarray:
    """Sums of ``values`` (items, or items x times) per rep, then the team's total as a
    last row. Sorting and ``reduceat`` rather than a one-hot matrix product: BLAS can be
    needlessly slow on such thin products."""
    values = np.asarray(values, dtype=float)
    out = np.zeros((n_reps + 1, *values.shape[1:]))
    known = idx >= 0
    idx, values = idx[known], values[known]
    if len(idx):
        order = np.argsort(idx, kind="stable")
        ids = idx[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        out[ids[starts]] = np.add.reduceat(values[order], starts, axis=0)
    out[n_reps] = out[:n_reps].sum(axis=0)
    return out


def _overlap(start, end, lo, hi) -> np.ndarray:
    """(items x windows) length of ``[start, end)`` inside each window ``[lo, hi)``."""
    s = np.asarray(start, dtype=float)[:, None]
    e = np.asarray(end, dtype=float)[:, None]
    return np.clip(np.minimum(e, hi[None, :]) - np.maximum(s, lo[None, :]), 0.0, None)


def _stage_left_day(hist: pd.DataFrame) -> np.ndarray:
    """The day each ``stage_history`` row's deal left the stage: its decision (advance,
    win or loss), or ``inf`` while it is still open."""
    return hist["decided_day"].fillna(np.inf).to_numpy(dtype=float)

