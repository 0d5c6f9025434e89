"""Bad scenario files: every kind of mistake gives one plain sentence and exit status 2.

Each message names the file, the field path (``stages[2].win_rate``), the value given and
the rule, in the form ``error: FILE: path: value X is not allowed: rule``, and no
traceback is shown. The files are small TOML texts written to ``tmp_path``; anything they
leave out takes the schema's default (four stages, win rates 0.25 / 0.35 / 0.55 / 0.75).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sim.presentation.cli import main
from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario, parse_scenario, to_toml
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

LINE = re.compile(r"^error: (?P<file>.+?): (?P<path>\S+): value (?P<value>.+) is not allowed: "
                  r"(?P<rule>.+)$")


def stages(*win_rates: float, **extra: str) -> str:
    """``[[stages]]`` tables with these win rates; ``extra["s2"]`` adds lines to stage 2."""
    out = []
    for i, w in enumerate(win_rates):
        out.append(f'[[stages]]\nname = "Stage {i}"\nwin_rate = {w}\n{extra.get(f"s{i}", "")}\n')
    return "".join(out)


FOUR = (0.2, 0.4, 0.6, 0.8)
INBOUND = '[[channels]]\nkind = "inbound"\nname = "Web"\n'
MEMBER = "[team]\nreps = 2\n[[team.members]]\nname = \"Ada\"\n"

# (id, TOML text, field path, value as shown, a word of the rule)
BAD = [
    # unknown keys, with a did-you-mean suggestion
    ("unknown-top", 'nmae = "x"\n', "nmae", "'x'", "did you mean 'name'"),
    ("unknown-team", "[team]\nrep = 3\n", "team.rep", "3", "did you mean 'reps'"),
    ("unknown-stage", stages(*FOUR, s1="winrate = 0.5"), "stages[1].winrate", "0.5",
     "did you mean 'win_rate'"),
    ("unknown-channel", INBOUND + "leads_per_wek = 5\n", "channels[0].leads_per_wek", "5",
     "did you mean 'leads_per_week'"),
    ("unknown-deal-size", INBOUND + 'deal_size = {dist = "lognormal", mena = 9000}\n',
     "channels[0].deal_size.mena", "9000", "did you mean 'mean'"),
    ("unknown-decision-days", stages(*FOUR, s0='decision_days = {dist = "gamma", cvv = 1}'),
     "stages[0].decision_days.cvv", "1", "did you mean 'cv'"),
    ("unknown-member", MEMBER + "skil = [1, 1, 1, 1]\n", "team.members[0].skil",
     "[1, 1, 1, 1]", "did you mean 'skill'"),
    ("unknown-lost-reason", "[opportunities]\nlost_reasons = {competitor = 1, no_budgt = 2}\n",
     "opportunities.lost_reasons.no_budgt", "2", "did you mean 'no_budget'"),
    ("unknown-far-off", "[team]\nzzzz = 1\n", "team.zzzz", "1", "known fields here"),
    # wrong types
    ("type-text-for-int", '[team]\nreps = "five"\n', "team.reps", "'five'", "whole number"),
    ("type-quoted-number", '[team]\nreps = "5"\n', "team.reps", "'5'", "without quotes"),
    ("type-float-for-int", "[team]\nreps = 5.0\n", "team.reps", "5.0", "whole number"),
    ("type-bool", "horizon_days = true\n", "horizon_days", "true", "must be a number"),
    ("type-date", 'start_date = "tomorrow"\n', "start_date", "'tomorrow'", "date"),
    ("type-table-for-list", '[stages]\nname = "x"\n', "stages", "{name = 'x'}", "[[stages]]"),
    ("type-number-for-table", "team = 3\n", "team", "3", "must be a table"),
    ("type-number-for-distribution", INBOUND + "deal_size = 40000\n", "channels[0].deal_size",
     "40000", "distribution"),
    ("type-work-hours", stages(*FOUR, s3='work_hours = "lots"'), "stages[3].work_hours",
     "'lots'", "distribution"),
    ("type-skill", MEMBER + 'skill = "high"\n', "team.members[0].skill", "'high'", "list"),
    # probabilities outside [0, 1]
    ("probability-high", stages(0.2, 0.4, 1.5, 1.5), "stages[2].win_rate", "1.5",
     "less than or equal to 1"),
    ("probability-low", INBOUND + "lead_quality = -0.1\n", "channels[0].lead_quality", "-0.1",
     "greater than or equal to 0"),
    ("probability-nested", "[leads]\nspeed_to_lead_floor = 1.2\n", "leads.speed_to_lead_floor",
     "1.2", "less than or equal to 1"),
    # win rates that fall from one stage to the next
    ("win-rate-falls", stages(0.2, 0.4, 0.3, 0.8), "stages[2].win_rate", "0.3",
     "must not fall"),
    # negative rates and durations
    ("negative-rate", INBOUND + "leads_per_week = -2\n", "channels[0].leads_per_week", "-2",
     "greater than or equal to 0"),
    ("negative-rot-days", stages(*FOUR, s1="rot_days = -5"), "stages[1].rot_days", "-5",
     "greater than 0"),
    ("negative-decision-days", stages(*FOUR, s0='decision_days = {dist = "gamma", mean = -3}'),
     "stages[0].decision_days.mean", "-3", "greater than 0"),
    ("negative-work-hours", stages(*FOUR, s2="work_hours = -1"), "stages[2].work_hours", "-1",
     "greater than or equal to 0"),
    ("negative-work-hours-distribution",
     stages(*FOUR, s2='work_hours = {dist = "exponential", mean = -4}'),
     "stages[2].work_hours.mean", "-4", "greater than 0"),
    ("negative-deal-size", INBOUND + 'deal_size = {dist = "lognormal", mean = -9}\n',
     "channels[0].deal_size.mean", "-9", "greater than 0"),
    ("negative-warmup", "warmup_days = -10\n", "warmup_days", "-10",
     "greater than or equal to 0"),
    ("negative-expiry", "[leads]\nexpiry_days = -1\n", "leads.expiry_days", "-1",
     "greater than 0"),
    ("negative-skill", MEMBER + "skill = [1, -2, 1, 1]\n", "team.members[0].skill[1]", "-2",
     "greater than or equal to 0"),
    ("negative-lost-weight", "[opportunities]\nlost_reasons = {competitor = -1}\n",
     "opportunities.lost_reasons.competitor", "-1", "greater than or equal to 0"),
    # NaN and infinite numbers
    ("nan", "horizon_days = nan\n", "horizon_days", "nan", "finite"),
    ("inf", stages(0.2, 0.4, "inf", "inf"), "stages[2].win_rate", "inf", "finite"),
    ("minus-inf-in-table", INBOUND + 'deal_size = {dist = "lognormal", mean = -inf}\n',
     "channels[0].deal_size.mean", "-inf", "finite"),
    # zero reps
    ("zero-reps", "[team]\nreps = 0\n", "team.reps", "0", "greater than or equal to 1"),
    # unknown names
    ("unknown-policy", '[policy]\nname = "fastest"\n', "policy.name", "'fastest'",
     "must be 'fifo'"),
    ("policy-typo", '[policy]\nname = "fifi"\n', "policy.name", "'fifi'",
     "did you mean 'fifo'"),
    ("channel-kind", '[[channels]]\nkind = "inbund"\n', "channels[0].kind", "'inbund'",
     "did you mean 'inbound'"),
    ("distribution-name", INBOUND + 'deal_size = {dist = "lognorm", mean = 9}\n',
     "channels[0].deal_size.dist", "'lognorm'", "did you mean 'lognormal'"),
    ("medium", INBOUND + 'medium = "tv"\n', "channels[0].medium", "'tv'", "must be 'search'"),
    # rules that tie fields together
    ("skill-count", MEMBER + "skill = [1, 1]\n", "team.members[0].skill", "[1, 1]",
     "one skill per stage"),
    ("uniform-order", stages(*FOUR, s1='decision_days = {dist = "uniform", low = 5, high = 1}'),
     "stages[1].decision_days.high", "1", "must not be below low"),
    ("duplicate-channel", INBOUND + INBOUND, "channels[1].name", "'Web'", "unique"),
    ("empty-stages", "stages = []\n", "stages", "[]", "at least 1"),
]


@pytest.fixture
def validate(tmp_path, capsys):
    """Write ``text`` to a scenario file, run ``funnel validate`` on it."""

    def run(text: str | bytes, name: str = "bad.toml"):
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        status = main(["validate", str(path)])
        out, err = capsys.readouterr()
        return path, status, out, err

    return run


@pytest.mark.parametrize(("text", "path", "value", "rule"),
                         [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_scenario_is_rejected_with_a_sentence(validate, text, path, value, rule):
    file, status, out, err = validate(text)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    lines = [m for m in map(LINE.match, err.splitlines()) if m and m["path"] == path]
    assert lines, f"no line for {path} in:\n{err}"
    line = lines[0]
    assert line["file"] == str(file)
    assert line["value"] == value
    assert rule in line["rule"]


def test_every_problem_in_a_file_is_reported(validate):
    file, status, _, err = validate('[team]\nreps = 0\nhours_per_day = "x"\n'
                                    '[policy]\nname = "fastest"\n')
    assert status == 2
    paths = {m["path"] for m in map(LINE.match, err.splitlines()) if m}
    assert paths == {"team.reps", "team.hours_per_day", "policy.name"}
    assert all(line.startswith(f"error: {file}: ") for line in err.splitlines())


def test_missing_tag_names_the_choices(validate):
    """A channel or distribution without its ``kind`` / ``dist`` (used to crash)."""
    _, status, _, err = validate('[[channels]]\nname = "Web"\n'
                                 + stages(*FOUR, s0="decision_days = {mean = 3}"))
    assert status == 2
    assert "Traceback" not in err
    assert "channels[0].kind: required field is missing: must be one of 'inbound'" in err
    assert "stages[0].decision_days.dist: required field is missing: must be one of " in err
    assert "'gamma'" in err


def test_errors_inside_a_distribution_name_no_union_machinery(validate):
    """``work_hours`` is a number or a distribution; only the branch the user meant speaks."""
    file, status, _, err = validate(
        stages(*FOUR, s1='work_hours = {dist = "fixed", value = -1}'))
    assert status == 2
    assert err.splitlines() == [
        f"error: {file}: stages[1].work_hours.value: value -1 is not allowed: "
        "must be greater than or equal to 0"
    ]
    for noise in ("tagged-union", "constrained-float", "function-after", "[key]"):
        assert noise not in err


def test_toml_syntax_error_shows_line_and_column(validate):
    file, status, out, err = validate('name = "x"\nseed = 1\nhorizon_days = = 5\n')
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith(f"error: {file}: TOML syntax error: ")
    assert "(at line 3, column 16)" in err
    assert "horizon_days = = 5" in err  # the offending line is quoted


def test_toml_syntax_error_at_end_of_file(validate):
    file, status, _, err = validate('name = "x"\nseed = [1,\n')
    assert status == 2
    assert f"error: {file}: TOML syntax error: " in err
    assert "end of document" in err


def test_duplicate_key_is_a_syntax_error(validate):
    _, status, _, err = validate("seed = 1\nseed = 2\n")
    assert status == 2
    assert "(at line 2, column" in err


# -- files that cannot be read ------------------------------------------------------------
def _run_validate(path, capsys):
    status = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith(f"error: {path}: ")
    return err


def test_missing_file(tmp_path, capsys):
    err = _run_validate(tmp_path / "nowhere.toml", capsys)
    assert "file not found" in err


def test_directory_instead_of_file(tmp_path, capsys):
    err = _run_validate(tmp_path, capsys)
    assert "is a directory" in err


def test_path_through_a_file(tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    err = _run_validate(tmp_path / "plain" / "scenario.toml", capsys)
    assert "cannot be read" in err


def test_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Caf\u00e9"\n'.encode("latin-1"))
    err = _run_validate(path, capsys)
    assert "not UTF-8" in err


def test_permission_denied(tmp_path, capsys, monkeypatch):
    """Tests run as root, whom ``chmod 000`` does not stop: fake the refusal."""
    path = tmp_path / "locked.toml"
    path.write_text('name = "x"\n')

    real_open = os.open

    def refuse(file, *args, **kwargs):
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    err = _run_validate(path, capsys)
    assert "permission denied" in err


# -- warnings, not errors -----------------------------------------------------------------
@pytest.mark.parametrize(("n", "warned"), [(1, True), (2, True), (3, False), (7, False),
                                           (8, True)])
def test_stage_count_outside_3_to_7_is_a_warning(validate, n, warned):
    rates = [round(0.1 + 0.8 * k / max(n - 1, 1), 3) for k in range(n)]
    file, status, out, err = validate(stages(*rates))
    assert status == 0
    assert out.startswith(f"ok: {file} ({n} stages")
    assert ("warning" in err) is warned
    if warned:
        assert f"warning: {file}: stages: {n} stage(s)" in err


def test_baseline_is_valid_without_warnings(capsys):
    assert main(["validate", str(BASELINE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"ok: {BASELINE} (")
    assert err == ""


def test_one_bad_file_among_good_ones(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[team]\nreps = 0\n")
    status = main(["validate", str(BASELINE), str(bad)])
    out, err = capsys.readouterr()
    assert status == 2
    assert f"ok: {BASELINE}" in out
    assert str(bad) not in out
    assert f"error: {bad}: team.reps: value 0" in err


# -- the Python API -----------------------------------------------------------------------
def test_scenario_error_carries_source_and_problems():
    with pytest.raises(ScenarioError) as info:
        parse_scenario("[team]\nreps = 0\n", "mine.toml")
    assert info.value.source == "mine.toml"
    assert info.value.problems == [
        "team.reps: value 0 is not allowed: must be greater than or equal to 1"
    ]
    assert str(info.value) == f"mine.toml: {info.value.problems[0]}"


def test_integers_are_accepted_where_real_numbers_are_asked():
    """Strict types must not reject ``horizon_days = 60`` (an int for a float field)."""
    sc = parse_scenario("horizon_days = 60\n[team]\nhours_per_day = 7\n")
    assert sc.horizon_days == 60.0
    assert sc.team.hours_per_day == 7.0


@pytest.mark.parametrize("scenario", [Scenario(), load_scenario(BASELINE)],
                         ids=["defaults", "baseline"])
def test_written_toml_reads_back_unchanged(scenario):
    assert parse_scenario(to_toml(scenario)) == scenario
