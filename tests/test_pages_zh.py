"""The other pages in Chinese: the stress report (``funnel stress --lang zh``), the
tournament's debrief (the scenario's ``language``, or ``funnel tournament --lang``),
``funnel forecast``'s text (the same) and the movement figure (``funnel movement --lang
zh``).

Each page in Chinese has Chinese headings and ``<html lang="zh-Hans">``, shows no
English sentence of the catalogue, and its figures' Chinese characters are all in the
packaged font (and pytest's ``filterwarnings = error`` turns a "Glyph ... missing" warning
while they are drawn into a failure). The same commands in English are as before."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.text import Text

import sim.presentation.plots as plots
from sim.crm.reader import read_history, read_opportunities
from sim.crm.stress import stress_pipeline
from sim.experiments.tournament import Team, run_tournament, tournament_scenario
from sim.presentation import debrief, stress_report
from sim.presentation.cli import main
from sim.presentation.commands.forecast import CATEGORY_TABLE, TABLE
from sim.presentation.i18n import ZH, known, placeholders, using
from sim.presentation.plots import fonts
from sim.scenario.files import load_scenario
from sim.scenario.submission import parse_submission
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SF_OPPS = str(DATA / "salesforce_opportunities.csv")
SF_HISTORY = str(DATA / "salesforce_history.csv")
ROLLER = ROOT / "scenarios" / "roller_coaster.toml"
CJK = re.compile("[\u4e00-\u9fff]")
WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _english_phrases() -> set[str]:
    """The catalogue's English as a reader could spot it: each key cut at its
    ``{placeholders}``, the pieces of two words or more."""
    phrases = set()
    for key in ZH:
        for piece in re.split(r"\{[^}]*\}", key):
            piece = " ".join(piece.split()).strip(" .,;:()")
            if len(WORDS.findall(piece)) >= 2:
                phrases.add(piece)
    return phrases


PHRASES = _english_phrases()


def _english_left(seen: str) -> list[str]:
    flat = " ".join(seen.split())
    return sorted(p for p in PHRASES if p in flat)


def _visible(page: str) -> str:
    """The text a reader sees, without the styles and the embedded figures."""
    body = re.sub(r"<(style|pre)>.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _check_chinese_page(page: str) -> None:
    assert '<html lang="zh-Hans">' in page
    headings = re.findall(r"<h[123]>(.*?)</h[123]>", page)
    assert len(headings) >= 3 and all(CJK.search(h) for h in headings), headings
    title = re.search(r"<title>(.*?)</title>", page)[1]
    assert CJK.search(title), title
    assert _english_left(_visible(page)) == []


@pytest.fixture
def figures(monkeypatch):
    """The texts of every figure drawn to PNG (for a page, a command's file), as drawn."""
    drawn: list[list[str]] = []
    to_png = plots.to_png_bytes

    def capture(fig, **kwargs):
        drawn.append([t.get_text() for t in fig.findobj(Text) if t.get_text()])
        return to_png(fig, **kwargs)

    monkeypatch.setattr(plots, "to_png_bytes", capture)
    return drawn


def _check_chinese_figures(drawn: list[list[str]], n: int) -> None:
    assert len(drawn) == n
    font = font_manager.get_font(str(fonts.packaged_font_file()))
    for texts in drawn:
        assert any(CJK.search(t) for t in texts), texts  # labelled in Chinese
        missing = {ch for t in texts for ch in t
                   if fonts.has_cjk(ch) and not font.get_char_index(ord(ch))}
        assert missing == set()
        assert _english_left(" | ".join(texts)) == []


def test_the_pages_tables_speak_from_the_catalogue():
    used = ({label for _, label in stress_report.FIGURES}
            | {title for title, _ in stress_report.DEALS_COLUMNS.values()}
            | {title for title, _ in stress_report.HISTORY_COLUMNS.values()}
            | set(stress_report.HISTORY_UNDEFINED.values()) | set(stress_report.NOTES)
            | set(debrief.NOTES)
            | {title for title, _ in debrief.LEADERBOARD_COLUMNS.values()}
            | {title for title, _ in debrief.VERSUS_COLUMNS.values()}
            | {heading for heading, _w, _a in TABLE + CATEGORY_TABLE})
    assert sorted(used - ZH.keys()) == []
    assert all(placeholders(key) == placeholders(ZH[key]) for key in used)


def test_the_notes_of_the_lower_layers_are_shown_in_the_pages_language():
    notes = stress_report.NOTES
    with using("zh"):
        assert known("3 open deal(s) expected to close after the period", notes) == (
            "3 个在跟踪的机会预计在本期之后签单")
        assert known("slip: stage(s) 'A', 'B' had no deal expected in a past period; they "
                     "use the slip of all stages together", notes) == (
            "延误：阶段 'A', 'B' 在过去各期没有预计签单的机会；这些阶段使用全部阶段合计的延误率")
        assert known("a note nobody wrote down", notes) == "a note nobody wrote down"
        assert known("no forecast from A, B: forecast error n/a, and the composite weighs "
                     "the other terms alone", debrief.NOTES) == (
            "A, B 没有提交预测：预测误差不适用，综合得分只按其他各项加权")
    note = "2 deal(s) without a probability use their stage's win rate from the closed deals"
    assert known(note, notes) == note  # in English, as it came


def test_the_check_finds_english_sentences():
    # the check of the pages below is not blind: the English page fails it
    page = stress_report.build_stress_report(_stress(), "pipeline.csv", lang="en")
    assert _english_left(_visible(page)) and "Stress test" in PHRASES


# -- the stress report ------------------------------------------------------------------------

def _stress():
    return stress_pipeline(read_opportunities(SF_OPPS), read_history(SF_HISTORY),
                           start="2027-07-01", end="2027-10-01", quota=150_000, shift=-0.1,
                           draws=300)


def test_funnel_stress_lang_zh_writes_a_chinese_report(tmp_path, capsys, figures):
    out = tmp_path / "stress"
    assert main(["stress", SF_OPPS, "--history", SF_HISTORY, "--period", "2027-Q3",
                 "--quota", "150000", "--win-rate-shift", "-0.1", "--draws", "300",
                 "--lang", "zh", "--out", str(out)]) == 0
    capsys.readouterr()
    page = (out / "report.html").read_text(encoding="utf-8")
    _check_chinese_page(page)
    for words in ("承载风险的机会", "历史记录说明了什么", "达到销售定额的概率",
                  "赢单率 -10 个百分点"):
        assert words in page, words
    notes = re.findall(r'<p class="note">(.*?)</p>', page.split("<h2>说明</h2>")[1])
    assert notes and all(CJK.search(n) for n in notes), notes  # the stress test's notes
    _check_chinese_figures(figures, 1)


def test_funnel_stress_is_english_by_default(tmp_path, capsys):
    out = tmp_path / "stress"
    assert main(["stress", SF_OPPS, "--period", "2027-Q3", "--draws", "300",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<h2>The deals that carry the risk</h2>" in page
    assert not CJK.search(_visible(page))


def test_stress_and_movement_refuse_an_unknown_language(tmp_path, capsys):
    for argv in (["stress", SF_OPPS], ["movement", SF_OPPS, "--history", SF_HISTORY]):
        out = tmp_path / argv[0]
        assert main([*argv, "--lang", "fr", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "--lang" in err and "'fr'" in err and "Traceback" not in err
        assert not out.exists()


# -- the movement figure ----------------------------------------------------------------------

def test_funnel_movement_lang_zh_draws_a_chinese_figure(tmp_path, capsys, figures):
    out = tmp_path / "movement"
    assert main(["movement", SF_OPPS, "--history", SF_HISTORY, "--period", "2027-Q2",
                 "--lang", "zh", "--out", str(out)]) == 0
    assert "Pipeline movement, 2027-04-01 to 2027-06-30" in capsys.readouterr().out
    assert (out / "movement.png").stat().st_size > 0
    _check_chinese_figures(figures, 1)
    title = next(t for t in figures[0] if "管道如何变动" in t)
    assert "2027-04-01 至 2027-06-30" in title


# -- the tournament's debrief -----------------------------------------------------------------

def _team(sc, name: str, policy: str, forecast: str = "") -> Team:
    text = f'team = "{name}"\n{forecast}[policy]\nname = "{policy}"\n'
    return Team.of(sc, parse_submission(text, f"{name}.toml"))


@pytest.fixture(scope="module")
def chinese_tournament():
    """Two teams on a short roller-coaster whose scenario speaks Chinese, two replications:
    the page, not the ranking, is under test."""
    sc, _ = tournament_scenario(vary(load_scenario(ROLLER),
                                     {"team.reps": 2, "warmup_days": 60, "language": "zh"}))
    teams = [_team(sc, "Hunters", "miller_heiman", "forecast = 3000000\n"),
             _team(sc, "Closers", "close_first")]
    return run_tournament(sc, teams, 2, reference="Hunters")


@pytest.mark.slow
def test_the_debrief_speaks_the_scenarios_language(chinese_tournament, figures):
    skipped = [{"file": "subs/bad.toml", "problems": ["policy.name: value 'closer' is not "
                                                      "allowed"]}]
    page = debrief.build_debrief(chinese_tournament, skipped)
    _check_chinese_page(page)
    for words in ("排行榜", "与基准（Hunters）对比", "签单金额随时间的变化", "过山车",
                  "未纳入的提交"):
        assert f"<h2>{words}</h2>" in page, words
    assert "Hunters" in page and "Closers" in page  # the teams' names as they wrote them
    assert len(figures) >= 1  # the bookings, and the roller-coaster if a team stopped
    _check_chinese_figures(figures, len(figures))

    english = debrief.build_debrief(chinese_tournament, skipped, lang="en")
    assert '<html lang="en">' in english and "<h2>Leaderboard</h2>" in english
    assert not CJK.search(_visible(english))


@pytest.mark.slow
def test_funnel_tournament_lang_zh_writes_a_chinese_debrief(tmp_path, capsys):
    out = tmp_path / "debrief"
    status = main(["tournament", "roller_coaster", str(ROOT / "lessons" / "tournament_example"),
                   "--replications", "2", "--lang", "zh", "--quiet", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    _check_chinese_page((out / "debrief.html").read_text(encoding="utf-8"))


# -- funnel forecast ----------------------------------------------------------------------------

def _width(line: str) -> int:
    return sum(2 if CJK.match(ch) or "\uff00" <= ch <= "\uffef" else 1 for ch in line)


def test_funnel_forecast_speaks_the_scenarios_language(capsys):
    assert main(["forecast", str(ROOT / "scenarios" / "course_zh.toml"), "--days", "200"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("销售漏斗沙盘：") and "每季度第一天所做的销售预测" in out
    lines = out.splitlines()
    head = next(line for line in lines if "定额" in line and "预测" in line)
    assert head.split() == ["期间", "定额", "预测", "承诺", "最佳情况", "实际", "误差", "完成率"]
    rows = [line for line in lines if re.match(r"\s+2026Q[12] ", line)]
    assert len(rows) == 2
    # the columns line up on a terminal, where a Chinese character takes two columns
    assert {_width(line) for line in [head, *rows]} == {_width(head)}
    categories = [line.split()[0] for line in lines if line.split()[:1] in (
        ["承诺"], ["最佳情况"], ["管道"])]
    assert categories == ["承诺", "最佳情况", "管道"]
    assert "金额单位 CNY；偏差" in out or "金额单位 CNY；偏差、" in out
    assert _english_left(out) == []


def test_funnel_forecast_lang_overrides_the_scenario(capsys):
    assert main(["forecast", "--days", "60", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "不适用：60 天的结果期（2026-01-01 至 2026-03-01）内没有完整的季度" in out
    assert _english_left(out) == []
    assert main(["forecast", str(ROOT / "scenarios" / "course_zh.toml"), "--days", "200",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Funnel Sandbox: ") and not CJK.search(out.split("\n", 1)[1])
