"""Speed and memory of the stress test's Monte Carlo (``make bench``).

Prints, for :func:`sim.crm.stress.simulate_bookings`:

* deal-draws per second on 100,000 deals x 1,000 draws: fixed chances, with a paired
  win-rate shift, with per-draw stage rates (a history), on one thread and on two;
* the full 100,000 deals x 10,000 draws run (10^9 deal-draws): its time, and its peak
  memory, measured with tracemalloc and set against the chunk arithmetic
  (:data:`~sim.crm.stress.CHUNK_CELLS` deal-draws per chunk, 8 bytes each, per thread).

The target (from the issue): at least 2e7 deal-draws per second on this 2-core machine.

Usage: ``python bench/bench_stress.py [--quick] [--strict]``: ``--quick`` skips the
10^9 run; ``--strict`` exits 1 when the rate misses the target.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.crm.stress import CHUNK_CELLS, StageDraws, simulate_bookings  # noqa: E402

TARGET_RATE = 2e7
"""Fewest deal-draws per second."""
DEALS = 100_000


def rate(amounts, chances, draws: int, **kw) -> float:
    simulate_bookings(amounts, chances, draws=min(draws, 50), **kw)  # warm up
    start = time.perf_counter()
    simulate_bookings(amounts, chances, draws=draws, **kw)
    return len(amounts) * draws / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10^9 deal-draw run")
    parser.add_argument("--strict", action="store_true", help="exit 1 below the target")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    amounts = rng.lognormal(10, 1, DEALS)
    chances = rng.uniform(0, 1, DEALS)
    k = 5
    stages = StageDraws(rng.integers(0, k, DEALS), np.full(k, 30.0), np.full(k, 50.0),
                        np.full(k, 5.0), np.full(k, 45.0), np.ones(DEALS, dtype=bool))
    print(f"stress test Monte Carlo, {DEALS:,} deals x 1,000 draws (deal-draws per second)")
    best = 0.0
    for threads in (1, 2):
        for label, kw in (("fixed chances", {}), ("with a paired shift", {"shift": -0.1}),
                          ("stage rates drawn (history)", {"stage_draws": stages})):
            r = rate(amounts, chances, 1_000, threads=threads, **kw)
            best = max(best, r) if not kw else best
            print(f"  {threads} thread{'s' if threads > 1 else ' '}  {label:28s} {r:>14,.0f}")
    ok = best >= TARGET_RATE
    print(f"  target: at least {TARGET_RATE:,.0f} per second (fixed chances): "
          f"{'met' if ok else 'MISSED'} ({best / TARGET_RATE:.1f}x)")
    if not args.quick:
        per_chunk = CHUNK_CELLS // DEALS
        print(f"\n{DEALS:,} deals x 10,000 draws in chunks of {per_chunk} draws "
              f"({CHUNK_CELLS:,} deal-draws, {CHUNK_CELLS * 8 / 1e6:.0f} MB of uniforms "
              "per chunk, one thread; all at once would take 8,000 MB)")
        tracemalloc.start()
        start = time.perf_counter()
        simulate_bookings(amounts, chances, draws=10_000, threads=1)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {seconds:.1f} s ({DEALS * 10_000 / seconds:,.0f} deal-draws per second "
              f"under tracemalloc), peak memory {peak / 1e6:.0f} MB")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
