"""The scenario: a frozen, validated description of a sales organisation.

``Scenario()`` is a complete, sensible run. A variant is a validated copy with fields
set by path, made in one way only: :func:`sim.scenario.variants.vary`. Nothing here
holds run state.

Units are in the field names (``_days``, ``_hours``, ``per_week``) or in their
descriptions; money is in the scenario's ``currency``.

Bounds hold together: dates, durations and horizons stay within what the tables can
show (pandas dates end in April 2262), and a run asks for a bounded number of leads
(:data:`sim.rules.channels.MAX_LEADS_PER_RUN`). Every cross-field rule reports all its
violations (:mod:`sim.scenario.checks`).
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from sim.rules.channels import (
    MARKETING_KINDS,
    MAX_LEADS_PER_RUN,
    PEAK_MARGIN,
    base_rate_per_day,
    expected_leads,
    leads_drawn,
    prospecting_leads_most,
)
from sim.rules.dates import date_of, first_date
from sim.rules.deals import LEVELS, typical_stage_days
from sim.rules.reps import (
    REASSIGN_RULES,
    has_plan,
    hire_names,
    rep_hours_per_day,
    rep_names,
    working_hours,
)
from sim.scenario.checks import AtPath, CrossFieldRules, Unknown, cross_field
from sim.scenario.distributions import Distribution, Gamma, Lognormal

_AtPath = AtPath
"""The name this module gave :class:`~sim.scenario.checks.AtPath` before it moved."""

EARLIEST_START = dt.date(1900, 1, 1)
"""The earliest ``start_date``: ten years of warm-up before it stay far from pandas'
first date (1677)."""
LATEST_START = dt.date(2200, 12, 31)
"""The latest ``start_date``: ten years of results after it (to 2210) and an expected
close at most a twenty-year sales cycle later (2230) stay before pandas' last date (April
2262); after-sale dates past the end of the run are not shown."""
MAX_MEAN_DAYS = 3650.0
"""Most mean days of a distribution of days (decision, delivery, lateness): ten years,
as for every other duration."""
MAX_WORK_HOURS = 1000.0
"""Most rep hours of one stage's work (a number, or a distribution's mean)."""
MAX_CYCLE_DAYS = 7300.0
"""Most days of the normal sales cycle at the slowest rep's hours per day: twenty years.
An expected close is at most this far ahead of the run's last day (2210 at the latest),
so its date stays within the tables' calendar; one stage may take its whole ten-year
decision time."""

MAX_PLAN_DAYS = 3650
"""The latest date of the team's plan, in days after ``start_date``: the longest results
period."""

POLICY_NAMES = ("fifo", "classic", "close_first", "miller_heiman", "custom")
"""Prioritisation policies a scenario can name; ``custom`` takes an ``order`` of levels."""

INBOUND_MEDIA = ("search", "seo", "social", "video", "newsletter", "other_media")
CAMPAIGN_MEDIA = ("billboard", "tv", "print", "radio", "online_ads")
PROSPECTING_MEDIA = ("telemarketing", "cold_email")

LOST_REASONS = ("competitor", "no_budget", "no_decision")
"""Reasons a customer gives for a loss; ``lost_to_neglect`` is the engine's own."""


class _Frozen(CrossFieldRules):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _ChannelBase(_Frozen):
    name: str = Field("channel", min_length=1, description="label shown in tables")
    lead_quality: Probability = Field(
        0.3,
        description="chance that a lead verified at once is a real opportunity (0..1); "
        "slower responses lower it (see `leads`)",
    )
    deal_size: Distribution = Field(
        default_factory=lambda: Lognormal(mean=40_000, cv=0.8),
        description="amount of an opportunity from this channel, in the scenario currency",
    )
    strategic_share: Probability = Field(
        0.3, description="share of opportunities that are strategic (the rest tactical)"
    )
    contract_share: Probability = Field(
        0.5,
        description="share of opportunities that are contracts (services); the rest are "
        "orders (products)",
    )


class InboundChannel(_ChannelBase):
    """Pull marketing: customers find the company (search, SEO, social, video, newsletters)."""

    kind: Literal["inbound"] = "inbound"
    medium: Literal[INBOUND_MEDIA] = Field("search", description="the medium")
    leads_per_week: float = Field(10.0, ge=0, le=10_000, description="mean arrivals per week")
    seasonality: list[Annotated[float, Field(ge=0, le=10)]] | None = Field(
        None,
        min_length=12,
        max_length=12,
        description="12 monthly multipliers of the arrival rate, January first; none = flat",
    )
    growth_per_year: float = Field(
        0.0, ge=-0.99, le=10, description="relative growth of the arrival rate per year"
    )
    cost_per_month: float = Field(2_000.0, ge=0, description="content, tools and agency cost")


class CampaignChannel(_ChannelBase):
    """Push marketing bought with a budget: billboards, TV, print, radio, online ads."""

    kind: Literal["outbound_campaign"] = "outbound_campaign"
    medium: Literal[CAMPAIGN_MEDIA] = Field("online_ads", description="the medium")
    budget_per_month: float = Field(5_000.0, ge=0, description="spend per month")
    cost_per_lead: float = Field(
        220.0, gt=0, description="spend per lead; arrivals per month = budget / cost per lead"
    )


