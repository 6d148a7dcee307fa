"""What a campaign file may say, as pydantic models: strict (a misspelt key is an
error, not silently ignored) and frozen.

A campaign holds everything that differs between outreach efforts: where its
leads come from and how their columns map (`intake`), who the ideal customer is
(ICP and opportunity rules), where qualification and tiers cut, which sequence
each tier gets, who sends and how much per day, and what the campaign aims for.
Loading a file and reporting its problems is `loading.py`'s job.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from cam_core.campaign.templates import template_problems
from cam_core.columns import MAPPABLE_FIELDS, SCORABLE_COLUMNS
from cam_core.vocabulary import TIERS, SenderProvider, Tier

# \Z, not $: "$" would let a trailing line break through.
CAMPAIGN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}\Z")
# A header value holds no line break (CR/LF would start a header of its own) nor other control character.
HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# The postal address goes in the body only, where it may span lines.
BODY_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
APOLLO_SENIORITIES = (
    "owner",
    "founder",
    "c_suite",
    "partner",
    "vp",
    "head",
    "director",
    "manager",
    "senior",
    "entry",
    "intern",
)


EnrichmentProvider = Literal["apollo", "dropcontact"]
ENRICHMENT_PROVIDERS: tuple[EnrichmentProvider, ...] = ("apollo", "dropcontact")


class StrictModel(BaseModel):
    """The base of every campaign model: a typo in a campaign file is an error, not a silently ignored key."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def domain_of(address: str) -> str:
    """The domain of an address as a From header may write it ("CAM <ann@Acme.example>" -> "acme.example")."""
    return address.rsplit("@", 1)[-1].strip(" >").lower()


class IcpRule(StrictModel):
    """One scoring rule: `points` when the lead's `field` matches.

    `any_of` matches whole words or phrases, case-insensitively, so "cto" matches
    "CTO & Co-founder" but not "Director". `between` matches a number in [min, max].
    """

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    field: Literal[SCORABLE_COLUMNS]  # type: ignore[valid-type]
    points: int = Field(ge=-100, le=100)
    any_of: list[str] | None = None
    between: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_matcher(self) -> IcpRule:
        if (self.any_of is None) == (self.between is None):
            raise ValueError("give exactly one of 'any_of' (a list of words) or 'between' ([min, max])")
        if self.any_of is not None and not [v for v in self.any_of if v.strip()]:
            raise ValueError("'any_of' needs at least one non-empty word or phrase")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError("'between' must be [min, max] with min <= max")
        return self


class Icp(StrictModel):
    rules: list[IcpRule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[IcpRule]) -> list[IcpRule]:
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        if sum(r.points for r in rules if r.points > 0) == 0:
            raise ValueError("at least one rule needs positive points")
        return rules


class Qualification(StrictModel):
    """Scores at or above `qualify_at` qualify; from `review_at` up they go to review."""

    qualify_at: int = Field(ge=0, le=100)
    review_at: int = Field(ge=0, le=100)
    reject_role_accounts: bool = True
    reject_free_mail: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Qualification:
        if self.review_at > self.qualify_at:
            raise ValueError("review_at must be <= qualify_at")
        return self


class Tiers(StrictModel):
    """Lowest score of each tier; below `cool` is cold. The one source of tier cut-offs."""

    hot: int = Field(ge=0, le=100)
    warm: int = Field(ge=0, le=100)
    cool: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _descending(self) -> Tiers:
        if not self.hot >= self.warm >= self.cool:
            raise ValueError("tiers must satisfy hot >= warm >= cool")
        return self


