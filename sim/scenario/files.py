"""Scenario files: TOML in, TOML out.

Reading goes file -> text -> TOML -> a validated :class:`Scenario`; whatever fails on
the way becomes a :class:`~sim.scenario.errors.ScenarioError` whose sentences name the
file, the field path, the value given and the rule broken (worded in
:mod:`sim.scenario.errors`), every problem at once.

Only a regular file is read, and at most :data:`MAX_FILE_BYTES` of it: a named pipe, a
device (``/dev/zero``) or a directory is refused from its type, before it is opened, so
reading never blocks or fills the memory. A UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import tomli_w
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, report, syntax_problem
from sim.scenario.schema import Scenario

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file read (1 MB). A scenario is a few kB; the largest shipped one is
under 10 kB, so the cap leaves a hundredfold margin and still stops a runaway file."""

_BOM = "\ufeff"

_NOT_REGULAR = (
    (stat.S_ISDIR, "is a directory, not a scenario file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file: only regular files are read"),
    (stat.S_ISCHR, "is a device, not a regular file: only regular files are read"),
    (stat.S_ISBLK, "is a device, not a regular file: only regular files are read"),
    (stat.S_ISSOCK, "is a socket, not a regular file: only regular files are read"),
)


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
        If the file is missing, not a regular file, larger than :data:`MAX_FILE_BYTES`,
        unreadable, not UTF-8 TOML, or breaks rules of the schema (every problem at once).
    """
    path = Path(path)
    source = str(path)
    return parse_scenario(read_text(path, source), source)


def read_text(path: str | Path, source: str | None = None) -> str:
    """The text of a scenario file: a regular file of at most :data:`MAX_FILE_BYTES`,
    UTF-8 with or without a byte-order mark.

    The file's type is checked before it is opened, and it is opened without blocking,
    so a named pipe or a device gets an error at once rather than a hang.

    Raises
    ------
    ScenarioError
        Naming ``source`` (default: the path) and what is wrong with the file.
    """
    source = str(path) if source is None else source
    try:
        data = _read_bytes(os.fspath(path))
    except FileNotFoundError:
        raise ScenarioError(source, ["file not found"]) from None
    except PermissionError:
        raise ScenarioError(source, ["cannot be read (permission denied)"]) from None
    except OSError as exc:
        raise ScenarioError(source, [f"cannot be read ({exc.strerror or exc})"]) from None
    if isinstance(data, str):  # not a regular file, or too large: why
        raise ScenarioError(source, [data])
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ScenarioError(source, [f"is not UTF-8 text ({exc.reason} at line {line}); "
                                     "save it as UTF-8"]) from None


def _read_bytes(path: str) -> bytes | str:
    """The file's bytes, or a sentence saying why they are not read."""
    info = os.stat(path)
    refusal = _refusal(info)
    if refusal:
        return refusal
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        refusal = _refusal(os.fstat(fh.fileno()))  # the file may have changed since
        if refusal:
            return refusal
        data = fh.read(MAX_FILE_BYTES + 1)
    return _too_large(len(data), known=False) if len(data) > MAX_FILE_BYTES else data


def _refusal(info: os.stat_result) -> str | None:
    for test, why in _NOT_REGULAR:
        if test(info.st_mode):
            return why
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file: only regular files are read"
    if info.st_size > MAX_FILE_BYTES:
        return _too_large(info.st_size, known=True)
    return None


def _too_large(size: int, known: bool) -> str:
    """Why a file of ``size`` bytes is refused; not ``known``: read up to the cap, and more
    was there."""
    has = f"{size:,}" if known else f"more than {MAX_FILE_BYTES:,}"
    return (f"is too large for a scenario file ({has} bytes; the limit is "
            f"{MAX_FILE_BYTES:,} bytes, 1 MB): a scenario is a few kB of TOML")


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text; ``source`` names it in error messages.

    Raises
    ------
    ScenarioError
        If the text is not TOML or breaks a rule of the schema.
    """
    text = text.removeprefix(_BOM)
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
        One sentence per problem, with ``source`` as its source: every field error and
        every cross-field problem at once, in the order of the file (the cross-field
        rules also run, on what can be checked, when some fields are wrong).
    """
    try:
        scenario = Scenario.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise ScenarioError(source, report(data, exc)) from None
    problems = report(data)  # numbers that are not finite, if pydantic let one pass
    if problems:
        raise ScenarioError(source, problems)
    return scenario


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
