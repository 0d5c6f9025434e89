"""``make classroom CLASSROOM_LANG=zh``: the lessons' pages in Chinese, drawn with the
packaged font on any machine.

Headless Chromium on a machine with no CJK font shows Chinese as empty boxes. The classroom
template declares the packaged font (paperang-p2-fonts-cjk's WenQuanYi Micro Hei, the one
the figures use) with ``@font-face``, first in the page's fonts for CJK characters, and
``make classroom`` writes it as a web font among the template's static files, so the
Voila server on 127.0.0.1 serves it. The browser test starts the room in Chinese, opens
the first lesson, and checks that the label of one of its controls is Chinese, that the
font came from the server (no request leaves the machine), and that Chromium drew every
Chinese character of that label with it: the web font the template declares, not a system
font (this machine may have one).

``CLASSROOM_LANG`` and ``LESSON_LANG`` (``make lab``) set FUNNEL_LANG for the kernels, which
:func:`sim.presentation.widgets.lesson_language` reads; empty, each lesson's scenario's
language.

Chromium is Debian's (``/usr/bin/chromium``; no browser is ever downloaded): without it the
browser test is skipped locally, and fails under CI (``CI=true``).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from classroom_helpers import PAGE_MS, ROOT, classroom_server, free_port, snapshot
from fontTools.ttLib import TTFont
from playwright.sync_api import sync_playwright

from sim.presentation.i18n import ZH
from sim.presentation.plots import fonts

LESSONS = ROOT / "lessons"
TEMPLATE = LESSONS / ".jupyter" / "voila" / "templates" / "classroom" / "index.html.j2"
FONT_FACE = re.search(r'@font-face\s*\{[^}]*font-family:\s*"([^"]+)"[^}]*'
                      r'url\("[^"]*voila/templates/classroom/static/([^"/]+)"\)',
                      TEMPLATE.read_text(encoding="utf-8"))
FAMILY, FONT_FILE = FONT_FACE.groups() if FONT_FACE else (None, None)
CJK = re.compile("[\u4e00-\u9fff]")


def _make_dry_run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-n", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


# --- the make targets and the font file (quick) -----------------------------------------------

def test_the_room_language_reaches_the_kernels():
    lab = _make_dry_run("lab", "LESSON_LANG=zh")
    assert lab.returncode == 0, lab.stderr
    assert "FUNNEL_LANG=zh .venv/bin/jupyter lab" in lab.stdout
    room = _make_dry_run("classroom", "CLASSROOM_LANG=zh")
    assert room.returncode == 0 and "FUNNEL_LANG=zh " in room.stdout
    # empty: each lesson's scenario's language (lesson_language ignores an empty value)
    assert "FUNNEL_LANG= " in _make_dry_run("classroom").stdout
    for argv in (["classroom", "CLASSROOM_LANG=fr"], ["lab", "LESSON_LANG=zh en"]):
        bad = _make_dry_run(*argv)
        assert bad.returncode != 0 and "is not allowed: give en or zh" in bad.stderr, argv
        assert ".venv/bin/" not in bad.stdout  # make stopped before doing anything


def test_make_classroom_serves_the_file_the_template_declares():
    assert FAMILY and FONT_FILE == "funnel-cjk.ttf", TEMPLATE
    room = _make_dry_run("--always-make", "classroom")  # as if the file were not there yet
    # written by write_web_font under build/ (ignored by git), which JUPYTER_PATH names
    assert re.search(r"write_web_font\(sys\.argv\[1\]\)' build/jupyter/voila/templates/"
                     rf"classroom/static/{re.escape(FONT_FILE)}", room.stdout), room.stdout
    assert re.search(r"JUPYTER_PATH=\S*/lessons/\.jupyter:\S*/build/jupyter ", room.stdout)
    ignored = subprocess.run(["git", "check-ignore", "-q",
                              f"build/jupyter/voila/templates/classroom/static/{FONT_FILE}"],
                             cwd=ROOT)
    assert ignored.returncode == 0


def test_the_web_font_is_the_packaged_font_as_truetype(tmp_path):
    path = fonts.write_web_font(tmp_path / "static" / "funnel-cjk.ttf")
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType, not a collection (ttcf)
    font = TTFont(path)
    assert font["name"].getDebugName(1) == "WenQuanYi Micro Hei"
    cmap = font.getBestCmap()
    chars = {ch for zh in ZH.values() for ch in zh if CJK.match(ch)}
    assert len(chars) > 300 and sorted(ch for ch in chars if ord(ch) not in cmap) == []
    fonts.write_web_font(path)  # again: replaced whole, no part file left
    assert sorted(p.name for p in path.parent.iterdir()) == ["funnel-cjk.ttf"]


# --- the page in a browser (slow) -------------------------------------------------------------

@pytest.fixture(scope="module")
def first_lesson():
    lessons = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        pytest.skip("lessons/ holds no lesson (NN_*.ipynb) to open in the browser")
    return lessons[0]


@pytest.fixture(scope="module")
def chinese_classroom(first_lesson, tmp_path_factory):
    """``make classroom CLASSROOM_LANG=zh`` on a free port; yields the URL it prints."""
    log = tmp_path_factory.mktemp("classroom_zh") / "voila.log"
    with classroom_server(log, f"CLASSROOM_PORT={free_port()}", "CLASSROOM_LANG=zh") as url:
        yield url


CHINESE_CONTROLS = r"""() => {
    const found = [...document.querySelectorAll(
        '.widget-label, .widget-button, button, select, .widget-dropdown label')]
        .filter(e => /[\u4e00-\u9fff]/.test(e.innerText));
    found.forEach((e, i) => e.setAttribute('data-chinese-control', i));
    return found.length ? found.map(e => e.innerText) : null; }"""
"""The texts of the controls (labels, buttons, drop-downs) that speak Chinese, each marked
with its place so that the DevTools protocol can find it; null while there is none."""

FONT_STATUS = """async (family) => {
    await document.fonts.ready;
    return [...document.fonts].filter(f => f.family.replace(/["']/g, '') === family)
        .map(f => f.status); }"""


@pytest.mark.slow
def test_a_chinese_room_draws_its_chinese_with_the_served_font(
        chromium, first_lesson, chinese_classroom, tmp_path):
    before = snapshot(LESSONS)
    requests: list[str] = []
    fonts_served: list[tuple[str, int]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        page.on("response", lambda r: fonts_served.append((r.url, r.status))
                if r.url.endswith(f"/{FONT_FILE}") else None)

        page.goto(f"{chinese_classroom}voila/render/{first_lesson.name}", timeout=PAGE_MS)
        labels = page.wait_for_function(CHINESE_CONTROLS, timeout=PAGE_MS).json_value()
        page.locator("[data-chinese-control]").first.scroll_into_view_if_needed()
        assert page.evaluate(FONT_STATUS, FAMILY) == ["loaded"]
        assert page.evaluate(f"""() => document.fonts.check('16px "{FAMILY}"', '销售')""")
        shot = tmp_path / f"{first_lesson.stem}.zh.png"
        page.screenshot(path=shot)
        print("screenshot:", shot)

        # which fonts Chromium drew each control's text with (the DevTools protocol)
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        used = []
        for i in range(len(labels)):
            node = cdp.send("DOM.querySelector", {
                "nodeId": root, "selector": f'[data-chinese-control="{i}"]'})["nodeId"]
            used.append(cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"])
        browser.close()

    print("controls in Chinese:", labels)
    for label, fonts_used in zip(labels, used, strict=True):
        # every Chinese character came from the web font, none from a system font
        ours = [f for f in fonts_used if f["isCustomFont"]]
        assert [f["familyName"] for f in ours] == ["WenQuanYi Micro Hei"], (label, fonts_used)
        wide = sum(1 for ch in label if fonts.has_cjk(ch))
        assert ours[0]["glyphCount"] == wide, (label, fonts_used)
    # served by the classroom server, from this machine
    assert fonts_served and all(url.startswith(chinese_classroom) and status in (200, 304)
                                for url, status in fonts_served), fonts_served
    outside = [url for url in requests
               if not url.startswith(("data:", "blob:", chinese_classroom,
                                      chinese_classroom.replace("http://", "ws://", 1)))]
    assert not outside, "the page asked hosts other than the classroom server:\n" + "\n".join(
        outside)
    assert snapshot(LESSONS) == before, "opening the lesson changed files in lessons/"
