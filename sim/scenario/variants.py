"""Variants: a validated copy of a scenario with fields set by path.

:func:`vary` is the one way to make a variant, for notebooks, widgets and the command
line alike: ``vary(sc, {"team.reps": 7, "stages[2].win_rate": 0.6})``. A field path is
written as in error messages (``stages[2].win_rate``); the copy is validated as a file
would be, so a bad change is reported in the same words.
"""

from __future__ import annotations

import re
import tomllib
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


def parse_values(scenario: Scenario, text: str, source: str = "--set") -> tuple[str, list]:
    """``"team.reps=3,5,7"`` -> ``("team.reps", [3, 5, 7])``: a field and the values to
    try in it, each checked with :func:`vary`.

    Each value is written as in TOML: a whole number, a number, ``true`` / ``false``, a
    date (``2027-04-01``) or text (quoted, or a bare word such as ``fifo``); commas inside
    quotes belong to the text.

    Raises
    ------
    ScenarioError
        Naming ``source``, for text that is not ``path=v1,v2``, a path that is not a
        field or names a table or list rather than one value, an empty value, a value
        listed twice, and every value the scenario's rules refuse.

    Examples
    --------
    >>> parse_values(Scenario(), "stages[2].win_rate=0.4,0.6")
    ('stages[2].win_rate', [0.4, 0.6])
    """
    path, sep, listed = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError(source, [f"value {text!r} is not allowed: write a field path, "
                                     "'=' and values separated by commas, such as "
                                     "team.reps=3,5,7"])
    parse_path(path, source)
    current = lookup(scenario.model_dump(by_alias=True), parse_path(path), _NO_FIELD)
    if isinstance(current, dict | list):
        kind = "table" if isinstance(current, dict) else "list"
        raise ScenarioError(source, [f"{path}: is a {kind}, not a single value: name a "
                                     f"field inside it, such as {_example_inside(path, current)}"])
    items = _split_values(listed)
    problems = []
    values: list = []
    for item in items:
        if not item:
            problems.append(f"{path}: value {listed!r} is not allowed: give one or more "
                            "values separated by commas, none of them empty")
            continue
        value = _toml_value(item)
        if any(type(v) is type(value) and v == value for v in values):
            problems.append(f"{path}: value {item} is not allowed: it is listed twice")
            continue
        values.append(value)
        try:
            vary(scenario, {path: value}, source)
        except ScenarioError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise ScenarioError(source, problems)
    return path, values


def _split_values(text: str) -> list[str]:
    """``3, "a,b", x`` -> ``["3", '"a,b"', "x"]``: split at commas outside quotes."""
    items, cur, quote = [], "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            items.append(cur.strip())
            cur = ""
            continue
        cur += ch
    items.append(cur.strip())
    return items


def _toml_value(item: str):
    """A value as TOML reads it; a bare word that TOML cannot read is text."""
    try:
        return tomllib.loads(f"v = {item}")["v"]
    except tomllib.TOMLDecodeError:
        return item


def _example_inside(path: str, current) -> str:
    if isinstance(current, list):
        first = current[0] if current else None
        return f"{path}[0].{next(iter(first))}" if isinstance(first, dict) and first else \
            f"{path}[0]"
    return f"{path}.{next(iter(current))}" if current else path


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
