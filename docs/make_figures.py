"""Regenerate the README's figures from the baseline scenario (replication 0).

Run: .venv/bin/python docs/make_figures.py
"""

from pathlib import Path

from sim import load_scenario, simulate
from sim.presentation import plots

HERE = Path(__file__).resolve().parent


def main() -> None:
    result = simulate(load_scenario(HERE.parent / "scenarios" / "baseline.toml"))
    for name, fig in [("funnel.png", plots.funnel_chart(result)),
                      ("cash.png", plots.cash_chart(result, "quarter"))]:
        target = HERE / name
        target.unlink(missing_ok=True)  # these files are ours to replace
        plots.save_png(fig, target)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
