"""Every core, with progress: experiments default to all usable cores, and a progress bar
shows on standard error only in a terminal, never with ``--quiet`` or ``--json``, and
never on standard output."""

from __future__ import annotations

import argparse
import fcntl
import io
import os
import pty
import struct
import subprocess
import termios
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_cli import _funnel

from sim import Scenario, replicate
from sim.experiments import executors
from sim.presentation.commands.execution import (
    add_execution_options,
    execution,
    show_progress,
)

SC = Scenario(horizon_days=20, warmup_days=5, seed=2)
SMALL_COMPARE = ["compare", "--replications", "2", "--days", "30", "--workers", "2"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


# -- the rule for the bar ---------------------------------------------------------------------
@pytest.mark.parametrize(("tty", "quiet", "json", "shown"), [
    (True, False, False, True),
    (False, False, False, False),
    (True, True, False, False),
    (True, False, True, False),
    (True, True, True, False),
    (False, True, False, False),
])
def test_the_bar_shows_only_in_a_terminal_without_quiet_or_json(tty, quiet, json, shown):
    assert show_progress(quiet, json, _Stream(tty)) is shown


def test_a_stream_that_cannot_say_is_no_terminal():
    closed = io.StringIO()
    closed.close()
    assert show_progress(False, False, closed) is False
    assert show_progress(False, False, object()) is False


def test_standard_error_is_the_default_stream(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Stream(True))
    assert show_progress(False, False) is True
    monkeypatch.setattr("sys.stderr", _Stream(False))
    assert show_progress(False, False) is False


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    add_execution_options(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(("argv", "tty", "expected"), [
    ((), True, {"workers": None, "executor": None, "progress": "compare"}),
    ((), False, {"workers": None, "executor": None, "progress": False}),
    (("--workers", "3", "--quiet"), True, {"workers": 3, "executor": None, "progress": False}),
    (("--json",), True, {"workers": None, "executor": None, "progress": False}),
])
def test_execution_gives_compares_keywords(monkeypatch, argv, tty, expected):
    monkeypatch.setattr("sys.stderr", _Stream(tty))
    with execution(_args(*argv), label="compare") as where:
        assert where == expected


# -- all usable cores -------------------------------------------------------------------------
def test_usable_cores_follow_the_cpu_affinity(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert executors.usable_cores() == 3


def test_usable_cores_without_an_affinity_are_every_core(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert executors.usable_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one
    assert executors.usable_cores() == 1


def test_the_default_is_every_usable_core_but_one_job_runs_here(monkeypatch):
    monkeypatch.setattr(executors, "usable_cores", lambda: 3)
    assert executors.worker_count(None, 10) == 3
    assert executors.worker_count(None, 2) == 2
    assert executors.worker_count(None, 1) == 1
    assert executors.worker_count(5, 10) == 5


def test_replicate_uses_every_usable_core_by_default(monkeypatch):
    pools = []
    real = executors._run_in_pool

    def spy(function, jobs, workers, advance):
        pools.append(workers)
        return real(function, jobs, workers, advance)

    monkeypatch.setattr(executors, "usable_cores", lambda: 2)
    monkeypatch.setattr(executors, "_run_in_pool", spy)
    replicate(SC, 3)
    replicate(SC, 1)  # one job: no pool
    replicate(SC, 3, workers=1)
    assert pools == [2]


# -- the bar ----------------------------------------------------------------------------------
@pytest.fixture
def bars(monkeypatch):
    """Each bar's (label, total, count when it closed)."""
    closed = []

    class Recorded(executors._Bar):
        def close(self):
            if not self.disable and (self.desc, self.total, self.n) not in closed:
                closed.append((self.desc.rstrip(": "), self.total, self.n))
            super().close()

    monkeypatch.setattr(executors, "_Bar", Recorded)
    return closed


@pytest.mark.parametrize("where", ["here", "pool", "executor"])
def test_the_bar_counts_every_replication_on_standard_error(bars, capsys, where):
    with ThreadPoolExecutor(2) as pool:
        kwargs = {"here": {"workers": 1}, "pool": {"workers": 2},
                  "executor": {"executor": pool}}[where]
        replicate(SC, 3, progress="replications", **kwargs)
    out, err = capsys.readouterr()
    assert bars == [("replications", 3, 3)]
    assert out == "" and "replications" in err


def test_no_bar_unless_asked(bars, capsys):
    replicate(SC, 3, workers=2)
    assert bars == [] and capsys.readouterr() == ("", "")


# -- the command line, as a user runs it -------------------------------------------------------
class Terminal:
    """A pseudo-terminal 80 columns wide (a new one has 0, and a bar 0 wide shows
    nothing), as a context manager that closes both ends. Give ``slave`` to a program,
    then :meth:`release` it here, so that reading ``master`` ends when the program does.
    """

    def __init__(self):
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def release(self) -> None:
        if self.slave is not None:
            os.close(self.slave)
            self.slave = None

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        os.close(self.master)


def read_terminal(master: int) -> str:
    """Everything a pseudo-terminal shows until the program holding it exits."""
    shown = bytearray()
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: nothing holds the terminal open any more
            break
        if not chunk:
            break
        shown += chunk
    return shown.decode(errors="replace")


def _run_with_stderr_on_a_terminal(argv: list[str]) -> tuple[int, str, str]:
    """Run ``funnel argv`` with standard output to a pipe and standard error to a
    terminal; (status, stdout, what the terminal showed)."""
    with Terminal() as tty, \
            subprocess.Popen([*_funnel(), *argv], stdout=subprocess.PIPE, stderr=tty.slave,
                             stdin=subprocess.DEVNULL, text=True) as proc:
        tty.release()
        shown = read_terminal(tty.master)
        out = proc.stdout.read()
        proc.wait(timeout=60)
    return proc.returncode, out, shown


@pytest.mark.slow
def test_a_terminal_shows_the_bar_and_standard_output_only_results():
    status, out, shown = _run_with_stderr_on_a_terminal(SMALL_COMPARE)
    assert status == 0, shown
    assert "compare:" in shown and "run" in shown
    piped = subprocess.run([*_funnel(), *SMALL_COMPARE], capture_output=True, text=True,
                           timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""  # not a terminal: no bar
    assert out == piped.stdout  # the results, and only they, whatever stderr is
    assert "\r" not in out and "run/s" not in out and "%|" not in out


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--quiet", "--json"])
def test_quiet_and_json_silence_the_bar_in_a_terminal(option):
    status, out, shown = _run_with_stderr_on_a_terminal([*SMALL_COMPARE, option])
    assert status == 0, shown
    assert shown == ""
    assert out
