"""What the browser tests of ``make classroom`` share (tests/test_classroom*.py): the server
started as a trainer starts it, on a free port, and stopped with everything it started."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60  # Voila prints its URL in a few seconds
PAGE_MS = 180_000  # a lesson runs all its cells before its page shows (~15 s in fast mode)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}




@contextlib.contextmanager
def classroom_server(log_path: Path, *make_vars: str) -> Iterator[str]:
    """``make classroom MAKE_VARS...`` (e.g. ``CLASSROOM_PORT=8871``); yields the URL it
    prints, then stops make, Voila and the lessons' kernels.

    FUNNEL_FAST=1 makes the lessons run their short simulations (as the lesson tests do),
    so that a page shows in seconds; the page, the template and the panels are the same."""
    env = {**os.environ, "FUNNEL_FAST": "1"}
    with log_path.open("w") as log:
        server = subprocess.Popen(["make", "--no-print-directory", "classroom", *make_vars],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
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