class Variant(StrictModel):
    """One version of a step for A/B tests; a lead gets one by a hash of its address."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)
    html: str | None = None

    _lint = model_validator(mode="after")(lambda self: _linted(self))


def _linted(model: Variant | Step) -> Variant | Step:
    if isinstance(model, Step) and (model.subject is None or model.body is None):
        if not model.variants:
            raise ValueError("a step needs a subject and a body, or variants")
        if model.subject or model.body or model.html:
            raise ValueError("a step with variants keeps its subject, body and html in the variants")
        return model
    problems = [f"{part}: {p}" for part in ("subject", "body") for p in template_problems(getattr(model, part))]
    if model.html is not None:
        problems += [f"html: {p}" for p in template_problems(model.html, html=True)]
    if problems:
        raise ValueError("; ".join(problems))
    return model


class Step(StrictModel):
    """One email of a sequence. `delay_days` are business days (Mon-Fri) after the
    previous step was sent, or after enrolment for the first step. `body` is the
    plain-text part; `html`, when given, the HTML part (autoescaped). An A/B test
    gives `variants` instead of a subject and body."""

    subject: str | None = Field(default=None, min_length=1)
    body: str | None = Field(default=None, min_length=1)
    html: str | None = None
    delay_days: int = Field(default=0, ge=0)
    variants: list[Variant] = Field(default_factory=list)

    _lint = model_validator(mode="after")(lambda self: _linted(self))

    @field_validator("variants")
    @classmethod
    def _distinct_variant_names(cls, variants: list[Variant]) -> list[Variant]:
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique within a step")
        return variants

    def versions(self) -> list[Variant]:
        """The step's versions: its variants, or the step itself as the only one ("main")."""
        if self.variants:
            return self.variants
        return [Variant(name="main", subject=self.subject or "", body=self.body or "", html=self.html)]


class Sequence(StrictModel):
    steps: list[Step] = Field(min_length=1)


