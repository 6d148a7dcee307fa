"""The one spelling of an email address that CAM stores, compares and suppresses by.

An address is trimmed, a `mailto:` prefix and angle brackets or quotes around it are
dropped, it is put in Unicode NFKC and lower-cased, and its domain is written in its
Unicode form (U-labels) by IDNA 2008 with the UTS 46 mapping. So `ann@bücher-idn.de`,
`ANN@BÜCHER-IDN.DE` and `ann@xn--bcher-idn-q9a.de` are one address, one lead and one
suppression. The local part is kept as written apart from NFKC and lower case (what a
mailbox calls itself is its own business). A domain IDNA refuses (`foo_bar.example`,
a label starting with a hyphen) stays as written: verification names the problem later.

`emails` does a whole column (only the rare non-ASCII or `xn--` values go through IDNA,
one Python call per distinct value); `address` one string; `ascii_address` the form
with the domain in A-labels (punycode), for a protocol or provider that needs ASCII;
`domains` a column of host names (a company's website) spelled as `emails` spells them.
Shared layer: imports nothing of CAM.
"""

from __future__ import annotations

import idna
import pandas as pd

_ACE = "xn--"


def _domain_as(address: str, to_unicode: bool) -> str:
    """`address` with its domain mapped by IDNA 2008 (UTS 46); as it is when IDNA refuses the domain."""
    local, at, domain = address.rpartition("@")
    if not at or not domain:
        return address
    try:
        mapped = idna.decode(domain, uts46=True) if to_unicode else idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return address
    return f"{local}@{mapped}"


def emails(values: pd.Series) -> pd.Series:
    """Each address in its one spelling (see the module docstring); "" for a missing value."""
    values = values.fillna("").astype("str")
    # NFKC runs in Python per value: only where there is something beyond ASCII to normalise.
    wide = ~values.str.isascii()
    if wide.any():
        values = values.where(~wide, values[wide].str.normalize("NFKC"))
    values = values.str.strip().str.replace(r"(?i)^mailto:", "", regex=True).str.strip("<> \t\"'").str.lower()
    international = wide | values.str.contains(_ACE, regex=False)
    if international.any():
        distinct = values[international].unique()
        unicode_form = {v: _domain_as(v, to_unicode=True) for v in distinct}
        values = values.where(~international, values[international].map(unicode_form))
    return values.astype("str")


def domains(values: pd.Series) -> pd.Series:
    """Host names (already lower-case) with international ones in their Unicode form, as `emails` writes them."""
    values = values.fillna("").astype("str")
    international = ~values.str.isascii() | values.str.contains(_ACE, regex=False)
    if not international.any():
        return values
    distinct = values[international].unique()
    unicode_form = {v: _domain_as(f"@{v}", to_unicode=True)[1:] for v in distinct}
    return values.where(~international, values[international].map(unicode_form)).astype("str")


def address(value: str) -> str:
    """One address in its one spelling, exactly as `emails` spells it."""
    return str(emails(pd.Series([value], dtype="str")).iloc[0])


def ascii_address(value: str) -> str:
    """The address with its domain in A-labels (`ann@xn--bcher-idn-q9a.de`), the local part unchanged.

    For SMTP without SMTPUTF8 and for providers that take ASCII domains only; a
    domain IDNA refuses stays as written.
    """
    normal = address(value)
    return normal if normal.isascii() else _domain_as(normal, to_unicode=False)
