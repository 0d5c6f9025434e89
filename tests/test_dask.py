"""Dask, for real: replications run on a ``dask.distributed`` cluster give the same
frame, byte for byte, as the same replications run here; ``--dask`` connects to a
scheduler or starts a local one, and says plainly when it cannot.

The cluster is a real ``LocalCluster``: 2 worker processes with 1 thread each, every
socket on the loopback interface (127.0.0.1), no dashboard, so nothing leaves the
machine. Starting one takes a few seconds, hence ``slow`` (``make test`` runs them;
the dask extra is installed by it).
"""

from __future__ import annotations

import json
import os
import socket
import sys

import pytest
from test_cli import cli
from test_common_random_numbers import frame_bytes

from sim import Scenario, compare, replicate
from sim.experiments.runner import kpis_and_swings
from sim.presentation.commands import execution
from sim.scenario.variants import policy_changes, vary

SC = Scenario(horizon_days=60, warmup_days=20, seed=8)
VARIANTS = {name: vary(SC, policy_changes(SC, name)) for name in ("close_first", "miller_heiman")}
REPLICATIONS = [0, 1, 2, 5]


@pytest.fixture(scope="module")
def client():
    """A real cluster on the loopback: 2 worker processes, 1 thread each."""
    with execution.dask_client("local") as client:
        yield client


@pytest.mark.slow
def test_a_cluster_gives_the_frame_of_a_local_run(client):
    here = compare(VARIANTS, REPLICATIONS, metrics=kpis_and_swings, workers=1)
    there = compare(VARIANTS, REPLICATIONS, metrics=kpis_and_swings,
                    executor=client.get_executor())
    assert frame_bytes(there) == frame_bytes(here)
    # a real cluster: two worker processes (not this one), on the loopback only
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in workers)
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert os.getpid() not in client.run(os.getpid).values()


@pytest.mark.slow
def test_replicate_on_a_cluster_with_a_progress_bar(client, capsys):
    here = replicate(SC, 3, workers=1)
    there = replicate(SC, 3, executor=client.get_executor(), progress="on dask")
    out, err = capsys.readouterr()
    assert frame_bytes(there) == frame_bytes(here)
    assert out == "" and "on dask" in err


@pytest.mark.slow
def test_funnel_compare_dask_local_prints_what_a_local_run_prints(capsys):
    argv = ["compare", "roller_coaster", "--replications", "3", "--days", "60", "--json"]
    status, local, err = cli(capsys, *argv, "--workers", "1")
    assert status == 0, err
    status, dask, err = cli(capsys, *argv, "--dask", "local")
    assert status == 0, err
    assert dask == local
    assert err == ""
    assert json.loads(dask)["replications"] == 3


def test_dask_not_installed_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    status, out, err = cli(capsys, "compare", "--replications", "2", "--dask", "local")
    assert (status, out) == (2, "")
    assert err == ("error: --dask: value 'local' needs Dask, which is not installed: pip "
                   "install 'funnel-sandbox[dask]' (the dask extra)\n")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(execution, "CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    status, out, err = cli(capsys, "compare", "--replications", "2", "--dask", address)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: --dask: value {address!r}: no Dask scheduler answered "
                          "there (")
    assert "or 'local' to start one on this machine\n" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("address", ["", "  "])
def test_an_empty_address_is_refused(capsys, address):
    status, out, err = cli(capsys, "compare", "--replications", "2", "--dask", address)
    assert (status, out) == (2, "")
    assert err == ("error: --dask: value '' is not allowed: give a scheduler's address "
                   "(tcp://host:8786) or 'local'\n")


def test_workers_and_dask_exclude_each_other(capsys):
    status, out, err = cli(capsys, "compare", "--workers", "2", "--dask", "local")
    assert (status, out) == (2, "")
    assert "error: argument --dask: not allowed with argument --workers" in err
