"""Error wording: bad scenario input turned into sentences a user can act on.

Every problem is one sentence ``path: value X is not allowed: rule`` naming the field path
(``stages[2].win_rate``), the value given and the rule broken; a :class:`ScenarioError`
carries them with the name of their source (a file, or a command-line option). The
sentences come from pydantic's errors, whose labels for union members are matched here
and dropped, so the path is the one the user wrote.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
import types
import typing

from pydantic import BaseModel, ValidationError

from sim.scenario.schema import Scenario, _AtPath


class ScenarioError(Exception):
    """Bad input: a scenario that cannot be read or does not follow the rules.

    Parameters
    ----------
    source : str
        What the input came from: a file name, or a command-line option such as
        ``--days``.
    problems : list of str
        One sentence per problem, ``path: value X is not allowed: rule``.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


_ABSENT = object()

_TAGS = ("kind", "dist")
"""Discriminator keys of the tagged unions (channels, distributions)."""

_DIST_EXAMPLE = '{dist = "gamma", mean = 10, cv = 0.5}'


def explain(exc: ValidationError, data: dict) -> list[str]:
    """One sentence per problem: ``path: value X is not allowed: rule``.

    Parameters
    ----------
    exc : pydantic.ValidationError
        What :meth:`Scenario.model_validate` raised for ``data``.
    data : dict
        The input as read from TOML, to show values as the user wrote them and to
        suggest the field names accepted where an unknown one was given.

    Returns
    -------
    list of str
        The sentences, without repeats, in pydantic's order.
    """
    out = []
    for err in _pick_union_branches(exc.errors(), data):
        line = _sentence(err, data)
        if line not in out:
            out.append(line)
    return out