class ProspectingChannel(_ChannelBase):
    """Push marketing done by the reps themselves: telemarketing, cold calls and e-mails.

    Leads exist only when a rep spends time prospecting. The flow target (weekly hours,
    or a stock of unverified leads) says when prospecting is due; a rep with nothing
    else to do prospects anyway, up to ``max_hours_per_week``.
    """

    kind: Literal["outbound_prospecting"] = "outbound_prospecting"
    medium: Literal[PROSPECTING_MEDIA] = Field("telemarketing", description="the medium")
    leads_per_hour: float = Field(
        0.4, ge=0, le=100, description="mean leads found per prospecting hour"
    )
    block_hours: float = Field(2.0, gt=0, le=40, description="length of one prospecting session")
    target_hours_per_week: float = Field(
        4.0, ge=0, le=168, description="flow target: prospecting hours per rep per week"
    )
    target_leads_above_funnel: int = Field(
        0,
        ge=0,
        le=10_000,
        description="flow target: prospecting is also due while a rep holds fewer unverified "
        "leads than this (0 = off)",
    )
    max_hours_per_week: float = Field(
        8.0,
        ge=0,
        le=168,
        description="most prospecting hours per rep per week (the size of the call list)",
    )
    cost_per_hour: float = Field(
        0.0, ge=0, description="spend per prospecting hour (lists, tools), beyond rep time"
    )

    @cross_field
    def _target_within_cap(self):
        """`target_hours_per_week` must not exceed `max_hours_per_week`."""
        if self.target_hours_per_week > self.max_hours_per_week:
            yield AtPath(("target_hours_per_week",), self.target_hours_per_week,
                         f"must not exceed max_hours_per_week ({self.max_hours_per_week})")


Channel = Annotated[
    InboundChannel | CampaignChannel | ProspectingChannel, Field(discriminator="kind")
]


class Leads(_Frozen):
    """Verifying leads: time per lead, speed-to-lead decay and expiry."""

    verify_hours: float = Field(
        0.5,
        ge=0,
        le=100,
        description="rep hours to verify (qualify) one lead; 0 = leads are verified on "
        "arrival without rep time (e.g. a self-qualifying web form)",
    )
    speed_to_lead_decay_hours: float = Field(
        12.0,
        gt=0,
        le=10_000,
        description="the qualify chance falls by a factor e for each this many hours a lead "
        "waits for its first contact, down to the floor",
    )
    speed_to_lead_floor: Probability = Field(
        0.2, description="share of the qualify chance a very late response keeps"
    )
    expiry_days: float = Field(
        21.0, gt=0, le=3650, description="an untouched lead expires after this many days"
    )


class Stage(_Frozen):
    """One stage of the funnel."""

    name: str = Field(
        "Stage", min_length=1,
        description="any Unicode text, unique in the funnel; left out = `Stage 1`, `Stage 2`, ... "
        "by position",
    )
    win_rate: Probability = Field(
        0.25, description="chance of eventually winning a deal in this stage"
    )
    work_hours: Annotated[float, Field(ge=0, le=MAX_WORK_HOURS)] | Distribution = Field(
        4.0,
        description="rep hours this stage needs: a number, or a distribution of hours "
        "(e.g. `{dist = \"exponential\", mean = 4}`) whose mean is at most 1000",
    )
    decision_days: Distribution = Field(
        default_factory=lambda: Gamma(mean=10, cv=0.5),
        description="the customer's decision time after the rep's work, in days; its mean "
        "at most 3650 (ten years)",
    )
    rot_days: float = Field(
        30.0,
        gt=0,
        le=3650,
        description="a stage task waiting longer than this rots: its chance to advance decays "
        "by a factor e per further rot_days",
    )
    cycle_part: Literal["design", "procurement", "transaction"] | None = Field(
        None,
        description="which part of the course's sales cycle this stage belongs to: `design`, "
        "`procurement` or `transaction` (payment collection follows the win); none = untagged",
    )
    elastic_gain: float = Field(
        0.0,
        ge=0,
        le=10,
        description="elastic closing effort: the most extra rep hours can raise the chance to "
        "advance, as a multiple (0.6 = up to +60%); 0 = not elastic",
    )
    elastic_scale_hours: float = Field(
        4.0,
        gt=0,
        le=1000,
        description="diminishing returns: h extra hours give the share 1 - exp(-h / scale) of "
        "the gain; Miller Heiman reps give a deal this many hours (what closing needs)",
    )
    elastic_max_hours: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="the most extra hours one deal absorbs in this stage while the customer "
        "decides; 0 = not elastic",
    )
    elastic_block_hours: float = Field(
        2.0, gt=0, le=40, description="length of one session of extra closing effort"
    )

    @field_validator("work_hours")
    @classmethod
    def _work_hours_bounded(cls, v):
        """A `work_hours` distribution's mean must be at most 1000 hours, as a number's."""
        return _mean_at_most(v, MAX_WORK_HOURS, "hours")

    @field_validator("decision_days")
    @classmethod
    def _decision_days_bounded(cls, v):
        """The mean of `decision_days` must be at most 3650 days."""
        return _mean_at_most(v, MAX_MEAN_DAYS, "days")

    @property
    def mean_work_hours(self) -> float:
        """Mean rep hours of this stage's work."""
        return self.work_hours if isinstance(self.work_hours, float | int) else self.work_hours.mean


