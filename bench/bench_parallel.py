"""Speed-up of ``compare`` on 2 cores over 1 core (``make bench``).

Runs the same paired comparison, ``compare`` of two policies x N replications of
``roller_coaster`` with the metrics ``funnel compare`` uses (``kpis_and_swings``), with
``workers=1`` and with ``workers=2``, alternately, several rounds, in this one process,
and prints the median wall time of each and their ratio. It also checks that both give
the same frame, and prints what travels between the processes: the size of a job
(scenario, replication, policy, metrics function) and of the row that comes back,
against the size of a whole result, which never travels.

The target (from the issue): the ratio is at least 1.8. What limits it: the tail (the
last job runs alone, half a job's time on average), the pool's start-up (a fork, a few
milliseconds), and whatever else the machine is running; the parent itself only waits.

Usage: ``python bench/bench_parallel.py [--replications N] [--rounds R] [--strict]``.
The exit status is 0 unless ``--strict`` is given and the target is missed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT),) if p not in sys.path]

from sim.experiments.executors import usable_cores  # noqa: E402
from sim.experiments.runner import compare, kpis_and_swings, simulate  # noqa: E402
from sim.scenario.shipped import open_scenario  # noqa: E402
from sim.scenario.variants import policy_changes, vary  # noqa: E402

TARGET_RATIO = 1.8
"""Least speed-up of ``compare`` with 2 workers over 1 worker."""
POLICIES = ("close_first", "miller_heiman")


def _variants(name: str) -> dict:
    sc, _ = open_scenario(name)
    return {p: vary(sc, policy_changes(sc, p), source="bench") for p in POLICIES}


def _cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the pool's workers)."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                 resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(variants: dict, replications: int, workers: int):
    """(wall seconds, cores obtained: CPU seconds per wall second, frame)."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    frame = compare(variants, replications, metrics=kpis_and_swings, workers=workers)
    wall = time.perf_counter() - start
    return wall, (_cpu_seconds() - cpu) / wall, frame


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="roller_coaster")
    ap.add_argument("--replications", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    args = ap.parse_args(argv)

    cores = usable_cores()
    print(f"Python {platform.python_version()}, {cores} usable cores "
          f"(of {os.cpu_count()}), load average {os.getloadavg()[0]:.2f}")
    variants = _variants(args.scenario)
    jobs = len(variants) * args.replications
    print(f"compare: {args.scenario}, {len(variants)} policies x {args.replications} "
          f"replications = {jobs} jobs, {args.rounds} rounds of each\n")

    sc = next(iter(variants.values()))
    result = simulate(sc, 0)
    row = kpis_and_swings(result)
    job = ("label", sc, 0, None, kpis_and_swings)
    print(f"  what travels: a job {len(pickle.dumps(job)):,} bytes out, a row "
          f"{len(pickle.dumps(row)):,} bytes back (a whole result, which stays in the "
          f"worker: {len(pickle.dumps(result)):,} bytes)")

    _timed(variants, 1, 1)  # warm caches and imports before timing
    serial, parallel = [], []
    frames, cores_used = {}, {1: [], 2: []}
    for _ in range(args.rounds):
        for workers, times in ((1, serial), (2, parallel)):
            seconds, used, frames[workers] = _timed(variants, args.replications, workers)
            times.append(seconds)
            cores_used[workers].append(used)
    same = frames[1].equals(frames[2])
    one, two = statistics.median(serial), statistics.median(parallel)
    ratio = one / two
    print(f"  1 worker : {one:6.2f} s  (median of {', '.join(f'{t:.2f}' for t in serial)})")
    print(f"  2 workers: {two:6.2f} s  (median of {', '.join(f'{t:.2f}' for t in parallel)})")
    print(f"  per job  : {one / jobs:6.3f} s on 1 worker")
    got = statistics.median(cores_used[2])
    print(f"  cores the 2 workers obtained: {got:.2f} (CPU seconds per wall second; "
          f"{statistics.median(cores_used[1]):.2f} for 1 worker)")
    print(f"  same frame on 1 and 2 workers: {same}")
    met = ratio >= TARGET_RATIO
    print(f"\nspeed-up on 2 cores: {ratio:.2f}x (target >= {TARGET_RATIO}x): "
          f"{'met' if met else 'MISSED'}")
    if cores < 2:
        print("  (only one usable core here: 2 workers cannot run at once)")
    elif not met and got < 1.8:
        print(f"  (the workers obtained only {got:.2f} cores: other processes on the machine "
              "took the rest; run it on an idle machine)")
    if not same:
        print("error: 1 and 2 workers gave different frames", file=sys.stderr)
        return 1
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
