"""Forgetting people in the database, and every suppression check still refusing them by keyed hash."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from cam_core.state import schema
from cam_core.state.forgetting import REDACTED, forget
from cam_core.state.suppression import suppress, suppressed, suppressed_in, suppressed_of
from cam_core.unsubscribe import keyed_hash
from tests.helpers import BY_TEST, DAY, NOW, UNSUBSCRIBE_SECRET

GONE = "ada.lovelace@acme.example"
LOOKALIKE = "nada.lovelace@acme.example"  # holds GONE inside it: never touched
OTHER = "grace@hopper.example"


def _rows(engine, table: sa.Table) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.select(table))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _lead(email: str, status: str, first: str = "Ada", last: str = "Lovelace") -> dict:
    return {
        "campaign": "demo",
        "email": email,
        "first_name": first,
        "last_name": last,
        "domain": "acme.example",
        "status": status,
        "first_seen": DAY,
        "updated_on": DAY,
    }


def _event(event_id: str, email: str, payload: str) -> dict:
    return {
        "event_id": event_id,
        "campaign": "demo",
        "email": email,
        "kind": "reply",
        "day": DAY,
        "occurred_at": NOW,
        "payload": payload,
    }


def _cached(key: str, data: dict) -> dict:
    return {
        "lookup_key": key,
        "provider": "apollo",
        "found": bool(data),
        "data": json.dumps(data),
        "fetched_at": NOW,
    }


@pytest.fixture
def known(engine):
    """The person in every table that holds people, beside two others (one with a look-alike address)."""
    with engine.begin() as conn:
        conn.execute(
            schema.leads.insert(),
            [_lead(GONE, "contacted"), _lead(LOOKALIKE, "enrolled"), _lead(OTHER, "review", "Grace", "Hopper")],
        )
        conn.execute(
            schema.enrolments.insert(),
            [
                {"campaign": "demo", "email": e, "sequence": "main", "tier": "A", "enrolled_on": DAY}
                for e in (GONE, LOOKALIKE)
            ],
        )
        conn.execute(
            schema.lead_history.insert(),
            [
                {
                    "campaign": "demo",
                    "email": e,
                    "from_status": "harvested",
                    "to_status": "qualified",
                    "at": NOW,
                    "cause": "qualification",
                    "source": "test",
                }
                for e in (GONE, GONE, LOOKALIKE)
            ],
        )
        conn.execute(
            schema.events.insert(),
            [
                _event("e1", GONE, "{}"),
                _event("e2", OTHER, json.dumps({"text": f"Forwarding from {GONE.upper()}"})),
                _event("e3", LOOKALIKE, "{}"),
            ],
        )
        conn.execute(
            schema.review_queue.insert(),
            {
                "campaign": "demo",
                "email": OTHER,
                "day": DAY,
                "status": "pending",
                "note": f"colleague of {GONE}; see {LOOKALIKE}",
                "queued_at": NOW,
            },
        )
        conn.execute(
            schema.enrichment_cache.insert(),
            [
                _cached(f"email:{GONE}", {"email": GONE, "linkedin_url": "https://linkedin.com/in/Ada-L/"}),
                _cached("linkedin:https://www.linkedin.com/in/ada-l", {"email": GONE}),
                _cached("name:ada lovelace@acme.example", {}),
                _cached(f"email:{OTHER}", {"email": OTHER}),
            ],
        )
        conn.execute(
            schema.harvest_rejects.insert(),
            {
                "campaign": "demo",
                "day": DAY,
                "source_file": "leads.csv",
                "source_row": 7,
                "email": f"  {GONE.upper()} ",
                "reason": "duplicate_email",
                "duplicate_of": "leads.csv row 3",
            },
        )
    suppress(engine, [GONE], reason="unsubscribed", source="test", now=NOW)


def test_forget_deletes_what_is_about_them_and_redacts_mentions_by_others(engine, known):
    result = forget(engine, [f" {GONE.title()} "], UNSUBSCRIBE_SECRET, BY_TEST)

    assert result.deleted == {
        "leads": 1,
        "enrolments": 1,
        "suppression": 1,
        "events": 2,  # their own, and the one whose payload quotes them
        "lead_history": 2,
        "harvest_rejects": 1,
        "enrichment_cache": 3,  # by email, the answer naming them, and by name at their company
    }
    assert result.redacted == {"review_queue": 1}
    assert result.found == {GONE} and result.suppression == {GONE: "unsubscribed"} and result.audited == 1
    assert set(_rows(engine, schema.leads)["email"]) == {LOOKALIKE, OTHER}
    assert set(_rows(engine, schema.events)["event_id"]) == {"e3"}
    assert _rows(engine, schema.review_queue)["note"].tolist() == [f"colleague of {REDACTED}; see {LOOKALIKE}"]
    assert _rows(engine, schema.enrichment_cache)["lookup_key"].tolist() == [f"email:{OTHER}"]
    hashed = keyed_hash(GONE, UNSUBSCRIBE_SECRET)
    history = _rows(engine, schema.lead_history)
    assert sorted(history["email"]) == sorted([LOOKALIKE, hashed])
    audit = history[history["email"] == hashed].iloc[0]
    assert (audit["from_status"], audit["to_status"], audit["source"]) == ("contacted", "forgotten", "test")
    assert suppressed(engine).to_dict() == {hashed: "forgotten"}

    again = forget(engine, [GONE], UNSUBSCRIBE_SECRET, BY_TEST)
    assert not again.deleted and not again.redacted and not again.found and again.audited == 0
    assert suppressed(engine).to_dict() == {hashed: "forgotten"}


def test_every_suppression_check_refuses_a_forgotten_address(engine):
    suppress(engine, [OTHER], reason="bounce", source="test", now=NOW)
    forget(engine, [GONE], UNSUBSCRIBE_SECRET, BY_TEST)
    # A run that read the person before they were forgotten enrols them again.
    with engine.begin() as conn:
        conn.execute(
            schema.enrolments.insert(),
            [
                {"campaign": "demo", "email": e, "sequence": "main", "tier": "A", "enrolled_on": DAY}
                for e in (GONE, LOOKALIKE, OTHER)
            ],
        )

    asked = pd.Series([GONE, LOOKALIKE, OTHER, "", GONE])
    assert suppressed(engine, asked, UNSUBSCRIBE_SECRET).to_dict() == {OTHER: "bounce", GONE: "forgotten"}
    assert suppressed_in(engine, "demo", UNSUBSCRIBE_SECRET).to_dict() == {OTHER: "bounce", GONE: "forgotten"}
    assert suppressed_in(engine, "elsewhere", UNSUBSCRIBE_SECRET).to_dict() == {OTHER: "bounce"}
    assert suppressed_of(engine, [LOOKALIKE, GONE], UNSUBSCRIBE_SECRET) == {GONE: "forgotten"}
    # Another key makes other hashes: the key is what lets the list be checked at all.
    assert suppressed(engine, asked, "another key").to_dict() == {OTHER: "bounce"}
    with pytest.raises(ValueError, match="keyed hash"):
        suppressed(engine, asked)
    with pytest.raises(ValueError, match="keyed hash"):
        suppressed_of(engine, [LOOKALIKE])


@pytest.mark.sqlite_only
def test_without_forgotten_people_nothing_is_hashed_nor_a_key_needed(engine):
    suppress(engine, [OTHER], reason="bounce", source="test", now=NOW)
    assert suppressed(engine, [OTHER, GONE]).to_dict() == {OTHER: "bounce"}
    assert suppressed_of(engine, [OTHER, GONE]) == {OTHER: "bounce"}
    assert suppressed_in(engine, "demo", UNSUBSCRIBE_SECRET).to_dict() == {OTHER: "bounce"}


def test_forget_finds_a_provider_payload_that_spells_the_domain_in_punycode(engine):
    unicode_form, punycode = "ann@bücher-idn.de", "ann@xn--bcher-idn-q9a.de"
    with engine.begin() as conn:
        conn.execute(schema.leads.insert(), [_lead(unicode_form, "contacted", "Ann", "Buch")])
        # Resend's delivery event names the address as the message carried it: in A-labels.
        payload = json.dumps({"type": "email.delivered", "data": {"to": [punycode]}})
        conn.execute(schema.events.insert(), [{**_event("e1", "", payload), "kind": "delivered"}])

    result = forget(engine, [unicode_form], UNSUBSCRIBE_SECRET, BY_TEST)

    assert result.deleted == {"leads": 1, "events": 1}
    assert _rows(engine, schema.events).empty
