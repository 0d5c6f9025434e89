"""A queue of leads waiting for reps, and the exact result it must match: Erlang C.

The simplest sales team a formula describes is an **M/M/c queue**: opportunities arrive
at random (Poisson, ``arrivals_per_day``), each needs one piece of work of a random
length (exponential, mean ``work_hours``), and ``c`` reps take them from one shared
queue, first come first served. Queueing theory gives the chance that a deal has to
wait (Erlang's C formula, :func:`erlang_c`) and its mean wait (:func:`erlang_c_wait`).
:func:`mmc_scenario` writes that team as a scenario, so the engine can be checked
against the formula (``tests/test_validation.py`` does, with many long runs; lesson 09
shows it), and :func:`mean_queue_wait` reads the wait the engine measured.

Everything here is a pure function: of numbers, of a scenario, or of a run's records.
"""

from __future__ import annotations

import math

from sim.rules.channels import base_rate_per_day
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

TAIL_DAYS = 5.0
"""Work that enters the queue in the last days of a run may still be waiting when it
ends; :func:`mean_queue_wait` leaves those days out (at the panel's and the tests'
loads, the chance to wait longer than 5 days is below 1e-3)."""


def erlang_c(c: int, a: float) -> float:
    """Chance that an arrival has to wait in an M/M/c queue (Erlang's C formula).

    Parameters
    ----------
    c : int
        Servers (reps), 1 or more.
    a : float
        Offered load in erlangs: arrival rate / service rate (the reps busy on average);
        from 0 up to, not including, ``c``.

    Returns
    -------
    float
        ``C(c, a)``, from 0 to 1.

    Raises
    ------
    ValueError
        If ``c`` is not a whole number of at least 1, or ``a`` is not in ``[0, c)`` (at
        ``a >= c`` the queue grows without end).

    Examples
    --------
    >>> round(erlang_c(1, 0.5), 6)  # one server: the chance to wait is its load
    0.5
    >>> round(erlang_c(3, 2.25), 4)
    0.5678
    """
    if isinstance(c, bool) or int(c) != c or c < 1:
        raise ValueError(f"c: value {c!r} is not allowed: must be a whole number of servers, "
                         "1 or more")
    if not (math.isfinite(a) and 0 <= a < c):
        raise ValueError(f"a: value {a!r} is not allowed: the load must lie from 0 up to "
                         f"(not including) c = {c}, or the queue grows without end")
    # the Erlang B recursion is numerically stable; C follows from B
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho + rho * b)


def erlang_c_wait(arrival_rate: float, service_rate: float, c: int) -> float:
    """Mean wait in the queue of an M/M/c queue: ``Wq = C(c, a) / (c mu - lambda)``.

    Parameters
    ----------
    arrival_rate : float
        ``lambda``, arrivals per unit of time (e.g. per day).
    service_rate : float
        ``mu``, services one server completes per unit of time when busy (above 0).
    c : int
        Servers.

    Returns
    -------
    float
        The mean wait before service starts, in the unit of time of the rates.

    Examples
    --------
    >>> round(erlang_c_wait(4.5, 2.0, 3), 4)  # days: 4.5 deals a day, 3 reps, 4 h each
    0.3785
    >>> round(erlang_c_wait(0.5, 1.0, 1), 6)  # M/M/1: rho / (mu - lambda)
    1.0
    """
    if not (math.isfinite(service_rate) and service_rate > 0):
        raise ValueError(f"service_rate: value {service_rate!r} is not allowed: must be "
                         "above 0")
    if not (math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival_rate: value {arrival_rate!r} is not allowed: must be 0 "
                         "or more")
    a = arrival_rate / service_rate
    return erlang_c(c, a) / (c * service_rate - arrival_rate)


def mmc_scenario(scenario: Scenario, reps: int, arrivals_per_day: float,
                 work_hours: float, *, hours_per_day: float = 8.0) -> Scenario:
    """``scenario`` turned into an M/M/c queue the formula describes.

    One inbound channel of Poisson arrivals whose every lead is an opportunity at once
    (no verification, no speed-to-lead decay), one stage whose work is exponential with
    mean ``work_hours`` and whose customer decides at once (and never rots), and
    ``reps`` reps of ``hours_per_day`` taking the deals from one shared queue, first come
    first served (``pool`` assignment, ``fifo`` policy), with no other work (no
    post-sale hand-over, no leave, no hires). The name, dates, seed, horizon, warm-up and
    language stay the scenario's.

    A rep then serves ``hours_per_day / work_hours`` deals a day when busy, so the load
    is ``a = arrivals_per_day * work_hours / hours_per_day`` reps; the queue is stable
    only below ``reps``.

    Examples
    --------
    >>> sc = mmc_scenario(Scenario(), 3, 4.5, 4.0)
    >>> sc.team.reps, len(sc.stages), sc.channels[0].leads_per_week
    (3, 1, 31.5)
    """
    return vary(scenario, {
        "channels": [{"kind": "inbound", "name": "Poisson arrivals",
                      "leads_per_week": arrivals_per_day * 7, "lead_quality": 1.0}],
        "leads": {"verify_hours": 0, "speed_to_lead_floor": 1.0},
        "stages": [{"name": "Serve", "win_rate": 0.5,
                    "work_hours": {"dist": "exponential", "mean": work_hours},
                    "decision_days": {"dist": "fixed", "value": 0.0}, "rot_days": 3650}],
        "team": {"reps": reps, "hours_per_day": hours_per_day, "assignment": "pool"},
        "policy": {"name": "fifo"},
        "post_sale": {"work_hours": 0.0},
    }, source="the M/M/c queue")


def mmc_rates(scenario: Scenario) -> dict:
    """The queue's figures of an :func:`mmc_scenario`: ``arrivals_per_day`` (lambda),
    ``service_rate`` (mu, deals a busy rep finishes a day), ``reps`` (c), ``load``
    (a = lambda / mu) and ``erlang_c_wait_days`` (the formula's mean wait; NaN when
    the load is ``c`` or more).

    >>> mmc_rates(mmc_scenario(Scenario(), 3, 4.5, 4.0))["erlang_c_wait_days"].__round__(4)
    0.3785
    """
    lam = base_rate_per_day(scenario.channels[0])
    mu = scenario.team.hours_per_day / scenario.stages[0].work_hours.mean
    c = scenario.team.reps
    wait = erlang_c_wait(lam, mu, c) if lam / mu < c else math.nan
    return {"arrivals_per_day": lam, "service_rate": mu, "reps": c, "load": lam / mu,
            "erlang_c_wait_days": wait}


def mean_queue_wait(result, tail_days: float = TAIL_DAYS) -> float:
    """The mean wait (days) of the work that entered the queue in the results period,
    but not in its last ``tail_days`` (that work may still be waiting at the end).

    The engine records each stage task's wait before a rep started it
    (``stage_history.wait_days``); in an :func:`mmc_scenario` that is the queue's wait.
    """
    sh = result.stage_history
    end = result.scenario.horizon_days - tail_days
    entered = sh["entered_day"]
    return float(sh.loc[(entered >= 0) & (entered < end), "wait_days"].mean())
