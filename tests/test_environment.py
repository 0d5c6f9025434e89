"""environment.yml (conda) mirrors pyproject.toml (pip).

The rule: environment.yml installs ``python`` as pinned by ``requires-python``, every
package of ``[project].dependencies`` and of the extras ``make test`` installs (``dev``
and ``dask``) with the same version specifiers (under its conda-forge name, see
``PYPI_TO_CONDA``), ``pip``, and the project itself with ``pip: [-e .]``; a package
conda-forge lacks (``PIP_ONLY``) goes in that ``pip:`` section instead, with the same
specifiers; nothing else. Any other extra is optional and must not be installed.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"

# PyPI name -> conda-forge name, where they differ. Checked to be the same on both:
# simpy, numpy, pandas, pydantic, tomli-w, tqdm, pytest, nbmake, jupyterlab, ipywidgets,
# ipykernel, pyyaml, ruff, dask (conda-forge's dask includes distributed).
PYPI_TO_CONDA = {
    "matplotlib": "matplotlib-base",  # conda-forge's "matplotlib" adds a Qt GUI
}
PIP_ONLY = frozenset({
    "paperang-p2-fonts-cjk",  # the CJK font of the figures: on PyPI only
})
"""PyPI packages conda-forge lacks: environment.yml installs them in its ``pip:`` section."""
MIRRORED_EXTRAS = ("dev", "dask")
"""The extras ``make test`` installs (checked against the Makefile below)."""
MAKEFILE = ROOT / "Makefile"
ENV_ONLY = ("python", "pip")  # python is checked against requires-python

_REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)(;.*)?")
_CLAUSE = re.compile(r"(>=|<=|==|!=|~=|<|>|=)?([0-9][0-9A-Za-z.*+!-]*)")


def _name(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(v: str) -> str:
    """``6.0`` and ``6`` are the same version; so are ``1.0.0`` and ``1``."""
    return re.sub(r"(\.0+)+$", "", v) or v


def _spec(text: str) -> frozenset[tuple[str, str]]:
    """``>=1.26, <3`` or conda's ``>=1.26,<3`` -> {(">=", "1.26"), ("<", "3")}."""
    text = text.replace(" ", "")
    out = set()
    for clause in filter(None, text.split(",")):
        m = _CLAUSE.fullmatch(clause)
        assert m, f"cannot read the version specifier {clause!r}"
        out.add((m[1] or "=", _version(m[2])))
    return frozenset(out)


def _requirement(text: str) -> tuple[str, frozenset]:
    m = _REQUIREMENT.fullmatch(text.strip())
    assert m, f"cannot read the requirement {text!r}"
    assert not m[3], f"{text!r}: environment markers have no conda equivalent here"
    return _name(m[1]), _spec(m[2])


def _conda(pypi_name: str) -> str:
    return PYPI_TO_CONDA.get(pypi_name, pypi_name)


def _load() -> tuple[dict, dict]:
    with PYPROJECT.open("rb") as fh:
        pyproject = tomllib.load(fh)
    with ENVIRONMENT.open(encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    return pyproject, env


def _differences(pyproject: dict, env: dict) -> list[str]:
    """Every way environment.yml fails to mirror pyproject.toml (empty when it does)."""
    problems = []
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})

    expected: dict[str, frozenset] = {}
    for req in [*project.get("dependencies", []),
                *(r for extra in MIRRORED_EXTRAS for r in extras.get(extra, []))]:
        name, spec = _requirement(req)
        expected[_conda(name)] = spec

    actual: dict[str, frozenset] = {}
    pip_section = None
    for item in env.get("dependencies") or []:
        if isinstance(item, dict) and set(item) == {"pip"}:
            pip_section = item["pip"]
            continue
        name, spec = _requirement(str(item))
        if name in actual:
            problems.append(f"environment.yml lists {name} twice")
        actual[name] = spec

    python = actual.pop("python", None)
    if python is None:
        problems.append("environment.yml does not pin python")
    elif python != _spec(project["requires-python"]):
        problems.append(f"python: environment.yml {sorted(python)} but requires-python is "
                        f"{project['requires-python']!r}")
    if "pip" not in actual:
        problems.append("environment.yml does not install pip")
    actual.pop("pip", None)
    if not pip_section or "-e ." not in pip_section:
        problems.append("environment.yml does not pip-install the project (`pip: [-e .]`)")
    for name in sorted(PIP_ONLY & actual.keys()):
        problems.append(f"{name}: conda-forge lacks it; install it in the `pip:` section")
    for item in pip_section or []:
        if item == "-e .":
            continue
        name, spec = _requirement(str(item))
        if name not in PIP_ONLY:
            problems.append(f"{name}: in the `pip:` section, but conda-forge has it (or add "
                            "it to PIP_ONLY in tests/test_environment.py if it does not)")
        if name in actual:
            problems.append(f"environment.yml lists {name} twice")
        actual[name] = spec

    for name in sorted(expected.keys() - actual.keys()):
        problems.append(f"{name}: in pyproject.toml, missing from environment.yml")
    for name in sorted(actual.keys() - expected.keys()):
        problems.append(f"{name}: in environment.yml, not in pyproject.toml "
                        f"(dependencies or the extras {', '.join(MIRRORED_EXTRAS)})")
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            problems.append(f"{name}: pyproject.toml {sorted(expected[name])}, "
                            f"environment.yml {sorted(actual[name])}")

    for extra, reqs in extras.items():
        if extra not in MIRRORED_EXTRAS:
            for req in reqs:
                name = _conda(_requirement(req)[0])
                if name in actual:
                    problems.append(f"{name}: from the optional {extra!r} extra; leave it "
                                    "commented out in environment.yml")
    return problems


