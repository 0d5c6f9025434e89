"""Lead generation: arrival times of marketing leads and every lead's random traits.

All randomness a lead carries (its deal size, type, qualify draw, stage outcomes and
decision times) is drawn in batches from streams named after its channel, at the
row of the lead within that channel. Lead ``j`` of a channel is therefore the same
lead, with the same fate dice, whatever the policy, team size or work hours.
"""

from __future__ import annotations

import numpy as np

from sim.engine.streams import Streams
from sim.rules.channels import arrival_rate_per_day, peak_rate_per_day
from sim.scenario.schema import Scenario

BATCH = 256
"""Rows drawn at a time for channels whose lead count is not known in advance."""
MAX_ITEMS = 20
"""Most line items a deal can have (the schema's bound on ``line_items_max``)."""
MAX_INSTALMENTS = 12
"""Most instalments a payment plan can have (the schema's bound)."""


def arrival_days(channel, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times (days) over the whole run, by thinning a Poisson process.

    Candidates arrive at the channel's peak rate (:func:`sim.rules.channels.peak_rate_per_day`)
    and each is kept with chance rate / peak (:func:`sim.rules.channels.arrival_rate_per_day`);
    the scenario's validator has checked their number against
    :data:`sim.rules.channels.MAX_LEADS_PER_RUN`.
    """
    horizon = scenario.run_days
    peak = peak_rate_per_day(channel, scenario)
    if peak <= 0:
        return np.empty(0)
    n = rng.poisson(peak * horizon)
    days = np.sort(rng.uniform(0, horizon, n))
    keep = rng.uniform(0, peak, n) < arrival_rate_per_day(channel, scenario, days)
    return days[keep]


class LeadTraits:
    """Pre-drawn random traits of a channel's leads, one row per lead.

    Columns: ``amount``, ``strategic``, ``contract``, ``customer_u``, ``qualify_u``,
    ``reason_u``, and one per stage: ``outcome_u``, ``decision_days``, ``work_hours``; after
    the win: ``contract_delivery_days``, ``order_delivery_days``, ``items_u`` (line items)
    and, per instalment, ``pay_u`` (bad debt, late, on-time draws) and ``lateness_days``.
    """

    def __init__(self, channel, scenario: Scenario, streams: Streams, size: int | None = None):
        self.channel = channel
        self.scenario = scenario
        self.streams = streams
        self.prefix = f"channel.{channel.name}"
        self.size = 0
        self.used = 0
        self._fixed = size is not None
        self._grow(size if size is not None else BATCH)

    def _grow(self, n: int) -> None:
        c, s, p = self.channel, self.streams, self.prefix
        k = len(self.scenario.stages)
        new = {
            "amount": c.deal_size.sample(s[f"{p}.deal_size"], n),
            "strategic": s[f"{p}.type"].random(n) < c.strategic_share,
            "contract": s[f"{p}.kind"].random(n) < c.contract_share,
            "customer_u": s[f"{p}.customer"].random(n),
            "qualify_u": s[f"{p}.qualify"].random(n),
            "reason_u": s[f"{p}.lost_reason"].random(n),
            "outcome_u": s[f"{p}.outcome"].random((n, k)),
            "decision_days": self._per_stage(n, "decision_days"),
            "work_hours": self._per_stage(n, "work_hours"),
            # after the win: delivery time by kind, line items, and each instalment's payment
            "contract_delivery_days": self.scenario.contracts.delivery_days.sample(
                s[f"{p}.contracts.delivery_days"], n),
            "order_delivery_days": self.scenario.orders.delivery_days.sample(
                s[f"{p}.orders.delivery_days"], n),
            "items_u": s[f"{p}.line_items"].random((n, MAX_ITEMS + 1)),
            "pay_u": s[f"{p}.payments"].random((n, MAX_INSTALMENTS, 3)),
            "lateness_days": self.scenario.payments.lateness_days.sample(
                s[f"{p}.payments.lateness_days"], (n, MAX_INSTALMENTS)),
        }
        if self.size == 0:
            for name, arr in new.items():
                setattr(self, name, arr)
        else:
            for name, arr in new.items():
                setattr(self, name, np.concatenate([getattr(self, name), arr]))
        self.size += n

    def _per_stage(self, n: int, field: str) -> np.ndarray:
        """An (n, stages) matrix of one per-stage quantity, one stream per stage."""
        cols = []
        for j, stage in enumerate(self.scenario.stages):
            spec = getattr(stage, field)
            if isinstance(spec, float | int):
                cols.append(np.full(n, float(spec)))
            else:
                cols.append(spec.sample(self.streams[f"{self.prefix}.{field}.{j}"], n))
        return np.column_stack(cols) if cols else np.empty((n, 0))

    def take(self) -> int:
        """The row of the next lead of this channel."""
        if self.used == self.size:
            if self._fixed:
                raise IndexError("no more pre-drawn leads")  # pragma: no cover
            self._grow(BATCH)
        self.used += 1
        return self.used - 1
