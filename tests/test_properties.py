"""Property-based tests: whatever a user writes, the sandbox runs it or refuses it plainly.

- Any scenario the schema accepts runs to completion within bounded time and memory, or
  is refused with a clear message (path, value, rule).
- Any mutation of a shipped scenario file gives exit status 0 or 2 from the command line,
  never a traceback.

The example budget is small (a few dozen examples, fixed seeds through hypothesis'
derandomised profile), so the suite stays fast; the strategies lean on the edges
(zeros, bounds, huge values, wrong types), where bugs live.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import resource
import time
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ScenarioError, simulate
from sim.presentation import cli
from sim.scenario.files import validate_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
PROBLEM = "value"  # every problem line says which value broke which rule

FAST = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# -- any accepted scenario runs, or is refused ------------------------------------------------
def within(low: float, high: float):
    """Numbers inside the schema's bounds, the bounds themselves and a few round values
    among them; hypothesis shrinks towards the low end."""
    edges = [v for v in (low, high, 1e-9, 0.5, 1, 7, 52, 365) if low <= v <= high]
    return st.one_of(st.sampled_from(edges),
                     st.floats(low, high, allow_nan=False, allow_infinity=False))


dists = st.one_of(
    st.builds(lambda v: {"dist": "fixed", "value": v}, within(0, 3650)),
    st.builds(lambda m, c: {"dist": "gamma", "mean": m, "cv": c}, within(1e-3, 3650),
              within(1e-3, 10)),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, within(1e-3, 3650)),
)
channels = st.one_of(
    st.builds(lambda n, q, g: {"kind": "inbound", "leads_per_week": n, "lead_quality": q,
                               "growth_per_year": g},
              within(0, 200), within(0, 1), within(-0.99, 10)),
    st.builds(lambda b, c: {"kind": "outbound_campaign", "budget_per_month": b,
                            "cost_per_lead": c}, within(0, 1e5), within(1, 1e4)),
    st.builds(lambda r, t: {"kind": "outbound_prospecting", "leads_per_hour": r,
                            "target_hours_per_week": t, "max_hours_per_week": 8},
              within(0, 100), within(0, 8)),
)


@st.composite
def scenarios(draw):
    k = draw(st.integers(1, 7))
    rates = sorted(draw(st.lists(within(0, 1), min_size=k, max_size=k)))
    stages = [{"win_rate": w, "work_hours": draw(within(0, 1000)),
               "decision_days": draw(dists),
               "rot_days": draw(st.sampled_from([1e-3, 1, 30, 3650]))} for w in rates]
    chans = draw(st.lists(channels, max_size=3))
    for i, c in enumerate(chans):
        c["name"] = f"Channel {i}"
    return {
        "horizon_days": draw(st.sampled_from([1, 7.5, 30, 90])),
        "warmup_days": draw(st.sampled_from([0, 1, 30])),
        "start_date": draw(st.sampled_from([dt.date(2026, 1, 1), dt.date(1999, 12, 31),
                                            dt.date(2150, 6, 30)])),
        "channels": [c for i, c in enumerate(chans)
                     if c["kind"] != "outbound_prospecting"
                     or i == next(j for j, d in enumerate(chans)
                                  if d["kind"] == "outbound_prospecting")],
        "stages": stages,
        "leads": {"verify_hours": draw(st.sampled_from([0, 0.5, 100])),
                  "expiry_days": draw(st.sampled_from([1e-3, 21, 3650]))},
        "team": {"reps": draw(st.integers(1, 12)),
                 "hours_per_day": draw(st.sampled_from([0.01, 6, 24])),
                 "assignment": draw(st.sampled_from(["round_robin", "least_loaded",
                                                     "random", "pool"]))},
        "policy": {"name": draw(st.sampled_from(["fifo", "classic", "close_first",
                                                 "miller_heiman"]))},
        "post_sale": {"work_hours": draw(st.sampled_from([0, 2]))},
    }


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@FAST
@given(scenarios())
def test_any_accepted_scenario_runs_or_is_refused_plainly(data):
    try:
        sc = validate_scenario(copy.deepcopy(data), "generated")
    except ScenarioError as exc:
        assert exc.problems and all(PROBLEM in p or "missing" in p for p in exc.problems), \
            exc.problems
        return
    before = _peak_memory_mb()
    start = time.perf_counter()
    result = simulate(sc, 0)
    k = result.kpis()
    tables = result.tables()  # every table, dates and all
    # 30 s and 1 GiB are far above what these small horizons need (a few seconds and a few
    # MB at most); they stand for "bounded", not for a speed target
    assert time.perf_counter() - start < 30
    assert _peak_memory_mb() - before < 1024
    assert k["leads"] >= 0 and (math.isnan(k["win_rate"]) or 0 <= k["win_rate"] <= 1)
    assert len(tables["opportunities"]) >= k["won"] + k["lost"]


# -- any mutation of a shipped scenario: exit 0 or 2 ------------------------------------------
def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    yield path


odd_values = st.one_of(
    st.sampled_from([0, -1, -1e300, 1e300, 10**30, 0.5, "", "x", "5", True, [], {}, [1, 2],
                     {"dist": "gamma"}, {"dist": "nope"}, "9999-12-31"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)


@st.composite
def mutations(draw):
    path = draw(st.sampled_from(SHIPPED))
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    where = draw(st.sampled_from([p for p in _leaves(data) if p]))
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["set", "delete", "unknown"]))
    if how == "delete":
        del parent[where[-1]]
    elif how == "unknown" and isinstance(parent, dict):
        parent[f"{where[-1]}_typo"] = 1
    else:
        parent[where[-1]] = draw(odd_values)
    return path.name, data


@FAST
@given(mutations())
def test_any_mutation_of_a_shipped_scenario_exits_0_or_2(tmp_path_factory, mutation):
    name, data = mutation
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):  # not expressible in TOML: nothing a user could write
        return
    path = tmp_path_factory.mktemp("mutated") / name
    path.write_text(text, encoding="utf-8")
    for argv in (["validate", str(path)], ["run", str(path), "--days", "20", "--json"]):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = cli.main(argv)  # an exception here is a traceback: the test fails
        assert status in (0, 2), (argv, err.getvalue())
        if status == 2:
            assert err.getvalue().startswith("error: "), err.getvalue()

