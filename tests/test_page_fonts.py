"""The CJK font embedded in our HTML pages (sim.presentation.page).

A page with Chinese text (the run report, the stress test and the tournament's debrief with
``--lang zh``) carries an ``@font-face`` whose source is the packaged font cut down to the
page's CJK characters, as a base64 ``data:`` URL: the page shows its Chinese on a machine
with no CJK font, stays one file and fetches nothing. A page without CJK text is exactly as
before (its ``<style>`` is the report's CSS, byte for byte).

Sizes (the embedded TrueType, before base64's 4/3; measured): the Chinese report of
course_zh has 389 distinct CJK characters, a 75 kB font on a 980 kB page (its figures are
most of it); the Chinese stress report 148 characters, 28 kB; the Chinese debrief 177
characters, 33 kB. The catalogue's every Chinese character would be 96 kB, the whole
font's regular face 5 MB.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from playwright.sync_api import sync_playwright

from sim.crm.reader import read_history, read_opportunities
from sim.crm.stress import stress_pipeline
from sim.experiments.runner import simulate
from sim.experiments.tournament import Team, run_tournament, tournament_scenario
from sim.presentation import debrief, report, stress_report
from sim.presentation.page import WEB_CJK_FAMILY, cjk_font_css, html_page, unicode_range
from sim.presentation.plots import fonts
from sim.scenario.files import load_scenario
from sim.scenario.submission import parse_submission
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FACE = re.compile(r"@font-face \{ font-family: \"([^\"]+)\"; src: url\(data:font/ttf;base64,"
                  r"([A-Za-z0-9+/=]+)\) format\(\"truetype\"\); unicode-range: ([^;]+); \}")


def _style(page: str) -> str:
    return re.search(r"<style>(.*?)</style>", page, flags=re.S)[1]


def _visible(page: str) -> str:
    """What a reader sees: the title and the body's text (the scenario's TOML included),
    without the markup."""
    title = re.search(r"<title>(.*?)</title>", page)[1]
    body = page.split("<body>", 1)[1]
    return html.unescape(title + " " + re.sub(r"<[^>]+>", " ", body))


def _embedded_font(page: str) -> TTFont:
    """The page's one embedded font, checked for its family, its place and its range."""
    faces = FACE.findall(_style(page))
    assert len(faces) == 1, _style(page)[-300:]
    family, data, ranges = faces[0]
    assert family == WEB_CJK_FAMILY and ranges == unicode_range()
    # the family comes first in the body's fonts, before the report's own
    assert re.search(rf'body \{{ font-family: "{family}", system-ui, ', _style(page))
    return TTFont(io.BytesIO(base64.b64decode(data)))


def _check_font_covers_the_page(page: str, most_kb: int) -> None:
    wanted = set(fonts.cjk_characters(_visible(page)))
    assert len(wanted) > 50  # a Chinese page, not a few names
    font = _embedded_font(page)
    cmap = font.getBestCmap()
    assert wanted - {chr(c) for c in cmap} == set()  # every CJK character has its glyph
    # and no CJK character the page lacks (its markup counts: a figure's alt text): the
    # subset is the page's, not the catalogue's
    in_page = set(fonts.cjk_characters(html.unescape(page.split("</style>", 1)[1])))
    assert {chr(c) for c in cmap if fonts.has_cjk(chr(c))} == in_page
    size = len(base64.b64decode(FACE.search(page)[2]))
    assert size < most_kb * 1000, size  # the page's characters only (see the sizes above)
    _check_fetches_nothing(page)


def _check_fetches_nothing(page: str) -> None:
    # no address of any host: every src, href and url() is a data: URL or an anchor
    assert not re.search(r"https?://", page, re.I)
    for ref in re.findall(r"(?:src|href)=\"([^\"]*)\"|url\(([^)]*)\)", page):
        target = "".join(ref)
        assert target.startswith(("data:", "#")), target[:60]


# -- the frame itself ----------------------------------------------------------------------

def test_a_page_without_cjk_text_is_the_frame_as_before():
    page = html_page("T &amp; Co", "<h1>Funnel</h1>", report.CSS, "en")
    assert page == ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                    f"<title>T &amp; Co</title><style>{report.CSS}</style></head>"
                    "<body><h1>Funnel</h1></body></html>\n")
    assert cjk_font_css("Funnel, Ünïcode — “quoted”", report.CSS) == ""


def test_a_page_with_cjk_text_embeds_exactly_its_characters():
    page = html_page("漏斗", "<p>阶段&#x4E00;，Funnel</p>", report.CSS, "zh")
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-Hans">')
    assert _style(page).startswith(report.CSS)  # the report's styles, then the font's
    font = _embedded_font(page)
    # the entity counts (the reader sees 一); the Latin letters are left to the page's fonts
    assert {chr(c) for c in font.getBestCmap()} == set("漏斗阶段一，")
    _check_fetches_nothing(page)