def _default_stages() -> list[Stage]:
    return [
        Stage(name="Initial contact", win_rate=0.25, work_hours=2, decision_days=Gamma(mean=10),
              cycle_part="design"),
        Stage(name="Needs confirmed", win_rate=0.35, work_hours=4, decision_days=Gamma(mean=14),
              cycle_part="design"),
        Stage(name="Proposal & quote", win_rate=0.55, work_hours=6, decision_days=Gamma(mean=21),
              cycle_part="procurement"),
        Stage(
            name="Negotiation & signing",
            win_rate=0.75,
            work_hours=4,
            decision_days=Gamma(mean=20),
            cycle_part="transaction",
        ),
    ]


class Opportunities(_Frozen):
    """How customers explain a loss."""

    lost_reasons: dict[Literal[LOST_REASONS], Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {"competitor": 0.45, "no_budget": 0.25, "no_decision": 0.30},
        description="relative weights of the reasons a customer gives for a loss",
    )

    @field_validator("lost_reasons")
    @classmethod
    def _some_weight(cls, v):
        """The `lost_reasons` weights must not all be zero."""
        if v and sum(v.values()) <= 0:
            raise ValueError("the weights must not all be zero")
        return v


class BestFew(_Frozen):
    """The rule that makes an opportunity one of a rep's Best Few (Miller Heiman)."""

    min_win_rate: Probability = Field(
        0.5, description="the opportunity's stage win rate is at least this"
    )
    close_within_cycle_share: float = Field(
        0.5,
        gt=0,
        le=10,
        description="and its expected close is within this share of the normal sales cycle "
        "(the sum of the stages' typical durations) from today",
    )


class Forecast(_Frozen):
    """How the manager forecasts (a snapshot of the pipeline every week), and how the deals'
    owners forecast the deals the manager adds up: each owner sets a deal's expected close
    and forecast category on entering a stage, re-dates it when it passes its expected
    close still tracking, and re-estimates both at the start of each period."""

    assumed_win_rates: list[Probability] | None = Field(
        None,
        description="the win rates the manager believes, one per stage; none = the true ones "
        "(set them apart to stress-test a wrong belief)",
    )
    period: Literal["month", "quarter"] = Field(
        "quarter", description="the period forecasts and quotas are for"
    )
    quota_per_period: float = Field(
        0.0, ge=0, le=1e12, description="the team's bookings quota per period, in currency; "
        "0 = none (no coverage figures)"
    )
    snapshot_every_days: float = Field(
        7.0, gt=0, le=365, description="days between the manager's pipeline snapshots"
    )
    owner_optimism: float = Field(
        0.0,
        ge=0,
        le=0.9,
        description="how much owners overrate their deals: they shorten their estimate of the "
        "days left by this share, and close this share of the gap between the stage win rate "
        "and certainty in the chance they believe; 0 = none",
    )
    owner_learning_deals: int = Field(
        10,
        ge=0,
        le=1000,
        description="an owner's estimate of a stage's days starts at its typical days and "
        "moves towards the days their own deals took in it (waiting for them included), "
        "averaged over about this many of their latest; 0 = owners never learn",
    )
    owner_stage_left_min_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="an owner expects a deal's current stage to take its believed days less "
        "the days it has spent there, but never less than this share of them (a deal that "
        "has overrun its stage is not about to close tomorrow)",
    )
    redate_min_days: float = Field(
        7.0,
        gt=0,
        le=365,
        description="an owner re-dates a deal that passes its expected close still tracking "
        "to today plus their estimate of the days left, and at least this many days ahead",
    )
    commit_min_win_rate: Probability = Field(
        0.6,
        description="an owner calls a deal they expect to close this period `commit` from "
        "this believed win rate up",
    )
    best_case_min_win_rate: Probability = Field(
        0.3,
        description="and `best case` from this believed win rate up (below it, or not "
        "expected this period: `pipeline`); at most `commit_min_win_rate`",
    )

    @cross_field
    def _best_case_below_commit(self):
        """`forecast.best_case_min_win_rate` must be at most `forecast.commit_min_win_rate`."""
        if self.best_case_min_win_rate > self.commit_min_win_rate:
            yield AtPath(("best_case_min_win_rate",), self.best_case_min_win_rate,
                         f"must be at most commit_min_win_rate ({self.commit_min_win_rate}): "
                         "a best-case deal is less sure than a commit deal")


class PostSale(_Frozen):
    """Work after the win: the rep's hand-over to delivery (the Orders level).

    Delivery starts only when the hand-over is done, so a policy that leaves Orders
    last delays delivery, the invoices raised on delivery, and the cash.
    """

    work_hours: float = Field(
        0.0, ge=0, le=1000,
        description="rep hours of post-sale hand-over work per won deal; 0 = none (delivery "
        "starts at signing)",
    )


MILESTONES = ("signing", "handover", "delivery")


class Instalment(_Frozen):
    """One instalment of a payment plan: a share of the amount, invoiced at a milestone."""

    share: float = Field(0.3, gt=0, le=1, description="share of the deal amount (0..1)")
    milestone: Literal[MILESTONES] = Field(
        "signing",
        description="when it is invoiced: at `signing` (the win), at the rep's `handover` "
        "to delivery, or at `delivery` (service delivered / goods shipped)",
    )
    after_days: float = Field(
        0.0, ge=0, le=3650, description="days after the milestone the invoice is raised"
    )


