"""The words CAM stores and compares, each defined once.

Every status, verdict and kind that lands in a table, a DataFrame column or a
metadata key is a member of one of these `StrEnum`s, so a typo is a NameError
rather than a silent mismatch. Members are `str`s: they compare equal to the
plain text read back from the database or a Parquet file, and format as it.
"""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    """A lead's place in its lifecycle: the `leads.status` column and the `qualification` verdict.

    Which status may follow which is `cam_core.lifecycle.TRANSITIONS`; every change is audited.
    """

    HARVESTED = "harvested"  # read from a file or a search, not yet judged (a new lead's "from")
    NEEDS_EMAIL = "needs_email"  # no address yet: never written to the leads table, enrolled or sent to
    QUALIFIED = "qualified"
    REVIEW = "review"
    REJECTED = "rejected"
    HELD = "held"  # qualified, but active in another campaign: not enrolled (yet)
    ENROLLED = "enrolled"  # routed into a sequence
    CONTACTED = "contacted"
    PAUSED = "paused"  # no step until it resumes (an out-of-office)
    REPLIED = "replied"
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    CONVERTED = "converted"
    FORGOTTEN = "forgotten"  # erased on request; only the audit of the change keeps a keyed hash


#: What `qualified` may decide; a lead further along keeps its status.
VERDICTS = (LeadStatus.QUALIFIED, LeadStatus.REVIEW, LeadStatus.REJECTED, LeadStatus.NEEDS_EMAIL)
#: A lead in one of these states gets no further step of its sequence.
STOPPED_STATUSES = (
    LeadStatus.PAUSED,
    LeadStatus.REPLIED,
    LeadStatus.INTERESTED,
    LeadStatus.NOT_INTERESTED,
    LeadStatus.BOUNCED,
    LeadStatus.COMPLAINED,
    LeadStatus.UNSUBSCRIBED,
    LeadStatus.CONVERTED,
    LeadStatus.FORGOTTEN,
)


class Tier(StrEnum):
    """Routing tiers, best first; their cut-offs live in the campaign (`tiers`)."""

    HOT = "hot"
    WARM = "warm"
    COOL = "cool"
    COLD = "cold"


#: Tiers from best to worst.
TIERS: tuple[Tier, ...] = tuple(Tier)


class Enrolment(StrEnum):
    """What `routed` did with a qualified lead."""

    NEW = "new"  # enrolled today
    ALREADY_ENROLLED = "already_enrolled"  # an earlier day enrolled it; it keeps its sequence
    HELD = "held"  # active in another campaign within the exclusivity window: not enrolled


class SendStatus(StrEnum):
    """A row of the send ledger: claimed before the provider is called, completed after."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ReviewStatus(StrEnum):
    """An item of the review queue."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EventKind(StrEnum):
    """What the world told CAM about a message (the `events` table). Resend's webhook
    types map onto these in `cam_core.engagement.resend_events`."""

    SENT = "sent"
    DELIVERED = "delivered"
    DELAYED = "delivery_delayed"
    BOUNCE = "bounce"  # permanent: the address is suppressed
    SOFT_BOUNCE = "soft_bounce"  # transient: counted, retried by the sequence, never suppressed
    COMPLAINT = "complaint"
    OPENED = "opened"
    CLICKED = "clicked"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # the provider refused to send to a suppressed address
    UNSUBSCRIBE = "unsubscribe"
    RECEIVED = "received"  # an inbound message, kept for reply handling
    REPLY = "reply"
    UNKNOWN = "unknown"  # a body that is no event CAM knows: stored, never dropped


#: Events that put the address on the global suppression list the moment they arrive.
SUPPRESSING_EVENTS = (EventKind.BOUNCE, EventKind.COMPLAINT, EventKind.UNSUBSCRIBE, EventKind.SUPPRESSED)


class ReplyClass(StrEnum):
    """What a reply says (`cam_core.engagement.classification`), and so what it does to the lead."""

    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    OUT_OF_OFFICE = "out_of_office"  # pauses the sequence until the person is back
    UNSUBSCRIBE = "unsubscribe"  # asked in words: suppressed
    BOUNCE = "bounce"  # a delivery status notification: counts as a hard bounce
    REFERRAL = "referral"  # "write to my colleague": the named address becomes a lead
    UNKNOWN = "unknown"  # a person answered; what they meant is for a person to read


class EnrichmentStatus(StrEnum):
    """How enrichment went for one lead (`enrichment_status`)."""

    OFF = "off"  # no provider key set
    NO_IDENTIFIER = "no_identifier"  # nothing to look the person up by
    CACHED = "cached"
    ENRICHED = "enriched"
    NOT_FOUND = "not_found"
    PENDING = "pending"  # a provider failed; asked again next run
    OVER_BUDGET = "over_budget"


class MxStatus(StrEnum):
    """Whether a domain takes mail: `unknown` (offline, reserved name) never counts as invalid."""

    OK = "ok"
    NONE = "none"
    UNKNOWN = "unknown"


class WindowState(StrEnum):
    """Where `now` stands against a planned message's sending window."""

    OPEN = "open"
    NOT_YET = "not_yet"
    PASSED = "window_passed"
    CLOSED_DAY = "not_a_sending_day"


class SenderProvider(StrEnum):
    """Where a campaign's messages go."""

    OUTBOX = "outbox"  # .eml files under the CAM home; nothing leaves the machine
    RESEND = "resend"
