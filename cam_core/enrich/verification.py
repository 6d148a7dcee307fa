"""Offline verification of email addresses (the `enriched` stage, first depth).

Adds these columns to a lead table:
- `email_valid` (bool) and `email_problem` (str, "" when valid): full syntax check
  by email-validator, without any network lookup.
- `role_account` (bool): the whole local part names a function (info@, sales+x@), not a person.
- `free_mail` (bool): a consumer mailbox provider (gmail.com, ...).
- `disposable` (bool): a throw-away mailbox service, subdomains included.
- `mx` (str): "ok", "none" or "unknown" from `mx` when a checker is given;
  "unknown" otherwise. Unknown (offline, no answer) is never treated as invalid.
- `competitor` (bool): the address or the company domain belongs to a campaign's competitor.
"""

from __future__ import annotations

import pandas as pd
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from cam_core.enrich.mx import MxChecker
from cam_core.frames import extract
from cam_core.reference import disposable_domains, free_mail_domains, role_local_parts
from cam_core.vocabulary import MxStatus


def _syntax_problem(email: str) -> str:
    if not email:
        return "no email address"
    try:
        validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        return str(exc)
    return ""


_ATEXT = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: Plain ASCII addresses that email-validator always accepts: a dot-atom local part and
#: a lower-case host name ending in a letter. Anything else (Unicode, quotes, "--" labels,
#: special-use names, long addresses) is left to email-validator itself, one address at a time.
_PLAIN_ADDRESS = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:{_LABEL}\.)+(?:[a-z0-9][a-z0-9-]{{0,61}})?[a-z]"
_SPECIAL_USE = rf"(?:^|[.@])(?:{'|'.join(SPECIAL_USE_DOMAIN_NAMES)})$"


def syntax_problems(emails: pd.Series) -> pd.Series:
    """email-validator's verdict for each address ("" when valid), without calling it on plain ones.

    email-validator costs ~100 µs an address in Python; nearly every address in a
    real export is plain ASCII, which one vectorised pattern settles. The rest (and
    every invalid one, for its exact message) still goes through email-validator.
    """
    emails = emails.astype("str")
    plain = (
        emails.str.fullmatch(_PLAIN_ADDRESS)
        & (emails.str.len() <= 254)
        & ~emails.str.contains("--", regex=False)
        & ~emails.str.contains(_SPECIAL_USE)
    )
    problems = pd.Series("", index=emails.index, dtype="str")
    rest = emails[~plain]
    if len(rest):
        unique = pd.Series(rest.unique())
        verdicts = pd.Series(unique.map(_syntax_problem).to_numpy(), index=unique.to_numpy(), dtype="str")
        problems[~plain] = rest.map(verdicts).astype("str")
    return problems


def _parent_domains(domains: pd.Series) -> pd.Series:
    """The registrable-looking parent (last two labels) of each domain."""
    return extract(domains, r"(?P<parent>[^.]+\.[^.]+)$").fillna("")


def _within(domains: pd.Series, listed: frozenset[str] | set[str]) -> pd.Series:
    """The domain or one of its parent domains is listed ("eu.rival.com" is rival.com's)."""
    if not listed:
        return pd.Series(False, index=domains.index)
    codes, uniques = pd.factorize(domains)
    hits = pd.Series(
        [any(d.split(".", i)[-1] in listed for i in range(d.count(".") + 1)) if d else False for d in uniques],
        dtype="bool",
    )
    return pd.Series(hits.to_numpy()[codes] if len(uniques) else False, index=domains.index)


def verify(
    leads: pd.DataFrame, competitors: list[str] | tuple[str, ...] = (), mx: MxChecker | None = None
) -> pd.DataFrame:
    """The lead table with the verification columns added.

    `competitors` are domains (subdomains included) whose people are never written
    to; `mx` looks up each distinct email domain once (none given: "unknown").
    """
    out = leads.copy()
    emails = out["email"].astype("str")
    out["email_problem"] = syntax_problems(emails)
    out["email_valid"] = out["email_problem"] == ""

    local = extract(emails, r"^(?P<local>[^@]*)@").fillna("")
    domain = extract(emails, r"@(?P<domain>[^@]+)$").fillna("")
    # Whole local part only (sub-address dropped): "dev.kumar@" is a person, "dev@" is not.
    out["role_account"] = local.str.replace(r"\+.*$", "", regex=True).isin(role_local_parts())
    out["free_mail"] = domain.isin(free_mail_domains())
    disposable = disposable_domains()
    out["disposable"] = domain.isin(disposable) | _parent_domains(domain).isin(disposable)
    if mx is None:
        out["mx"] = MxStatus.UNKNOWN.value
    else:
        checked = mx.check(domain[out["email_valid"]].unique())
        out["mx"] = (
            domain.map(checked)
            .where(out["email_valid"], MxStatus.UNKNOWN.value)
            .fillna(MxStatus.UNKNOWN.value)
            .astype("str")
        )
    company = out["domain"].fillna("").astype("str").str.lower() if "domain" in out else pd.Series("", index=out.index)
    listed = set(competitors)
    out["competitor"] = _within(domain, listed) | _within(company, listed)
    return out


def verification_counts(verified: pd.DataFrame) -> dict[str, int]:
    return {
        "invalid_syntax": int((~verified["email_valid"] & (verified["email"] != "")).sum()),
        "role_account": int(verified["role_account"].sum()),
        "free_mail": int(verified["free_mail"].sum()),
        "disposable": int(verified["disposable"].sum()),
    }
