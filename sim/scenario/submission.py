"""A team's tournament submission: what a team may set, validated like a scenario.

A submission is a small TOML file::

    team = "Pipeline Pirates"
    forecast = 6_000_000        # optional: the team's bookings forecast for the whole run

    [policy]                    # written exactly as a scenario's [policy]
    name = "miller_heiman"
    prospecting_share = 0.15

A team may set only these three things (:data:`SUBMISSION_FIELDS`): its name, the
``[policy]`` every one of its reps follows (the scenario schema's own
:class:`~sim.scenario.schema.Policy`: ``name``, ``order``, ``prospecting_share``,
``effort_cap_hours``) and a forecast of its bookings over the results period, in the
scenario's currency. Everything else (the market, the funnel, the team's size, the seed)
is the trainer's scenario, the same for every team.

Problems are reported as a scenario's are (:mod:`sim.scenario.errors`): one sentence
per problem, ``field: value X is not allowed: rule``, in a
:class:`~sim.scenario.errors.ScenarioError` whose source is the file.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError, field_validator

from sim.scenario.checks import CrossFieldRules
from sim.scenario.errors import (
    ScenarioError,
    did_you_mean,
    explain,
    nonfinite_problems,
    syntax_problem,
)
from sim.scenario.files import read_text
from sim.scenario.schema import Policy, Scenario
from sim.scenario.variants import vary

MAX_TEAM_NAME = 40
"""Longest team name, in characters: it has to fit a leaderboard's column."""

MAX_FORECAST = 1e12
"""Largest forecast (the bound of the scenario's money fields)."""

RESERVED_NAMES = ("reference",)
"""Team names taken by the tournament itself (the reference strategy's label)."""


class Submission(CrossFieldRules):
    """One team's entry to a tournament."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    team: str = Field(..., min_length=1, max_length=MAX_TEAM_NAME,
                      description="the team's name, as the leaderboard shows it")
    policy: Policy = Field(..., description="how every rep of the team chooses the next "
                                            "task; the same fields as a scenario's [policy]")
    forecast: float | None = Field(
        None, ge=0, le=MAX_FORECAST,
        description="the team's forecast of its bookings over the whole results period, in "
                    "the scenario's currency; none = not scored on forecast error")

    @field_validator("team")
    @classmethod
    def _team_name_printable(cls, v: str) -> str:
        """A team name is text on one line, not blank, and not a reserved name."""
        if not v.strip():
            raise ValueError("must not be blank")
        if any(not ch.isprintable() for ch in v):
            raise ValueError("must be printable text on one line (no tabs or line breaks)")
        if v.strip().casefold() in RESERVED_NAMES:
            raise ValueError(f"'{v.strip()}' is the tournament's own name for the reference "
                             "strategy; choose another")
        return v.strip()


SUBMISSION_FIELDS = tuple(Submission.model_fields)
"""The top-level fields a submission may have: ``team``, ``policy``, ``forecast``."""


def parse_submission(text: str, source: str = "<submission>") -> Submission:
    """Validate submission TOML text; ``source`` names it in error messages.

    Raises
    ------
    ScenarioError
        Every problem at once, each ``field: value X is not allowed: rule``.

    Examples
    --------
    >>> s = parse_submission('team = "A"\\n[policy]\\nname = "classic"\\n')
    >>> s.team, s.policy.name, s.forecast
    ('A', 'classic', None)
    """
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [syntax_problem(exc, text)]) from None
    return validate_submission(data, source)


def validate_submission(data: dict, source: str = "<submission>") -> Submission:
    """Validate a dict (as read from TOML) into a :class:`Submission`.

    Unknown top-level keys are named with the fields a submission may have; the
    ``[policy]`` table is checked by the scenario schema's own rules and worded as in a
    scenario file (``policy.name: value 'closer' is not allowed: ...; did you mean
    'close_first'?``). Values must have the type asked for (``forecast = "5"`` is an
    error, not a number).

    Raises
    ------
    ScenarioError
        Every problem at once, with ``source`` as its source.
    """
    problems = nonfinite_problems(data)
    unknown = [k for k in data if k not in SUBMISSION_FIELDS]
    for key in unknown:
        hint = did_you_mean(key, SUBMISSION_FIELDS) or (
            f"; a submission may set only {', '.join(SUBMISSION_FIELDS)} (the rest is "
            "the trainer's scenario)")
        problems.append(f"{key}: value {data[key]!r} is not allowed: unknown field "
                        f"'{key}'{hint}")
    known = {k: v for k, v in data.items() if k in SUBMISSION_FIELDS}
    try:
        submission = Submission.model_validate(known, strict=True)
    except ValidationError as exc:
        # a number already reported as not finite is not reported again in other words
        said = {p.split(": ", 1)[0] for p in problems}
        problems += [p for p in explain(exc, known) if p.split(": ", 1)[0] not in said]
        submission = None
    if problems:
        raise ScenarioError(source, problems)
    return submission


def load_submission(path: str | Path) -> Submission:
    """Read and validate a submission file (a regular UTF-8 file of at most 1 MB, as a
    scenario file).

    Raises
    ------
    ScenarioError
        Naming the file, and every problem in it.
    """
    return parse_submission(read_text(path), str(path))


def find_submissions(folder: str | Path) -> list[Path]:
    """The submission files in ``folder``: its ``*.toml`` files (not hidden ones), in name
    order.

    Raises
    ------
    ScenarioError
        If ``folder`` is not a directory, or holds no ``*.toml`` file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        why = "does not exist" if not folder.exists() else "is a file, not a directory"
        raise ScenarioError(str(folder), [f"{why}: give the folder of the teams' "
                                          "submission files (*.toml)"])
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    if not files:
        raise ScenarioError(str(folder), ["holds no submission files (*.toml)"])
    return files


