"""A demo CAM home: the `demo` campaign and a deterministic, realistic lead export.

The sample is an Apollo-style CSV with the mess real exports have: duplicates
differing in case and whitespace, rows without email, malformed addresses, role
and free-mail accounts, a disposable domain, Unicode names. The same seed gives
the same bytes, so `cam demo` run twice lands the same file once.
"""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from importlib import resources
from pathlib import Path

DEMO_CAMPAIGN = "demo"

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Katherine",
    "Guido",
    "Hedy",
    "Bjarne",
    "Sophie",
    "Joan",
    "Anders",
    "Yukihiro",
    "Zoë",
    "José",
    "Mälin",
    "Søren",
    "Łukasz",
    "Chloé",
    "Aïsha",
    "Björn",
    "Priya",
    "Wei",
    "Olu",
    "Dev",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "van Rossum",
    "Lamarr",
    "Stroustrup",
    "Wilson",
    "Clarke",
    "Hejlsberg",
    "Matsumoto",
    "Müller",
    "García",
    "Nørgaard",
    "Kowalski",
    "Dubois",
    "Okafor",
    "Patel",
    "Zhang",
    "Ng",
    "O'Brien",
]
_COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Wonka",
    "Aperture",
    "Black Mesa",
    "Oscorp",
    "Pied Piper",
    "Massive Dynamic",
    "Nakatomi",
    "Gringotts",
    "Monarch",
]
_COMPANY_SUFFIX = [
    "Labs",
    "Analytics",
    "Systems",
    "Cloud",
    "Data",
    "Software",
    "Technologies",
    "Health",
    "Logistics",
    "Bank",
]
_INDUSTRIES = [
    "Computer Software",
    "Information Technology",
    "Financial Services",
    "SaaS",
    "Fintech",
    "Retail",
    "Hospital & Health Care",
    "Logistics and Supply Chain",
    "Construction",
    "Education",
]
_TITLES = [
    ("CTO", "c_suite"),
    ("Chief Technology Officer", "c_suite"),
    ("VP Engineering", "vp"),
    ("VP of Engineering", "vp"),
    ("Head of Data", "head"),
    ("Head of Engineering", "head"),
    ("Director of Engineering", "director"),
    ("Data Engineering Manager", "manager"),
    ("Chief Data Officer", "c_suite"),
    ("Co-founder & CEO", "founder"),
    ("Senior Data Engineer", "senior"),
    ("Software Engineer", "entry"),
    ("Marketing Director", "director"),
    ("Sales Coordinator", "entry"),
    ("Office Manager", "manager"),
    ("Director of Sales", "director"),
    ("Product Manager", "manager"),
    ("Analytics Engineer", "senior"),
]
_COUNTRIES = [
    "United States",
    "United Kingdom",
    "Germany",
    "France",
    "Netherlands",
    "Canada",
    "Brazil",
    "India",
    "Australia",
    "Japan",
]
_EMPLOYEES = ["12", "35", "80", "150", "240", "500", "1,200", "1800", "4500", "12000"]
_FREE = ["gmail.com", "outlook.com", "yahoo.com", "proton.me"]
_ROLES = ["info", "sales", "contact", "hello", "support"]

HEADER = [
    "First Name",
    "Last Name",
    "Title",
    "Seniority",
    "Company",
    "Website",
    "Industry",
    "# Employees",
    "Country",
    "Email",
    "Person Linkedin Url",
]


def demo_campaign_yaml() -> str:
    return resources.files("cam_core.data").joinpath("demo_campaign.yaml").read_text(encoding="utf-8")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


#: Resend's test mailbox: `delivered+LABEL@resend.dev` accepts mail without hurting
#: a real account's reputation with bounces.
RESEND_TEST_DOMAIN = "resend.dev"


