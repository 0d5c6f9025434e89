"""English and Chinese: one text catalogue (sim/presentation/i18n.py) for the report, the
figures and the lessons' panels; the scenario's ``language`` or ``funnel run --lang``
chooses."""

import ast
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib import font_manager

import sim.presentation.widgets as widgets_module
from sim.analysis.cash import CYCLE_PARTS
from sim.analysis.forecast import CATEGORIES
from sim.analysis.views import KINDS, PRIORITIES, STATUSES, TYPES, VIEW_LEVELS
from sim.crm.movement import MOVES
from sim.experiments.runner import simulate
from sim.presentation import cli, i18n, report
from sim.presentation.i18n import ZH, MissingText, placeholders, text, using
from sim.presentation.panels import LESSON_PANELS
from sim.presentation.panels.stages import funnel_panel
from sim.presentation.plots import charts, fonts
from sim.presentation.plots.style import LEVEL_LABELS
from sim.presentation.widgets import RUNNING
from sim.scenario.files import load_scenario
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
PRESENTATION = ROOT / "sim" / "presentation"
CJK = re.compile("[\u4e00-\u9fff]")
CHINESE_TEXT = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # or its punctuation

# the values the model names in English and the report shows in a cell or a legend
# (contract statuses, team-plan changes and ageing parts are spelled in the analysis)
MODEL_WORDS = [*STATUSES, *TYPES, *KINDS, *PRIORITIES, *VIEW_LEVELS, *CATEGORIES,
               *CYCLE_PARTS, "total", *MOVES, *LEVEL_LABELS.values(),
               "paid", "bad_debt", "delivered", "in_delivery", "awaiting_handover",
               "joins", "ramp", "full", "leaves", "leave",
               "month", "quarter", "period", "Month", "Quarter", "Period", "team",
               "Date", "Day (days from start date)"]


def _keys_in_code() -> set[str]:
    """Every literal text the presentation layer looks up: the first argument of
    ``_(...)`` and ``text(...)`` (either branch of a conditional)."""
    keys = set()
    for path in PRESENTATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "text") and node.args):
                continue
            arg = node.args[0]
            branches = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            keys |= {b.value for b in branches
                     if isinstance(b, ast.Constant) and isinstance(b.value, str)}
    return keys


def _report_constants() -> set[str]:
    """The texts the report keeps in tables of its own, looked up when shown."""
    return ({title for _, title in report.SECTIONS} | {name for _, name, _ in report.KPI_LABELS}
            | set(report.KPI_UNDEFINED.values())
            | {t for _, title, heading in report.DISTRIBUTIONS for t in (title, heading)}
            | {report.NA, report.NO_DATA, report.RESULTS, report.END_PIPELINE, charts.NO_DATA}
            | {s[1] for s in charts._CASH_SERIES})


# --- the catalogue -------------------------------------------------------------------------

def test_every_text_has_chinese_with_the_same_placeholders():
    assert len(ZH) > 300
    for key, zh in ZH.items():
        assert key.strip() and zh.strip(), key
        assert CHINESE_TEXT.search(zh), f"{key!r} is not translated: {zh!r}"
        assert placeholders(key) == placeholders(zh), key


def test_every_text_the_code_shows_is_in_the_catalogue():
    used = _keys_in_code() | _report_constants() | set(MODEL_WORDS)
    assert len(_keys_in_code()) > 150  # the scan finds the calls
    assert sorted(used - ZH.keys()) == []


def test_a_text_missing_from_the_catalogue_fails_in_both_languages():
    for lang in ("en", "zh"):
        with pytest.raises(MissingText, match="not in the text catalogue"):
            text("A sentence nobody wrote down", lang)
    with pytest.raises(MissingText, match="no language 'xx'"):
        text("Win rate", "xx")
    with pytest.raises(MissingText):
        with using("fr"):
            pass


