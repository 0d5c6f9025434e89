"""README.md's "Scenario format" section is generated from the schema and matches it."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path

import annotated_types as at
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import sim.scenario.distributions
import sim.scenario.schema
from sim.scenario.files import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
import schema_doc  # noqa: E402  (the README generator lives beside the docs)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))
REGENERATE = "run `.venv/bin/python docs/schema_doc.py` to update README.md"


def _section() -> str:
    return schema_doc.readme_section(README.read_text(encoding="utf-8"))


# -- models, found without the generator's help ----------------------------------------

def _models_in(ann, seen: set) -> None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann not in seen:
            seen.add(ann)
            for fi in ann.model_fields.values():
                _models_in(fi.annotation, seen)
        return
    for arg in typing.get_args(ann):
        if not isinstance(arg, FieldInfo | str | int | float | bool):
            _models_in(arg, seen)


def _all_models() -> list[type[BaseModel]]:
    seen: set = set()
    _models_in(Scenario, seen)
    for module in (sim.scenario.schema, sim.scenario.distributions):
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseModel) and not name.startswith("_")
                    and obj.__module__ == module.__name__):
                seen.add(obj)
    return sorted(seen, key=lambda m: (m.__module__, m.__name__))


MODELS = _all_models()


def _tables(markdown: str) -> list[dict[str, list[str]]]:
    """Each Markdown table under a heading, as {field: [type, default, bounds, meaning]}."""
    out = []
    for chunk in re.split(r"^#+ .*$", markdown, flags=re.M):
        rows = {}
        for line in chunk.splitlines():
            if line.startswith("| `"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
                rows[cells[0].strip("`")] = cells[1:]
        if rows:
            out.append(rows)
    return out


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _constraint_numbers(ann, meta) -> list[str]:
    """Every bound in a field's metadata and in its annotation, as text."""
    found = []
    for m in meta:
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(m, attr, None)
            if isinstance(m, at.BaseMetadata) and value is not None:
                found.append(_num(value))
    for arg in typing.get_args(ann):
        if isinstance(arg, FieldInfo):
            found += _constraint_numbers(None, arg.metadata)
        elif not isinstance(arg, str | int | float | bool):
            found += _constraint_numbers(arg, ())
    return found


def _literal_choices(ann) -> list:
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    return [c for arg in typing.get_args(ann) if not isinstance(arg, FieldInfo | str | int | float)
            for c in _literal_choices(arg)]


# -- tests -----------------------------------------------------------------------------

def test_readme_section_is_generated_text():
    assert _section() == schema_doc.scenario_format_markdown(), (
        f"README.md's scenario format is out of date: {REGENERATE}"
    )


def test_generator_documents_every_model():
    documented = set(schema_doc.documented_models())
    missing = [m.__name__ for m in MODELS if m not in documented]
    assert not missing, f"models without a table in the scenario format: {missing}"


def _problems(model, rows: dict[str, list[str]]) -> list[str]:
    """What a table gets wrong about a model: bounds, choices or defaults."""
    out = []
    for name, fi in model.model_fields.items():
        key = fi.alias or name
        typ, default, bounds, _meaning = rows[key]
        if not (typ and default and bounds):
            out.append(f"{key}: empty cell")
        for number in _constraint_numbers(fi.annotation, fi.metadata):
            if number not in bounds:
                out.append(f"{key}: bound {number} not in {bounds!r}")
        choices = _literal_choices(fi.annotation)
        out += [f"{key}: {c!r} not in {bounds!r}" for c in choices if f"`{c}`" not in bounds]
        value = fi.default
        if len(choices) == 1:
            expected = "**required**"  # the tag that selects the kind
        elif isinstance(value, bool | int | float) and fi.default_factory is None:
            expected = f"`{_num(value)}`"
        elif isinstance(value, str):
            expected = f'`"{value}"`'
        else:
            continue
        if default != expected:
            out.append(f"{key}: default {default!r}, expected {expected!r}")
    return out


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_in_the_readme(model):
    names = {fi.alias or name for name, fi in model.model_fields.items()}
    candidates = [t for t in _tables(_section()) if set(t) == names]
    assert candidates, (
        f"README.md has no table with exactly the fields of {model.__name__} "
        f"({sorted(names)}): {REGENERATE}"
    )
    problems = [_problems(model, rows) for rows in candidates]
    assert [] in problems, f"{model.__name__} in README.md: {problems[0]}; {REGENERATE}"


def test_every_cross_field_rule_is_described():
    assert schema_doc.undocumented_rules() == [], (
        "these validators need a docstring (it goes into README.md), or a note in "
        "docs/schema_doc.py _RULE_NOTES"
    )


def test_worked_example_is_a_valid_scenario():
    blocks = re.findall(r"```toml\n(.*?)```", _section(), flags=re.S)
    assert len(blocks) == 1
    scenario = parse_scenario(blocks[0], "README worked example")
    assert scenario != Scenario()
    assert scenario.advice() == []


def test_main_checks_and_rewrites_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    before = "# Title\n\nkept text\n\n"
    after = "\n## Later\n\nalso kept\n"
    readme.write_text(f"{before}{schema_doc.BEGIN}\nstale\n{schema_doc.END}{after}",
                      encoding="utf-8")
    assert schema_doc.main(["--check", "--readme", str(readme)]) == 1
    assert "stale" in readme.read_text(encoding="utf-8")  # --check does not write
    assert schema_doc.main(["--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text == (f"{before}{schema_doc.BEGIN}\n{schema_doc.scenario_format_markdown()}"
                    f"{schema_doc.END}{after}")
    assert schema_doc.main(["--check", "--readme", str(readme)]) == 0


def test_the_check_command_passes_from_any_directory(tmp_path):
    """``python docs/schema_doc.py --check``, as CI or a developer runs it."""
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "schema_doc.py"), "--check"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert proc.stdout == f"{README}: the scenario format is up to date\n"


def test_main_refuses_a_readme_without_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n", encoding="utf-8")
    assert schema_doc.main(["--readme", str(readme)]) == 2
    assert readme.read_text(encoding="utf-8") == "# Title\n"


def test_there_are_scenario_files():
    assert SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_file_loads(path):
    assert isinstance(load_scenario(path), Scenario)
