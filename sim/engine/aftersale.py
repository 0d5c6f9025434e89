"""After the win: the draws that decide how a won deal is delivered, itemised and paid.

They are taken at the moment of the win from the lead's own pre-drawn traits (streams
named after its channel: ``channel.<name>.contracts.delivery_days``,
``.orders.delivery_days``, ``.line_items``, ``.payments`` and
``.payments.lateness_days``; see :mod:`sim.engine.leadgen`), and recorded as a plain
:class:`~sim.engine.events.SaleRecord`. The contract, line-item, invoice and payment
tables are then built from the records (:mod:`sim.analysis.contracts`), like every
other table.
"""

from __future__ import annotations

from sim.engine.events import SaleRecord
from sim.engine.leadgen import LeadTraits


def sale_record(opportunity_id: int, traits: LeadTraits, row: int) -> SaleRecord:
    """The after-sale draws of the won deal whose lead is ``row`` of its channel."""
    delivery = (traits.contract_delivery_days if traits.contract[row]
                else traits.order_delivery_days)
    return SaleRecord(opportunity_id, float(delivery[row]), traits.items_u[row].copy(),
                      traits.pay_u[row].copy(), traits.lateness_days[row].copy())
