"""Rewrite the stored regression tables after a deliberate change of behaviour.

Run: .venv/bin/python tests/regression/regenerate.py
Then read `git diff tests/regression` to see that only what you meant to change did.
"""

import contextlib
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from sim import load_scenario, simulate  # noqa: E402
from sim.presentation import cli  # noqa: E402

SCENARIO = HERE / "small.toml"
TABLES = {
    "opportunities": ["opportunity_id", "lead_id", "owner", "channel", "type", "kind",
                      "amount", "created_day", "stage_index", "status", "lost_reason",
                      "closed_day", "expected_close_day"],
    "stage_history": ["opportunity_id", "stage_index", "entered_day", "work_start_day",
                      "work_end_day", "decided_day", "outcome"],
    "invoices": ["invoice_id", "contract_id", "instalment", "amount", "issued_day", "due_day",
                 "paid_day", "status"],
}


def current():
    result = simulate(load_scenario(SCENARIO))
    tables = {name: getattr(result, name)[cols] for name, cols in TABLES.items()}
    return result.kpis(), tables


SHIPPED = sorted((HERE.parent.parent / "scenarios").glob("*.toml"))
RUN_JSON = HERE / "run_json"
"""`funnel run SCENARIO --json` of every shipped scenario, byte for byte."""


def run_json(scenario: Path) -> str:
    """What `funnel run SCENARIO --json` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["run", str(scenario), "--json"]) == 0
    return out.getvalue()


def main() -> None:
    kpis, tables = current()
    (HERE / "kpis.json").write_text(json.dumps(kpis, indent=1, sort_keys=True) + "\n")
    for name, table in tables.items():
        table.to_csv(HERE / f"{name}.csv", index=False, float_format="%.12g")
    RUN_JSON.mkdir(exist_ok=True)
    for scenario in SHIPPED:
        (RUN_JSON / f"{scenario.stem}.json").write_text(run_json(scenario), encoding="utf-8")
    print(f"wrote {len(tables) + 1 + len(SHIPPED)} files to {HERE}")


if __name__ == "__main__":
    main()
