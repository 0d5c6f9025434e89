"""Fixtures the browser tests share (tests/test_classroom*.py)."""

import os
import shutil

import pytest


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; skipped without it locally, failed under CI, where it must run."""
    path = shutil.which("chromium")
    if path is None:
        reason = ("Debian's chromium is not installed (apt-get install chromium; .ci/run "
                  "installs it): the classroom page cannot be tested in a browser")
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ", and under CI this test must run")
        pytest.skip(reason)
    return path
