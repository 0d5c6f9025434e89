"""Ctrl-C and kills: ``funnel`` stops at once, says ``interrupted`` (status 130), leaves no
worker process behind, and never leaves a half-written ``--out`` folder.

Each program runs as a real subprocess in its own process group, as a shell runs a
foreground job; a Ctrl-C is SIGINT sent to that whole group. The processes of a group
are read from ``/proc`` (Linux only).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_cli import _funnel
from test_progress import Terminal, read_terminal

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads processes from /proc (Linux)")

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 2.0
DASK_STOP_SECONDS = 5.0
"""``--dask local`` also shuts down the cluster's scheduler and nannies after killing its
workers: about 0.4 s on an idle machine, but 2.1-2.2 s was measured twice in full `make test`
runs on 2 cores. The issue's 2-second promise is for the local pool; for the Dask cluster
the bound is 5 s (still far below a graceful close, which waits for the replications under
way), so that this test tells a stop that hangs from a slow shutdown."""
"""How soon after a Ctrl-C the program must have exited."""
BIG = """\
name = "big"
warmup_days = 30
horizon_days = 3650
seed = 1
[[channels]]
kind = "inbound"
name = "Web"
leads_per_week = 400
[team]
reps = 20
"""
"""A scenario whose replication runs for many seconds."""


def _group(pgid: int) -> dict[int, str]:
    """The processes of a process group that are still alive: pid -> state (zombies,
    dead but not yet reaped, are left out)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state not in "ZX":
            found[int(entry)] = state
    return found


def _children(pid: int) -> list[int]:
    return [p for p in _group(pid) if p != pid]