class Fulfilment(_Frozen):
    """How a won deal of one kind (contract or order) is delivered and invoiced."""

    delivery_days: Distribution = Field(
        default_factory=lambda: Gamma(mean=45, cv=0.5),
        description="days from hand-over to delivery (service delivered, or goods shipped); "
        "its mean at most 3650",
    )
    line_items_max: int = Field(
        3, ge=1, le=20, description="a deal has 1 to this many line items (equally likely)"
    )
    payment_plan: list[Instalment] = Field(
        default_factory=lambda: [Instalment(share=0.3, milestone="signing"),
                                 Instalment(share=0.7, milestone="delivery")],
        min_length=1,
        max_length=12,
        description="the instalments; their shares must add up to 100%",
    )

    @field_validator("delivery_days")
    @classmethod
    def _delivery_days_bounded(cls, v):
        """The mean of `delivery_days` must be at most 3650 days."""
        return _mean_at_most(v, MAX_MEAN_DAYS, "days")

    @cross_field
    def _plan_adds_up(self):
        """The instalment shares of a payment plan must add up to 100%."""
        shares = [i.share for i in self.payment_plan]
        total = sum(shares)
        if abs(total - 1.0) > 1e-6:
            yield AtPath(("payment_plan",), shares,
                         f"instalment shares must add up to 100% (they add up to {total:.1%})")


def _order_fulfilment() -> Fulfilment:
    return Fulfilment(delivery_days=Gamma(mean=10, cv=0.5), line_items_max=5,
                      payment_plan=[Instalment(share=1.0, milestone="delivery")])


class Payments(_Frozen):
    """How customers pay invoices (calibrated to B2B payment surveys)."""

    terms_days: float = Field(
        30.0, ge=0, le=365, description="payment terms: an invoice is due this many days "
        "after it is raised (net 30)"
    )
    late_share: Probability = Field(
        0.47, description="share of invoices paid late (~47% of B2B invoices, Atradius)"
    )
    lateness_days: Distribution = Field(
        default_factory=lambda: Gamma(mean=30, cv=0.8),
        description="days past the due date a late invoice is paid; its mean at most 3650",
    )
    on_time_earliest_share: Probability = Field(
        0.5, description="an on-time invoice is paid between this share of the terms and the "
        "due date (uniformly)"
    )
    bad_debt_share: Probability = Field(
        0.01, description="share of invoices never paid (bad debt)"
    )
    write_off_days: float = Field(
        120.0, ge=0, le=3650, description="days past due after which an unpaid bad debt is "
        "written off"
    )

    @field_validator("lateness_days")
    @classmethod
    def _lateness_days_bounded(cls, v):
        """The mean of `lateness_days` must be at most 3650 days."""
        return _mean_at_most(v, MAX_MEAN_DAYS, "days")


class Policy(_Frozen):
    """How a rep chooses the next task."""

    name: Literal[POLICY_NAMES] = Field(
        "fifo",
        description="`fifo` (oldest first), `classic` (highest amount x win rate first, "
        "prospect last), `close_first` (latest stage first, prospect last), `miller_heiman` "
        "(Best Few, Above the Funnel, In the Funnel, Orders), `custom` (the `order` below)",
    )
    order: list[Literal[LEVELS]] | None = Field(
        None,
        description="with `custom`: the four levels best_few, above_funnel, in_funnel, orders "
        "in the order the rep serves them",
    )
    prospecting_share: Probability = Field(
        0.0,
        description="time split: prospecting is due while it has had less than this share of "
        "the rep's working hours (0 = off)",
    )
    effort_cap_hours: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="extra closing hours the rep gives one deal in one stage; none = what "
        "the stage absorbs (`elastic_max_hours`), or for miller_heiman what closing needs "
        "(`elastic_scale_hours`)",
    )

    @cross_field
    def _order_fits_name(self):
        """With `name = "custom"`, `order` must name each level exactly once; with any other
        name, leave `order` out."""
        if self.name == "custom":
            if self.order is None:
                yield AtPath(("order",), None, "policy 'custom' needs an order of the four "
                             f"levels {list(LEVELS)}")
            elif sorted(self.order) != sorted(LEVELS):
                yield AtPath(("order",), self.order,
                             f"must name each of {list(LEVELS)} exactly once")
        elif self.order is not None:
            yield AtPath(("order",), self.order,
                         f"an order is only used with name = 'custom' (name is '{self.name}')")


class RepSpec(_Frozen):
    """One named rep, overriding the team's defaults."""

    name: str = Field("", description="rep name; empty = Rep 1, Rep 2, ...")
    hours_per_day: float | None = Field(
        None, gt=0, le=24, description="selling hours per day; none = the team's"
    )
    skill: list[Annotated[float, Field(ge=0, le=5)]] | None = Field(
        None, description="per-stage skill multipliers; none = the team's"
    )
    policy: Policy | None = Field(None, description="this rep's own policy; none = the team's")


class Hire(_Frozen):
    """Reps who join the team on a date, and ramp up to full productivity."""

    name: str = Field(..., min_length=1, description="the new rep's name; with `count` above "
                      "1, the reps are called NAME 1, NAME 2, ...")
    count: int = Field(1, ge=1, le=100, description="how many reps join together")
    joins: dt.date = Field(..., description="the first day they work")
    ramp: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=list,
        max_length=60,
        description="share of full productivity (selling hours) in each of their first calendar "
        "months, e.g. [0.25, 0.5, 0.75]; full from then on (empty = full from the start)",
    )
    hours_per_day: float | None = Field(
        None, gt=0, le=24, description="full selling hours per day; none = the team's"
    )
    skill: list[Annotated[float, Field(ge=0, le=5)]] | None = Field(
        None, description="per-stage skill multipliers; none = the team's"
    )
    policy: Policy | None = Field(None, description="their own policy; none = the team's")


