"""Scenario files: TOML in, TOML out, and errors a user can act on.

Every failure becomes a :class:`ScenarioError` whose lines name the file, the field
path (``stages[2].win_rate``), the value given and the rule broken.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import types
import typing
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ValidationError

from sim.scenario import Scenario, _AtPath


class ScenarioError(Exception):
    """Bad input: a scenario that cannot be read or does not follow the rules."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

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
    """Validate scenario TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [f"TOML syntax error: {exc}"]) from None
    return validate_scenario(data, source)


def validate_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a dict (as read from TOML) into a :class:`Scenario`."""
    nonfinite = list(_nonfinite(data, ()))
    if nonfinite:
        raise ScenarioError(
            source,
            [f"{_dotted(p)}: value {v!r} is not allowed: numbers must be finite" for p, v in nonfinite],
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, explain(exc, data)) from None


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as TOML. Refuses to overwrite an existing file."""
    path = Path(path)
    with path.open("xb") as fh:
        fh.write(to_toml(scenario).encode("utf-8"))
    return path


def to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`parse_scenario` reads back unchanged."""
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    return tomli_w.dumps(data)


# -- turning pydantic errors into sentences ------------------------------------------

def explain(exc: ValidationError, data: dict) -> list[str]:
    """One sentence per problem: field path, the value given, the rule."""
    out = []
    for err in exc.errors():
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, _AtPath):
            out.append(
                f"{_dotted(ctx_err.path)}: value {ctx_err.value!r} is not allowed: {ctx_err.rule}"
            )
            continue
        loc = _clean_loc(err["loc"], data)
        path = _dotted(loc) or "(top level)"
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            tag = err["ctx"]["discriminator"].strip("'")
            expected = err["ctx"]["expected_tags"]
            given = _lookup(data, (*loc, tag))
            if given is _ABSENT:
                out.append(f"{path}.{tag}: required field is missing: must be one of {expected}")
            else:
                out.append(f"{path}.{tag}: value {given!r} is not allowed: must be one of {expected}")
        elif kind == "extra_forbidden":
            known = _known_fields(loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            tip = f"; did you mean '{hint[0]}'?" if hint else ""
            choices = f" Known fields here: {', '.join(known)}." if known and not hint else ""
            out.append(f"{path}: unknown field{tip}{choices}")
        elif kind == "missing":
            out.append(f"{path}: required field is missing")
        else:
            given = _lookup(data, loc)
            value = f"value {given!r}" if given is not _ABSENT else "value"
            out.append(f"{path}: {value} is not allowed: {_rule(msg)}")
    return out


_ABSENT = object()


def _rule(msg: str) -> str:
    msg = msg.rstrip(".")
    msg = re.sub(r"^Input should be", "must be", msg)
    msg = msg.replace("Input tag", "kind")
    return msg


def _lookup(data, loc):
    cur = data
    for key in loc:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return cur


def _clean_loc(loc, data):
    """Drop the discriminator tag pydantic puts into paths of tagged unions."""
    out, cur = [], data
    for key in loc:
        if isinstance(cur, dict) and isinstance(key, str) and key not in cur and (
            cur.get("kind") == key or cur.get("dist") == key
        ):
            continue
        out.append(key)
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            cur = None
    return tuple(out)


def _dotted(loc) -> str:
    s = ""
    for key in loc:
        s += f"[{key}]" if isinstance(key, int) else (f".{key}" if s else str(key))
    return s


def _nonfinite(obj, path):
    if isinstance(obj, float) and not math.isfinite(obj):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nonfinite(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nonfinite(v, (*path, i))


def _known_fields(loc) -> list[str]:
    """Field names accepted at ``loc`` (used for did-you-mean hints)."""
    candidates = [Scenario]
    for key in loc:
        nxt = []
        for model in candidates:
            if isinstance(key, int):
                nxt.append(model)  # already unwrapped to the item type below
                continue
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            field = model.model_fields.get(key)
            if field is None:
                continue
            nxt.extend(_models_in(field.annotation))
        candidates = nxt
    names = set()
    for model in candidates:
        if isinstance(model, type) and issubclass(model, BaseModel):
            names.update(f.alias or n for n, f in model.model_fields.items())
    return sorted(names)


def _models_in(annotation) -> list:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []
