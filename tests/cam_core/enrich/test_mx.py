"""MX lookups through an injected resolver: ok, none, and unknown when nobody answers."""

from __future__ import annotations

from typing import TypeAlias

import dns.exception
import dns.resolver
import pandas as pd

from cam_core.enrich.mx import MxChecker
from cam_core.enrich.verification import verify

#: What the fake knows of one domain: {rdtype: records}, or the exception a lookup raises.
Answer: TypeAlias = dict[str, list[object]] | Exception


class FakeResolver:
    """Answers from a table: domain -> {rdtype: records} or an exception to raise."""

    def __init__(self, table: dict[str, Answer]) -> None:
        self.table = table
        self.asked: list[tuple[str, str]] = []

    def resolve(self, qname: str, rdtype: str) -> list[object]:
        self.asked.append((qname, rdtype))
        entry = self.table.get(qname, dns.resolver.NXDOMAIN())
        if isinstance(entry, Exception):
            raise entry
        if rdtype not in entry:
            raise dns.resolver.NoAnswer()
        return entry[rdtype]


class Mx:
    def __init__(self, exchange: str) -> None:
        self.exchange = exchange


TABLE: dict[str, Answer] = {
    "gmail.com": {"MX": [Mx("gmail-smtp-in.l.google.com.")]},  # the canary: a resolver that knows it is believed
    "acme.example.com": {"MX": [Mx("mail.acme.example.com.")]},
    "only-a.example.com": {"A": ["192.0.2.1"]},  # no MX: the address stands in (RFC 5321)
    "nomail.example.com": {"MX": [Mx(".")]},  # null MX (RFC 7505): takes no mail
    "bare.example.com": {"TXT": ["v=spf1 -all"]},  # neither MX nor address
    "slow.example.com": dns.exception.Timeout(),
}


def test_each_answer_maps_to_ok_none_or_unknown_and_each_domain_is_asked_once():
    resolver = FakeResolver(TABLE)
    checker = MxChecker(resolver)
    found = checker.check(
        [
            "acme.example.com",
            "ACME.example.com",
            "only-a.example.com",
            "nomail.example.com",
            "bare.example.com",
            "gone.example.com",
            "slow.example.com",
        ]
    )
    assert found == {
        "acme.example.com": "ok",
        "only-a.example.com": "ok",
        "nomail.example.com": "none",
        "bare.example.com": "none",
        "gone.example.com": "none",
        "slow.example.com": "unknown",
    }
    assert checker.check(["acme.example.com"]) == {"acme.example.com": "ok"}
    assert [q for q in resolver.asked if q[0] == "acme.example.com"] == [("acme.example.com", "MX")]


def test_offline_means_unknown_never_invalid_and_gives_up_quickly():
    resolver = FakeResolver({f"d{i}.example.com": dns.resolver.NoNameservers() for i in range(50)})
    checker = MxChecker(resolver, give_up_after=3, canary=None)
    found = checker.check([f"d{i}.example.com" for i in range(50)])
    assert set(found.values()) == {"unknown"}
    assert len(resolver.asked) == 3  # an offline machine pays three timeouts, not fifty


def test_reserved_test_domains_are_never_asked():
    resolver = FakeResolver(TABLE)
    assert MxChecker(resolver).check(["acme.example", "x.test", "localhost"]) == {
        "acme.example": "unknown",
        "x.test": "unknown",
        "localhost": "unknown",
    }
    assert resolver.asked == []


def test_verify_marks_mx_per_address_and_leaves_invalid_syntax_unknown():
    leads = pd.DataFrame(
        {"email": ["ann@acme.example.com", "bob@gone.example.com", "a..b@acme.example.com", "cy@slow.example.com"]}
    )
    verified = verify(leads, mx=MxChecker(FakeResolver(TABLE))).set_index("email")["mx"]
    assert verified.to_dict() == {
        "ann@acme.example.com": "ok",
        "bob@gone.example.com": "none",
        "a..b@acme.example.com": "unknown",
        "cy@slow.example.com": "unknown",
    }


def test_competitors_match_the_address_or_the_company_domain_and_their_subdomains():
    leads = pd.DataFrame(
        {
            "email": ["ann@rival.com", "bob@eu.rival.com", "cy@gmail.com", "di@notrival.com"],
            "domain": ["rival.com", "", "rival.com", "notrival.com"],
        }
    )
    verified = verify(leads, competitors=["rival.com"])
    assert verified["competitor"].tolist() == [True, True, True, False]


def test_a_resolver_that_says_nothing_exists_is_not_believed():
    """A sandbox or captive DNS answering NXDOMAIN to everything must not reject real people."""
    resolver = FakeResolver({})  # NXDOMAIN for every name, gmail.com included
    checker = MxChecker(resolver)
    assert set(checker.check(["acme.example.com", "outlook.com"]).values()) == {"unknown"}
    assert resolver.asked == [("gmail.com", "MX")]  # asked once about the canary, then left alone


def test_offline_costs_one_lookup_when_the_canary_goes_unanswered():
    resolver = FakeResolver({"gmail.com": dns.exception.Timeout()})
    assert set(MxChecker(resolver).check([f"d{i}.example.com" for i in range(20)]).values()) == {"unknown"}
    assert len(resolver.asked) == 1
