"""Writing a run's tables and scenario to a directory."""

from __future__ import annotations

from pathlib import Path

from sim.scenario_file import to_toml


def write_run(result, out: str | Path) -> list[Path]:
    """Write every table as CSV and the scenario as ``scenario.toml`` into ``out``.

    ``out`` is created if needed; files already there are never overwritten
    (a clash raises ``FileExistsError`` before anything is written).
    """
    out = Path(out)
    tables = result.tables()
    names = [f"{name}.csv" for name in tables] + ["scenario.toml"]
    clashes = [n for n in names if (out / n).exists()]
    if clashes:
        raise FileExistsError(f"{out}: would overwrite {', '.join(clashes)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in tables.items():
        path = out / f"{name}.csv"
        with path.open("x", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, index=False)
        written.append(path)
    path = out / "scenario.toml"
    with path.open("x", encoding="utf-8") as fh:
        fh.write(to_toml(result.scenario))
    written.append(path)
    return written