def test_the_unicode_range_is_the_cjk_blocks():
    ranges = [tuple(int(x, 16) for x in r.removeprefix("U+").split("-"))
              for r in unicode_range().split(", ")]
    assert ranges == list(fonts.CJK_RANGES)
    assert all(fonts.has_cjk(chr(a)) and fonts.has_cjk(chr(b)) for a, b in ranges)
    assert not fonts.has_cjk("A") and not fonts.has_cjk(chr(ranges[0][0] - 1))


def test_without_the_packaged_font_the_page_keeps_its_styles(monkeypatch):
    monkeypatch.setattr(fonts, "packaged_font_file", lambda: None)
    assert cjk_font_css("漏斗", report.CSS) == ""


# -- the three pages -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def course_zh():
    return simulate(vary(load_scenario(ROOT / "scenarios" / "course_zh.toml"),
                         {"horizon_days": 90}))


def test_the_chinese_report_carries_its_font(course_zh):
    page = report.build_report(course_zh)
    assert '<html lang="zh-Hans">' in page
    _check_font_covers_the_page(page, most_kb=110)


def test_the_english_report_of_a_chinese_scenario_carries_its_stage_names_font(course_zh):
    # the stage names and the scenario's text stay as the user wrote them, in Chinese
    page = report.build_report(course_zh, lang="en")
    assert '<html lang="en">' in page and "初步接洽" in page
    cmap = _embedded_font(page).getBestCmap()
    assert set(fonts.cjk_characters(_visible(page))) <= {chr(c) for c in cmap}


def test_an_english_report_is_as_before():
    result = simulate(vary(load_scenario(ROOT / "scenarios" / "baseline.toml"),
                           {"horizon_days": 30, "warmup_days": 0}))
    page = report.build_report(result)
    assert "@font-face" not in page and WEB_CJK_FAMILY not in page
    assert f"<style>{report.CSS}</style></head><body><h1>" in page  # byte for byte
    _check_fetches_nothing(page)


def _stress():
    return stress_pipeline(read_opportunities(str(DATA / "salesforce_opportunities.csv")),
                           read_history(str(DATA / "salesforce_history.csv")),
                           start="2027-07-01", end="2027-10-01", quota=150_000, draws=200)


def test_the_stress_report_carries_its_font_in_chinese_only():
    result = _stress()
    page = stress_report.build_stress_report(result, "pipeline.csv", lang="zh")
    _check_font_covers_the_page(page, most_kb=45)
    english = stress_report.build_stress_report(result, "pipeline.csv", lang="en")
    assert "@font-face" not in english and f"<style>{report.CSS}</style>" in english
    _check_fetches_nothing(english)


@pytest.fixture(scope="module")
def tournament():
    """Two teams, two replications on a short baseline: the page, not the ranking, is under
    test."""
    sc, _ = tournament_scenario(vary(load_scenario(ROOT / "scenarios" / "baseline.toml"),
                                     {"team.reps": 2, "warmup_days": 30,
                                      "horizon_days": 120}))
    teams = [Team.of(sc, parse_submission(f'team = "{name}"\n[policy]\nname = "{policy}"\n',
                                          f"{name}.toml"))
             for name, policy in (("North", "miller_heiman"), ("South", "close_first"))]
    return run_tournament(sc, teams, 2, reference="North")


def test_the_debrief_carries_its_font_in_chinese_only(tournament):
    page = debrief.build_debrief(tournament, lang="zh")
    _check_font_covers_the_page(page, most_kb=50)
    english = debrief.build_debrief(tournament, lang="en")
    assert "@font-face" not in english and f"<style>{report.CSS}</style>" in english
    _check_fetches_nothing(english)


# -- in a browser --------------------------------------------------------------------------

FONT_STATUS = """async (family) => {
    await document.fonts.ready;
    return [...document.fonts].filter(f => f.family.replace(/["']/g, '') === family)
        .map(f => f.status); }"""


@pytest.mark.slow
def test_chromium_draws_the_chinese_stress_report_with_the_embedded_font(chromium, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(stress_report.build_stress_report(_stress(), "pipeline.csv", lang="zh"),
                    encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        heading = page.locator("h2").first.inner_text()
        assert page.evaluate(FONT_STATUS, WEB_CJK_FAMILY) == ["loaded"]
        assert page.evaluate("([family, text]) => document.fonts.check(`16px \"${family}\"`, "
                             "text)", [WEB_CJK_FAMILY, heading])
        # which fonts Chromium drew the heading with (the DevTools protocol)
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h2"})["nodeId"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        browser.close()
    assert fonts.has_cjk(heading)
    # every CJK character of the heading came from the embedded font (its own name inside)
    ours = [f for f in used if f["isCustomFont"]]
    assert [f["familyName"] for f in ours] == ["WenQuanYi Micro Hei"], used
    assert ours[0]["glyphCount"] == sum(1 for ch in heading if fonts.has_cjk(ch)), used
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
