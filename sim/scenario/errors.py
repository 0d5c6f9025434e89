"""Error wording: bad scenario input turned into sentences a user can act on.

Every problem is one sentence ``path: value X is not allowed: rule`` naming the field path
(``stages[2].win_rate``), the value given and the rule broken; a :class:`ScenarioError`
carries them with the name of their source (a file, or a command-line option). The
sentences come from pydantic's errors, whose labels for union members are matched here
and dropped, so the path is the one the user wrote, and from the cross-field rules
(:mod:`sim.scenario.checks`). :func:`report` lists them all, in the order of the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib

from pydantic import BaseModel, ValidationError

from sim.scenario.checks import TAGS, AtPath, models_in, partial_problems, tag_values
from sim.scenario.schema import Scenario, name_stages


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
    return [line for _, line in _located(exc, data)]


def report(data, exc: ValidationError | None = None) -> list[str]:
    """Every problem of scenario ``data`` at once, one sentence each, in the file's order.

    Numbers that are not finite, the errors pydantic found (``exc``, if validating
    ``data`` raised one), and the cross-field problems pydantic could not look for
    because a field was wrong (the rules run on what can be checked:
    :func:`sim.scenario.checks.partial_problems`).

    Parameters
    ----------
    data
        The input as read from TOML.
    exc : pydantic.ValidationError, optional
        What validating ``data`` raised.

    Returns
    -------
    list of str
        The sentences, without repeats; empty if there is no problem.
    """
    found = _nonfinite_located(data)
    bad = [loc for loc, _ in found]
    if exc is not None:
        errors = exc.errors()
        located = _located(exc, data, errors)
        found += [(loc, line) for loc, line in located if loc not in bad]
        bad += [e["_loc"] for e in errors]
        named = name_stages(data)
        for at in partial_problems(Scenario, named, bad):
            found.append((at.path, _at_sentence(at.path, at, data)))
    out: list[tuple] = []
    for loc, line in sorted(found, key=lambda f: _file_order(f[0], data)):
        if all(line != seen for _, seen in out):
            out.append((loc, line))
    return [line for _, line in out]


def _located(exc: ValidationError, data, errors=None) -> list[tuple[tuple, str]]:
    """``(path, sentence)`` per problem pydantic found, without repeats."""
    out: list[tuple[tuple, str]] = []
    for err in _pick_union_branches(errors if errors is not None else exc.errors(), data):
        line = _sentence(err, data)
        if all(line != seen for _, seen in out):
            out.append((_sentence_loc(err), line))
    return out


def _sentence_loc(err: dict) -> tuple:
    at = (err.get("ctx") or {}).get("error")
    if isinstance(at, AtPath) and not at.placed:
        return (*err["_loc"], *at.path)
    return err["_loc"]


def _file_order(loc: tuple, data) -> tuple:
    """A sort key that puts paths in the order their fields are written in ``data`` (a
    field left out after those written)."""
    key, cur = [], data
    for part in loc:
        if isinstance(part, int):
            key.append(part)
        elif isinstance(cur, dict):
            names = list(cur)
            key.append(names.index(part) if part in names else len(names))
        else:
            key.append(0)
        cur = lookup(cur, (part,), None)
    return tuple(key)


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
    if isinstance(ctx.get("error"), AtPath):
        # a single problem's path is relative to the model whose validator raised it; a
        # group's (``placed``) is already the whole path
        return _at_sentence(_sentence_loc(err), ctx["error"], data)
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


def _at_sentence(loc: tuple, at: AtPath, data) -> str:
    """The sentence of a cross-field problem; its value as the user wrote it when the rule
    reports the field's own value (``1``, not the ``1.0`` it became)."""
    path = dotted_path(loc)
    if at.value is None:
        return f"{path}: required field is missing: {at.rule}"
    value = at.value
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python", by_alias=True, exclude_none=True)
    written = lookup(data, loc)
    if written is not _ABSENT and type(written) is not bool and _same(written, value):
        value = written
    return f"{path}: value {_show(value)} is not allowed: {at.rule}"


def _same(written, value) -> bool:
    try:
        return bool(written == value)
    except Exception:  # noqa: BLE001 - an odd value: show the rule's own
        return False


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
    if isinstance(value, BaseModel):  # a table, as it would be written
        value = value.model_dump(mode="python", by_alias=True, exclude_none=True)
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
        if any(cur.get(t) == key for t in TAGS):
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
                tagged = isinstance(cur, dict) and any(cur.get(t) == key for t in TAGS)
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
    return [line for _, line in _nonfinite_located(data)]


def _nonfinite_located(data) -> list[tuple[tuple, str]]:
    return [(p, f"{dotted_path(p)}: value {_show(v)} is not allowed: numbers must be finite")
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
                    nxt.extend(models_in(field.annotation))
            candidates = nxt
        cur = lookup(cur, (key,))
        if isinstance(cur, dict):
            for tag in TAGS:
                if tag in cur:
                    named = [m for m in candidates if cur[tag] in tag_values(m, tag)]
                    candidates = named or candidates
    return [m for m in candidates if isinstance(m, type) and issubclass(m, BaseModel)]


def _field(model, key):
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _union_tags(loc, data, tag) -> list[str]:
    """Valid values of the discriminator ``tag`` for the union at ``loc``."""
    out: list[str] = []
    for model in _models_at(loc, data):
        out.extend(v for v in tag_values(model, tag) if v not in out)
    return out


def _known_fields(loc, data=None) -> list[str]:
    """Field names accepted at ``loc`` (used for did-you-mean hints)."""
    names = set()
    for model in _models_at(loc, data if data is not None else {}):
        names.update(f.alias or n for n, f in model.model_fields.items())
    return sorted(names)

