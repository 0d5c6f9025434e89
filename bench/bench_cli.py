"""Start-up time of the ``funnel`` command line.

Times, as fresh subprocesses (so each pays the whole interpreter and import cost):

  (a) ``funnel --help``;
  (b) ``funnel validate scenarios/baseline.toml``.

Both must feel instant: the target (from the hardening issue) is under 0.5 s each, the
median of the timed runs. The times depend on the machine and its load, so they are
printed here rather than asserted in a test; ``tests/test_cli.py`` checks instead that
importing the command line loads none of the heavy libraries (pandas, simpy,
matplotlib).

Usage: ``python bench/bench_cli.py [--runs N] [--strict]``. The exit status is 0 unless
``--strict`` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5
"""Most seconds for ``funnel --help`` and ``funnel validate FILE`` to finish."""


def _funnel() -> list[str]:
    """The installed ``funnel`` script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("funnel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.presentation.cli"]


def time_command(argv: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` runs of ``argv`` (after one untimed warm-up run,
    which fills the file cache and writes the byte code)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): "
                             f"{proc.stderr.decode(errors='replace').strip()}")
        if i:
            times.append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    """Time the commands and print their medians; returns the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if a median misses the target")
    args = p.parse_args(argv)
    commands = {"funnel --help": ["--help"],
                "funnel validate scenarios/baseline.toml": ["validate",
                                                            "scenarios/baseline.toml"]}
    print(f"funnel start-up, median of {args.runs} runs (target < {TARGET_SECONDS} s); "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    missed = False
    for label, extra in commands.items():
        times = time_command([*_funnel(), *extra], args.runs)
        median = statistics.median(times)
        missed |= median >= TARGET_SECONDS
        print(f"  {label:42s} {median:6.3f} s  (min {min(times):.3f}, max {max(times):.3f})"
              f"  {'ok' if median < TARGET_SECONDS else 'SLOW'}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