class Departure(_Frozen):
    """A rep who leaves the team: their open deals and leads go to the others
    (`team.reassign`)."""

    rep: str = Field(..., min_length=1, description="the leaver's name (as the tables name "
                     "reps: Rep 1, a member's or a hire's name)")
    leaves: dt.date = Field(..., description="the first day they no longer work")


class Absence(_Frozen):
    """A period of leave: the rep works no hours, their waiting work waits (and may rot),
    and no new leads reach them."""

    rep: str = Field(..., min_length=1, description="the rep's name")
    start: dt.date = Field(..., description="the first day of leave")
    end: dt.date = Field(..., description="the last day of leave (included)")


class Team(_Frozen):
    """The sales reps and how leads reach them."""

    reps: int = Field(5, ge=1, le=1000, description="number of reps at the start (`hires` "
                      "join them later)")
    hours_per_day: float = Field(
        6.0, gt=0, le=24, description="selling hours per rep per calendar day"
    )
    skill: list[Annotated[float, Field(ge=0, le=5)]] | None = Field(
        None,
        description="per-stage multipliers of the chance to advance (1 = as the win rates "
        "say); none = 1 everywhere",
    )
    assignment: Literal["round_robin", "least_loaded", "random", "pool"] = Field(
        "round_robin",
        description="how marketing leads reach reps: `round_robin`, `least_loaded` (fewest "
        "waiting tasks), `random`, or `pool` (one shared team queue: any free rep takes the "
        "next task, and the rep who verifies a lead owns the opportunity)",
    )
    members: list[RepSpec] = Field(
        default_factory=list, description="named reps overriding the defaults, first reps first"
    )
    hires: list[Hire] = Field(
        default_factory=list,
        description="reps who join during the run, named and numbered after the `reps` "
        "(the plan's dates are calendar dates; the warm-up is part of the run)",
    )
    departures: list[Departure] = Field(
        default_factory=list, description="reps who leave during the run"
    )
    absences: list[Absence] = Field(
        default_factory=list, description="periods of leave: the rep works no hours"
    )
    reassign: Literal[REASSIGN_RULES] = Field(
        "least_loaded",
        description="how a leaver's open deals and leads (and the work waiting on them) go to "
        "the reps working that day: `least_loaded` (each, deals first then leads, to the rep "
        "who then owns the fewest open deals and leads) or `round_robin` (in turn)",
    )

    @cross_field
    def _members_fit(self):
        """`members` must not list more reps than `reps`."""
        if len(self.members) > self.reps:
            yield AtPath(("members",), f"{len(self.members)} members",
                         f"no more members than reps ({self.reps})")