def syntax_problem(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """``tomllib``'s message (which carries line and column) plus the offending line."""
    msg = f"TOML syntax error: {exc}"
    lines = text.splitlines()
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if m and 1 <= int(m[1]) <= len(lines):
        msg += f"; the line reads: {lines[int(m[1]) - 1].strip()}"
    elif "end of document" in str(exc):
        msg += f" (the file has {len(lines)} line(s); is a bracket or quote left open?)"
    return msg


def _sentence(err: dict, data: dict) -> str:
    ctx = err.get("ctx") or {}
    loc = err["_loc"]
    if isinstance(ctx.get("error"), _AtPath):
        # the path is relative to the model whose validator raised it
        at = ctx["error"]
        path = dotted_path((*loc, *at.path))
        if at.value is None:
            return f"{path}: required field is missing: {at.rule}"
        return f"{path}: value {_show(at.value)} is not allowed: {at.rule}"
    kind = err["type"]
    given = err.get("input", _ABSENT)
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")

    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx["discriminator"].strip("'\"")
        tags = _union_tags(loc, data, tag) or re.findall(r"'([^']*)'",
                                                          ctx.get("expected_tags", ""))
        choices = _or(tags)
        value = lookup(data, (*loc, tag))
        path = dotted_path((*loc, tag))
        if value is _ABSENT:
            return f"{path}: required field is missing: must be one of {choices}"
        return f"{path}: value {_show(value)} is not allowed: must be one of {choices}" + (
            did_you_mean(value, tags)
        )

    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _known_fields(loc[:-1], data)
        hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if hint:
            tip = f"; did you mean '{hint[0]}'?"
        elif known:
            tip = f"; known fields here: {', '.join(known)}"
        else:
            tip = ""
        return (f"{dotted_path(loc)}: value {_show(given)} is not allowed: "
                f"unknown field '{key}'{tip}")

    if loc and loc[-1] == "[key]":  # a key of a dict with fixed keys (lost_reasons)
        key, path = str(loc[-2]), loc[:-1]
        known = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        tip = did_you_mean(key, known) or f"; known keys here: {', '.join(known)}"
        return (
            f"{dotted_path(path)}: value {_show(lookup(data, path))} is not allowed: "
            f"unknown key '{key}'{tip}"
        )

    if kind == "missing":
        return f"{dotted_path(loc) or '(top level)'}: required field is missing"

    if kind == "value_error" and isinstance(given, dict):
        loc, given, msg = _point_at_field(loc, given, msg)

    rule = _type_rule(kind, given, loc, data, err) or _rule(msg)
    if kind == "literal_error":
        rule += did_you_mean(given, re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    value = f"value {_show(given)}" if given is not _ABSENT else "value"
    return f"{dotted_path(loc) or '(top level)'}: {value} is not allowed: {rule}"


def _type_rule(kind, given, loc, data, err) -> str | None:
    """A plainer rule for type errors, written for someone editing TOML."""
    if kind in ("int_type", "int_parsing", "int_from_float", "float_type", "float_parsing"):
        whole = kind.startswith("int")
        noun = "a whole number" if whole else "a number"
        if err.get("_alt_dist"):
            return f"must be a number, or a distribution table such as {_DIST_EXAMPLE}"
        if isinstance(given, bool):
            return f"must be {noun}, not true or false"
        if isinstance(given, str):
            return f"must be {noun}, written without quotes"
        if whole and isinstance(given, float) and given.is_integer():
            return f"must be a whole number (write {int(given)}, not {given!r})"
        if whole and isinstance(given, float):
            return "must be a whole number"
        return f"must be {noun}"
    if kind in ("string_type", "str_type"):
        return "must be text in quotes"
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact",
                "date_from_datetime_parsing"):
        return "must be a date such as 2026-01-01 (without quotes)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        models = _models_at(loc, data)
        if any("dist" in m.model_fields for m in models):
            return f"must be a distribution table such as {_DIST_EXAMPLE}"
        return "must be a table (a [section] or an inline {key = value, ...})"
    if kind == "list_type":
        models = _models_at(loc, data)
        if models and isinstance(given, dict) and all(isinstance(k, str) for k in loc):
            return f"must be a list of tables: write [[{dotted_path(loc)}]] for each entry"
        return "must be a list such as [1, 2, 3]"
    return None


def _point_at_field(loc, given: dict, msg: str):
    """For a rule about a whole table, point at the first of its fields the rule names."""
    for word in re.findall(r"[A-Za-z_]\w*", msg):
        for key in (word, word + "s"):
            if key in given:
                rule = re.sub(rf"^{re.escape(word)} \([^)]*\) ", "", msg)
                return (*loc, key), given[key], rule
    return loc, given, msg


def _rule(msg: str) -> str:
    msg = msg.rstrip(".")
    msg = re.sub(r"^Input should be", "must be", msg)
    msg = re.sub(r"^(?:List|String|Dictionary|Tuple|Set|Value) should (have .*?)"
                 r"(?: after validation)?, not (\d+)$", r"must \1 (it has \2)", msg)
    msg = re.sub(r"^(?:List|String|Dictionary|Tuple|Set|Value) should ", "must ", msg)
    msg = msg.replace("Input tag", "kind")
    return msg


def did_you_mean(value, choices) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``value``, or ``""``."""
    if not isinstance(value, str):
        return ""
    hint = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{hint[0]}'?" if hint and hint[0] != value else ""


def _or(names) -> str:
    quoted = [f"'{n}'" for n in names]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


def _show(value, limit: int = 70) -> str:
    """A value as the user wrote it in TOML (short)."""
    if isinstance(value, bool):
        s = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        s = "nan" if value != value else ("inf" if value > 0 else "-inf")
    elif isinstance(value, dict):
        s = "{" + ", ".join(f"{k} = {_show(v, limit)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        s = "[" + ", ".join(_show(v, limit) for v in value) + "]"
    elif isinstance(value, dt.date | dt.time):
        s = value.isoformat()
    else:
        s = repr(value)
    return s if len(s) <= limit else s[: limit - 4] + " ..." + s[-1]


def lookup(data, loc, default=_ABSENT):
    """The value at path ``loc`` in nested dicts and lists, or ``default`` if none."""
    cur = data
    for key in loc:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return default
    return cur


def _is_branch_label(key, cur) -> bool:
    """True for the names pydantic puts into paths for a member of a union."""
    if not isinstance(key, str) or key == "[key]":
        return False
    if isinstance(cur, dict):
        if key in cur:
            return False
        if any(cur.get(t) == key for t in _TAGS):
            return True
    return bool(re.match(r"^(constrained-|tagged-union\[|function-|list\[|dict\[|nullable\[)"
                         r"|^(float|int|str|bool|date)$", key))


def _branch_shape(label: str) -> str:
    if label.startswith("list["):
        return "list"
    if label.startswith(("tagged-union[", "function-", "dict[")) or label[:1].isupper():
        return "table"
    return "scalar"


def _shape(value) -> str:
    return "table" if isinstance(value, dict) else "list" if isinstance(value, list) else (
        "scalar"
    )


def _pick_union_branches(errors: list[dict], data: dict) -> list[dict]:
    """Clean each error's path and keep, for an untagged union (``work_hours``: a number
    or a distribution), only the errors of the member that fits what the user wrote."""
    groups: dict[tuple, set] = {}
    for err in errors:
        out, cur, union_at, branch = [], data, None, None
        for key in err["loc"]:
            if _is_branch_label(key, cur):
                tagged = isinstance(cur, dict) and any(cur.get(t) == key for t in _TAGS)
                if not tagged and union_at is None:
                    union_at, branch = tuple(out), key
                continue
            out.append(key)
            try:
                cur = cur[key]
            except (KeyError, IndexError, TypeError):
                cur = None
        err["_loc"], err["_union"], err["_branch"] = tuple(out), union_at, branch
        if union_at is not None:
            groups.setdefault(union_at, set()).add(branch)
    kept = []
    for err in errors:
        at = err["_union"]
        if at is None:
            kept.append(err)
            continue
        labels = groups[at]
        want = _shape(lookup(data, at))
        fitting = [b for b in labels if _branch_shape(b) == want] or sorted(labels)[:1]
        if err["_branch"] in fitting:
            err["_alt_dist"] = want != "table" and any(
                b.startswith("tagged-union[") for b in labels
            )
            kept.append(err)
    return kept


def dotted_path(loc) -> str:
    """A field path as the messages write it: ``("stages", 2, "win_rate")`` ->
    ``"stages[2].win_rate"``."""
    s = ""
    for key in loc:
        s += f"[{key}]" if isinstance(key, int) else (f".{key}" if s else str(key))
    return s


def nonfinite_problems(data: dict) -> list[str]:
    """One sentence per number in ``data`` that is ``nan`` or infinite (TOML allows them;
    no field does)."""
    return [f"{dotted_path(p)}: value {_show(v)} is not allowed: numbers must be finite"
            for p, v in _nonfinite(data, ())]


def _nonfinite(obj, path):
    if isinstance(obj, float) and not math.isfinite(obj):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nonfinite(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nonfinite(v, (*path, i))


def _models_at(loc, data) -> list[type[BaseModel]]:
    """The schema models that can sit at ``loc``; for a tagged union, the member the
    data's ``kind`` / ``dist`` names when that is a valid one."""
    candidates: list = [Scenario]
    cur = data
    for key in loc:
        if not isinstance(key, int):
            nxt = []
            for model in candidates:
                field = _field(model, key)
                if field is not None:
                    nxt.extend(_models_in(field.annotation))
            candidates = nxt
        cur = lookup(cur, (key,))
        if isinstance(cur, dict):
            for tag in _TAGS:
                if tag in cur:
                    named = [m for m in candidates if cur[tag] in _tag_values(m, tag)]
                    candidates = named or candidates
    return [m for m in candidates if isinstance(m, type) and issubclass(m, BaseModel)]


def _field(model, key):
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _tag_values(model, tag) -> tuple:
    field = model.model_fields.get(tag)
    return typing.get_args(field.annotation) if field is not None else ()


def _union_tags(loc, data, tag) -> list[str]:
    """Valid values of the discriminator ``tag`` for the union at ``loc``."""
    out: list[str] = []
    for model in _models_at(loc, data):
        out.extend(v for v in _tag_values(model, tag) if v not in out)
    return out


def _known_fields(loc, data=None) -> list[str]:
    """Field names accepted at ``loc`` (used for did-you-mean hints)."""
    names = set()
    for model in _models_at(loc, data if data is not None else {}):
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
