"""The rules about a deal that the engine and every analysis share, each defined once.

- the normal sales cycle (each stage's typical days), which the Best Few window is made
  of and which owners start their own estimates from;
- an owner's **forecast category** (commit / best case / pipeline) and believed win rate;
- Miller Heiman's **Best Few** rule and its window, and a deal's **level**;
- the **rot factor** of a stage task left waiting;
- a deal's **stage at a given time** and its **last activity**.

Every function works on plain numbers and on numpy arrays alike, so the engine applies a
rule to one deal in its hot path and an analysis to a whole table, with one definition.
Days are any consistent day numbers (the engine's clock or days from ``start_date``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVELS = ("best_few", "above_funnel", "in_funnel", "orders")
"""Miller Heiman levels, in the order Miller Heiman gives a rep's time to them."""

LOST_TO_NEGLECT = "lost_to_neglect"
"""The lost reason of a deal that rotted: its chance fell because its stage's work waited
past ``rot_days`` (see :func:`rot_factor`); the customer's own reasons are in the scenario."""

TASK_LEVELS = {"prospect": "above_funnel", "verify": "above_funnel", "post_sale": "orders"}
"""The level of work that is not about a tracking opportunity: finding and verifying
leads is Above the Funnel, post-sale hand-over is Orders. Work on a tracking opportunity
is In the Funnel or Best Few (:func:`opportunity_level`)."""


def typical_stage_days(stages, hours_per_day: float) -> list[float]:
    """Each stage's typical days: its mean rep work at ``hours_per_day`` plus the
    customer's mean decision time. Their sum is the normal sales cycle."""
    return [s.mean_work_hours / hours_per_day + s.decision_days.mean for s in stages]


def cycle_days_left(stage_days) -> list[float]:
    """For each stage k, the days of the stages from k to the last (``sum(stage_days[k:])``).

    With :func:`typical_stage_days` this is the normal cycle left on entering stage k: a
    deal's *cycle close* (entry day plus this) anchors the Best Few window, in the engine
    and in every analysis alike.
    """
    return [sum(stage_days[k:]) for k in range(len(stage_days))]


FORECAST_CATEGORIES = ("commit", "best_case", "pipeline")
"""The categories an owner puts a tracking deal in (Salesforce's names), surest first."""


def believed_win_rate(win_rate, optimism: float):
    """The owner's believed chance of winning a deal: the stage win rate with a share
    ``optimism`` of the gap to certainty closed (numbers or numpy arrays)."""
    return 1.0 - (1.0 - win_rate) * (1.0 - optimism)


def forecast_category(believed: float, this_period: bool, commit_min: float,
                      best_case_min: float) -> str:
    """The category an owner gives a tracking deal.

    ``commit`` when they expect it to close this period (``this_period``) with a believed
    chance of at least ``commit_min``; ``best_case`` when they expect it this period with
    a believed chance of at least ``best_case_min``; ``pipeline`` otherwise (a deal not
    expected this period is never called).

    >>> forecast_category(0.8, True, 0.6, 0.3), forecast_category(0.8, False, 0.6, 0.3)
    ('commit', 'pipeline')
    """
    if not this_period:
        return "pipeline"
    if believed >= commit_min:
        return "commit"
    return "best_case" if believed >= best_case_min else "pipeline"