def apply_submission(scenario: Scenario, submission: Submission,
                     source: str = "<submission>") -> Scenario:
    """The scenario with every rep following the team's policy.

    The team's ``[policy]`` replaces the scenario's as a whole, and the members' own
    policies are dropped; nothing else changes, so every team faces the same market.

    Raises
    ------
    ScenarioError
        If the policy breaks a rule of the scenario (named as in a scenario file, with
        ``source`` as its source).
    """
    changes: dict = {"policy": submission.policy.model_dump(mode="python", exclude_none=True)}
    for i, member in enumerate(scenario.team.members):
        if member.policy is not None:
            changes[f"team.members[{i}].policy"] = None
    return vary(scenario, changes, source=source)


DEFAULT_WEIGHTS = {"bookings": 0.5, "cash": 0.3, "forecast": 0.2}
"""The composite's weights when the trainer sets none."""

WEIGHT_METRICS = {"bookings": "bookings", "cash": "cash_collected",
                  "forecast": "forecast_error"}
"""Composite weight name -> the metric it weighs."""


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The composite's weights, checked and scaled to sum to one.

    Parameters
    ----------
    weights : mapping
        ``bookings``, ``cash`` and/or ``forecast`` -> a finite number, 0 or more; a name
        left out weighs 0. At least one weight must be above 0.

    Raises
    ------
    ValueError
        Naming the weight, its value and the rule.
    """
    if not isinstance(weights, Mapping):
        raise ValueError(f"weights must be a mapping such as {DEFAULT_WEIGHTS}, not "
                         f"{type(weights).__name__}")
    out = dict.fromkeys(WEIGHT_METRICS, 0.0)
    for name, value in weights.items():
        if name not in WEIGHT_METRICS:
            raise ValueError(f"{name}: is not a weight: the weights are "
                             f"{', '.join(WEIGHT_METRICS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value >= 0):
            raise ValueError(f"{name}: value {value!r} is not allowed: a weight must be a "
                             "finite number, 0 or more")
        out[name] = float(value)
    total = sum(out.values())
    if total <= 0:
        raise ValueError("at least one weight must be above 0")
    return {name: w / total for name, w in out.items()}
