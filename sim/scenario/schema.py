"""The scenario: a frozen, validated description of a sales organisation.

``Scenario()`` is a complete, sensible run. A variant is a validated copy with fields
set by path, made in one way only: :func:`sim.scenario.variants.vary`. Nothing here
holds run state.

Units are in the field names (``_days``, ``_hours``, ``per_week``) or in their
descriptions; money is in the scenario's ``currency``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.rules.deals import LEVELS, typical_stage_days
from sim.scenario.distributions import Distribution, Gamma, Lognormal

POLICY_NAMES = ("fifo", "classic", "close_first", "miller_heiman", "custom")
"""Prioritisation policies a scenario can name; ``custom`` takes an ``order`` of levels."""

INBOUND_MEDIA = ("search", "seo", "social", "video", "newsletter", "other_media")
CAMPAIGN_MEDIA = ("billboard", "tv", "print", "radio", "online_ads")
PROSPECTING_MEDIA = ("telemarketing", "cold_email")

LOST_REASONS = ("competitor", "no_budget", "no_decision")
"""Reasons a customer gives for a loss; ``lost_to_neglect`` is the engine's own."""


class _Frozen(BaseModel):
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

    @model_validator(mode="after")
    def _target_within_cap(self):
        """`target_hours_per_week` must not exceed `max_hours_per_week`."""
        if self.target_hours_per_week > self.max_hours_per_week:
            raise _AtPath(
                ("target_hours_per_week",),
                self.target_hours_per_week,
                f"must not exceed max_hours_per_week ({self.max_hours_per_week})",
            )
        return self


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
    work_hours: Annotated[float, Field(ge=0, le=1000)] | Distribution = Field(
        4.0,
        description="rep hours this stage needs: a number, or a distribution of hours "
        "(e.g. `{dist = \"exponential\", mean = 4}`)",
    )
    decision_days: Distribution = Field(
        default_factory=lambda: Gamma(mean=10, cv=0.5),
        description="the customer's decision time after the rep's work, in days",
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
    """How the manager forecasts: a snapshot of the pipeline every week."""

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
    best_case_min_win_rate: Probability = Field(
        0.3,
        description="a tracking deal expected to close in the period is `best case` from this "
        "assumed stage win rate up (below it: `pipeline`; Best Few deals are `commit`)",
    )


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
        description="days from hand-over to delivery (service delivered, or goods shipped)",
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

    @model_validator(mode="after")
    def _plan_adds_up(self):
        """The instalment shares of a payment plan must add up to 100%."""
        total = sum(i.share for i in self.payment_plan)
        if abs(total - 1.0) > 1e-6:
            raise _AtPath(("payment_plan",), [i.share for i in self.payment_plan],
                          f"instalment shares must add up to 100% (they add up to "
                          f"{total:.1%})")
        return self


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
        description="days past the due date a late invoice is paid",
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

    @model_validator(mode="after")
    def _order_fits_name(self):
        """With `name = "custom"`, `order` must name each level exactly once; with any other
        name, leave `order` out."""
        if self.name == "custom":
            if self.order is None:
                raise _AtPath(("order",), None, "policy 'custom' needs an order of the four "
                              f"levels {list(LEVELS)}")
            if sorted(self.order) != sorted(LEVELS):
                raise _AtPath(("order",), self.order,
                              f"must name each of {list(LEVELS)} exactly once")
        elif self.order is not None:
            raise _AtPath(("order",), self.order,
                          f"an order is only used with name = 'custom' (name is '{self.name}')")
        return self


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


class Team(_Frozen):
    """The sales reps and how leads reach them."""

    reps: int = Field(5, ge=1, le=1000, description="number of reps")
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

    @model_validator(mode="after")
    def _members_fit(self):
        """`members` must not list more reps than `reps`."""
        if len(self.members) > self.reps:
            raise _AtPath(("members",), f"{len(self.members)} members",
                          f"no more members than reps ({self.reps})")
        return self


class Scenario(_Frozen):
    """A complete description of a sales organisation to simulate."""

    name: str = Field("scenario", min_length=1, description="label carried into results")
    description: str = Field("", description="free text")
    start_date: dt.date = Field(
        dt.date(2026, 1, 1), description="first day of the results period (after the warm-up)"
    )
    horizon_days: float = Field(365.0, gt=0, le=3650, description="length of the results period")
    warmup_days: float = Field(
        120.0, ge=0, le=3650, description="days simulated before start_date and left out"
    )
    seed: int = Field(12345, ge=0, description="random seed; same seed, same tables")
    currency: str = Field("USD", min_length=1, max_length=8, description="money unit")
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
        if isinstance(data, dict) and isinstance(data.get("stages"), list):
            stages = [dict(st, name=f"Stage {i + 1}") if isinstance(st, dict) and "name" not in st
                      else st for i, st in enumerate(data["stages"])]
            data = {**data, "stages": stages}
        return data

    @model_validator(mode="after")
    def _consistent(self):
        """Stage win rates must not fall from one stage to the next; `team.skill`, every
        `team.members` `skill` and `forecast.assumed_win_rates` need one value per stage;
        stage names and channel names must be unique; at most one channel may be
        `outbound_prospecting`."""
        for k in range(1, len(self.stages)):
            lo, hi = self.stages[k - 1].win_rate, self.stages[k].win_rate
            if hi < lo:
                raise _AtPath(
                    ("stages", k, "win_rate"),
                    hi,
                    f"win rates must not fall from one stage to the next: stage "
                    f"'{self.stages[k].name}' (stages[{k}], counting from 0) has {hi}, below "
                    f"the {lo} of the stage before it, '{self.stages[k - 1].name}' "
                    f"(stages[{k - 1}]); raise this one or lower that one",
                )
        n = len(self.stages)
        skills = [("team", "skill"),
                  *[("team", "members", i, "skill") for i in range(len(self.team.members))]]
        for path in skills:
            value = _get(self, path)
            if value is not None and len(value) != n:
                raise _AtPath(path, value, f"needs one skill per stage ({n})")
        assumed = self.forecast.assumed_win_rates
        if assumed is not None and len(assumed) != n:
            raise _AtPath(("forecast", "assumed_win_rates"), assumed,
                          f"needs one win rate per stage ({n})")
        stage_names = [s.name for s in self.stages]
        for i, name in enumerate(stage_names):
            if name in stage_names[:i]:
                raise _AtPath(("stages", i, "name"), name, "stage names must be unique")
        names = [c.name for c in self.channels]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise _AtPath(("channels", i, "name"), name, "channel names must be unique")
        prospecting = [i for i, c in enumerate(self.channels) if c.kind == "outbound_prospecting"]
        if len(prospecting) > 1:
            raise _AtPath(("channels", prospecting[1], "kind"), "outbound_prospecting",
                          "at most one outbound_prospecting channel is supported")
        return self

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


class _AtPath(ValueError):
    """A validation failure that knows the field path it belongs to."""

    def __init__(self, path, value, rule):
        super().__init__(rule)
        self.path, self.value, self.rule = tuple(path), value, rule


def _get(obj, path):
    for key in path:
        try:
            obj = obj[key] if isinstance(key, int) else getattr(obj, key)
        except (IndexError, AttributeError):
            return None
    return obj
