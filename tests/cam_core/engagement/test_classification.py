"""The reply classifier, pinned by a corpus of real-shaped replies (`tests/fixtures/replies/`).

Each `.eml` there is listed in `expected.yaml` with its class, a substring of the reason
and, where the case has one, the return date, failed recipient, returned Message-ID or
referred address. `test_the_corpus_hit_rate` prints how many the classifier gets right.
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml

from cam_core.engagement.classification import (
    Classification,
    RulesError,
    classify,
    load_rules,
    reply_text,
    return_date,
    strip_quotes,
)
from cam_core.vocabulary import ReplyClass
from tests.helpers import FIXTURES

REPLIES = FIXTURES / "replies"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((REPLIES / "expected.yaml").read_text(encoding="utf-8"))
FIELDS = ("return_date", "failed_recipient", "original_message_id", "referral")


def _read(name: str) -> EmailMessage:
    message = email.message_from_bytes((REPLIES / name).read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _received(message: EmailMessage, case: dict[str, Any]) -> dt.date:
    if "received" in case:
        return dt.date.fromisoformat(str(case["received"]))
    return email.utils.parsedate_to_datetime(str(message["Date"])).date()


def _misses(name: str) -> list[str]:
    """What the classifier got wrong about one corpus file (empty: all right)."""
    case = EXPECTED[name]
    message = _read(name)
    got = classify(message, _received(message, case))
    misses = []
    if got.kind != ReplyClass(case["class"]):
        misses.append(f"class {got.kind.value}, expected {case['class']}")
    if case["reason"] not in got.reason:
        misses.append(f"reason {got.reason!r} lacks {case['reason']!r}")
    for field in FIELDS:
        expected = case.get(field)
        if getattr(got, field) != expected:
            misses.append(f"{field} {getattr(got, field)!r}, expected {expected!r}")
    return misses


def _message(
    body: str, *, sender: str = "Pat Lee <pat@example.com>", headers: dict[str, str] | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Anna Berg <anna@northwind-sales.com>"
    message["Subject"] = "Re: Freight admin"
    message["Message-ID"] = "<reply.1@example.com>"
    message["In-Reply-To"] = "<cam.20261110.7f3a9c@northwind-sales.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


DAY = dt.date(2026, 11, 17)  # a Tuesday


def test_every_corpus_file_is_listed_and_the_corpus_covers_every_class() -> None:
    files = {p.name for p in REPLIES.glob("*.eml")}
    assert files == set(EXPECTED)
    assert len(files) >= 30
    assert {ReplyClass(case["class"]) for case in EXPECTED.values()} == set(ReplyClass)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_reply_in_the_corpus(name: str) -> None:
    assert _misses(name) == []


def test_the_corpus_hit_rate(capsys: pytest.CaptureFixture[str]) -> None:
    misses = {name: m for name in sorted(EXPECTED) if (m := _misses(name))}
    hits = len(EXPECTED) - len(misses)
    with capsys.disabled():
        print(f"\nclassifier: {hits}/{len(EXPECTED)} cases ({hits / len(EXPECTED):.0%})")
        for name, problems in misses.items():
            print(f"  miss {name}: {'; '.join(problems)}")
    assert not misses


# --- the new words ------------------------------------------------------------------------


def test_a_quoted_footer_saying_unsubscribe_is_not_a_request() -> None:
    body = (
        "Thanks, sounds good - let's talk on Thursday.\n\n"
        "On Tue, Nov 10, 2026 at 9:02 AM Anna Berg <anna@northwind-sales.com> wrote:\n"
        "> Not interested? Unsubscribe: https://cam.example/u/1\n"
    )
    got = classify(_message(body), DAY)
    assert got.kind == ReplyClass.INTERESTED
    assert reply_text(_message(body)) == "Thanks, sounds good - let's talk on Thursday."


def test_a_bottom_posted_answer_below_the_quote_is_kept_and_the_signature_dropped() -> None:
    text = (
        "Am Di., 10. Nov. 2026 um 09:02 Uhr schrieb Anna <a@b.de>:\n> Hallo\n> abmelden\n\n"
        "Kein Bedarf.\n-- \nJ. R.\nabmelden@x.de"
    )
    assert strip_quotes(text) == "Kein Bedarf."


def test_only_quotes_leave_nothing_and_are_unknown() -> None:
    got = classify(_message("> Would you be interested in a call?\n> Unsubscribe\n"), DAY)
    assert got == Classification(ReplyClass.UNKNOWN, "unknown: no new words once quotes and signature are removed")


def test_a_referral_never_names_the_sender_or_us() -> None:
    body = "Please contact me at pat@example.com or write to anna@northwind-sales.com."
    assert classify(_message(body), DAY).kind == ReplyClass.UNKNOWN
    got = classify(_message("Please contact my colleague: sam@example.com (not pat@example.com)."), DAY)
    assert (got.kind, got.referral) == (ReplyClass.REFERRAL, "sam@example.com")


def test_precedence_bulk_alone_is_not_out_of_office_but_auto_submitted_is() -> None:
    assert classify(_message("Sounds great!", headers={"Precedence": "bulk"}), DAY).kind == ReplyClass.INTERESTED
    assert classify(_message("Sounds great!", headers={"Auto-Submitted": "no"}), DAY).kind == ReplyClass.INTERESTED
    got = classify(_message("Thanks for your mail.", headers={"Auto-Submitted": "auto-replied"}), DAY)
    assert got.kind == ReplyClass.OUT_OF_OFFICE
    assert got.reason == "out of office: header Auto-Submitted: auto-replied"


# --- return dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "received", "expected"),
    [
        ("I am back on 30 November.", DAY, dt.date(2026, 11, 30)),
        ("back on November 30th", DAY, dt.date(2026, 11, 30)),
        ("bis zum 30.11. nicht im Büro", DAY, dt.date(2026, 11, 30)),
        ("zurück am 04.01.2027", DAY, dt.date(2027, 1, 4)),
        ("de retour le 1er décembre", DAY, dt.date(2026, 12, 1)),
        ("hasta el 30 de noviembre", DAY, dt.date(2026, 11, 30)),
        ("tot en met 30 november", DAY, dt.date(2026, 11, 30)),
        ("back 2026-12-03", DAY, dt.date(2026, 12, 3)),
        ("back on 30/11", DAY, dt.date(2026, 11, 30)),
        ("back on 5 January", dt.date(2026, 12, 20), dt.date(2027, 1, 5)),  # next year
        ("away from 10 November until 30 November", DAY, dt.date(2026, 11, 30)),  # the latest, past ones ignored
        ("back on Monday", DAY, dt.date(2026, 11, 23)),
        ("wieder da am Dienstag", DAY, DAY),  # on or after the day it arrived
        ("back on Monday, 7 December", DAY, dt.date(2026, 12, 7)),  # a date wins over a weekday
        ("back soon", DAY, None),
        ("back on 31 February", DAY, None),
    ],
)
def test_return_dates(text: str, received: dt.date, expected: dt.date | None) -> None:
    found = return_date(text, received)
    assert (found[0] if found else None) == expected


# --- rules as data ------------------------------------------------------------------------


def test_a_teams_rules_file_adds_phrasings_to_the_shipped_ones(tmp_path: Path) -> None:
    extra = tmp_path / "our_rules.yaml"
    extra.write_text(
        "phrases:\n  interested:\n    en: ['count me in']\n  unsubscribe:\n    sv: ['avregistrera mig']\n",
        encoding="utf-8",
    )
    rules = load_rules(extra)
    assert classify(_message("Count me in!"), DAY).kind == ReplyClass.UNKNOWN
    got = classify(_message("Count me in!"), DAY, rules)
    assert (got.kind, got.reason) == (ReplyClass.INTERESTED, 'interested: phrase interested.en "Count me in"')
    assert classify(_message("Snälla avregistrera mig."), DAY, rules).kind == ReplyClass.UNSUBSCRIBE
    assert classify(_message("Not interested, thanks."), DAY, rules).kind == ReplyClass.NOT_INTERESTED  # still there


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("phrases:\n  interested:\n    en: ['(unclosed']\n", "phrases.interested.en: not a valid pattern"),
        ("phrases:\n  bounce:\n    en: ['x']\n", "phrases.bounce: this class is not decided by phrasings"),
        ("phrases:\n  keen:\n    en: ['x']\n", "phrases.keen: not a class with phrasings"),
        ("phrasings: {}\n", "unknown section(s) phrasings"),
        ("months:\n  sv: {november: elva}\n", "months.sv.november: expected a number"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_bad_rules_file_names_the_file_and_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as raised:
        load_rules(extra)
    assert str(raised.value).startswith(str(extra))
    assert problem in str(raised.value)
