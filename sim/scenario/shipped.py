"""The shipped scenarios: where their files are, by name.

The checkout's top-level ``scenarios/`` folder is the one copy of the files. A built
package (a wheel, a non-editable ``pip install .``) carries them as package data in
``sim/scenario/scenarios/`` (``pyproject.toml`` maps the folder there), found with
:mod:`importlib.resources`. An editable install or a checkout on ``sys.path`` has no
such folder, since setuptools' editable finder cannot import data mapped from outside
the package; there the files are read from the checkout's ``scenarios/``, beside the
``sim`` package.

A scenario's name is its file name without ``.toml``: ``baseline``, ``roller_coaster``.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from sim.scenario.errors import ScenarioError, did_you_mean
from sim.scenario.files import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

DEFAULT = "baseline"
"""The scenario a command runs when none is named."""

PACKAGE_DATA = "scenarios"
"""The folder of ``sim.scenario`` that holds the files in a built package."""

CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"
"""The files in a checkout: an editable install, or ``sim`` imported from the source."""


def shipped_dir() -> Traversable:
    """The folder of the shipped scenario files.

    Raises
    ------
    ScenarioError
        If neither the package nor a checkout has them.
    """
    packaged = resources.files(__package__) / PACKAGE_DATA
    if packaged.is_dir():
        return packaged
    if CHECKOUT.is_dir():
        return CHECKOUT
    raise ScenarioError("shipped scenarios", [
        f"not found, neither in the package (sim/scenario/{PACKAGE_DATA}/) nor in a "
        f"checkout ({CHECKOUT}); reinstall funnel-sandbox"])


def shipped_files() -> dict[str, Traversable]:
    """Every shipped scenario file by name, in name order."""
    files = [f for f in shipped_dir().iterdir() if f.name.endswith(".toml") and f.is_file()]
    return {f.name.removesuffix(".toml"): f for f in sorted(files, key=lambda f: f.name)}


def load_shipped(name: str) -> tuple[Scenario, str]:
    """The shipped scenario ``name`` (``"roller_coaster"`` or ``"roller_coaster.toml"``)
    and the file it came from, as error messages name it.

    Raises
    ------
    ScenarioError
        If no shipped scenario has that name.
    """
    files = shipped_files()
    file = files.get(name.removesuffix(".toml"))
    if file is None:
        raise ScenarioError(name, [f"no shipped scenario has this name{did_you_mean(name, files)}"
                                   f" (shipped: {', '.join(files)})"])
    source = str(file)
    return parse_scenario(file.read_text(encoding="utf-8"), source), source


def open_scenario(name_or_path: str | None) -> tuple[Scenario, str]:
    """A scenario named on a command line, and its source for messages.

    Parameters
    ----------
    name_or_path : str or None
        A scenario file; or, when no such file exists, the name of a shipped scenario
        (a bare name, without a folder); ``None`` or empty for the default, ``baseline``.

    Raises
    ------
    ScenarioError
        If the file is missing (and no shipped scenario has the name), unreadable, or
        breaks a rule.
    """
    if not name_or_path:
        return load_shipped(DEFAULT)
    path = Path(name_or_path)
    if path.exists() or path.name != name_or_path:
        return load_scenario(path), name_or_path
    files = shipped_files()
    if name_or_path.removesuffix(".toml") in files:
        return load_shipped(name_or_path)
    raise ScenarioError(name_or_path, [
        f"file not found, and no shipped scenario has this name"
        f"{did_you_mean(name_or_path.removesuffix('.toml'), files)} "
        f"(shipped: {', '.join(files)})"])
