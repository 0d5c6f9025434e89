"""``make classroom`` end to end: the lessons as code-free pages in a real browser.

The test starts the server as a trainer does (``make classroom`` on a free port), opens the
lessons' list and two lessons in headless Chromium (Debian's ``chromium``, driven by
Playwright; no browser is ever downloaded), moves a slider of each lesson's panel and checks
that the figure and the panel's summary line change, saves screenshots, and checks that

- no code is shown;
- the browser asked nothing of any host but the server on 127.0.0.1 (every request and
  web socket is recorded), so the page works in a room with no internet;
- lessons/ is byte for byte as it was (Voila never saves a notebook).

The existing lessons have no widget exercise yet (their exercises are code edits), so the
test reads each panel's summary line instead of answering one.

Chromium is a system package (``.ci/run`` installs it): without it the test is skipped
locally, and fails under CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"

pytestmark = pytest.mark.slow

# Two lessons: the slider the test moves (by its place in the panel) and the summary line
# the panel prints under its figure. Lesson 1: Reps (5 -> 6); lesson 3: payment terms (30 -> 45
# days), which moves the cash bars.
LESSON_PANELS = {
    "01_leads_to_funnel.ipynb": (0, re.compile(r"Leads \d+, opportunities \d+, won \d+")),
    "03_forecast_and_cash.ipynb": (1, re.compile(r"DSO: \d+ days; cash collected over the year")),
}

START_SECONDS = 60  # Voila prints its URL in a few seconds
PAGE_MS = 180_000  # a lesson runs all its cells before its page shows (~15 s in fast mode)
REDRAW_MS = 60_000  # a panel answers a slider move in about a second


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = ("Debian's chromium is not installed (apt-get install chromium; .ci/run "
                  "installs it): the classroom page cannot be tested in a browser")
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ", and under CI this test must run")
        pytest.skip(reason)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """``make classroom`` on a free port; yields the URL it prints, then stops it.

    FUNNEL_FAST=1 makes the lessons run their short simulations (as the lesson tests do), so
    that a page shows in seconds; the page, the template and the panels are the same."""
    log_path = tmp_path_factory.mktemp("classroom") / "voila.log"
    env = {**os.environ, "FUNNEL_FAST": "1"}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "classroom", f"CLASSROOM_PORT={_free_port()}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        url = None
        while url is None:
            found = re.search(r"http://127\.0\.0\.1:\d+/", log_path.read_text())
            if found:
                url = found[0]
            elif server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make classroom printed no URL:\n{log_path.read_text()}")
            else:
                time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):  # none left if make failed
            os.killpg(server.pid, signal.SIGTERM)  # make, Voila and the lessons' kernels
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        print(f"make classroom's output ({log_path}):\n{log_path.read_text()[-4000:]}")


def _summary(panel) -> str:
    return panel.query_selector(".widget-output").inner_text()


def _figure(panel) -> str:
    """The panel's first figure, as the ``src`` of its image (the PNG's bytes, base64)."""
    img = panel.query_selector(".widget-output img")
    src = img and img.get_attribute("src")
    assert src and src.startswith("data:image/png;base64,"), src
    return src


REDRAWN = """([box, old, summary]) => {
    const img = box.querySelector('.widget-output img');
    const text = box.querySelector('.widget-output').innerText;
    return img !== null && img.src !== old && new RegExp(summary).test(text); }"""
"""True once the panel shows a new figure and its summary line under it."""


def test_make_classroom_serves_the_lessons_offline_without_code(chromium, classroom,
                                                                 tmp_path):
    before = _snapshot(LESSONS)
    requests: list[str] = []

    def shot(name: str) -> None:  # printed as it is saved, so a failure still shows them
        path = tmp_path / f"{name}.png"
        page.screenshot(path=path)
        print("screenshot:", path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))

        # the lessons' list: every numbered lesson is on it (Voila's tree page is a small
        # JupyterLab app that lists the folder once its scripts have loaded)
        page.goto(classroom, timeout=PAGE_MS)
        for lesson in sorted(LESSONS.glob("[0-9][0-9]_*.ipynb")):
            page.get_by_text(lesson.name, exact=True).wait_for(timeout=PAGE_MS)
        shot("lessons")

        for lesson, (slider, summary) in LESSON_PANELS.items():
            page.goto(f"{classroom}voila/render/{lesson}", timeout=PAGE_MS)
            # the panel: the box that holds the sliders and the figure they redraw
            boxes = page.locator(".widget-vbox:has(.widget-slider):has(.widget-output img)")
            boxes.last.wait_for(timeout=PAGE_MS)
            panel = boxes.last.element_handle()
            text = page.locator("body").inner_text()
            assert "import " not in text and "vary(" not in text, f"{lesson} shows its code"
            assert page.locator(".jp-CodeMirrorEditor").count() == 0, f"{lesson} shows code"

            first, shown = _figure(panel), _summary(panel)
            assert summary.search(shown), f"{lesson}: the panel says {shown!r}"
            panel.scroll_into_view_if_needed()
            shot(f"{lesson}.before")

            # one step to the right (a keyboard move, as a learner can)
            handle = panel.query_selector_all(".widget-slider .noUi-handle")[slider]
            handle.focus()
            handle.press("ArrowRight")
            page.wait_for_function(REDRAWN, arg=[panel, first, summary.pattern],
                                   timeout=REDRAW_MS)
            assert _figure(panel) != first
            assert summary.search(_summary(panel)), f"{lesson}: {_summary(panel)!r}"
            shot(f"{lesson}.after")
        browser.close()

    outside = [url for url in requests
               if not url.startswith(("data:", "blob:", classroom,
                                      classroom.replace("http://", "ws://", 1)))]
    assert not outside, "the page asked hosts other than the classroom server:\n" + "\n".join(
        outside)
    assert requests, "no request was recorded"
    assert _snapshot(LESSONS) == before, "opening the lessons changed files in lessons/"
