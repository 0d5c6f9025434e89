"""Speed benchmark of the engine against a naive plain-SimPy model (``make bench``).

Times, on the baseline scenario, after one warm-up run of each:

  (a) the simulation alone: ``Engine(scenario, r).run()``;
  (b) a full replication as a lesson sees it: ``simulate(scenario, r).kpis()``, which
      also builds the tables and computes the KPIs;
  (c) the naive model of ``bench/naive_model.py`` (one shared Resource, per-call draws
      from a stdlib ``random.Random``) on the same scenario; and, for information,
  (c') the same naive model drawing from a numpy Generator one call at a time.

The targets (from the issue) live here, not in a timed test:

* one baseline replication of the simulation, (a), takes at most 0.3 s (median over
  the timed replications); (b) is printed next to it for information;
* the engine, (a), is no slower per lead than the naive model (c): ratio <= 1.0;
* a replication with its KPIs, (b), takes at most 1.3x the engine alone, (a) (the
  median of the paired ratios over the timed replications).

Usage: ``python bench/bench_engine.py [--reps N] [--scenario FILE] [--strict]
[--profile]``. The exit status is 0 unless ``--strict`` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import simpy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [p for p in (str(ROOT), str(HERE)) if p not in sys.path]

from naive_model import run_naive  # noqa: E402

from sim.engine.processes import Engine  # noqa: E402
from sim.experiments.runner import simulate  # noqa: E402
from sim.scenario.files import load_scenario  # noqa: E402

TARGET_SECONDS = 0.3
"""Most seconds for one baseline replication of the simulation, (a)."""
TARGET_RATIO = 1.0
"""Most seconds per lead of the engine, (a), relative to the naive model, (c)."""
TARGET_KPI_RATIO = 1.3
"""Most seconds of a replication with its KPIs, (b), relative to the engine alone, (a):
the analysis a KPI needs may add at most 30% to the run."""


def _engine_counts(rec) -> dict[str, int]:
    ev = rec.events
    return {"leads": len(rec.leads), "opportunities": len(rec.opportunities),
            "won": len(ev["won"]), "lost": len(ev["lost"]), "expired": len(ev["lead_expired"])}


def _result_counts(res) -> dict[str, int]:
    status = res.opportunities["status"]
    return {"leads": len(res.leads), "opportunities": len(res.opportunities),
            "won": int((status == "won").sum()), "lost": int((status == "lost").sum()),
            "expired": int((res.leads["status"] == "expired").sum())}


def _naive_counts(c) -> dict[str, int]:
    return {"leads": c.leads, "opportunities": c.opportunities, "won": c.won,
            "lost": c.lost, "expired": c.expired}


def _cases(sc):
    """key -> (label, run(replication), counts(output)); only ``run`` is timed."""
    def full(r):
        res = simulate(sc, r)
        res.kpis()
        return res

    return {
        "a": ("(a) engine: Engine(sc, r).run()", lambda r: Engine(sc, r).run(), _engine_counts),
        "b": ("(b) full: simulate(sc, r).kpis()", full, _result_counts),
        "c": ("(c) naive SimPy, random.Random", lambda r: run_naive(sc, r), _naive_counts),
        "c'": ("(c') naive SimPy, numpy per call", lambda r: run_naive(sc, r, rng="numpy"),
               _naive_counts),
    }


def _run(sc, reps: int):
    cases = _cases(sc)
    times = {k: [] for k in cases}
    counts = {k: [] for k in cases}
    for _, run, _ in cases.values():  # warm-up: imports, caches, first allocations
        run(10_000)
    # interleave the cases so machine noise hits them alike
    for r in range(1, reps + 1):
        for key, (_, run, count) in cases.items():
            gc.collect()
            t0 = time.perf_counter()
            out = run(r)
            times[key].append(time.perf_counter() - t0)
            counts[key].append(count(out))
            del out
    return cases, times, counts


def _header():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    print("Funnel Sandbox speed benchmark")
    print(f"  machine : {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
          f"usable cpus = {usable}, {platform.system()} {platform.release()}")
    print(f"  python  : {platform.python_implementation()} {platform.python_version()}")
    print(f"  simpy {simpy.__version__}, numpy {np.__version__}, "
          f"pandas {version('pandas')}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=10, help="timed replications (default 10)")
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--profile", action="store_true",
                    help="also print a cProfile of one engine replication")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")

    _header()
    sc = load_scenario(args.scenario)
    print(f"  scenario: {args.scenario} ({sc.name}: {sc.run_days:g} days incl. "
          f"{sc.warmup_days:g} warm-up, {sc.team.reps} reps, {len(sc.stages)} stages)")
    print(f"  timing  : {args.reps} replications (1..{args.reps}) of each case after one "
          "warm-up, time.perf_counter, gc on\n")

    cases, times, counts = _run(sc, args.reps)

    per_k = {k: [1000 * t / n["leads"] for t, n in zip(times[k], counts[k], strict=True)]
             for k in cases}
    med_k = {k: statistics.median(v) for k, v in per_k.items()}
    cols = f"{'case':36} {'median s':>9} {'min s':>7} {'max s':>7} {'leads/rep':>9} " \
           f"{'s/1000 leads':>12} {'vs (c)':>7}"
    print(cols)
    print("-" * len(cols))
    for k, (label, _, _) in cases.items():
        t = times[k]
        leads = statistics.mean(n["leads"] for n in counts[k])
        print(f"{label:36} {statistics.median(t):9.3f} {min(t):7.3f} {max(t):7.3f} "
              f"{leads:9.0f} {med_k[k]:12.4f} {med_k[k] / med_k['c']:7.2f}")
    print("(s/1000 leads: median over replications of seconds x 1000 / leads; "
          "'vs (c)' divides it by the naive model's)")

    print("\nSanity check, mean per replication over the whole run (warm-up included):")
    keys = ["leads", "opportunities", "won", "lost", "expired"]
    print(f"{'':36} " + " ".join(f"{k:>13}" for k in keys))
    for k in ("a", "c"):
        means = [statistics.mean(n[f] for n in counts[k]) for f in keys]
        print(f"{cases[k][0]:36} " + " ".join(f"{m:13.1f}" for m in means))
    print("(the naive model pools all reps, leaves out prospecting time, so it answers "
          "leads sooner and qualifies more; counts agree only roughly)")

    t_a = statistics.median(times["a"])
    t_b = statistics.median(times["b"])
    ratio = med_k["a"] / med_k["c"]
    # paired: the same replication with and without its KPIs, so its size cancels out
    kpi_ratio = statistics.median(b / a for a, b in zip(times["a"], times["b"], strict=True))
    ok_time = t_a <= TARGET_SECONDS
    ok_ratio = ratio <= TARGET_RATIO
    ok_kpi = kpi_ratio <= TARGET_KPI_RATIO
    print("\nTargets:")
    print(f"  {'PASS' if ok_time else 'FAIL'}  one baseline replication, simulation (a): "
          f"median {t_a:.3f} s <= {TARGET_SECONDS} s (max {max(times['a']):.3f} s)")
    print(f"  info  full replication incl. tables + KPIs (b): median {t_b:.3f} s "
          f"(max {max(times['b']):.3f} s); {'within' if t_b <= TARGET_SECONDS else 'over'} "
          f"{TARGET_SECONDS} s, not a target")
    print(f"  {'PASS' if ok_ratio else 'FAIL'}  engine (a) per lead vs naive SimPy (c): "
          f"ratio {ratio:.2f} <= {TARGET_RATIO}")
    print(f"  {'PASS' if ok_kpi else 'FAIL'}  KPIs (b) vs engine alone (a), same replication: "
          f"median ratio {kpi_ratio:.2f} <= {TARGET_KPI_RATIO}")

    if args.profile:
        _profile(sc)

    missed = not (ok_time and ok_ratio and ok_kpi)
    return 1 if (args.strict and missed) else 0


def _profile(sc) -> None:
    import cProfile
    import pstats

    print("\ncProfile of one engine replication (a), top 20 by own time:")
    prof = cProfile.Profile()
    prof.runcall(lambda: Engine(sc, 1).run())
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    sys.exit(main())
