"""Does a domain accept mail? MX lookup through dnspython, cheap and honest about not knowing.

`MxChecker.check(domains)` answers per domain:
- "ok": the domain has MX records (or, per RFC 5321, an address record standing in for one);
- "none": the DNS says the domain does not exist (NXDOMAIN) or has neither MX nor address;
- "unknown": nobody answered (offline, timeout, resolver failure) or the domain is reserved
  for documentation and tests (.example, .test, .localhost). Unknown never counts as invalid.

Lookups go through an injectable resolver (anything with `resolve(name, rdtype)` that
raises dnspython's exceptions), each domain is asked once per checker, timeouts are
short, and after a few consecutive unanswered lookups the checker stops asking: an
offline machine pays a few seconds, not one timeout per domain.

Before believing any answer the checker asks about a canary domain that certainly
takes mail (gmail.com). A resolver that says even that does not exist (a sandbox or
captive-portal DNS that answers NXDOMAIN to everything) is not believed: every
domain is then "unknown", so nobody is rejected on its word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import dns.exception
import dns.resolver

from cam_core.vocabulary import MxStatus

#: RFC 2606 / 6761 names that never resolve on purpose: asking would say "none" and
#: reject the demo's and tests' addresses for a reason that is not true of real mail.
RESERVED_SUFFIXES = (".example", ".test", ".localhost", ".invalid", ".local")

#: A domain that certainly has MX records: the resolver's honesty test.
CANARY = "gmail.com"


class Resolver(Protocol):
    def resolve(self, qname: str, rdtype: str) -> object: ...


def system_resolver(timeout: float = 1.0, lifetime: float = 2.0, nameservers: list[str] | None = None) -> Resolver:
    """dnspython's resolver with short timeouts; the system's nameservers unless given."""
    try:
        resolver = dns.resolver.Resolver(configure=not nameservers)
    except dns.resolver.NoResolverConfiguration:  # no /etc/resolv.conf: nothing to ask
        resolver = dns.resolver.Resolver(configure=False)
    if nameservers:
        resolver.nameservers = list(nameservers)
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    return resolver


class MxChecker:
    def __init__(self, resolver: Resolver | None, give_up_after: int = 3, canary: str | None = CANARY) -> None:
        self.resolver = resolver
        self.give_up_after = give_up_after
        self.canary = canary
        self._trusted: bool | None = None
        self.cache: dict[str, MxStatus] = {}
        self.lookups = 0
        self._unanswered_in_a_row = 0

    @property
    def gave_up(self) -> bool:
        return self.resolver is None or self._unanswered_in_a_row >= self.give_up_after or not self.trusted

    @property
    def trusted(self) -> bool:
        """Whether the resolver knows the canary exists (asked once, on first use)."""
        if self._trusted is None:
            self._trusted = self.resolver is None or self.canary is None or self._ask(self.canary) == MxStatus.OK
        return self._trusted

    def _ask(self, domain: str) -> MxStatus:
        self.lookups += 1
        for rdtype in ("MX", "A", "AAAA"):  # an address record is the implicit MX (RFC 5321 5.1)
            try:
                answer = self.resolver.resolve(domain, rdtype)  # type: ignore[union-attr]
            except dns.resolver.NXDOMAIN:
                return MxStatus.NONE
            except dns.resolver.NoAnswer:
                continue
            except (
                dns.exception.Timeout,
                dns.resolver.NoNameservers,
                dns.resolver.NoResolverConfiguration,
                dns.exception.DNSException,
                OSError,
            ):
                return MxStatus.UNKNOWN
            if rdtype == "MX" and _null_mx(answer):
                return MxStatus.NONE  # RFC 7505: the domain says it takes no mail
            return MxStatus.OK
        return MxStatus.NONE

    def check(self, domains: Iterable[str]) -> dict[str, MxStatus]:
        """domain -> ok / none / unknown, for each distinct domain."""
        found: dict[str, MxStatus] = {}
        for domain in dict.fromkeys(d.strip().lower().rstrip(".") for d in domains):
            if not domain or "." not in domain or domain.endswith(RESERVED_SUFFIXES):
                found[domain] = MxStatus.UNKNOWN
            elif domain in self.cache:
                found[domain] = self.cache[domain]
            elif self.gave_up:
                found[domain] = MxStatus.UNKNOWN
            else:
                status = self._ask(domain)
                self._unanswered_in_a_row = self._unanswered_in_a_row + 1 if status == MxStatus.UNKNOWN else 0
                if status != MxStatus.UNKNOWN:
                    self.cache[domain] = status
                found[domain] = status
        return found


def _null_mx(answer: object) -> bool:
    records = list(answer) if hasattr(answer, "__iter__") else []
    return len(records) == 1 and str(getattr(records[0], "exchange", "x")).strip(".") == ""