class Scenario(_Frozen):
    """A complete description of a sales organisation to simulate."""

    name: str = Field("scenario", min_length=1, description="label carried into results")
    description: str = Field("", description="free text")
    start_date: dt.date = Field(
        dt.date(2026, 1, 1),
        description="first day of the results period (after the warm-up); from 1900-01-01 "
        "to 2200-12-31",
    )
    horizon_days: float = Field(365.0, gt=0, le=3650, description="length of the results period")
    warmup_days: float = Field(
        120.0, ge=0, le=3650, description="days simulated before start_date and left out"
    )
    seed: int = Field(12345, ge=0, description="random seed; same seed, same tables")
    currency: str = Field("USD", min_length=1, max_length=8, description="money unit")
    language: Literal["en", "zh"] = Field(
        "en",
        description="language of the report, the figures' labels and the lessons' panels: "
        "`en` English, `zh` Chinese (`funnel run --lang` overrides it); stage, channel and rep "
        "names are shown as written",
    )
    channels: list[Channel] = Field(
        default_factory=lambda: [
            InboundChannel(name="Search", medium="search"),
            CampaignChannel(name="Online ads", medium="online_ads"),
        ],
        description="where leads come from",
    )
    leads: Leads = Field(default_factory=Leads, description="lead verification")
    stages: list[Stage] = Field(
        default_factory=_default_stages, min_length=1, max_length=20, description="the funnel"
    )
    opportunities: Opportunities = Field(
        default_factory=Opportunities, description="how customers explain a loss"
    )
    post_sale: PostSale = Field(default_factory=PostSale, description="work after the win")
    contracts: Fulfilment = Field(
        default_factory=Fulfilment,
        description="won contracts (services): delivery and payment plan",
    )
    orders: Fulfilment = Field(
        default_factory=_order_fulfilment,
        description="won orders (products): shipment and payment plan",
    )
    payments: Payments = Field(default_factory=Payments, description="how customers pay")
    team: Team = Field(default_factory=Team)
    policy: Policy = Field(default_factory=Policy, description="the team's policy")
    best_few: BestFew = Field(default_factory=BestFew, description="the Best Few rule")
    forecast: Forecast = Field(default_factory=Forecast, description="the manager's forecast")

    @model_validator(mode="before")
    @classmethod
    def _name_stages(cls, data):
        """A stage given without a name is called `Stage 1`, `Stage 2`, ... by position."""
        return name_stages(data)

    @field_validator("start_date")
    @classmethod
    def _start_date_in_range(cls, v):
        """`start_date` must lie from 1900-01-01 to 2200-12-31, so that the warm-up before
        it and every date after it stay within the tables' calendar (pandas dates end in
        April 2262)."""
        if not EARLIEST_START <= v <= LATEST_START:
            raise ValueError(f"must be a date from {EARLIEST_START} to {LATEST_START}, so that "
                             "the warm-up before it and the dates after it fit the tables' "
                             "calendar (pandas dates run from 1677 to 2262)")
        return v

    @cross_field
    def _win_rates_rise(self):
        """Stage win rates must not fall from one stage to the next."""
        stages = self.stages
        for k in range(1, len(stages)):
            with suppress(Unknown):
                before, this = stages[k - 1], stages[k]
                lo, hi = before.win_rate, this.win_rate
                if hi < lo:
                    yield AtPath(
                        ("stages", k, "win_rate"),
                        hi,
                        f"win rates must not fall from one stage to the next: stage "
                        f"'{this.name}' (stages[{k}], counting from 0) has {hi}, below the "
                        f"{lo} of the stage before it, '{before.name}' (stages[{k - 1}]); "
                        "raise this one or lower that one",
                    )

    @cross_field
    def _one_value_per_stage(self):
        """`team.skill`, every `team.members` and `team.hires` `skill` and
        `forecast.assumed_win_rates` need one value per stage."""
        n = len(self.stages)
        with suppress(Unknown):
            skill = self.team.skill
            if skill is not None and len(skill) != n:
                yield AtPath(("team", "skill"), skill, f"needs one skill per stage ({n})")
        for field in ("members", "hires"):
            with suppress(Unknown):
                specs = getattr(self.team, field)
                for i in range(len(specs)):
                    with suppress(Unknown):
                        skill = specs[i].skill
                        if skill is not None and len(skill) != n:
                            yield AtPath(("team", field, i, "skill"), skill,
                                         f"needs one skill per stage ({n})")
        with suppress(Unknown):
            assumed = self.forecast.assumed_win_rates
            if assumed is not None and len(assumed) != n:
                yield AtPath(("forecast", "assumed_win_rates"), assumed,
                             f"needs one win rate per stage ({n})")

    @cross_field
    def _names_unique(self):
        """Stage names and channel names must be unique."""
        for field, noun in (("stages", "stage"), ("channels", "channel")):
            with suppress(Unknown):
                items = getattr(self, field)
                first: dict = {}
                for i in range(len(items)):
                    with suppress(Unknown):
                        name = items[i].name
                        if name in first:
                            yield AtPath((field, i, "name"), name,
                                         f"{noun} names must be unique ({field}[{first[name]}] "
                                         "has this name too)")
                        first.setdefault(name, i)

    @cross_field
    def _one_prospecting_channel(self):
        """At most one channel may be `outbound_prospecting`."""
        channels = self.channels
        seen = None
        for i in range(len(channels)):
            with suppress(Unknown):
                if channels[i].kind == "outbound_prospecting":
                    if seen is not None:
                        yield AtPath(("channels", i, "kind"), "outbound_prospecting",
                                     "at most one outbound_prospecting channel is supported "
                                     f"(channels[{seen}] is one)")
                    seen = i if seen is None else seen

    @cross_field
    def _team_dates_in_run(self):
        """Every date of the team's plan (`joins`, `leaves`, `start`, `end`) must fall on or
        after the first day of the warm-up, and at most ten years (3650 days) after
        `start_date`. A date after the results period is allowed and changes nothing in
        the run, so that a shorter run of the same plan (`--days`) still works."""
        first = first_date(self)
        last = date_of(self.start_date, MAX_PLAN_DAYS)
        for field, dates in (("hires", ("joins",)), ("departures", ("leaves",)),
                             ("absences", ("start", "end"))):
            with suppress(Unknown):
                items = getattr(self.team, field)
                for i in range(len(items)):
                    for name in dates:
                        with suppress(Unknown):
                            when = getattr(items[i], name)
                            if not first <= when <= last:
                                yield AtPath(("team", field, i, name), when,
                                             f"must be a date from {first} (the first day of "
                                             f"the warm-up) to {last} (ten years after "
                                             "start_date)")

    @cross_field
    def _team_plan_names(self):
        """A hire's names must differ from every other rep's; a departure or an absence
        must name a rep of the team (`Rep 1`, ..., a member's or a hire's name)."""
        with suppress(Unknown):
            team = self.team
            base = rep_names(_Unplanned(team))
            seen = {name: "the team's reps" for name in base}
            for i in range(len(team.hires)):
                with suppress(Unknown):
                    for name in hire_names(team.hires[i]):
                        if name in seen:
                            yield AtPath(("team", "hires", i, "name"), team.hires[i].name,
                                         f"rep names must be unique: '{name}' is already "
                                         f"among {seen[name]}")
                        seen.setdefault(name, f"team.hires[{i}]")
            known = list(seen)
            for field in ("departures", "absences"):
                items = getattr(team, field)
                for i in range(len(items)):
                    with suppress(Unknown):
                        if items[i].rep not in seen:
                            yield AtPath(("team", field, i, "rep"), items[i].rep,
                                         f"must name a rep of the team, one of {_listed(known)}")

    @cross_field
    def _team_plan_in_order(self):
        """A rep leaves at most once, and a hire leaves after joining; a leave ends on or
        after its start, falls while the rep is on the team (from joining, before
        leaving), and does not overlap another leave of the same rep."""
        team = self.team
        joins: dict = dict.fromkeys(rep_names(_Unplanned(team)))  # the reps there from the start
        for i in range(len(team.hires)):
            with suppress(Unknown):
                hire = team.hires[i]
                for name in hire_names(hire):
                    joins.setdefault(name, hire.joins)  # a name taken twice is reported apart
        leaves: dict = {}
        for i in range(len(team.departures)):
            with suppress(Unknown):
                d = team.departures[i]
                if d.rep in leaves:
                    yield AtPath(("team", "departures", i, "rep"), d.rep,
                                 f"a rep leaves once: team.departures[{leaves[d.rep][0]}] has "
                                 f"'{d.rep}' leave already")
                    continue
                leaves[d.rep] = (i, d.leaves)
                if joins.get(d.rep) is not None and d.leaves <= joins[d.rep]:
                    yield AtPath(("team", "departures", i, "leaves"), d.leaves,
                                 f"must come after '{d.rep}' joins ({joins[d.rep]})")
        taken: dict = {}
        for i in range(len(team.absences)):
            with suppress(Unknown):
                a = team.absences[i]
                where = ("team", "absences", i)
                if a.end < a.start:
                    yield AtPath((*where, "end"), a.end,
                                 f"the last day of leave must be on or after its first ({a.start})")
                    continue
                if joins.get(a.rep) is not None and a.start < joins[a.rep]:
                    yield AtPath((*where, "start"), a.start,
                                 f"'{a.rep}' is not on the team yet: they join on "
                                 f"{joins[a.rep]}")
                if a.rep in leaves and a.end >= leaves[a.rep][1]:
                    yield AtPath((*where, "end"), a.end,
                                 f"'{a.rep}' is no longer on the team: they leave on "
                                 f"{leaves[a.rep][1]}")
                for j, (start, end) in taken.get(a.rep, []):
                    if a.start <= end and start <= a.end:
                        yield AtPath((*where, "start"), a.start,
                                     f"leaves of one rep must not overlap: this one ({a.start} "
                                     f"to {a.end}) overlaps team.absences[{j}] ({start} to "
                                     f"{end}) of '{a.rep}'")
                taken.setdefault(a.rep, []).append((i, (a.start, a.end)))

    @cross_field
    def _someone_works(self):
        """At every moment of the run at least one rep works: someone has joined, has not
        left and is not on leave (the team's leads and a leaver's deals need someone)."""
        if not has_plan(self.team):
            return
        hours = working_hours(self)
        edges = sorted({-float(self.warmup_days), *[e for h in hours for e in h.edges]})
        end = float(self.horizon_days)
        for k, day in enumerate(edges):
            if day >= end:
                break
            if all(h.on(day) <= 0 for h in hours):
                until = next((e for e in edges[k + 1:] if any(h.on(e) > 0 for h in hours)),
                             end)
                shown = (date_of(self.start_date, day), date_of(self.start_date, until - 1))
                yield AtPath(("team",), f"{shown[0]} to {shown[1]}",
                             f"no rep works from {shown[0]} to {shown[1]} (reps not joined yet, "
                             "gone or on leave): at least one rep must work at every moment of "
                             "the run; move a date of team.hires, team.departures or "
                             "team.absences")
                return

    @cross_field
    def _sales_cycle_bounded(self):
        """The normal sales cycle (each stage's mean work hours at a rep's hours per day,
        plus its mean decision days, summed) must be at most 7300 days (twenty years) for
        every rep, so that every expected close date fits the tables' calendar."""
        slowest = min(rep_hours_per_day(self.team))
        days = typical_stage_days(self.stages, slowest)
        cycle = sum(days)
        if cycle <= MAX_CYCLE_DAYS:
            return
        k = max(range(len(days)), key=days.__getitem__)
        stage = self.stages[k]
        work = stage.mean_work_hours / slowest
        field = "work_hours" if work >= stage.decision_days.mean else "decision_days"
        yield AtPath(
            ("stages", k, field), getattr(stage, field),
            f"the normal sales cycle would be {cycle:,.0f} days at the slowest rep's "
            f"{slowest:g} hours per day, more than the {MAX_CYCLE_DAYS:,.0f} allowed (so that "
            f"expected close dates fit the tables' calendar); stage '{stage.name}' alone "
            f"takes {days[k]:,.0f} days ({stage.mean_work_hours:g} work hours at {slowest:g} "
            f"hours a day, then {stage.decision_days.mean:g} decision days): shorten "
            "work_hours or decision_days, or raise hours_per_day",
        )

    @cross_field
    def _lead_volume_capped(self):
        """The inbound and campaign channels together may ask for at most 1,000,000 lead
        arrivals in a run (warm-up included): each channel's peak rate per day, with its
        seasonality and growth, times the run's days. More would need more memory and
        time than a laptop has (a lead takes about 1.3 kB)."""
        drawn = []
        for i, channel in enumerate(self.channels):
            with suppress(Unknown):
                if channel.kind in MARKETING_KINDS:
                    drawn.append((leads_drawn(channel, self), i, channel))
        total = sum(n for n, _, _ in drawn)
        if total <= MAX_LEADS_PER_RUN:
            return
        days = self.run_days
        alone = [x for x in drawn if x[0] > MAX_LEADS_PER_RUN]
        for n, i, channel in alone or [max(drawn, key=lambda x: x[0])]:
            field = _volume_field(channel, days)
            varying = channel.kind == "inbound" and (channel.seasonality is not None
                                                      or channel.growth_per_year != 0)
            asks = (f"channel '{channel.name}' asks for about {n:,.0f} lead arrivals" if alone
                    else f"the inbound and campaign channels together ask for about "
                    f"{total:,.0f} lead arrivals, {n:,.0f} of them from channel "
                    f"'{channel.name}'")
            how = (f"its peak rate, {n / days:,.1f} leads a day with seasonality and growth, "
                   f"times the days; about {expected_leads(channel, self):,.0f} would arrive "
                   "on average" if varying else f"{n / days:,.1f} leads a day")
            yield AtPath(
                ("channels", i, field), getattr(channel, field),
                f"{asks} in a run of {days:,.0f} days, warm-up included ({how}); a run may "
                f"ask for at most {MAX_LEADS_PER_RUN:,}: lower {field} or shorten the run",
            )

    @cross_field
    def _prospecting_capped(self):
        """Reps prospecting may bring at most 1,000,000 leads in a run: every rep working
        the whole call list (`max_hours_per_week`) every week, at `leads_per_hour`."""
        for i, channel in enumerate(self.channels):
            with suppress(Unknown):
                if channel.kind != "outbound_prospecting":
                    continue
                most = prospecting_leads_most(channel, self)
                if most > MAX_LEADS_PER_RUN:
                    yield AtPath(
                        ("channels", i, "leads_per_hour"), channel.leads_per_hour,
                        f"{len(rep_names(self.team))} reps prospecting "
                        f"{channel.max_hours_per_week:g} "
                        f"hours a week for {self.run_days / 7:,.0f} weeks (warm-up included) "
                        f"could find about {most:,.0f} leads; a run may find at most "
                        f"{MAX_LEADS_PER_RUN:,}: lower leads_per_hour or max_hours_per_week, "
                        "or shorten the run")

    # -- conveniences -------------------------------------------------------------
    @property
    def run_days(self) -> float:
        """Warm-up plus results period, in days."""
        return self.warmup_days + self.horizon_days

    @property
    def typical_cycle_days(self) -> float:
        """The normal sales cycle: each stage's mean work (at the team's hours per day)
        plus its mean decision time, summed (:func:`sim.rules.deals.typical_stage_days`)."""
        return sum(typical_stage_days(self.stages, self.team.hours_per_day))

    @property
    def win_rates(self) -> list[float]:
        """Each stage's win rate."""
        return [s.win_rate for s in self.stages]

    @property
    def assumed_win_rates(self) -> list[float]:
        """The win rates the manager's forecast uses (the true ones unless set)."""
        return list(self.forecast.assumed_win_rates or self.win_rates)

    def advance_rates(self) -> list[float]:
        """True chance to advance from each stage: w[k] / w[k+1], with w after the last = 1."""
        w = self.win_rates + [1.0]
        return [w[k] / w[k + 1] if w[k + 1] > 0 else 0.0 for k in range(len(self.stages))]

    def advice(self) -> list[str]:
        """Warnings that do not stop a run."""
        out = []
        n = len(self.stages)
        if not 3 <= n <= 7:
            out.append(f"stages: {n} stage(s); the course advises 3 to 7")
        if not any(c.kind != "outbound_prospecting" for c in self.channels) and not any(
            c.kind == "outbound_prospecting" for c in self.channels
        ):
            out.append("channels: no channel makes leads; the run will be empty")
        return out


