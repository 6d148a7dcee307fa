"""Which lead field each column of an export holds, whatever tool wrote it.

Headers are compared by a compact key (NFKC, lower-case, letters and digits
only), so "E-mail", "e mail", "EMAIL " and "eMail" are one header. A few tools
use a header that means something else elsewhere ("URL" is the person's
LinkedIn profile in LinkedIn's Connections.csv, a company site in a generic
sheet), so a recognised export format adds its own aliases, which win over the
generic ones. A campaign's explicit `intake.columns` mapping wins over both.
Columns that map to nothing are kept as extra attributes, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cam_core.columns import FULL_NAME

# Generic spellings, best first: where two columns map to one field, the better
# spelling's value is used and the other fills its gaps.
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "email address",
        "work email",
        "business email",
        "primary email",
        "mail",
        "e mail address",
        "emails",
        "professional email",
        "contact email",
    ),
    "first_name": ("first name", "firstname", "first", "given name", "prenom", "vorname"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "nom", "nachname"),
    FULL_NAME: ("full name", "name", "fullname", "contact name", "person name", "contact"),
    "title": ("title", "job title", "position", "role", "job", "headline title", "current title"),
    "seniority": ("seniority", "level", "seniority level"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "account name",
        "employer",
        "organization name",
        "current company",
        "company name for emails",
        "societe",
        "entreprise",
        "firma",
    ),
    "website": (
        "website",
        "company website",
        "website url",
        "company url",
        "url company",
        "web",
        "site",
        "company website url",
        "regular company url",
    ),
    "domain": ("domain", "company domain", "email domain", "organization domain"),
    "industry": ("industry", "sector", "company industry"),
    "employees": (
        "employees",
        "number of employees",
        "company size",
        "headcount",
        "employee count",
        "company headcount",
        "num employees",
        "nb employees",
        "employees count",
    ),
    "country": ("country", "country region", "location country", "person country", "pays", "land"),
    "linkedin_url": (
        "linkedin",
        "linkedin url",
        "person linkedin url",
        "linkedin profile",
        "linkedin profile url",
        "profile url linkedin",
        "public profile url",
        "default profile url",
        "linkedin public url",
    ),
}

#: Export formats recognised by headers only they use; their aliases win over the generic ones.
FORMATS: dict[str, tuple[frozenset[str], dict[str, tuple[str, ...]]]] = {
    "linkedin_connections": (
        frozenset({"connected on"}),
        {"linkedin_url": ("url",), "email": ("email address",), "title": ("position",), "company": ("company",)},
    ),
    "apollo": (
        frozenset({"person linkedin url", "apollo contact id", "email status", "company name for emails"}),
        {"company": ("company", "company name for emails"), "employees": ("# employees", "employees")},
    ),
    "hubspot": (
        frozenset({"record id", "contact owner", "lifecycle stage"}),
        {
            "title": ("job title",),
            "company": ("company name", "associated company"),
            "website": ("website url",),
            "country": ("country region",),
        },
    ),
    "sales_navigator": (
        frozenset(
            {
                "profileurl",
                "linkedinprofileurl",
                "sales navigator url",
                "salesnavigatorurl",
                "vmid",
                "companyname",
                "regularcompanyurl",
                "defaultprofileurl",
            }
        ),
        {
            "linkedin_url": ("linkedin profile url", "default profile url", "linkedin url", "profile url"),
            FULL_NAME: ("full name", "name"),
            "website": ("regular company url", "company website", "company url"),
        },
    ),
}


def header_key(header: str) -> str:
    """The compact form headers are compared by: case, spacing and punctuation ignored."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str(header)))
    text = "".join(c for c in text if not unicodedata.combining(c))  # "Prénom" is "Prenom"
    return re.sub(r"[^a-z0-9]+", "", text.lower())


@dataclass(frozen=True)
class HeaderMap:
    """How one file's header maps to lead fields."""

    header: list[str]  # the file's header cells, made unique
    fields: dict[str, list[int]]  # field -> column positions, best first
    extra: list[int]  # positions of columns kept as extra attributes
    export_format: str  # "apollo", "hubspot", "linkedin_connections", "sales_navigator" or "generic"


def detect_format(keys: set[str]) -> str:
    for name, (signature, _) in FORMATS.items():
        if {header_key(s) for s in signature} & keys:
            return name
    return "generic"


def _rank_table(export_format: str) -> dict[str, tuple[str, int]]:
    """compact alias -> (field, rank); format aliases rank before generic ones."""
    table: dict[str, tuple[str, int]] = {}
    specific = FORMATS[export_format][1] if export_format in FORMATS else {}
    for field, aliases in specific.items():
        for rank, alias in enumerate(aliases):
            table.setdefault(header_key(alias), (field, rank))
    for field, aliases in GENERIC_ALIASES.items():
        for rank, alias in enumerate(aliases):
            table.setdefault(header_key(alias), (field, 100 + rank))
    return table


def unique_headers(header: Sequence[str]) -> list[str]:
    """Header cells with blanks named and repeats numbered, so every column keeps a name."""
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(header):
        name = str(cell).strip() or f"column_{i + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def map_headers(header: Sequence[str], explicit: Mapping[str, str] | None = None) -> HeaderMap:
    """Map a header row; `explicit` (file header -> field) wins over every alias."""
    names = unique_headers(header)
    keys = [header_key(h) for h in header]
    export_format = detect_format(set(keys))
    table = _rank_table(export_format)
    chosen = {header_key(k): v for k, v in (explicit or {}).items()}
    ranked: dict[str, list[tuple[int, int]]] = {}
    for position, key in enumerate(keys):
        if key in chosen:
            ranked.setdefault(chosen[key], []).append((-1, position))
        elif key in table:
            field, rank = table[key]
            ranked.setdefault(field, []).append((rank, position))
    fields: dict[str, list[int]] = {}
    extra: list[int] = []
    for field, candidates in ranked.items():
        candidates.sort()
        if candidates[0][0] == -1:  # explicitly mapped: auto-mapped rivals become extra attributes
            extra += [p for r, p in candidates if r != -1]
            candidates = [c for c in candidates if c[0] == -1]
        fields[field] = [p for _, p in candidates]
    mapped = {p for positions in fields.values() for p in positions}
    extra = sorted(set(extra) | {p for p in range(len(names)) if p not in mapped})
    return HeaderMap(header=names, fields=fields, extra=extra, export_format=export_format)


def recognised(header: Sequence[str], explicit: Mapping[str, str] | None = None) -> int:
    """How many cells of a candidate header row name a lead field (to find the header under a preamble)."""
    chosen = {header_key(k) for k in (explicit or {})}
    table = _rank_table(detect_format({header_key(h) for h in header}))
    return sum(1 for h in header if header_key(h) and (header_key(h) in table or header_key(h) in chosen))
