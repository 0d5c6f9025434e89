"""The README's "Scenario format" section, generated from the scenario models.

``python docs/schema_doc.py`` rewrites README.md between the lines
``<!-- BEGIN SCENARIO FORMAT -->`` and ``<!-- END SCENARIO FORMAT -->`` and leaves the
rest of the file alone; ``python docs/schema_doc.py --check`` exits 1 if that part is
out of date. Nothing here lists fields by hand: the tables come from walking
``Scenario.model_fields`` and the models found in their annotations, so a new field or
table shows up on the next run. Bounds come from the pydantic metadata (``ge``, ``gt``,
``le``, ``lt``, ``min_length``, ``max_length``) and ``Literal`` choices; rules that
span several fields come from the docstrings of the model and field validators.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # document this checkout's schema, whatever is installed
    sys.path.insert(0, str(ROOT))

from sim.scenario.checks import rules_of  # noqa: E402
from sim.scenario.files import parse_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

BEGIN = "<!-- BEGIN SCENARIO FORMAT -->"
END = "<!-- END SCENARIO FORMAT -->"
README = ROOT / "README.md"
REGENERATE = ".venv/bin/python docs/schema_doc.py"

# Inline tables chosen by a discriminator (used as values, not as TOML tables of their
# own): what one is called in the type column, and the heading of its section.
_VALUE_KINDS = {"dist": ("distribution", "Distributions")}

# Cross-field rules, for validators that have no docstring yet (a docstring wins).
# Keys are the validator's ``__qualname__``.

EXAMPLE = """\
name = "small team"
description = "Two reps, one inbound channel, three stages"
horizon_days = 180
currency = "EUR"

[[channels]]
kind = "inbound"
name = "Search"
leads_per_week = 6
deal_size = {dist = "lognormal", mean = 30_000, cv = 0.8}

[[stages]]
name = "Qualify"
win_rate = 0.2
work_hours = 2
decision_days = {dist = "gamma", mean = 10, cv = 0.5}

[[stages]]
name = "Propose"
win_rate = 0.4
work_hours = {dist = "triangular", low = 2, mode = 4, high = 8}
decision_days = {dist = "exponential", mean = 14}

[[stages]]
name = "Close"
win_rate = 0.7
decision_days = {dist = "fixed", value = 7}

[team]
reps = 2
hours_per_day = 5

[[team.members]]
name = "Ana"
skill = [1.2, 1.0, 1.1]
"""

_EXAMPLE_NOTES = (
    "Everything left out keeps its default: this scenario has one channel instead of the "
    "default two, three stages instead of four, the third stage needs the default 4 rep "
    "hours, the second rep is called Rep 2 with the team's defaults, and `[leads]`, "
    "`[opportunities]` and `[policy]` are the defaults. `scenarios/baseline.toml` is a "
    "complete scenario with comments and sources. Check a file with "
    "`funnel validate FILE`."
)

_UNION = (typing.Union, types.UnionType)
_SCALARS = {
    float: "number",
    int: "integer",
    str: "text",
    bool: "boolean",
    dt.date: "date",
    dt.datetime: "date-time",
    dt.time: "time",
}


# -- reading annotations -------------------------------------------------------------

def _is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _split(ann):
    """``(base type, metadata, discriminator)`` with ``Annotated`` layers removed."""
    meta, disc = [], None
    while typing.get_origin(ann) is typing.Annotated:
        ann, *extra = typing.get_args(ann)
        for m in extra:
            if isinstance(m, FieldInfo):
                meta.extend(m.metadata)
                disc = disc or m.discriminator
            else:
                meta.append(m)
    return ann, meta, disc


def _drop_none(ann):
    """``X | None`` -> ``X`` (TOML has no null: none means "leave the field out")."""
    if typing.get_origin(ann) in _UNION:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) < len(typing.get_args(ann)):
            return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
    return ann


def _union_models(ann, disc=None):
    """Models of a field that holds one model or a union of models only, and the tag."""
    ann, _, d = _split(_drop_none(ann))
    disc = disc or d
    if _is_model(ann):
        return [ann], disc
    if typing.get_origin(ann) in _UNION:
        args = [_split(a)[0] for a in typing.get_args(ann)]
        if args and all(_is_model(a) for a in args):
            return args, disc
    return [], None


def _model_groups(ann, disc=None):
    """Every model (or union of models, with its discriminator) inside an annotation."""
    ann, _, d = _split(ann)
    disc = disc or d
    if _is_model(ann):
        yield (ann,), disc
        return
    args = typing.get_args(ann)
    if typing.get_origin(ann) in _UNION:
        models = tuple(a for a in args if _is_model(a))
        if models:
            yield models, disc
        args = [a for a in args if not _is_model(a)]
    for a in args:
        if not isinstance(a, str | int | float | bool):  # Literal values
            yield from _model_groups(a)


def _shape(fi: FieldInfo):
    """``("table", models, tag)``, ``("array", models, tag)`` or ``("value", [], None)``."""
    models, disc = _union_models(fi.annotation, fi.discriminator)
    if len(models) == 1:
        return "table", models, disc
    base, _, _ = _split(_drop_none(fi.annotation))
    if typing.get_origin(base) is list:
        models, disc = _union_models(typing.get_args(base)[0])
        if models:
            return "array", models, disc
    return "value", [], None


def _tag(model, disc) -> str:
    """The discriminator value that selects ``model``."""
    (value,) = typing.get_args(_split(model.model_fields[disc].annotation)[0])
    return value


def _doc(obj) -> str:
    """An object's own docstring (not inherited), as one Markdown paragraph per blank line."""
    raw = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    if not raw:
        return ""
    paras = inspect.cleandoc(raw).split("\n\n")
    return "\n\n".join(" ".join(p.split()).replace("``", "`") for p in paras)