@dataclass(frozen=True)
class BestFewRule:
    """Miller Heiman's Best Few: a stage win rate of at least ``min_win_rate`` and an
    expected close within ``window_days`` from today.

    The window is ``best_few.close_within_cycle_share`` of the normal sales cycle (see
    :meth:`of`).
    """

    min_win_rate: float
    window_days: float

    @classmethod
    def of(cls, scenario) -> BestFewRule:
        """The rule a scenario sets: its ``best_few`` table and the normal cycle at the
        team's hours per day."""
        return cls(scenario.best_few.min_win_rate,
                   scenario.best_few.close_within_cycle_share * scenario.typical_cycle_days)

    def holds(self, stage_win_rate, days_to_close):
        """Whether a deal is Best Few (numbers or numpy arrays)."""
        return (stage_win_rate >= self.min_win_rate) & (days_to_close <= self.window_days)

    def start_day(self, entered_day, left_day, expected_close_day, stage_win_rate):
        """The day a deal's stage row becomes Best Few: the rule holds from
        ``expected_close - window_days`` on, once the deal is in the stage, until it
        leaves it (``left_day`` NaN or inf: still there). ``inf`` where it never does
        (arrays)."""
        entered = np.asarray(entered_day, dtype=float)
        start = np.maximum(entered, np.asarray(expected_close_day, dtype=float)
                           - self.window_days)
        # the rate half of the rule (days_to_close 0 is always within the window)
        ok = (self.holds(np.asarray(stage_win_rate, dtype=float), 0.0)
              & ~(np.asarray(left_day, dtype=float) <= start))
        return np.where(ok, start, np.inf)


def opportunity_level(is_best_few):
    """The level of a tracking opportunity: ``"best_few"`` or ``"in_funnel"``."""
    if np.ndim(is_best_few) == 0:
        return "best_few" if is_best_few else "in_funnel"
    return np.where(is_best_few, "best_few", "in_funnel").astype(object)


def rot_factor(wait_days, rot_days):
    """How much a stage task that waited ``wait_days`` before its work started keeps of
    its chance to advance: 1 up to ``rot_days``, then a factor e less for each further
    ``rot_days``. NaN where the wait is unknown (the work has not started)."""
    excess = wait_days - rot_days
    if isinstance(excess, float) or np.ndim(excess) == 0:  # a float skips numpy's check
        return math.exp(-excess / rot_days) if excess > 0 else 1.0
    excess = np.asarray(excess, dtype=float)
    out = np.where(excess > 0, np.exp(-np.clip(excess, 0, None) / rot_days), 1.0)
    return np.where(np.isnan(excess), np.nan, out)


def in_stage(entered_day, left_day, t):
    """(rows x times) mask: a stage row holds its deal from the day it entered the stage
    until the day it left it (its decision: advanced, won or lost; NaN or inf while the
    deal is still there), at each time ``t``."""
    t = np.asarray(t, dtype=float)
    return ((np.asarray(entered_day, dtype=float)[:, None] <= t)
            & ~(np.asarray(left_day, dtype=float)[:, None] <= t))


def stage_row_at(opportunity_id, stage_index, entered_day, day: float):
    """For each deal that had entered a stage by ``day``, its latest stage row then.

    Returns the deals' ids (sorted) and the positions of their rows.
    """
    seen = np.flatnonzero(np.asarray(entered_day, dtype=float) <= day)
    ids = np.asarray(opportunity_id)[seen]
    order = np.lexsort((np.asarray(stage_index)[seen], ids))
    ids = ids[order]
    last = np.append(ids[1:] != ids[:-1], True) if len(ids) else np.zeros(0, bool)
    return ids[last], seen[order[last]]


def last_activity_day(on: float, entered_day, work_start_day, work_end_day,
                      last_effort_day=None):
    """The last thing done on a deal in its stage, at or before ``on``.

    Activity is entering the stage, the rep starting and finishing the stage's work, and
    sessions of extra closing effort. Work under way at ``on`` is activity *now*: a deal
    a rep is working on is not idle. ``last_effort_day`` (per row, NaN for none) is the
    end of the last effort session started by ``on``, or ``on`` while it is under way.
    """
    start = np.asarray(work_start_day, dtype=float)
    stop = np.asarray(work_end_day, dtype=float)
    started, finished = start <= on, stop <= on  # NaN compares False
    last = np.asarray(entered_day, dtype=float)
    last = np.fmax(last, np.where(started, np.where(finished, stop, on), np.nan))
    if last_effort_day is not None:
        last = np.fmax(last, np.minimum(np.asarray(last_effort_day, dtype=float), on))
    return last
