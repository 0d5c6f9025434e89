"""Cross-field rules that report every violation, also when some fields are wrong.

A cross-field rule is a generator method of a model that yields one :class:`AtPath` per
violation, marked with :func:`cross_field`. A model built on :class:`CrossFieldRules`
runs all its rules in one validator and reports every problem of every rule at once,
each at its own field path (a group of errors, as pydantic reports field errors).

Pydantic runs a model's validators only once all of its fields are valid. So that
``funnel validate`` still reports the cross-field problems of a file with a field error
elsewhere, :func:`partial_problems` runs the same rules on the raw data of every table
that failed, through a read-only view (:class:`Partial`) that gives each field's value,
its default when left out, or raises :class:`Unknown` for a field that broke a rule of its
own (a rule skips what it cannot check). There is one definition of each rule, and it
serves both ways.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterator

from pydantic import BaseModel, ValidationError, model_validator

TAGS = ("kind", "dist")
"""Discriminator keys of the tagged unions (channels, distributions)."""


class AtPath(ValueError):
    """A validation failure that knows the field path it belongs to.

    Parameters
    ----------
    path : tuple
        The field path, relative to the model whose rule found the problem
        (``("stages", 2, "win_rate")``).
    value
        The value given there (None: the field is missing).
    rule : str
        The rule broken, in plain words.
    """

    def __init__(self, path, value, rule: str):
        super().__init__(rule)
        self.path, self.value, self.rule = tuple(path), value, rule
        self.placed = False  # True once ``path`` is the whole path from the scenario's top


class Unknown(Exception):  # noqa: N818 - a signal to the rules, not an error a user sees
    """A value a rule cannot check: it broke a rule of its own, or its kind is unknown."""


Rule = Callable[[typing.Any], Iterator[AtPath]]


def cross_field(rule: Rule) -> Rule:
    """Mark ``rule`` (a generator method yielding :class:`AtPath`) as a cross-field rule of
    its model; its docstring says the rule in the README's scenario format."""
    rule.cross_field = True
    return rule


class CrossFieldRules(BaseModel):
    """A model whose cross-field rules (:func:`cross_field`) all run once its fields are
    valid, every problem of every rule reported together."""

    @model_validator(mode="after")
    def _run_cross_field_rules(self):
        problems = [p for rule in rules_of(type(self)) for p in rule(self)]
        if problems:
            raise problem_group(type(self).__name__, problems)
        return self


def problem_group(title: str, problems: list[AtPath]) -> ValidationError:
    """One pydantic error per problem, each at its path; raised inside a validator, pydantic
    adds the model's own location in front of each."""
    errors = []
    for p in problems:
        errors.append({"type": "value_error", "loc": p.path, "input": p.value,
                       "ctx": {"error": _placed(p)}})
    return ValidationError.from_exception_data(title, errors)


def _placed(problem: AtPath) -> AtPath:
    out = AtPath(problem.path, problem.value, problem.rule)
    out.placed = True
    return out


@functools.cache
def rules_of(model: type) -> list[Rule]:
    """The cross-field rules of ``model`` and its bases, bases' first, in the order they
    are written (a rule redefined in a subclass replaces the base's)."""
    found: dict[str, Rule] = {}
    for klass in reversed(model.__mro__):
        for name, attr in vars(klass).items():
            if getattr(attr, "cross_field", False):
                found[name] = attr
    return list(found.values())


# -- the rules on data that failed validation -------------------------------------------

def partial_problems(model: type[BaseModel], data, bad) -> list[AtPath]:
    """The cross-field problems pydantic could not look for in ``data``.

    Parameters
    ----------
    model : type
        The model ``data`` is for (the scenario).
    data : dict
        The input as read from TOML.
    bad : iterable of tuple
        The field paths of every error pydantic found (its labels for union members
        removed): a value at or under one of them is :class:`Unknown`.

    Returns
    -------
    list of AtPath
        Each with its whole path (``placed``); for the tables that have an error inside
        them, whose own cross-field rules pydantic therefore skipped. A rule that cannot
        run on what is known is skipped.
    """
    out: list[AtPath] = []
    where = _Where([tuple(b) for b in bad])
    if isinstance(data, dict) and where.status(()) == "partial":
        _walk(model, data, (), where, out)
    return out


def partial_view(model: type[BaseModel], data: dict, bad) -> Partial:
    """A :class:`Partial` view of scenario ``data`` shaped like ``model``, in which a value at
    or under a path of ``bad`` is :class:`Unknown`."""
    return Partial(model, data, (), _Where([tuple(b) for b in bad]))


