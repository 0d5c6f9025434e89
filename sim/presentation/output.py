"""Writing a run's tables, scenario and report to a directory, all or nothing.

The files are written into a hidden staging folder beside the target
(``.NAME.partial-XXXXXXXX``) and appear under the target's name only when every one of
them is complete: a new target is the staging folder renamed (one atomic step); into an
existing directory the finished files are moved one by one (a rename each, on the same
disk). A failure or an interrupt removes the staging folder and any parent folder this
call made; only a kill (SIGKILL, power loss) can leave a staging folder behind, and
then the target itself is still absent or as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from sim.presentation.report import build_report
from sim.scenario.files import to_toml

STAGING_MARK = ".partial-"
"""What the name of a staging folder carries: ``.NAME.partial-XXXXXXXX``."""


def write_run(result, out: str | Path, report: bool = True) -> list[Path]:
    """Write every table as CSV, the scenario as ``scenario.toml`` and (unless
    ``report`` is false) the HTML report as ``report.html`` into ``out``, all or nothing.

    ``out`` is created if needed (with any missing parent folders); files already there
    are never overwritten (a clash raises ``FileExistsError`` before anything is
    written). Everything is written into a staging folder first and moved into place
    when complete (see the module's notes), so a failed or interrupted write leaves the
    disk as it was.

    Parameters
    ----------
    result : RunResult
        The run to write.
    out : str or Path
        The directory to write into: new, or an existing directory.
    report : bool
        Also write the HTML report.

    Returns
    -------
    list of Path
        The files written, under ``out``.

    Raises
    ------
    NotADirectoryError
        If ``out`` is an existing file.
    FileExistsError
        If a file of the same name is already in ``out``.
    OSError
        If writing fails (no space, no permission); nothing is left behind.
    """
    out = Path(out)
    _check_target(out, [])
    tables = result.tables()
    contents: dict[str, Callable] = {
        f"{name}.csv": (lambda fh, df=df: df.to_csv(fh, index=False))
        for name, df in tables.items()}
    contents["scenario.toml"] = lambda fh: fh.write(to_toml(result.scenario))
    if report:
        page = build_report(result)  # before anything is written: a failure writes nothing
        contents["report.html"] = lambda fh: fh.write(page)
    return write_files(out, contents)


def write_files(out: str | Path, contents: dict[str, Callable]) -> list[Path]:
    """Write files into ``out``, all or nothing (see the module's notes).

    Parameters
    ----------
    out : str or Path
        The directory to write into: new, or an existing directory.
    contents : dict of str to callable
        File name -> ``write(fh)``, which writes the file to ``fh``: opened for bytes
        for a PNG image, else for text (CSV files without newline translation, as the
        CSV writer wants).

    It returns the files written, under ``out``, and raises as :func:`write_run` does
    (``NotADirectoryError``, ``FileExistsError``, ``OSError``), leaving nothing behind.
    """
    out = Path(out)
    _check_target(out, list(contents))
    made = _make_parents(out.parent)
    staging = None
    try:
        staging = _staging_folder(out)
        for name, write in contents.items():
            if name.endswith(".png"):
                with (staging / name).open("xb") as fh:
                    write(fh)
                continue
            newline = "" if name.endswith(".csv") else None  # the CSV writer ends lines
            with (staging / name).open("x", encoding="utf-8", newline=newline) as fh:
                write(fh)
        _publish(staging, out, list(contents))
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return [out / name for name in contents]


def _check_target(out: Path, names: list[str]) -> None:
    """Refuse a target that is a file, a broken link, or holds a file of these names."""
    if out.is_symlink() and not out.exists():
        raise FileExistsError(f"{out} is a broken symbolic link")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file, not a directory")
    clashes = [n for n in names if (out / n).exists()]
    if clashes:
        raise FileExistsError(f"{out}: would overwrite {', '.join(clashes)}")


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    made = []
    try:
        for path in reversed(missing):
            path.mkdir()
            made.append(path)
    except BaseException:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    return made


def _new_folder(parent: Path, name: str) -> Path:
    """A new, empty folder ``.NAME.partial-XXXXXXXX`` in ``parent``; made with the
    user's umask, as the target itself would be."""
    stem = name[:100]  # keeps the staging name within the file system's limit
    while True:
        path = parent / f".{stem}{STAGING_MARK}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _staging_folder(out: Path) -> Path:
    """Where to write before publishing: beside ``out`` (so a rename moves it); for an
    existing directory whose parent cannot take it (no permission, another disk, such
    as a mount point), inside it."""
    if not out.is_dir():
        return _new_folder(out.parent, out.name)
    target = out.resolve()
    try:
        staging = _new_folder(target.parent, target.name)
    except OSError:
        return _new_folder(target, target.name)
    if staging.stat().st_dev != target.stat().st_dev:
        staging.rmdir()
        return _new_folder(target, target.name)
    return staging


def _publish(staging: Path, out: Path, names: list[str]) -> None:
    """Move the finished files from ``staging`` to ``out`` and remove ``staging``."""
    if not out.exists():
        os.rename(staging, out)  # atomic: ``out`` appears complete or not at all
        return
    _check_target(out, names)  # nothing may have appeared there while we wrote
    moved: list[Path] = []
    try:
        for name in names:
            os.rename(staging / name, out / name)
            moved.append(out / name)
    except BaseException:
        for path in moved:
            with contextlib.suppress(OSError):
                os.rename(path, staging / path.name)
        raise
    staging.rmdir()
