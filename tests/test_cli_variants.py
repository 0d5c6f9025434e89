"""``--seed``, ``--days``, ``--policy`` and ``funnel compare``'s policies make their variants
with :func:`sim.scenario.variants.vary`, one option at a time, so bad input names the
option and the rule (``error: --days: field: value ...: rule``, exit status 2), and a
policy given on the command line replaces the members' own policies and a custom order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import model_validator
from test_cli import SMALL
from test_cli import cli as run

import sim.scenario.files
from sim.presentation import cli
from sim.presentation.commands import support
from sim.scenario.files import load_scenario, to_toml
from sim.scenario.schema import Scenario, _AtPath
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent

CUSTOM = '[policy]\nname = "custom"\norder = ["orders", "best_few", "in_funnel", "above_funnel"]\n'
FIFO = '[policy]\nname = "fifo"\n'


def scenario_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_policy_replaces_a_custom_policy_whole(capsys, tmp_path):
    """Bug: ``--policy fifo`` on a custom policy kept its ``order`` and blamed --seed/--days."""
    custom = scenario_file(tmp_path, "custom", SMALL + CUSTOM)
    plain = scenario_file(tmp_path, "plain", SMALL + FIFO)
    status, out, err = run(capsys, "run", custom, "--policy", "fifo", "--json")
    assert (status, err) == (0, "")
    assert json.loads(out) == json.loads(run(capsys, "run", plain, "--json")[1])


def test_policy_keeps_the_time_split_and_the_effort_cap(capsys, tmp_path):
    # --policy names the order of work; the share of time for prospecting and the hours a
    # rep gives one deal stay the scenario's own, as before (the roller-coaster scenario
    # has prospecting reps and elastic closing effort, so both matter there)
    roller = vary(load_scenario(ROOT / "scenarios" / "roller_coaster.toml"),
                  {"horizon_days": 90, "team.members": []})
    knobs = {"policy.prospecting_share": 0.3, "policy.effort_cap_hours": 1.0}
    files = {name: scenario_file(tmp_path, name, to_toml(vary(roller, changes)))
             for name, changes in {"fifo_knobs": {"policy.name": "fifo", **knobs},
                                   "classic_knobs": {"policy.name": "classic", **knobs},
                                   "classic": {"policy.name": "classic"}}.items()}
    status, out, err = run(capsys, "run", files["fifo_knobs"], "--policy", "classic", "--json")
    assert (status, err) == (0, "")
    assert out == run(capsys, "run", files["classic_knobs"], "--json")[1]
    assert out != run(capsys, "run", files["classic"], "--json")[1]  # the knobs matter


def test_policy_drops_the_members_own_policies(capsys, tmp_path):
    member = '[[team.members]]\nname = "Ada"\n'
    own = scenario_file(tmp_path, "own", SMALL + member + '[team.members.policy]\nname = '
                        '"close_first"\nprospecting_share = 0.3\n')
    none = scenario_file(tmp_path, "none", SMALL + member)
    status, out, err = run(capsys, "run", own, "--policy", "classic", "--json")
    assert (status, err) == (0, "")
    assert out == run(capsys, "run", none, "--policy", "classic", "--json")[1]
    assert out != run(capsys, "run", own, "--json")[1]  # the member's policy mattered


def test_compare_on_a_custom_policy_compares_the_named_policies(capsys, tmp_path):
    """Bug: ``funnel compare`` on a custom policy with an ``order`` ended in an error."""
    custom = scenario_file(tmp_path, "custom", SMALL + CUSTOM)
    plain = scenario_file(tmp_path, "plain", SMALL + FIFO)
    argv = ["--policies", "fifo", "classic", "--replications", "2", "--json"]
    status, out, err = run(capsys, "compare", custom, *argv)
    assert (status, err) == (0, ""), err
    data = json.loads(out)
    assert data["policies"] == ["fifo", "classic"]
    assert data == json.loads(run(capsys, "compare", plain, *argv)[1])


def test_options_go_through_vary_one_at_a_time(capsys, tmp_path, monkeypatch):
    calls = []
    real = cli.vary

    def spy(scenario, changes, source="changes"):
        calls.append((source, changes))
        return real(scenario, changes, source)

    monkeypatch.setattr(cli, "vary", spy)
    monkeypatch.setattr(support, "vary", spy)
    small = scenario_file(tmp_path, "small", SMALL)
    status, _, err = run(capsys, "run", small, "--seed", "3", "--days", "20", "--policy",
                         "classic", "--json")
    assert (status, err) == (0, "")
    assert calls == [("--seed", {"seed": 3}), ("--days", {"horizon_days": 20.0}),
                     ("--policy", {"policy.name": "classic", "policy.order": None})]
    calls.clear()
    run(capsys, "compare", small, "--policies", "fifo", "classic", "--replications", "2",
        "--days", "20")
    assert [source for source, _ in calls] == ["--days", "--policies", "--policies"]


class _SnapshotsWithinThePeriod(Scenario):
    """The schema plus a cross-field rule that ties another field to ``horizon_days``."""

    @model_validator(mode="after")
    def _snapshots_fit(self):
        if self.forecast.snapshot_every_days > self.horizon_days:
            raise _AtPath(("forecast", "snapshot_every_days"),
                          self.forecast.snapshot_every_days,
                          "must not exceed the results period (horizon_days)")
        return self


def test_days_that_break_a_cross_field_rule_name_days_and_the_rule(capsys, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(sim.scenario.files, "Scenario", _SnapshotsWithinThePeriod)
    small = scenario_file(tmp_path, "small", SMALL)
    out_dir = tmp_path / "out"
    for command in (["run", small, "--out", out_dir], ["forecast", small],
                    ["compare", small, "--replications", "2"]):
        status, out, err = run(capsys, *command, "--days", "5")
        assert (status, out) == (2, "")
        assert err == ("error: --days: forecast.snapshot_every_days: value 7.0 is not allowed: "
                       "must not exceed the results period (horizon_days)\n")
    assert not out_dir.exists()


@pytest.mark.parametrize("command", ["run", "forecast"])
def test_a_bad_file_is_blamed_before_any_option(capsys, tmp_path, command):
    bad = scenario_file(tmp_path, "bad", SMALL + '[policy]\nname = "custom"\n')
    status, out, err = run(capsys, command, bad, "--policy", "fifo", "--days", "20")
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {bad}: policy.order: required field is missing: ")
    assert "Traceback" not in err


def test_no_variant_is_made_by_model_copy():
    """``vary`` is the one way to make a variant: it validates what ``model_copy`` would not."""
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "sim").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\.model_copy\(", line)]
    assert found == []