def _wait_for(condition, timeout: float = 60.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _has_loaded_pandas(pid: int) -> bool:
    """The program is past its start-up and working: it has loaded pandas, which the
    command line imports only inside a command."""
    try:
        return "pandas/_libs" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _ctrl_c_as_in_a_shell() -> None:
    """In the child before it starts: Ctrl-C does what it does by default, even when these
    tests run where it is ignored (a background job of a non-interactive shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def start(tmp_path):
    """Start a command in its own process group; kill whatever is left at the end."""
    started: list[subprocess.Popen] = []

    def _start(argv: list[str], stderr=subprocess.PIPE) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=stderr, text=True, start_new_session=True,
                                preexec_fn=_ctrl_c_as_in_a_shell)
        started.append(proc)
        return proc

    yield _start
    for proc in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()  # reaps it and closes its pipes


def _interrupt(proc: subprocess.Popen) -> tuple[str, str, float]:
    """Ctrl-C the process group; (stdout, stderr, seconds until it exited)."""
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the program did not stop within 30 s of a Ctrl-C")
    return out, err, time.monotonic() - sent


def _assert_group_gone(pgid: int) -> None:
    _wait_for(lambda: not _group(pgid), timeout=STOP_SECONDS,
              what=f"the processes of group {pgid} to end: {_group(pgid)}")


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(BIG)
    return path


def test_ctrl_c_stops_compare_and_its_workers(start, big):
    proc = start([*_funnel(), "compare", str(big), "--workers", "2", "--replications", "30"])
    _wait_for(lambda: len(_children(proc.pid)) == 2, what="two worker processes")
    time.sleep(0.5)  # the workers are in the middle of their replications
    out, err, took = _interrupt(proc)
    assert proc.returncode == 130, err
    assert err == "interrupted\n"
    assert out == ""
    assert took < STOP_SECONDS
    _assert_group_gone(proc.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_ctrl_c_stops_compare_with_its_progress_bar(start, big):
    """With standard error on a terminal the progress bar is drawn; a Ctrl-C still
    stops everything at once, and the bar gives way to ``interrupted``."""
    with Terminal() as tty:
        proc = start([*_funnel(), "compare", str(big), "--workers", "2",
                      "--replications", "30"], stderr=tty.slave)
        tty.release()
        _wait_for(lambda: len(_children(proc.pid)) == 2, what="two worker processes")
        time.sleep(0.5)
        out, _, took = _interrupt(proc)
        shown = read_terminal(tty.master)
    assert proc.returncode == 130, shown
    assert out == ""
    assert "compare:" in shown and "0/60" in shown  # the bar was there
    assert shown.endswith("interrupted\r\n")  # a terminal shows "\n" as "\r\n"
    assert took < STOP_SECONDS
    _assert_group_gone(proc.pid)


@pytest.mark.slow
def test_ctrl_c_stops_a_local_dask_cluster(start, big):
    """``--dask local``: the cluster's worker processes (its scheduler and nannies run in
    the command's own process) end with the command, as quickly."""
    proc = start([*_funnel(), "compare", str(big), "--dask", "local", "--replications", "30"])
    # its workers run replications once they have loaded pandas (the other child is
    # multiprocessing's resource tracker). A worker still starting when the Ctrl-C
    # comes prints a traceback of its own (Dask's workers do not ignore Ctrl-C while
    # they import); this test does not cover that moment.
    _wait_for(lambda: sum(map(_has_loaded_pandas, _children(proc.pid))) >= 2,
              what="the cluster's workers to run replications")
    time.sleep(1.0)
    out, err, took = _interrupt(proc)
    assert (proc.returncode, err, out) == (130, "interrupted\n", "")
    assert took < DASK_STOP_SECONDS
    _assert_group_gone(proc.pid)


def test_ctrl_c_as_the_workers_start(start, big):
    """A Ctrl-C the moment the workers exist (before they could set themselves up) still
    gives one line and no worker behind."""
    proc = start([*_funnel(), "compare", str(big), "--workers", "2", "--replications", "30"])
    _wait_for(lambda: _children(proc.pid), what="a worker process")
    out, err, took = _interrupt(proc)
    assert (proc.returncode, err, out) == (130, "interrupted\n", "")
    assert took < STOP_SECONDS
    _assert_group_gone(proc.pid)


def test_ctrl_c_stops_a_long_run(start, big, tmp_path):
    out_dir = tmp_path / "results"
    proc = start([*_funnel(), "run", str(big), "--out", str(out_dir)])
    _wait_for(lambda: _has_loaded_pandas(proc.pid), what="the run to start")
    time.sleep(0.5)
    out, err, took = _interrupt(proc)
    assert (proc.returncode, err, out) == (130, "interrupted\n", "")
    assert took < STOP_SECONDS
    _assert_group_gone(proc.pid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]  # no --out folder


def test_ctrl_c_in_the_api_stops_the_pool(start, big):
    """``replicate(..., workers=2)`` in a script: the KeyboardInterrupt reaches the caller
    quickly, and no worker is left running."""
    script = textwrap.dedent(f"""
        import multiprocessing, sys, time
        from sim import load_scenario, replicate
        sc = load_scenario({str(big)!r})
        try:
            replicate(sc, 20, workers=2)
        except KeyboardInterrupt:
            print(len(multiprocessing.active_children()), flush=True)
            sys.exit(7)
    """)
    proc = start([sys.executable, "-c", script])
    _wait_for(lambda: len(_children(proc.pid)) == 2, what="two worker processes")
    time.sleep(0.3)
    out, err, took = _interrupt(proc)
    assert proc.returncode == 7, err
    assert out == "0\n" and err == ""
    assert took < STOP_SECONDS
    _assert_group_gone(proc.pid)


def test_workers_die_with_a_killed_parent(start, big):
    """A parent killed outright (SIGKILL: no clean-up runs) takes its workers with it."""
    proc = start([*_funnel(), "compare", str(big), "--workers", "2", "--replications", "30"])
    _wait_for(lambda: len(_children(proc.pid)) == 2, what="two worker processes")
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _assert_group_gone(proc.pid)


def test_a_killed_worker_is_one_line_and_stops_the_rest(start, big):
    proc = start([*_funnel(), "compare", str(big), "--workers", "2", "--replications", "30"])
    _wait_for(lambda: len(_children(proc.pid)) == 2, what="two worker processes")
    time.sleep(0.3)
    os.kill(_children(proc.pid)[0], signal.SIGKILL)  # as the system does when memory runs out
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (2, "")
    assert err == ("error: --workers: a worker process stopped unexpectedly (killed, or out "
                   "of memory); no results were produced\n")
    _assert_group_gone(proc.pid)


# -- --out: all or nothing ------------------------------------------------------------------
KILLED_MID_WRITE = """
import sys, time
import sim.presentation.output as output

real = output.to_toml


def slow(scenario):  # the tables are written; the scenario file is next
    print("writing", flush=True)
    time.sleep(60)
    return real(scenario)


output.to_toml = slow
from sim.presentation.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "empty-folder"])
def test_a_run_killed_while_writing_leaves_no_partial_folder(start, tmp_path, existing):
    target = tmp_path / "results"
    if existing:
        target.mkdir()
    proc = start([sys.executable, "-c", KILLED_MID_WRITE, "run", "--days", "30",
                  "--out", str(target)])
    _wait_for(lambda: "writing" in (proc.stdout.readline() or "writing"),
              what="the writing to start")
    staging = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert len(staging) == 1 and any(staging[0].glob("*.csv"))  # caught half way
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if existing:
        assert list(target.iterdir()) == []
    else:
        assert not target.exists()