# -- tests -------------------------------------------------------------------------

def test_environment_mirrors_pyproject():
    pyproject, env = _load()
    problems = _differences(pyproject, env)
    assert not problems, "environment.yml and pyproject.toml disagree:\n" + "\n".join(problems)


def test_environment_name_and_channel():
    _, env = _load()
    assert env["name"] == "funnel-sandbox"
    assert env["channels"] == ["conda-forge"]


def test_make_test_installs_the_mirrored_extras():
    """The Makefile's test install and environment.yml agree on the extras: what a conda
    user gets is what ``make test`` (and so CI) tests."""
    installs = re.findall(r"pip install .*?-e '?\.\[([^\]]*)\]", MAKEFILE.read_text())
    assert installs, "the Makefile installs no extras"
    assert {tuple(sorted(i.split(","))) for i in installs} == {tuple(sorted(MIRRORED_EXTRAS))}
    extras = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]
    assert set(MIRRORED_EXTRAS) <= set(extras)


def _env_deps(env):
    return env["dependencies"]


def _replace(items, old, new):
    items[items.index(old)] = new


def _pip(env):
    return next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))


FONT = "paperang-p2-fonts-cjk>=0.1"


MUTATIONS = {
    "env loses a package": lambda p, e: _env_deps(e).remove("numpy>=1.26"),
    "env gains a package": lambda p, e: _env_deps(e).insert(1, "scipy>=1.11"),
    "env changes a version": lambda p, e: _replace(_env_deps(e), "pandas>=2.1", "pandas>=2.2"),
    "env drops a version": lambda p, e: _replace(_env_deps(e), "tqdm>=4.66", "tqdm"),
    "env loses the dask extra": lambda p, e: _env_deps(e).remove("dask>=2024.1"),
    "dask extra changes a version": lambda p, e: _replace(
        p["project"]["optional-dependencies"]["dask"], "dask[distributed]>=2024.1",
        "dask[distributed]>=2025.1"),
    "a new optional extra is installed": lambda p, e: (
        p["project"]["optional-dependencies"].update({"docs": ["sphinx>=7"]}),
        _env_deps(e).append("sphinx>=7")),
    "env uses the PyPI name": lambda p, e: _replace(
        _env_deps(e), "matplotlib-base>=3.8", "matplotlib>=3.8"),
    "env python pin changes": lambda p, e: _replace(_env_deps(e), "python>=3.11",
                                                    "python>=3.12"),
    "env loses the pip section": lambda p, e: _env_deps(e).pop(),
    "env loses the pip-only package": lambda p, e: _pip(e).remove(FONT),
    "env changes the pip-only package's version": lambda p, e: _replace(
        _pip(e), FONT, "paperang-p2-fonts-cjk>=0.2"),
    "env asks conda for the pip-only package": lambda p, e: (
        _pip(e).remove(FONT), _env_deps(e).insert(1, FONT)),
    "env pip-installs a conda package": lambda p, e: (
        _env_deps(e).remove("numpy>=1.26"), _pip(e).insert(0, "numpy>=1.26")),
    "env lists the pip-only package twice": lambda p, e: _env_deps(e).insert(1, FONT),
    "pyproject loses the font package": lambda p, e: p["project"]["dependencies"].remove(
        FONT),
    "pyproject gains a package": lambda p, e: p["project"]["dependencies"].append("scipy>=1.11"),
    "pyproject loses a package": lambda p, e: p["project"]["dependencies"].remove("tqdm>=4.66"),
    "pyproject changes a version": lambda p, e: _replace(
        p["project"]["dependencies"], "simpy>=4.1", "simpy>=4.2"),
    "dev extra gains a package": lambda p, e: p["project"]["optional-dependencies"][
        "dev"].append("hypothesis>=6"),
    "dev extra changes a version": lambda p, e: _replace(
        p["project"]["optional-dependencies"]["dev"], "ruff>=0.5", "ruff>=0.6"),
    "requires-python changes": lambda p, e: p["project"].update({"requires-python": ">=3.12"}),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_disagreement_is_caught(mutate):
    pyproject, env = _load()
    assert _differences(pyproject, env) == []
    pyproject, env = copy.deepcopy(pyproject), copy.deepcopy(env)
    mutate(pyproject, env)
    assert _differences(pyproject, env) != []


def test_specifiers_are_normalised():
    assert _requirement("Tomli_W >= 1.0") == ("tomli-w", frozenset({(">=", "1")}))
    assert _requirement("dask[distributed]>=2024.1") == ("dask", frozenset({(">=", "2024.1")}))
    assert _spec(">=1.26, <3") == _spec(">=1.26.0,<3")
    assert _spec(">=1.26") != _spec(">=1.27")