def demo_rows(count: int = 600, seed: int = 20261125, test_recipients: bool = False) -> list[list[str]]:
    """`count` data rows (messy ones included), the same for the same seed.

    With `test_recipients`, every address that could be written to is one of
    Resend's test addresses, so a demo through a real account reaches nobody.
    """
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_SUFFIX)}"
        domain = f"{_slug(company)}.example"
        title, seniority = rng.choice(_TITLES)
        local = f"{_slug(first) or 'x'}.{_slug(last) or 'y'}{i}"
        email = f"{local}@{domain}"
        kind = i % 50
        if kind == 7:
            email = ""  # no email in the export
        elif kind == 13:
            email = f"{local}.{domain}"  # malformed: no @
        elif kind in (17, 18):
            email = f"{rng.choice(_ROLES)}{i}@{domain}".replace(f"{i}@", "@", 1)  # role account
        elif kind in (21, 22, 23):
            email = f"{local}@{rng.choice(_FREE)}"  # free mail
        elif kind == 29:
            email = f"{local}@mailinator.com"  # disposable
        elif kind == 31:
            email = f"{local}@{domain}..bad"  # invalid domain syntax
        if test_recipients and kind not in (7, 13, 17, 18, 29, 31):
            email = f"delivered+{local.replace('.', '-')}@{RESEND_TEST_DOMAIN}"
        website = f"https://www.{domain}/" if rng.random() < 0.8 else ""
        rows.append(
            [
                first,
                last,
                title,
                seniority,
                company,
                website,
                rng.choice(_INDUSTRIES),
                rng.choice(_EMPLOYEES),
                rng.choice(_COUNTRIES),
                email,
                f"https://www.linkedin.com/in/{_slug(first)}-{_slug(last)}-{i}",
            ]
        )
    # Re-exports of the same people, differing in case and whitespace.
    for j in range(0, count, 40):
        twin = list(rows[j])
        if twin[9]:
            twin[9] = f"  {twin[9].upper()} "
            rows.append(twin)
    return rows


def demo_csv(count: int = 600, seed: int = 20261125, test_recipients: bool = False) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(demo_rows(count, seed, test_recipients))
    return buffer.getvalue()


def with_sender(campaign_yaml: str, provider: str) -> str:
    """The campaign text with `sender.provider` set (comments and other edits kept).

    For `resend` the demo also sends from Resend's shared test sender and keeps a
    small daily cap, so trying a real account costs little of its quota.
    """
    text = re.sub(r"(?m)^(\s+provider:\s*)\S+", rf"\g<1>{provider}", campaign_yaml, count=1)
    if provider == "resend":
        text = re.sub(r"(?m)^(\s+from_email:\s*).+$", r'\g<1>"CAM demo <onboarding@resend.dev>"', text, count=1)
        text = re.sub(r"(?m)^(\s+daily_cap:\s*)\d+", r"\g<1>50", text, count=1)
    return text


def write_demo_home(
    campaigns_dir: Path, samples_dir: Path, leads: int = 600, sender: str = "outbox"
) -> tuple[Path, Path]:
    """Write the demo campaign with `sender` as its provider (other edits to an
    existing file are kept) and the sample CSV."""
    campaigns_dir.mkdir(parents=True, exist_ok=True)
    samples_dir.mkdir(parents=True, exist_ok=True)
    campaign_file = campaigns_dir / f"{DEMO_CAMPAIGN}.yaml"
    current = campaign_file.read_text(encoding="utf-8") if campaign_file.exists() else demo_campaign_yaml()
    if sender == "outbox" and "onboarding@resend.dev" in current:
        current = demo_campaign_yaml()  # back from a resend demo: the outbox demo as shipped
    campaign_file.write_text(with_sender(current, sender), encoding="utf-8")
    test_recipients = sender == "resend"
    sample = samples_dir / ("demo_leads_resend_test.csv" if test_recipients else "demo_leads.csv")
    sample.write_text(demo_csv(leads, test_recipients=test_recipients), encoding="utf-8", newline="")
    return campaign_file, sample
