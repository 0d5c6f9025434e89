"""Variants: a validated copy of a scenario with fields set by path.

:func:`vary` is the one way to make a variant, for notebooks, widgets and the command
line alike: ``vary(sc, {"team.reps": 7, "stages[2].win_rate": 0.6})``. A field path is
written as in error messages (``stages[2].win_rate``); the copy is validated as a file
would be, so a bad change is reported in the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sim.scenario.errors import ScenarioError, dotted_path, lookup
from sim.scenario.files import validate_scenario
from sim.scenario.schema import Scenario

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

_NO_FIELD = object()


def parse_path(path: str, source: str = "changes") -> tuple:
    """``"stages[2].win_rate"`` -> ``("stages", 2, "win_rate")``.

    Raises
    ------
    ScenarioError
        If ``path`` is not a field path; ``source`` names where it came from.
    """
    parts = []
    pos = 0
    for m in _PATH_PART.finditer(path):
        if m.start() != pos and path[pos:m.start()] != ".":
            break
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(path):
        raise ScenarioError(source, [f"{path}: is not a field path like "
                                     "'stages[2].win_rate' or 'team.reps'"])
    return tuple(parts)


def field_value(scenario: Scenario, path: str):
    """The value of the field at ``path``, as written in TOML.

    Raises
    ------
    ScenarioError
        If the scenario has no such field.
    """
    value = lookup(scenario.model_dump(by_alias=True), parse_path(path), _NO_FIELD)
    if value is _NO_FIELD:
        raise ScenarioError("changes", [f"{path}: no such field"])
    return value


def vary(scenario: Scenario, changes: dict, source: str = "changes") -> Scenario:
    """A validated variant of ``scenario`` with fields set by path.

    Parameters
    ----------
    scenario : Scenario
        The original; it is frozen and stays as it is.
    changes : dict
        Field path -> new value, as it would be written in TOML; a table or a list of
        tables replaces the one there as a whole.
    source : str
        What the changes came from (``--days``, a widget's label); it names them in
        error messages.

    Returns
    -------
    Scenario
        The variant, validated as a file would be.

    Raises
    ------
    TypeError
        If ``scenario`` is not a :class:`Scenario`, ``changes`` is not a dict, or one of
        its keys is not a field path written as text.
    ScenarioError
        For a bad path or a value that breaks a rule, naming the field, the value and
        the rule (every problem at once).

    Examples
    --------
    >>> v = vary(Scenario(), {"team.reps": 7, "stages[2].win_rate": 0.6})
    >>> v.team.reps, v.stages[2].win_rate
    (7, 0.6)
    """
    _check_arguments(scenario, changes, source)
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    for path, value in changes.items():
        parts = parse_path(path, source)
        cur = data
        for i, key in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            try:
                if isinstance(key, int):
                    cur = cur[key]
                else:
                    cur = cur.setdefault(key, [] if isinstance(nxt, int) else {})
            except (IndexError, KeyError, TypeError, AttributeError):
                raise ScenarioError(
                    source, [f"{path}: no such field (at {dotted_path(parts[:i + 1])})"]
                ) from None
        try:
            cur[parts[-1]] = value
        except (IndexError, TypeError):
            raise ScenarioError(source, [f"{path}: no such field"]) from None
    return validate_scenario(data, source)


def _check_arguments(scenario, changes, source) -> None:
    if not isinstance(scenario, Scenario):
        raise TypeError(f"vary: scenario must be a Scenario (from load_scenario, "
                        f"parse_scenario or Scenario()), not {_kind(scenario)}")
    if not isinstance(changes, Mapping):
        raise TypeError("vary: changes must be a dict of field path -> new value, such as "
                        f"{{'team.reps': 7, 'stages[2].win_rate': 0.6}}, not {_kind(changes)}")
    for path in changes:
        if not isinstance(path, str):
            raise TypeError(f"vary: changes: each key must be a field path written as text, "
                            f"such as 'stages[2].win_rate', not {_kind(path)} {path!r}")
    if not isinstance(source, str):
        raise TypeError(f"vary: source must be text naming where the changes came from, "
                        f"not {_kind(source)}")


def _kind(value) -> str:
    """``a list``, ``an int``: the type of ``value`` in words."""
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def policy_changes(scenario: Scenario, name: str) -> dict:
    """The changes to :func:`vary` that make every rep of ``scenario`` use policy ``name``.

    The team's policy takes the name; a custom ``order`` goes (it belongs to ``custom``),
    while the policy's time split (``prospecting_share``) and effort cap
    (``effort_cap_hours``) stay, as they did before; the members' own policies are
    dropped.

    Examples
    --------
    >>> sc = vary(Scenario(), {"policy": {"name": "custom",
    ...                                   "order": ["orders", "best_few", "in_funnel",
    ...                                             "above_funnel"]}})
    >>> vary(sc, policy_changes(sc, "fifo")).policy.order is None
    True
    """
    changes: dict = {"policy.name": name, "policy.order": None}
    for i, member in enumerate(scenario.team.members):
        if member.policy is not None:
            changes[f"team.members[{i}].policy"] = None
    return changes
