"""Common random numbers: what arrives does not depend on how the team works."""

import pandas as pd
import pytest

from sim.experiments.runner import simulate
from sim.scenario.distributions import Exponential
from sim.scenario.schema import Scenario
from sim.scenario.variants import vary

ARRIVAL_COLUMNS = ["lead_id", "channel", "created_day"]


def _marketing_leads(result):
    leads = result.leads
    leads = leads[leads["kind"] != "outbound_prospecting"]
    leads = leads.sort_values(["created_day", "channel"]).reset_index(drop=True)
    return leads[["channel", "created_day"]]


def _amounts_by_arrival(result):
    """Deal size of each marketing lead that became an opportunity, keyed by arrival."""
    opp = result.opportunities.merge(result.leads[["lead_id", "created_day"]], on="lead_id",
                                     suffixes=("", "_lead"))
    opp = opp[opp["channel"].isin([c.name for c in result.scenario.channels
                                   if c.kind != "outbound_prospecting"])]
    return opp.set_index(["channel", "created_day_lead"])["amount"]


def _variants(sc: Scenario):
    stages = [s.model_copy(update={"work_hours": s.work_hours * 2}) for s in sc.stages]
    slow_stage = sc.model_dump()
    slow_stage["stages"] = [s.model_dump() for s in stages]
    return {
        "policy": vary(sc, {"policy": {"name": "classic"}}),
        "close_first": vary(sc, {"policy": {"name": "close_first"}}),
        "miller_heiman": vary(sc, {"policy": {"name": "miller_heiman"}}),
        "team size": vary(sc, {"team": sc.team.model_copy(update={"reps": 9}).model_dump()}),
        "work hours": Scenario.model_validate(slow_stage),
        "pooled team": vary(sc, {"team": sc.team.model_copy(update={"assignment": "pool"})
                                .model_dump()}),
    }


@pytest.fixture(scope="module")
def base():
    sc = Scenario(horizon_days=180, warmup_days=30, seed=99)
    return sc, simulate(sc)


@pytest.mark.parametrize("change", ["policy", "close_first", "miller_heiman", "team size",
                                    "work hours", "pooled team"])
def test_changing_how_the_team_works_leaves_arrivals_unchanged(base, change):
    sc, ref = base
    other = simulate(_variants(sc)[change])
    pd.testing.assert_frame_equal(_marketing_leads(ref), _marketing_leads(other))
    # deals that qualified in both runs carry the same amount (lead traits are per lead)
    a, b = _amounts_by_arrival(ref), _amounts_by_arrival(other)
    common = a.index.intersection(b.index)
    assert len(common) > 20
    pd.testing.assert_series_equal(a.loc[common].sort_index(), b.loc[common].sort_index())


def test_work_changes_do_change_outcomes(base):
    """The check above is not vacuous: the variants really behave differently."""
    sc, ref = base
    other = simulate(_variants(sc)["work hours"])
    assert not ref.rep_time["hours"].sum() == pytest.approx(other.rep_time["hours"].sum())


def test_same_seed_gives_identical_tables():
    sc = Scenario(horizon_days=90, warmup_days=30, seed=5)
    first, second = simulate(sc), simulate(sc)
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.tables()[name], obj=name)
    third = simulate(sc, replication=1)
    assert not first.leads["created_day"].equals(third.leads["created_day"])


def test_work_hours_distribution_uses_its_own_stream():
    sc = Scenario(horizon_days=120, warmup_days=0, seed=3)
    stages = [s.model_dump() for s in sc.stages]
    stages[1]["work_hours"] = Exponential(mean=4).model_dump(by_alias=True)
    varied = Scenario.model_validate(sc.model_dump() | {"stages": stages})
    pd.testing.assert_frame_equal(_marketing_leads(simulate(sc)),
                                  _marketing_leads(simulate(varied)))


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as bytes: every value (floats in full, by repr), dtype and column."""
    return (frame.to_csv(index=False) + repr(frame.dtypes.to_dict())).encode()


def test_results_do_not_depend_on_where_replications_run():
    """1, 2 or 3 local workers, the default (all usable cores) and another executor give
    the same frame, byte for byte (a Dask cluster too: tests/test_dask.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from sim.experiments.runner import compare, kpis_and_swings, replicate

    sc = Scenario(horizon_days=60, warmup_days=20, seed=8)
    variants = {"classic": vary(sc, {"policy": {"name": "classic"}}),
                "miller_heiman": vary(sc, {"policy": {"name": "miller_heiman"}})}
    reps = [0, 1, 2, 4]
    frames = {w: compare(variants, reps, metrics=kpis_and_swings, workers=w)
              for w in (1, 2, 3, None)}
    for workers, frame in frames.items():
        assert frame_bytes(frame) == frame_bytes(frames[1]), workers
    assert frames[1]["leads"].nunique() == 4  # the replications really differ
    assert frames[1]["scenario"].tolist() == ["classic"] * 4 + ["miller_heiman"] * 4
    assert frames[1]["replication"].tolist() == reps * 2

    here = replicate(sc, [0, 1, 2], workers=1)
    with ThreadPoolExecutor(2) as ex:  # any concurrent.futures executor, e.g. Dask's
        other = replicate(sc, [2, 0, 1], executor=ex).sort_values("replication")
    assert frame_bytes(other.reset_index(drop=True)) == frame_bytes(here)
