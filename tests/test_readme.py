"""The README stays true: its Python examples run and its commands work as written."""

import glob
import re
import shlex
from pathlib import Path

import pytest

from sim.presentation import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _commands() -> list[list[str]]:
    out = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("funnel "):
                out.append(shlex.split(line)[1:])
    return out


def test_readme_has_examples():
    assert len(_blocks("python")) >= 3 and len(_commands()) >= 6


def test_python_examples_run_in_order(monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["result"].kpis()["leads"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a)[:60])
def test_commands_work_as_written(argv, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    argv = [a for pattern in argv for a in (sorted(glob.glob(pattern)) if "*" in pattern
                                            else [pattern])]
    if "--out" in argv:  # write where the test can clean up, exactly as the README says
        i = argv.index("--out") + 1
        argv[i] = str(tmp_path / argv[i])
    assert cli.main(argv) == 0, capsys.readouterr().err


def test_error_examples_are_what_the_tool_prints(tmp_path, monkeypatch, capsys):
    """The README's three errors come from one file, all at once, in the file's order."""
    shown = re.findall(r"^error: my\.toml: .*$", README, flags=re.M)
    assert len(shown) == 3
    text = ("horizon_dayz = 3\n"
            "[[stages]]\nwin_rate = 0.3\n[[stages]]\nwin_rate = 0.2\n"
            "[team]\nreps = 0\n")
    monkeypatch.chdir(tmp_path)
    Path("my.toml").write_text(text)
    assert cli.main(["validate", "my.toml"]) == 2
    assert capsys.readouterr().err.splitlines() == shown


def test_images_in_the_readme_exist():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(images) >= 2
    for path in images:
        assert (ROOT / path).is_file() and (ROOT / path).stat().st_size > 10_000, path
