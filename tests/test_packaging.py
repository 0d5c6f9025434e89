"""The package stands alone: a normal, non-editable install carries the shipped scenarios,
so ``funnel run`` works from any directory; and in the checkout they are the files of the
top-level ``scenarios/`` folder, the one copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from sim.presentation.cli import main
from sim.scenario import shipped

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"]
DATA_PACKAGE = f"sim.scenario.{shipped.PACKAGE_DATA}"


def test_every_package_is_listed_in_pyproject():
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob(
        "__init__.py")}
    assert set(SETUPTOOLS["packages"]) == on_disk | {DATA_PACKAGE}, (
        "list every package under sim/ in pyproject.toml's [tool.setuptools] packages")


def test_the_scenarios_folder_is_the_package_data():
    assert SETUPTOOLS["package-dir"] == {DATA_PACKAGE: "scenarios"}
    assert SETUPTOOLS["package-data"] == {DATA_PACKAGE: ["*.toml"]}


def test_in_the_checkout_the_shipped_files_are_the_scenarios_folder():
    assert Path(shipped.shipped_dir()) == ROOT / "scenarios"
    assert {name: Path(f) for name, f in shipped.shipped_files().items()} == {
        p.stem: p for p in sorted((ROOT / "scenarios").glob("*.toml"))}


def _build_wheel(src: Path, dist: Path) -> Path:
    """A wheel of ``src``, built as ``make`` installs (uv, setuptools from uv's cache when
    it has it); pip's own build would need setuptools and wheel in the venv."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        cmds = [[sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                 str(src)]]
    else:
        build = [uv, "build", "--wheel", "-q", "-o", str(dist), str(src)]
        cmds = [[*build, "--offline"], build]
    for cmd in cmds:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode == 0:
            return next(dist.glob("*.whl"))
    pytest.fail(f"building a wheel failed: {proc.stderr[-2000:]}")


@pytest.mark.slow
def test_a_non_editable_install_runs_from_any_directory(tmp_path, capsys, monkeypatch):
    """Build a wheel of a copy of the project, install it with ``pip --target``, and run
    its ``funnel`` from an empty directory with only the installed copy on the path (no
    site: the venv's editable install of the checkout stays out)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("sim", "scenarios"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheel = _build_wheel(src, tmp_path / "dist")
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, capture_output=True,
                   timeout=120)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(target), sysconfig.get_paths()["purelib"]])}

    def funnel(*argv: str) -> str:
        proc = subprocess.run([sys.executable, "-S", str(target / "bin" / "funnel"), *argv],
                              capture_output=True, text=True, timeout=120, cwd=elsewhere,
                              env=env)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        return proc.stdout

    listed = json.loads(funnel("scenarios", "--json"))["scenarios"]
    assert [s["name"] for s in listed] == [p.stem for p in sorted(
        (ROOT / "scenarios").glob("*.toml"))]
    for entry in listed:  # the installed copies, not the checkout's files
        assert Path(entry["file"]).is_relative_to(target / "sim" / "scenario" / "scenarios")
        assert Path(entry["file"]).read_bytes() == (ROOT / "scenarios" / Path(
            entry["file"]).name).read_bytes()

    installed = funnel("run", "--json")
    monkeypatch.chdir(ROOT)
    assert main(["run", "scenarios/baseline.toml", "--json"]) == 0
    assert installed == capsys.readouterr().out  # the baseline's KPIs, to the byte
    assert list(elsewhere.iterdir()) == []
