"""The package's shape: layers that import only downward, one home for each rule, typed
records, and a documented list of events that is the code's own."""

from __future__ import annotations

import ast
import importlib
import io
import pickle
import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import load_scenario, simulate, vary
from sim.analysis.result import RunResult
from sim.engine.events import (
    EVENT_KINDS,
    LeadRecord,
    OpportunityRecord,
    WorkRecord,
    describe_events,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
LAYERS = ["rules", "scenario", "engine", "analysis", "crm", "experiments", "presentation"]
"""Bottom to top: a module may import its own layer and the layers below it."""
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _layer(module: str) -> int | None:
    """The layer of a module name like ``sim.analysis.views`` (None for ``sim`` itself)."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path):
    """(imported module, line, inside a function?) for every import of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "sim" else [
                f"sim.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "sim" or name.startswith("sim."):
                yield name, node.lineno, id(node) in nested


def test_every_module_sits_in_a_layer():
    assert {p.relative_to(PACKAGE).parts[0] for p in MODULES if p.parent != PACKAGE} \
        == set(LAYERS)
    assert [p.name for p in MODULES if p.parent == PACKAGE] == ["__init__.py"]


LAZY_IMPORTS = {"sim.presentation.cli", "sim.presentation.commands"}
"""The agreed exception: the command line imports its heavy modules (experiments,
analysis, report) inside the commands that need them, so ``funnel --help`` starts at
once. Its imports must still run downward."""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_downward_and_none_hides_in_a_function(path):
    here = _module_name(path)
    mine = _layer(here)
    for name, line, in_function in _imports(path):
        assert not in_function or here.rpartition(".")[0] in LAZY_IMPORTS \
            or here in LAZY_IMPORTS, (
            f"{here}:{line} imports {name} inside a function")
        theirs = _layer(name)
        if mine is None:  # the package's front door may show anything but presentation
            assert theirs is not None and LAYERS[theirs] != "presentation", (here, name)
            continue
        assert theirs is not None and theirs <= mine, (
            f"{here}:{line} ({LAYERS[mine]}) imports {name} from a layer above it")


def test_the_front_doors_lazy_names_respect_the_layers():
    """``sim`` loads its public names on first use from the modules of its table (the
    other agreed exception): each one a module of a layer below presentation, defining
    the name."""
    assert sorted(sim.__all__) == sorted(sim.API)
    for name, module in sim.API.items():
        layer = _layer(module)
        assert layer is not None and LAYERS[layer] != "presentation", (name, module)
        assert getattr(importlib.import_module(module), name) is getattr(sim, name), name


# -- one home for each rule -----------------------------------------------------------------
RULE_TEXT = {
    # the Best Few window is made of these; only the rule and the schema may name them
    r"close_within_cycle_share": {"sim/rules/deals.py", "sim/scenario/schema.py"},
    # the normal cycle: a scenario property that calls the rule, used by the Best Few rule
    r"typical_cycle_days": {"sim/scenario/schema.py", "sim/rules/deals.py"},
    # day <-> date conversion and calendar periods live in the calendar
    r"to_timedelta|Timedelta\(days": {"sim/rules/calendar.py"},
    r"date_range|period_range": {"sim/rules/calendar.py"},
    # the rot factor's formula
    r"exp\(-.*rot": {"sim/rules/deals.py"},
    # a channel's arrival rate
    r"leads_per_week / 7|budget_per_month \* 12 / 365 /": {"sim/rules/channels.py"},
    # a rep's hours: only the rule reads a member's own hours
    r"members\[.*\]\.hours_per_day": {"sim/rules/reps.py"},
}


@pytest.mark.parametrize("pattern", list(RULE_TEXT))
def test_each_rule_is_written_once(pattern):
    found = {str(p.relative_to(ROOT)) for p in MODULES
             if re.search(pattern, p.read_text(encoding="utf-8"))}
    assert found <= RULE_TEXT[pattern], f"{pattern!r} is written outside its home: {found}"


# -- typed records ----------------------------------------------------------------------------
def test_every_record_the_engine_keeps_has_its_types_fields():
    # a run with every kind of event: prospecting, elastic effort, post-sale work, losses
    result = simulate(load_scenario(ROOT / "scenarios" / "roller_coaster.toml"), 0)
    rec = result.records
    for kind, rows in rec.events.items():
        # leads may all be answered in time; no rep leaves this team (test_team_plan.py)
        assert rows or kind in ("lead_expired", "reassigned"), f"no {kind} events in the run"
        width = len(EVENT_KINDS[kind]._fields)
        assert all(len(r) == width for r in rows), kind
    assert sum(len(r) for r in rec.events.values()) == len(rec.sequence)
    for rows, record in ((rec.leads, LeadRecord), (rec.opportunities, OpportunityRecord),
                         (rec.rep_time, WorkRecord)):
        assert rows and all(len(r) == len(record._fields) for r in rows), record.__name__
    # the events table has one column per named field, and no overloaded ones
    events = result.events
    assert "value" not in events and "note" not in events
    won = events[events["event"] == "won"]
    assert won["amount"].notna().all() and events.loc[events["event"] != "won",
                                                       "amount"].isna().all()


def test_the_documented_events_are_the_codes_own():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- BEGIN EVENTS[^>]*-->\n(.*)<!-- END EVENTS -->", text, re.S)
    assert section, "docs/architecture.md lost its events section"
    assert section.group(1) == describe_events(), (
        "docs/architecture.md's events are out of date; paste in the output of "
        "`.venv/bin/python -c 'from sim.engine.events import describe_events; "
        "print(describe_events(), end=\"\")'`")
    for kind in EVENT_KINDS:
        assert f"`{kind}`" in section.group(1)


# -- a result is plain data -------------------------------------------------------------------
class _Inventory(pickle.Unpickler):
    """Unpickles while noting every class the pickle names."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.modules: set[str] = set()

    def find_class(self, module, name):
        self.modules.add(module)
        return super().find_class(module, name)


def test_a_result_is_plain_data_and_its_tables_rebuild_from_its_records():
    sc = vary(load_scenario(ROOT / "scenarios" / "baseline.toml"), {"horizon_days": 120})
    result = simulate(sc, 1)
    inventory = _Inventory(pickle.dumps(result))
    copy = inventory.load()
    # no random-number generators, streams, lead traits or SimPy objects travel with it
    assert not {m for m in inventory.modules
                if m.startswith(("numpy.random", "simpy", "sim.engine.leadgen",
                                 "sim.engine.streams", "sim.engine.processes"))}
    assert {"leads", "opportunities", "events"}.isdisjoint(copy.__dict__)  # built on use
    rebuilt = RunResult(copy.scenario, copy.replication, copy.records, copy.rep_names)
    for name, table in result.tables().items():
        pd.testing.assert_frame_equal(rebuilt.tables()[name], table, check_exact=True,
                                      obj=name)
    assert rebuilt.kpis() == pytest.approx(result.kpis(), nan_ok=True)