# -- rendering values --------------------------------------------------------------

def _num(x) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _toml(v) -> str:
    """A value as inline TOML."""
    if isinstance(v, BaseModel):
        v = v.model_dump(mode="python", by_alias=True, exclude_none=True)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return _num(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        items = (
            f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', str(k)) else json.dumps(str(k))} = {_toml(x)}"
            for k, x in v.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return str(v)


def _choice(v) -> str:
    return f"`{v}`" if isinstance(v, str) else f"`{_toml(v)}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# -- the schema, walked ------------------------------------------------------------

@dataclass
class _Section:
    level: int
    title: str
    intro: str = ""
    model: type[BaseModel] | None = None
    path: str = ""
    disc: str | None = None


@dataclass
class _Schema:
    sections: list[_Section] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # "team.members" -> "`[[...]]`"
    home: dict[type, str] = field(default_factory=dict)  # model -> path of its table
    value_noun: dict[type, str] = field(default_factory=dict)
    groups: list[tuple[tuple[type, ...], str | None]] = field(default_factory=list)

    def find_homes(self, model, path: str = "", seen: tuple = ()) -> None:
        """Each model's table goes under its shallowest path (first one on a tie)."""
        for name, fi in model.model_fields.items():
            sub = f"{path}.{fi.alias or name}" if path else (fi.alias or name)
            shape, models, _ = _shape(fi)
            if shape == "value":
                continue
            self.tables[sub] = f"`[[{sub}]]`" if shape == "array" else f"`[{sub}]`"
            for m in models:
                old = self.home.get(m)
                if old is None or old.count(".") > sub.count("."):
                    self.home[m] = sub
                if m not in seen:
                    self.find_homes(m, sub, (*seen, m))

    def walk(self, model, path: str = "") -> None:
        for name, fi in model.model_fields.items():
            key = fi.alias or name
            sub = f"{path}.{key}" if path else key
            shape, models, disc = _shape(fi)
            if shape == "value":
                self.add_values(fi)
                continue
            title = self.tables[sub]
            if len(models) == 1:
                model_ = models[0]
                home = self.home[model_]
                if any(x.model is model_ and x.path == sub for x in self.sections):
                    continue  # a table every kind of a union has: shown once
                if home != sub:  # documented once, under its home path
                    self.sections.append(_Section(
                        3, title, f"The same fields as {self.tables[home]}."
                    ))
                    continue
                self.sections.append(_Section(3, title, _doc(model_), model_, sub))
                self.walk(model_, sub)
                continue
            kinds = ", ".join(f"`{_tag(m, disc)}`" for m in models)
            desc = _cell(fi.description or "")
            intro = (
                f"{desc[:1].upper()}{desc[1:]}. Each entry is one of "
                f"{len(models)} kinds, chosen by `{disc}` (required): {kinds}."
            ).lstrip(". ")
            self.sections.append(_Section(3, title, intro, None, sub))
            for m in models:
                self.sections.append(
                    _Section(4, f'{title} with `{disc} = "{_tag(m, disc)}"`', _doc(m), m, sub,
                             disc)
                )
                self.walk(m, sub)

    def add_values(self, fi: FieldInfo) -> None:
        for models, disc in _model_groups(fi.annotation, fi.discriminator):
            if (models, disc) in self.groups:
                continue
            self.groups.append((models, disc))
            noun = _VALUE_KINDS.get(disc, ("inline table",))[0]
            for m in models:
                self.value_noun.setdefault(m, noun)
                for f in m.model_fields.values():
                    self.add_values(f)

    def value_sections(self) -> list[_Section]:
        out = []
        for models, disc in self.groups:
            if disc in _VALUE_KINDS:
                heading = _VALUE_KINDS[disc][1]
            elif disc:
                heading = f"Inline tables chosen by `{disc}`"
            else:
                heading = " or ".join(f"`{m.__name__}`" for m in models)
            module = sys.modules[models[0].__module__]
            intro = _doc(module) if disc in _VALUE_KINDS else ""
            if disc:
                intro += (
                    f"\n\nA field typed {self.value_noun[models[0]]} takes an inline table "
                    f"whose `{disc}` (required) picks one of: "
                    + ", ".join(f"`{_tag(m, disc)}`" for m in models)
                    + ". Its numbers are in the unit of the field that uses it."
                )
            out.append(_Section(3, heading, intro.strip()))
            for m in models:
                title = f'`{disc} = "{_tag(m, disc)}"`' if disc else f"`{m.__name__}`"
                out.append(_Section(4, title, _doc(m), m, "", disc))
        return out

    # -- cells --

    def type_of(self, ann) -> str:
        base, _, _ = _split(_drop_none(ann))
        origin = typing.get_origin(base)
        args = typing.get_args(base)
        if origin in _UNION:
            parts = []
            for a in args:
                t = self.type_of(a)
                if t not in parts:
                    parts.append(t)
            return " or ".join(parts)
        if origin is typing.Literal:
            kinds = []
            for v in args:
                t = _SCALARS.get(type(v), type(v).__name__)
                if t not in kinds:
                    kinds.append(t)
            return " or ".join(kinds)
        if origin in (list, tuple, set, frozenset):
            return "list of " + _plural(self.type_of(args[0]))
        if origin is dict:
            return "table of " + _plural(self.type_of(args[1]))
        if _is_model(base):
            return self.value_noun.get(base, "table")
        return _SCALARS.get(base, getattr(base, "__name__", str(base)))

    def bounds_of(self, ann, meta=()) -> list[str]:
        base, inner, _ = _split(_drop_none(ann))
        meta = [*meta, *inner]
        origin = typing.get_origin(base)
        args = typing.get_args(base)
        noun = "characters" if base is str else "entries" if origin is dict else "items"
        parts = _constraints(meta, noun)
        if origin is typing.Literal:
            if len(args) == 1:
                parts.append(f"must be {_choice(args[0])}")
            else:
                parts.append("one of " + ", ".join(_choice(v) for v in args))
        elif origin in (list, tuple, set, frozenset) and args:
            item = self.bounds_of(args[0])
            if item:
                parts.append("each " + "; ".join(item))
        elif origin is dict and len(args) == 2:
            keys, values = self.bounds_of(args[0]), self.bounds_of(args[1])
            if keys:
                parts.append("keys: " + "; ".join(keys))
            if values:
                parts.append("values: " + "; ".join(values))
        elif origin in _UNION:
            for a in args:
                sub = self.bounds_of(a)
                if sub:
                    parts.append(f"as {self.type_of(a)}: " + "; ".join(sub))
        return parts

    def default_of(self, name: str, fi: FieldInfo, disc: str | None) -> str:
        if name == disc or fi.is_required():
            return "**required**"
        value = fi.get_default(call_default_factory=True, validated_data={})
        shape, models, tag = _shape(fi)
        path_key = fi.alias or name
        if value is None:
            return "none"
        if shape == "table" and models[0] not in self.value_noun:
            return "see below"
        if shape == "array":
            if not value:
                return "none"
            labels = []
            for item in value:
                label = str(getattr(item, "name", "") or "")
                if tag:
                    kind = getattr(item, tag)
                    label = f"{label} ({kind})" if label else str(kind)
                labels.append(label)
            noun = path_key if len(value) != 1 else path_key.removesuffix("s")
            listed = ", ".join(x for x in labels if x)
            return _cell(f"{len(value)} {noun}" + (f": {listed}" if listed else ""))
        return f"`{_toml(value)}`"

    def rows(self, section: _Section) -> list[str]:
        model = section.model
        out = [
            "| field | type | default | bounds | meaning |",
            "|---|---|---|---|---|",
        ]
        for name, fi in model.model_fields.items():
            key = fi.alias or name
            shape, models, _ = _shape(fi)
            sub = f"{section.path}.{key}" if section.path else key
            meaning = fi.description or ""
            if name == section.disc:
                meaning = meaning or "selects this kind"
            if sub in self.tables:
                if not meaning:
                    meaning = _doc(models[0]).split("\n\n")[0] if len(models) == 1 else ""
                meaning = f"{meaning.rstrip('.')}; see {self.tables[sub]}".lstrip("; ")
            typ = self.type_of(fi.annotation)
            if sub in self.tables:
                typ = "list of tables" if shape == "array" else "table"
            bounds = "; ".join(self.bounds_of(fi.annotation, fi.metadata)) or "—"
            out.append(
                f"| `{key}` | {_cell(typ)} | {self.default_of(name, fi, section.disc)} | "
                f"{_cell(bounds)} | {_cell(meaning)} |"
            )
        return out


def _plural(t: str) -> str:
    def one(part):
        first, _, rest = part.partition(" ")
        first = first if first in ("text", "boolean") else first + "s"
        return f"{first} {rest}".strip()

    return " or ".join(one(p) for p in t.split(" or "))


def _constraints(meta, noun: str) -> list[str]:
    """Bounds from annotated-types metadata: ``0 ≤ x ≤ 1``, ``exactly 12 items``..."""
    singular = {"items": "item", "characters": "character", "entries": "entry"}
    lo = hi = min_len = max_len = None
    other = []
    for m in meta:
        if isinstance(m, at.Ge):
            lo = ("≤", m.ge)
        elif isinstance(m, at.Gt):
            lo = ("<", m.gt)
        elif isinstance(m, at.Le):
            hi = ("≤", m.le)
        elif isinstance(m, at.Lt):
            hi = ("<", m.lt)
        elif isinstance(m, at.Interval):
            for attr, op, side in (("ge", "≤", "lo"), ("gt", "<", "lo"),
                                   ("le", "≤", "hi"), ("lt", "<", "hi")):
                if getattr(m, attr) is not None:
                    if side == "lo":
                        lo = (op, getattr(m, attr))
                    else:
                        hi = (op, getattr(m, attr))
        elif isinstance(m, at.MinLen):
            min_len = m.min_length
        elif isinstance(m, at.MaxLen):
            max_len = m.max_length
        elif isinstance(m, at.Len):
            min_len, max_len = m.min_length, m.max_length
        elif isinstance(m, at.MultipleOf):
            other.append(f"multiple of {_num(m.multiple_of)}")
        else:
            attrs = {k: v for k, v in vars(m).items() if v is not None} if hasattr(
                m, "__dict__") else {}
            other.append(", ".join(f"{k} {v!r}" for k, v in attrs.items()) or type(m).__name__)
    parts = []
    if lo and hi:
        parts.append(f"{_num(lo[1])} {lo[0]} x {hi[0]} {_num(hi[1])}")
    elif lo:
        parts.append(f"{'≥' if lo[0] == '≤' else '>'} {_num(lo[1])}")
    elif hi:
        parts.append(f"{hi[0]} {_num(hi[1])}")

    def n(k):
        return f"{k} {singular.get(noun, noun) if k == 1 else noun}"

    if min_len is not None and min_len == max_len:
        parts.append(f"exactly {n(min_len)}")
    elif min_len and max_len is not None:
        parts.append(f"{min_len} to {n(max_len)}")
    elif min_len:
        parts.append(f"at least {n(min_len)}")
    elif max_len is not None:
        parts.append(f"at most {n(max_len)}")
    return parts + other


def _validators(model) -> list:
    """The functions that check a model beyond its fields' own bounds: its validators (but
    the one that runs the cross-field rules) and those rules, in the order they run."""
    decos = model.__pydantic_decorators__
    own = [d.func for d in decos.model_validators.values()
           if d.cls_var_name != "_run_cross_field_rules"]
    return [*own, *rules_of(model), *(d.func for d in decos.field_validators.values())]


def _rules(model) -> list[str]:
    out = []
    for func in _validators(model):
        text = _doc(func)
        if text:
            out.append(text)
    return out


def _schema() -> _Schema:
    schema = _Schema()
    schema.sections.append(_Section(3, "Top level", _doc(Scenario), Scenario, ""))
    schema.find_homes(Scenario)
    schema.walk(Scenario)
    schema.sections.extend(schema.value_sections())
    return schema


def documented_models() -> list[type[BaseModel]]:
    """Every model that has a table in the generated text."""
    return [s.model for s in _schema().sections if s.model is not None]


def undocumented_rules() -> list[str]:
    """Validators (by qualified name) without a docstring."""
    out = []
    for model in documented_models():
        for func in _validators(model):
            if not _doc(func) and (
                func.__qualname__ not in out
            ):
                out.append(func.__qualname__)
    return out


# -- the text ------------------------------------------------------------------------

def scenario_format_markdown() -> str:
    """The "Scenario format" section of README.md, as Markdown ending in a newline."""
    scenario = parse_scenario(EXAMPLE, "<schema_doc.EXAMPLE>")  # fails loudly if stale
    advice = scenario.advice()
    if advice:
        raise ValueError(f"the worked example draws warnings: {advice}")
    schema = _schema()
    models = [s.model for s in schema.sections if s.model is not None]
    arrays = [t for t in schema.tables.values() if t.startswith("`[[")]
    subtables = [t for t in schema.tables.values() if not t.startswith("`[[")]
    strict = all(m.model_config.get("extra") == "forbid" for m in models)

    lines = [
        f"<!-- Generated from sim/scenario/schema.py by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "## Scenario format",
        "",
        "A scenario is a UTF-8 [TOML](https://toml.io) file. Every field has a default and "
        "may be left out, except those marked **required** below; an empty file is a "
        "complete scenario. Units are in the field names (`_days`, `_hours`, `per_week`, "
        "`per_month`) or in the meaning column; money is in the scenario's `currency`.",
        "",
    ]
    if subtables:
        lines.append(f"- A table ({', '.join(subtables)}) keeps the default of every field "
                     "you leave out.")
    if arrays:
        lines.append(f"- A list of tables ({', '.join(arrays)}) replaces the default list as "
                     "a whole: give every entry you want.")
    if strict:
        lines.append("- An unknown field is an error (with a did-you-mean hint), so typos "
                     "do not pass silently.")
    lines += [
        "- In the bounds column, `x` is the value; *none* as a default means the field is "
        "left out.",
        "",
        "### Worked example",
        "",
        "```toml",
        EXAMPLE.rstrip("\n"),
        "```",
        "",
        _EXAMPLE_NOTES,
    ]
    for section in schema.sections:
        lines += ["", "#" * section.level + " " + section.title]
        if section.intro:
            lines += ["", section.intro]
        if section.model is not None:
            lines += [""] + schema.rows(section)
            rules = _rules(section.model)
            if rules:
                lines += ["", "Also checked:", ""] + [f"- {r}" for r in rules]
    return "\n".join(lines) + "\n"


# -- README.md -------------------------------------------------------------------------

def _span(text: str) -> tuple[int, int]:
    """Start and end offsets of the text between the marker lines."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"README.md needs exactly one {BEGIN!r} and one {END!r} line")
    begin = text.index(BEGIN)
    start = text.find("\n", begin)
    end = text.index(END)
    if start < 0 or end < start + 1 or text[end - 1] != "\n":
        raise ValueError(f"{BEGIN!r} and {END!r} must be on their own lines, in that order")
    return start + 1, end


def readme_section(text: str) -> str:
    """The part of README text between the marker lines."""
    start, end = _span(text)
    return text[start:end]


def replace_section(text: str, section: str) -> str:
    """README text with the part between the marker lines replaced by ``section``."""
    start, end = _span(text)
    return text[:start] + section + text[end:]


def main(argv: list[str] | None = None) -> int:
    """Update README.md in place, or with ``--check`` exit 1 if it is out of date."""
    p = argparse.ArgumentParser(
        prog="python docs/schema_doc.py", description="Regenerate the README's scenario format."
    )
    p.add_argument("--check", action="store_true",
                   help="do not write; exit 1 if the README is out of date")
    p.add_argument("--readme", type=Path, default=README, help="file to update (README.md)")
    args = p.parse_args(argv)
    section = scenario_format_markdown()
    text = args.readme.read_bytes().decode("utf-8")  # re-read right before replacing
    try:
        new = replace_section(text, section)
    except ValueError as exc:
        print(f"error: {args.readme}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{args.readme}: the scenario format is out of date; run `{REGENERATE}`",
                  file=sys.stderr)
            return 1
        print(f"{args.readme}: the scenario format is up to date")
        return 0
    if new != text:
        args.readme.write_bytes(new.encode("utf-8"))
        print(f"{args.readme}: scenario format updated")
    else:
        print(f"{args.readme}: scenario format already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