class _Where:
    """The status of a path: ``bad`` (at or under an error), ``partial`` (an error lies
    inside it) or ``ok``."""

    def __init__(self, bad: list[tuple]):
        self.bad = bad

    def status(self, loc: tuple) -> str:
        n = len(loc)
        if any(len(b) <= n and loc[:len(b)] == b for b in self.bad):
            return "bad"
        if any(len(b) > n and b[:n] == loc for b in self.bad):
            return "partial"
        return "ok"


def _walk(model, node: dict, loc: tuple, where: _Where, out: list) -> None:
    view = Partial(model, node, loc, where)
    for rule in rules_of(model):
        try:
            for problem in rule(view):
                problem = _placed(AtPath((*loc, *problem.path), raw(problem.value),
                                         problem.rule))
                out.append(problem)
        except Exception:  # noqa: BLE001, S110 - Unknown, or a rule that cannot run here
            pass
    for name, fi in model.model_fields.items():
        key = fi.alias or name
        if key not in node:
            continue
        sub = (*loc, key)
        value = node[key]
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        ann = _item_annotation(fi.annotation) if isinstance(value, list) else fi.annotation
        for i, item in items:
            at = sub if i is None else (*sub, i)
            if isinstance(item, dict) and where.status(at) == "partial":
                child = model_for(ann, item)
                if child is not None:
                    _walk(child, item, at, where, out)


class Partial:
    """A read-only view of a table's raw data, shaped like its model.

    ``view.field`` gives the field's value as written (a table or a list of tables as a
    view again), its default when left out, or raises :class:`Unknown` where the data
    broke a rule. The model's properties and methods work on the view.
    """

    def __init__(self, model, node: dict, loc: tuple, where: _Where):
        self._model, self._node, self._loc, self._where = model, node, loc, where

    @property
    def raw(self):
        """The data as written."""
        return self._node

    def __getattr__(self, name: str):
        model = self._model
        if model is None:
            raise Unknown(name)
        fi = model.model_fields.get(name)
        if fi is None:
            for klass in model.__mro__:
                attr = vars(klass).get(name)
                if isinstance(attr, property):
                    return attr.fget(self)
                if isinstance(attr, types.FunctionType):
                    return attr.__get__(self)
            raise AttributeError(name)
        key = fi.alias or name
        sub = (*self._loc, key)
        if self._where.status(sub) == "bad":
            raise Unknown(name)
        if key not in self._node:
            return fi.get_default(call_default_factory=True, validated_data={})
        return _view(fi.annotation, self._node[key], sub, self._where)


class PartialList:
    """A read-only view of a list in raw data: its length is known; an item that broke a
    rule raises :class:`Unknown`."""

    def __init__(self, annotation, items: list, loc: tuple, where: _Where):
        self._ann, self._items, self._loc, self._where = annotation, items, loc, where

    @property
    def raw(self):
        """The data as written."""
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int):
        i = range(len(self._items))[i]
        sub = (*self._loc, i)
        if self._where.status(sub) == "bad":
            raise Unknown(i)
        return _view(self._ann, self._items[i], sub, self._where)

    def __iter__(self):
        return (self[i] for i in range(len(self._items)))


def _view(annotation, value, loc: tuple, where: _Where):
    if isinstance(value, dict):
        child = model_for(annotation, value)
        return Partial(child, value, loc, where) if child is not None or _models(
            annotation) else value
    if isinstance(value, list) and (where.status(loc) == "partial"
                                    or _models(_item_annotation(annotation))):
        return PartialList(_item_annotation(annotation), value, loc, where)
    return value


def raw(value):
    """The data behind a view (anything else as it is)."""
    return value.raw if isinstance(value, Partial | PartialList) else value


# -- models in annotations -----------------------------------------------------------------

def models_in(annotation) -> list:
    """The pydantic models an annotation can hold, directly or in a list or union."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return models_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _models(annotation) -> list:
    """The models a value of ``annotation`` itself can be (not those of its list items)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def tag_values(model, tag: str) -> tuple:
    """The values of discriminator ``tag`` that select ``model`` (none if it has no tag)."""
    fi = model.model_fields.get(tag)
    return typing.get_args(fi.annotation) if fi is not None else ()


def model_for(annotation, value: dict):
    """The model of ``annotation`` that the table ``value`` is: the only one, or the one its
    ``kind`` / ``dist`` names; None if that is not clear."""
    candidates = _models(annotation)
    if len(candidates) == 1:
        return candidates[0]
    for tag in TAGS:
        if tag in value:
            named = [m for m in candidates if value[tag] in tag_values(m, tag)]
            return named[0] if len(named) == 1 else None
    return None


def _item_annotation(annotation):
    """``list[X] | None`` -> ``X``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _item_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found = _item_annotation(arg)
                if found is not None:
                    return found
        return None
    if origin is list:
        return typing.get_args(annotation)[0]
    return None