class Window(StrictModel):
    """When messages may go out, in the recipient's local time (their `timezone`
    column, else their country's zone, else the campaign's)."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["mon", "tue", "wed", "thu", "fri"]

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("window end must be after its start (same day)")
        return self


class Warmup(StrictModel):
    """A new sending domain's ramp: `start` on `started_on`, `daily_increase` more
    each day after, never above `ceiling`."""

    started_on: dt.date
    start: int = Field(gt=0)
    daily_increase: int = Field(ge=0)
    ceiling: int = Field(gt=0)

    def allowance(self, day: dt.date) -> int:
        days = max((day - self.started_on).days, 0)
        return min(self.start + days * self.daily_increase, self.ceiling)


class Reputation(StrictModel):
    """The reputation guard: the campaign stops sending when its recent hard-bounce or
    complaint rate goes above its limit, until a person runs `cam resume --campaign C`.

    Rates are over the campaign's last `window_sends` messages sent within the last
    `window_days` days (and after its last resume): the share of them that drew a
    permanent bounce (soft bounces never count), and the share that drew a complaint.
    A rate is judged only once that window holds `min_sends` messages, so the first
    bounce of a new campaign does not stop it. A limit of 1 switches its check off.
    """

    max_bounce_rate: float = Field(default=0.03, gt=0, le=1)
    max_complaint_rate: float = Field(default=0.001, gt=0, le=1)
    window_sends: int = Field(default=1000, ge=1)
    window_days: int = Field(default=7, ge=1)
    min_sends: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _min_within_window(self) -> Reputation:
        if self.min_sends > self.window_sends:
            raise ValueError("min_sends must be <= window_sends, or no window could ever be judged")
        return self


class Sender(StrictModel):
    provider: SenderProvider = SenderProvider.OUTBOX
    from_email: str = Field(min_length=3)
    reply_to: str | None = None
    postal_address: str = Field(min_length=5)
    unsubscribe_url: str = Field(pattern=r"^https://\S+$")
    daily_cap: int = Field(gt=0)
    #: Cap for the sending domain across every campaign that sends from it (the lowest set wins).
    domain_daily_cap: int | None = Field(default=None, gt=0)
    #: Pacing: at most this many claims per clock hour for the campaign.
    hourly_cap: int | None = Field(default=None, gt=0)
    warmup: Warmup | None = None
    #: None: any time on the partition's day in the campaign's zone.
    window: Window | None = None
    #: How late past the window a message may still go (a run that waited in the queue).
    grace_hours: float = Field(default=2.0, ge=0, le=24)
    #: Pause sending when recent bounces or complaints run too high.
    reputation: Reputation = Reputation()

    @field_validator("from_email", "reply_to", "unsubscribe_url", mode="before")
    @classmethod
    def _one_header_line(cls, value: object) -> object:
        # Checked before the other rules, so this, not a pattern mismatch, is what a user reads.
        if isinstance(value, str) and HEADER_UNSAFE.search(value):
            raise ValueError(
                "contains a line break or control character; it goes into an email header, "
                "so write it on one line with nothing after the address"
            )
        return value

    @field_validator("postal_address", mode="before")
    @classmethod
    def _printable_address(cls, value: object) -> object:
        if isinstance(value, str) and BODY_UNSAFE.search(value):
            raise ValueError("contains a control character; write the address as plain text (line breaks are fine)")
        return value

    @property
    def domain(self) -> str:
        return domain_of(self.from_email)

    def daily_allowance(self, day: dt.date) -> int:
        """Sends the campaign may claim on `day`: its cap, lowered by the warm-up ramp."""
        return min(self.daily_cap, self.warmup.allowance(day)) if self.warmup else self.daily_cap


class Targets(StrictModel):
    qualified: int = Field(default=0, ge=0)
    sent: int = Field(default=0, ge=0)
    replies: int = Field(default=0, ge=0)


class Weights(StrictModel):
    """How much ICP fit and opportunity (intent) count in the 0-100 score; normalised to sum 1."""

    fit: float = Field(default=0.7, ge=0)
    opportunity: float = Field(default=0.3, ge=0)

    @model_validator(mode="after")
    def _something(self) -> Weights:
        if self.fit + self.opportunity <= 0:
            raise ValueError("at least one of fit and opportunity must be above 0")
        return self


class Enrichment(StrictModel):
    """Paid enrichment when provider keys are set: who is asked first, and how much a run may spend.

    `credit_budget` caps the lookups one run sends (each lookup counts as one credit,
    the most a provider charges per person for the fields CAM asks for); answers are
    cached for `cache_ttl_days`, so a person is paid for once across runs and campaigns.
    """

    waterfall: list[EnrichmentProvider] = Field(default_factory=lambda: list(ENRICHMENT_PROVIDERS))
    credit_budget: int = Field(default=100, ge=0)
    cache_ttl_days: int = Field(default=90, ge=1)
    reveal_personal_emails: bool = False

    @field_validator("waterfall")
    @classmethod
    def _once_each(cls, providers: list[str]) -> list[str]:
        if len(set(providers)) != len(providers):
            raise ValueError("name each provider once")
        return providers


class RoutingRule(IcpRule):
    """Send leads matching `field` (any_of / between) to `sequence`, optionally only in some `tiers`.

    Rules are tried in order and the first that matches wins; a lead no rule
    matches gets `routing[tier]`.
    """

    points: int = Field(default=0, ge=-100, le=100)
    sequence: str
    tiers: list[Tier] | None = None


def competitor_domains(domains: list[str]) -> list[str]:
    """Domains as users paste them ("https://www.Rival.com/") reduced to "rival.com"."""
    cleaned = []
    for raw in domains:
        domain = re.sub(r"^[a-z]+://", "", raw.strip().lower())
        domain = re.sub(r"^www\.", "", domain).split("/")[0].strip(".")
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
            raise ValueError(f"{raw!r} is not a domain; write it like 'rival.com'")
        cleaned.append(domain)
    return sorted(set(cleaned))


class ApolloSearch(StrictModel):
    """Apollo People API Search as a lead source: filters and spending caps.

    intake:
      apollo_search:                # needs APOLLO_API_KEY
        titles: [CTO, VP Engineering]
        seniorities: [c_suite, vp]
        locations: [Germany, France]
        employee_ranges: ["51,200", "201,500"]
        keywords: [data platform]
        industries: [computer software]
        per_page: 100
        max_pages: 5          # at most this many search calls per partition
        credit_cap: 200       # at most this many people: each costs an enrichment credit to get an email
    """

    titles: list[str] = []
    seniorities: list[Literal[APOLLO_SENIORITIES]] = []  # type: ignore[valid-type]
    locations: list[str] = []
    employee_ranges: list[str] = []
    keywords: list[str] = []
    industries: list[str] = []
    per_page: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=500)
    credit_cap: int = Field(default=100, ge=1)

    @field_validator("employee_ranges")
    @classmethod
    def _ranges(cls, ranges: list[str]) -> list[str]:
        bad = [r for r in ranges if not re.fullmatch(r"\d+,\d+", r.replace(" ", ""))]
        if bad:
            raise ValueError(f"employee ranges are 'min,max' like \"51,200\"; got {', '.join(map(repr, bad))}")
        return [r.replace(" ", "") for r in ranges]


class Intake(StrictModel):
    """How the campaign's files map (`columns`: file header -> lead field, winning over
    auto-mapping) and the Apollo search it runs as a lead source."""

    columns: dict[str, Literal[MAPPABLE_FIELDS]] = {}  # type: ignore[valid-type]
    apollo_search: ApolloSearch | None = None


class Replies(StrictModel):
    """How the campaign hears replies (`cam_core.engagement.replies`)."""

    # Business days an out-of-office pauses a lead when it names no return date.
    out_of_office_days: int = Field(default=5, ge=1, le=60)
    # Reply-To `local+<token id>@domain`: each send's own reply address, matched before the sender's.
    plus_addressing: bool = False


class Campaign(StrictModel):
    name: str
    description: str = ""
    timezone: str = "UTC"
    # The first day the campaign takes leads. The Dagster date partitions begin at the earliest
    # of these among the campaigns (`first_day`); without it, at the day the file was written.
    start_date: dt.date | None = None
    icp: Icp
    qualification: Qualification
    tiers: Tiers
    sequences: dict[str, Sequence] = Field(min_length=1)
    routing: dict[Tier, str]
    # Selection settings: all optional, so older campaign files keep working unchanged.
    opportunity: Icp | None = None  # intent signals, scored like icp.rules
    weights: Weights | None = None  # fit vs opportunity; default 0.7/0.3 with opportunity rules
    competitors: list[str] = Field(default_factory=list)  # domains never written to
    enrichment: Enrichment = Enrichment()
    routing_rules: list[RoutingRule] = Field(default_factory=list)  # first match wins, else routing[tier]
    exclusivity_days: int = Field(default=0, ge=0)  # hold leads active in another campaign this recently
    sender: Sender
    targets: Targets = Targets()
    intake: Intake = Intake()  # column mapping and lead sources
    replies: Replies = Replies()  # out-of-office default, per-send reply addresses

    @field_validator("name")
    @classmethod
    def _name_shape(cls, name: str) -> str:
        if not CAMPAIGN_NAME.match(name):
            raise ValueError(
                "campaign names use lower-case letters, digits, '-' and '_' (the Dagster UI cannot show '|' or ',')"
            )
        return name

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}; use an IANA name such as 'Europe/Paris'") from None
        return zone

    @field_validator("routing")
    @classmethod
    def _routes_complete(cls, routing: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # A field validator, not a model one, so the error names `routing` rather than
        # "(top level)" with the whole campaign as its input.
        missing = [t for t in TIERS if t not in routing]
        if missing:
            raise ValueError(f"needs a sequence for every tier; missing: {', '.join(missing)}")
        sequences = info.data.get("sequences")
        if sequences is None:  # the sequences themselves are invalid and reported on their own
            return routing
        unknown = [f"{tier} -> {name!r}" for tier, name in routing.items() if name not in sequences]
        if unknown:
            raise ValueError(
                f"names sequences that are not defined: {', '.join(unknown)}; defined: {', '.join(sorted(sequences))}"
            )
        return routing

    @field_validator("competitors")
    @classmethod
    def _competitor_domains(cls, domains: list[str]) -> list[str]:
        return competitor_domains(domains)

    @field_validator("routing_rules")
    @classmethod
    def _rules_name_sequences(cls, rules: list[RoutingRule], info: ValidationInfo) -> list[RoutingRule]:
        sequences = info.data.get("sequences")
        if sequences is None:
            return rules
        unknown = [f"{r.name} -> {r.sequence!r}" for r in rules if r.sequence not in sequences]
        if unknown:
            raise ValueError(
                f"names sequences that are not defined: {', '.join(unknown)}; defined: {', '.join(sorted(sequences))}"
            )
        return rules

    @model_validator(mode="after")
    def _weights_need_rules(self) -> Campaign:
        if self.weights is not None and self.weights.opportunity > 0 and self.opportunity is None:
            raise ValueError(
                "weights.opportunity is above 0 but there are no opportunity.rules; add them or set it to 0"
            )
        return self

    def score_weights(self) -> tuple[float, float]:
        """(fit, opportunity) weights, summing to 1: fit only unless opportunity rules exist."""
        if self.weights is not None:
            fit, opportunity = self.weights.fit, self.weights.opportunity if self.opportunity else 0.0
        else:
            fit, opportunity = (0.7, 0.3) if self.opportunity else (1.0, 0.0)
        return fit / (fit + opportunity), opportunity / (fit + opportunity)