def test_text_fills_placeholders_in_the_chosen_language():
    assert text("{n} reps", n=5) == "5 reps"
    assert text("{n} reps", "zh", n=5) == "5 名销售代表"
    with using("zh"):
        assert i18n.current() == "zh" and text("Win rate") == "赢单率"
        with using("en"):
            assert text("Win rate") == "Win rate"
        assert text("Win rate") == "赢单率"
    assert i18n.current() == "en" and i18n.chosen() is None


def test_the_courses_own_words():
    # course_original_zh.txt: 销售线索, 销售机会, 销售漏斗, 阶段赢率, 跟踪, 销售机会视图...
    expected = {"Leads": "销售线索", "Opportunities": "销售机会", "Stage win rate": "阶段赢率",
                "tracking": "跟踪", "Opportunity view": "销售机会视图", "Forecast": "销售预测",
                "Expected close": "预计签单日期", "Owner": "负责人", "Win rate": "赢单率"}
    assert {key: ZH[key] for key in expected} == expected
    assert "销售漏斗" in ZH["Sales funnel: open deals by stage"]


def test_the_packaged_font_draws_every_chinese_character_of_the_catalogue():
    font = font_manager.get_font(str(fonts.packaged_font_file()))
    chars = {ch for zh in ZH.values() for ch in zh if ord(ch) > 0x2000}
    assert len(chars) > 300
    assert sorted(ch for ch in chars if not font.get_char_index(ord(ch))) == []


# --- the report ----------------------------------------------------------------------------

