"""Scenario files: TOML in, TOML out.

Reading goes file -> text -> TOML -> a validated :class:`Scenario`; whatever fails on
the way becomes a :class:`~sim.scenario.errors.ScenarioError` whose sentences name the
file, the field path, the value given and the rule broken (worded in
:mod:`sim.scenario.errors`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, explain, nonfinite_problems, syntax_problem
from sim.scenario.schema import Scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The file; it names the source in error messages.

    Returns
    -------
    Scenario
        The scenario the file describes.

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable, not TOML, or breaks a rule of the schema.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, ["file not found"]) from None
    except IsADirectoryError:
        raise ScenarioError(source, ["is a directory, not a scenario file"]) from None
    except PermissionError:
        raise ScenarioError(source, ["cannot be read (permission denied)"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, [f"is not UTF-8 text ({exc.reason})"]) from None
    except OSError as exc:
        raise ScenarioError(source, [f"cannot be read ({exc.strerror})"]) from None
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text; ``source`` names it in error messages.

    Raises
    ------
    ScenarioError
        If the text is not TOML or breaks a rule of the schema.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [syntax_problem(exc, text)]) from None
    return validate_scenario(data, source)


def validate_scenario(data: dict, source: str = "<scenario>", strict: bool = True) -> Scenario:
    """Validate a dict (as read from TOML) into a :class:`Scenario`.

    With ``strict`` (the default) each value must have the type the schema asks for:
    ``reps = "5"``, ``reps = true`` or ``reps = 5.0`` is an error rather than something
    quietly converted. Numbers may be written as integers where a real number is asked.

    Raises
    ------
    ScenarioError
        One sentence per problem, with ``source`` as its source.
    """
    nonfinite = nonfinite_problems(data)
    if nonfinite:
        raise ScenarioError(source, nonfinite)
    try:
        return Scenario.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise ScenarioError(source, explain(exc, data)) from None


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as TOML. Refuses to overwrite an existing file.

    Raises
    ------
    FileExistsError
        If ``path`` exists: nothing the user had is overwritten.
    """
    path = Path(path)
    with path.open("xb") as fh:
        fh.write(to_toml(scenario).encode("utf-8"))
    return path


def to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`parse_scenario` reads back unchanged."""
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    return tomli_w.dumps(data)
