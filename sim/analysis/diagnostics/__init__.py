"""Diagnostics: what a sales manager uses the funnel for.

The course (section 3, "Using the funnel to manage opportunities") names the uses:
assess sales capability, find anomalous opportunities, prevent the loss of customer
resources and balance their allocation; Miller Heiman adds that the funnel reveals gaps in
a rep's selling skills (section 4) and shows flow problems when snapshots are compared over
time: a dry top, a jammed middle and premature Best Few (``domain/PARAMETERS.md``).

Every function is a pure function of a run's tables (``result.scenario``,
``result.rep_names``, ``result.leads``, ``result.opportunities``,
``result.stage_history``, ``result.rep_time``) and returns a tidy ``DataFrame``. Unless a
function says otherwise it looks at the results period ``[0, horizon_days)``: flows
(leads, opportunities, decisions, wins, losses, hours) count when they *happen* in it,
stocks (open deals, pipeline) are read at its end. Rows of one rep carry the rep's name in
``rep``; the whole team's row has ``rep == "team"``.

=============================  ==============================================================
function                       question it answers
=============================  ==============================================================
:func:`stage_conversion`       how well does each rep (and the team) convert each stage?
:func:`capability_gaps`        whose conversion at a stage is significantly below the rest's?
:func:`rotting_deals`          which open deals have had no activity for too long?
:func:`stuck_deals`            which open deals sit in a stage far longer than usual?
:func:`neglect_summary`        rotting, stuck and lost-to-neglect deals per rep
:func:`funnel_flow`            the Miller Heiman levels over time (trailing time-averages)
:func:`dry_top_warning`        when did the top of the funnel run dry, and for whom?
:func:`jammed_middle_warning`  when did deals pile up In the Funnel?
:func:`premature_best_few`     do Best Few deals close as often as the forecast counts on?
:func:`load_balance`           is the work spread evenly? (spread: :func:`load_spread`)
:func:`lost_reasons`           why are deals lost, and at which stage?
:func:`channel_economics`      what does a lead, a deal, a win cost per channel?
:func:`pipeline_velocity`      how much money does the pipeline turn into per day?
=============================  ==============================================================

The package holds one module per concern: :mod:`.capability` (stage conversion and
capability gaps), :mod:`.neglect` (rotting and stuck deals, neglect), :mod:`.flow` (the
levels over time and the flow warnings), :mod:`.allocation` (load balance),
:mod:`.losses` (lost reasons), :mod:`.channels` (channel economics) and :mod:`.velocity`
(pipeline velocity). The rules they apply (Best Few, a deal's last activity, the typical
stage days, a rep's hours, the calendar) live in :mod:`sim.rules`; the exact tests and
the multiple-comparison adjustments in :mod:`sim.analysis.statistics`.
"""


from sim.analysis.diagnostics._shared import NEGLECT, TEAM
from sim.analysis.diagnostics.allocation import load_balance, load_spread
from sim.analysis.diagnostics.capability import capability_gaps, stage_conversion
from sim.analysis.diagnostics.channels import channel_economics
from sim.analysis.diagnostics.flow import (
    dry_top_warning,
    funnel_flow,
    jammed_middle_warning,
    premature_best_few,
)
from sim.analysis.diagnostics.losses import lost_reasons
from sim.analysis.diagnostics.neglect import (
    neglect_summary,
    rotting_deals,
    stuck_deals,
    typical_stage_days,
)
from sim.analysis.diagnostics.velocity import pipeline_velocity

__all__ = [
    "NEGLECT",
    "TEAM",
    "capability_gaps",
    "channel_economics",
    "dry_top_warning",
    "funnel_flow",
    "jammed_middle_warning",
    "load_balance",
    "load_spread",
    "lost_reasons",
    "neglect_summary",
    "pipeline_velocity",
    "premature_best_few",
    "rotting_deals",
    "stage_conversion",
    "stuck_deals",
    "typical_stage_days",
]