def _visible(page: str) -> str:
    """The text a reader sees, without the scenario's TOML and the styles."""
    body = re.sub(r"<(pre|style)>.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def course_zh():
    return simulate(vary(load_scenario(ROOT / "scenarios" / "course_zh.toml"),
                         {"horizon_days": 120}))


@pytest.fixture(scope="module")
def zh_page(course_zh):
    # pytest turns warnings into errors: a "Glyph ... missing from font" warning while the
    # figures are drawn fails this fixture
    assert fonts.find_cjk_font() == "WenQuanYi Micro Hei"  # the PyPI package's font
    return report.build_report(course_zh)


def test_the_course_scenario_is_in_chinese(course_zh):
    assert course_zh.scenario.language == "zh"
    assert load_scenario(ROOT / "scenarios" / "baseline.toml").language == "en"


def test_a_chinese_report_speaks_chinese(zh_page):
    assert '<html lang="zh-Hans">' in zh_page
    headings = re.findall(r"<h[123]>(.*?)</h[123]>", zh_page)
    assert len(headings) > 20 and all(CJK.search(h) for h in headings), headings
    for _, title in report.SECTIONS:
        assert f"<h2>{html.escape(ZH[title])}</h2>" in zh_page and f">{title}<" not in zh_page
    seen = _visible(zh_page)
    letters = [c for c in seen if c.isalpha()]
    chinese = sum(bool(CJK.match(c)) for c in letters)
    # the rest is the CRM's made-up customers and subjects, rep names and currency codes
    assert chinese / len(letters) > 0.5, chinese / len(letters)
    for words in ("Headline figures", "Win rate", "results period", "n/a", "No data"):
        assert words not in seen, words
    # the user's names stay as written; dates stay ISO
    assert "初步接洽" in seen and "谈判及签约" in seen
    assert re.search(r"结果期 2026-01-01 至 2026-04-30", seen)


def test_the_english_report_of_the_same_run_is_english(course_zh):
    page = report.build_report(course_zh, lang="en")
    assert '<html lang="en">' in page and "<h2>Headline figures</h2>" in page
    assert "关键指标" not in page
    assert "初步接洽" in page  # stage names as the user wrote them


def test_figures_follow_the_scenario_or_the_caller(course_zh):
    def title(fig):
        return fig._suptitle.get_text()

    assert "销售漏斗" in title(charts.funnel_chart(course_zh))  # the scenario says zh
    with using("en"):
        assert title(charts.funnel_chart(course_zh)).startswith("Sales funnel")
    frame = charts.funnel_data(course_zh)
    assert "销售漏斗" in title(charts.plot_funnel(frame, lang="zh"))
    assert title(charts.plot_funnel(frame)).startswith("Sales funnel")


# --- the command line ------------------------------------------------------------------------

def test_run_lang_zh_gives_the_chinese_report_of_an_english_scenario(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--days", "30", "--lang", "zh", "--out", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in page and f"<h2>{ZH['Headline figures']}</h2>" in page
    assert 'language = "zh"' in (out / "scenario.toml").read_text(encoding="utf-8")
    capsys.readouterr()


def test_run_lang_en_overrides_a_chinese_scenario(tmp_path, capsys):
    out = tmp_path / "run"
    scenario = str(ROOT / "scenarios" / "course_zh.toml")
    assert cli.main(["run", scenario, "--days", "30", "--lang", "en", "--out", str(out)]) == 0
    assert "<h2>Headline figures</h2>" in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()


def test_run_refuses_an_unknown_language(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--days", "30", "--lang", "xx", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--lang" in err and "'xx'" in err and "Traceback" not in err
    assert not out.exists()


# --- the lessons' panels ---------------------------------------------------------------------

def test_panels_speak_the_scenarios_language_or_the_one_asked_for(monkeypatch, capsys):
    sc = vary(load_scenario(ROOT / "scenarios" / "baseline.toml"),
              {"horizon_days": 60, "warmup_days": 20})
    english = funnel_panel(sc)
    assert [w.description for w in english.widgets] == [
        "Reps", "Proposal win rate", "Trade-press ads budget per month"]
    chinese = funnel_panel(sc, lang="zh")
    assert [w.description for w in chinese.widgets] == [
        "销售代表人数", "方案阶段赢率", "Trade-press ads 每月预算"]  # the channel's name as written
    assert funnel_panel(vary(sc, {"language": "zh"})).lang == "zh"
    for build, _ in LESSON_PANELS.values():
        assert all(CJK.search(w.description) for w in build(sc, lang="zh").widgets)

    shown, messages = [], []
    monkeypatch.setattr(widgets_module, "display", shown.append)
    run = simulate

    def watch(scenario):
        messages.append(chinese.message.value)
        return run(scenario)

    chinese.run = watch
    chinese.update()
    assert messages == ['<p style="color:#555">运行中…</p>'] and RUNNING not in messages
    assert "销售漏斗" in shown[0]._suptitle.get_text()
    assert "销售线索 " in capsys.readouterr().out  # the summary line


# --- a machine with no system font -------------------------------------------------------------

CHILD = r'''
import json, sys, warnings
from matplotlib import font_manager as fm

# no system font, as in tests/test_fonts.py: matplotlib's own fonts and the packaged one
original = fm.findSystemFonts
fm.findSystemFonts = lambda fontpaths=None, fontext="ttf": (
    [] if fontpaths is None else original(fontpaths, fontext))
fm._get_fontconfig_fonts = lambda: []
fm.fontManager.__init__()
fm._get_font.cache_clear()
fm.FontManager._findfont_cached.cache_clear()

from sim.presentation import cli

with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    status = cli.main(["run", sys.argv[1], "--days", "120", "--out", sys.argv[2]])
print(json.dumps({"status": status, "warnings": [str(w.message) for w in seen]}))
'''


@pytest.mark.slow
def test_the_chinese_report_draws_every_glyph_with_no_system_font(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "MPL_IGNORE_SYSTEM_FONTS"}
    config = tmp_path / "mplconfig"
    config.mkdir()
    env.update(MPLCONFIGDIR=str(config), MPLBACKEND="Agg")
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "scenarios" / "course_zh.toml"), str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {"status": 0, "warnings": []}  # no "Glyph ... missing from font"
    assert '<html lang="zh-Hans">' in (out / "report.html").read_text(encoding="utf-8")