class _Unplanned:
    """A team view without its hires (their names are checked against the others')."""

    def __init__(self, team):
        self.reps, self.members, self.hires = team.reps, team.members, []


def _listed(names: list[str], most: int = 12) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def name_stages(data):
    """``data`` (a scenario as read from TOML) with each stage given without a name called
    ``Stage 1``, ``Stage 2``, ... by its position."""
    if isinstance(data, dict) and isinstance(data.get("stages"), list):
        stages = [dict(st, name=f"Stage {i + 1}") if isinstance(st, dict) and "name" not in st
                  else st for i, st in enumerate(data["stages"])]
        data = {**data, "stages": stages}
    return data


_MEAN_PARAMETER = {"fixed": "value", "uniform": "high", "triangular": "high"}
"""The parameter a bound on a distribution's mean points at (else ``mean``)."""


def _mean_at_most(dist, cap: float, unit: str):
    """``dist`` itself if its mean is at most ``cap``; else raises :class:`AtPath` at the
    parameter that sets the mean. Numbers pass (their own bounds apply)."""
    if isinstance(dist, float | int) or dist.mean <= cap:
        return dist
    param = _MEAN_PARAMETER.get(dist.dist, "mean")
    value = dist.mean if param == "mean" else getattr(dist, param)
    how = "" if param in ("mean", "value") else f" (this one's is {dist.mean:g})"
    raise AtPath((param,), value, f"the mean must be at most {cap:g} {unit}{how}")


def _volume_field(channel, run_days: float) -> str:
    """The field to blame for a channel's lead volume: the growth or the seasonality when
    the channel's rate alone would fit the cap, else the rate itself (or the budget)."""
    if channel.kind == "outbound_campaign":
        return "budget_per_month"
    flat = base_rate_per_day(channel) * run_days * PEAK_MARGIN
    if flat <= MAX_LEADS_PER_RUN:
        if channel.growth_per_year > 0:
            season = max(channel.seasonality) if channel.seasonality is not None else 1.0
            if flat * season <= MAX_LEADS_PER_RUN:
                return "growth_per_year"
        if channel.seasonality is not None:
            return "seasonality"
    return "leads_per_week"
