"""Writing a run's tables and scenario to a directory."""

from __future__ import annotations

from pathlib import Path

from sim.presentation.report import build_report
from sim.scenario.files import to_toml


def write_run(result, out: str | Path, report: bool = True) -> list[Path]:
    """Write every table as CSV, the scenario as ``scenario.toml`` and (unless
    ``report`` is false) the HTML report as ``report.html`` into ``out``.

    ``out`` is created if needed; files already there are never overwritten (a clash
    raises ``FileExistsError`` before anything is written). If writing fails part way,
    the files written so far, and ``out`` itself if this call created it, are removed,
    so a failed write leaves the disk as it was.

    Raises
    ------
    NotADirectoryError
        If ``out`` is an existing file.
    FileExistsError
        If a file of the same name is already in ``out``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file, not a directory")
    tables = result.tables()
    names = [f"{name}.csv" for name in tables] + ["scenario.toml"]
    page = None
    if report:
        page = build_report(result)  # before anything is written: a failure writes nothing
        names.append("report.html")
    clashes = [n for n in names if (out / n).exists()]
    if clashes:
        raise FileExistsError(f"{out}: would overwrite {', '.join(clashes)}")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for name, df in tables.items():
            path = out / f"{name}.csv"
            with path.open("x", encoding="utf-8", newline="") as fh:
                written.append(path)
                df.to_csv(fh, index=False)
        path = out / "scenario.toml"
        with path.open("x", encoding="utf-8") as fh:
            written.append(path)
            fh.write(to_toml(result.scenario))
        if page is not None:
            path = out / "report.html"
            with path.open("x", encoding="utf-8") as fh:
                written.append(path)
                fh.write(page)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created:
            try:
                out.rmdir()
            except OSError:
                pass
        raise
    return written
