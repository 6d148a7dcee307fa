"""Reference lists shipped with CAM (`cam_core/data/`): free-mail providers, role
mailboxes and disposable domains, one entry a line, `#` for comments.

Shared: intake uses the free-mail list to keep a Gmail address from naming a
company's domain, enrichment to flag free-mail leads.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


def _listed(name: str) -> frozenset[str]:
    text = resources.files("cam_core.data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def free_mail_domains() -> frozenset[str]:
    return _listed("free_mail_domains.txt")


@cache
def role_local_parts() -> frozenset[str]:
    return _listed("role_accounts.txt")


@cache
def disposable_domains() -> frozenset[str]:
    return _listed("disposable_domains.txt")
