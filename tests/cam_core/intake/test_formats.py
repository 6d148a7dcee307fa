"""Real export formats, with the messy rows real exports have, through `harvest`.

Fixtures in tests/fixtures/intake/: Apollo (UTF-8), HubSpot (UTF-8 with BOM),
LinkedIn Connections.csv (with its "Notes:" preamble), a Sales Navigator scraper
list (camelCase headers, no emails), an Excel sheet in cp1252 with semicolons and
French headers, and Excel "Unicode text" (UTF-16, tabs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cam_core.columns import LEAD_COLUMNS
from cam_core.intake.harvest import harvest, read_lead_file
from tests.helpers import FIXTURES as HELPER_FIXTURES

FIXTURES = HELPER_FIXTURES / "intake"
ALL = [
    "apollo_export.csv",
    "hubspot_contacts.csv",
    "linkedin_connections.csv",
    "sales_navigator_list.csv",
    "excel_fr_cp1252.csv",
    "excel_unicode_utf16.txt",
]


def _harvest(*names: str, **kwargs):
    result = harvest([FIXTURES / n for n in names], **kwargs)
    assert len(result.leads) + len(result.rejects) == result.rows_read
    assert list(result.leads.columns) == list(LEAD_COLUMNS)
    return result


def _person(result, first_name: str) -> dict:
    rows = result.leads[result.leads["first_name"] == first_name]
    assert len(rows) == 1, result.leads
    return rows.iloc[0].to_dict()


def _reasons(result) -> list[tuple[int, str, str]]:
    return [(r.source_row, r.reason.split(" ")[0], r.duplicate_of) for r in result.rejects.itertuples()]


@pytest.mark.parametrize(
    ("name", "export_format", "rows", "accepted", "without_email"),
    [
        ("apollo_export.csv", "apollo", 8, 5, 1),
        ("hubspot_contacts.csv", "hubspot", 6, 4, 0),
        ("linkedin_connections.csv", "linkedin_connections", 5, 4, 3),
        ("sales_navigator_list.csv", "sales_navigator", 5, 3, 3),
        ("excel_fr_cp1252.csv", "generic", 6, 4, 1),
        ("excel_unicode_utf16.txt", "generic", 4, 2, 1),
    ],
)
def test_each_export_gives_the_counts_a_person_would_count(name, export_format, rows, accepted, without_email):
    result = _harvest(name)
    assert result.formats == {name: export_format}
    assert (result.rows_read, len(result.leads), int(result.leads["needs_email"].sum())) == (
        rows,
        accepted,
        without_email,
    )


def test_apollo_export():
    result = _harvest("apollo_export.csv")
    assert _reasons(result) == [
        (5, "duplicate_email", "apollo_export.csv row 2"),
        (7, "malformed_email", ""),
        (9, "missing_email", ""),
    ]
    ada = _person(result, "Ada")
    assert (ada["email"], ada["domain"], ada["seniority"], ada["employees"]) == (
        "ada@acme-data.example",
        "acme-data.example",
        "c_suite",
        250.0,
    )
    assert ada["linkedin_url"] == "https://www.linkedin.com/in/ada-lovelace"
    extra = json.loads(ada["extra"])  # nothing the export said is dropped
    assert (
        extra["Technologies"] == "Snowflake, dbt" and extra["Email Status"] == "Verified" and extra["City"] == "London"
    )
    assert _person(result, "Grace")["email"] == "grace@hopper-labs.example"  # upper case and a trailing space
    assert _person(result, "Grace")["employees"] == 1200.0
    assert _person(result, "Linus")["title"] == "Principal Engineer Kernel team"  # the newline inside the cell
    assert _person(result, "Zoë")["company"].startswith("=HYPERLINK(")  # data is kept as written
    alan = _person(result, "Alan")
    assert alan["needs_email"] and alan["linkedin_url"] == "https://www.linkedin.com/in/alan-turing"


def test_hubspot_export_with_a_byte_order_mark():
    result = _harvest("hubspot_contacts.csv")
    assert _reasons(result) == [(5, "malformed_email", ""), (7, "duplicate_email", "hubspot_contacts.csv row 6")]
    lukasz = _person(result, "Łukasz")
    assert (lukasz["title"], lukasz["company"], lukasz["domain"], lukasz["country"]) == (
        "CTO",
        "Kowalski Sp. z o.o.",
        "kowalski.example",
        "Poland",
    )
    assert json.loads(lukasz["extra"])["Record ID"] == "102"
    assert _person(result, "Mary")["source_row"] == 6


def test_linkedin_connections_with_its_notes_preamble():
    result = _harvest("linkedin_connections.csv")
    # The header is the 4th line; the preamble is not rows and row numbers stay the file's.
    assert sorted(result.leads["source_row"]) == [5, 6, 7, 9]
    assert _reasons(result) == [(8, "duplicate_linkedin", "linkedin_connections.csv row 6")]
    dorothy = _person(result, "Dorothy")
    assert (dorothy["email"], dorothy["title"], dorothy["linkedin_url"]) == (
        "dorothy@vaughan.example",
        "Founder",
        "https://www.linkedin.com/in/dorothyvaughan",
    )
    assert _person(result, "Émilie")["last_name"] == "du Châtelet"
    assert json.loads(_person(result, "Katherine")["extra"]) == {"Connected On": "01 Oct 2026"}


def test_a_sales_navigator_list_without_emails():
    result = _harvest("sales_navigator_list.csv")
    assert result.leads["needs_email"].all()
    assert _reasons(result) == [(5, "duplicate_linkedin", "sales_navigator_list.csv row 2"), (6, "missing_email", "")]
    margaret = _person(result, "Margaret")
    assert margaret["linkedin_url"] == "https://www.linkedin.com/in/margaret-hamilton"  # the public profile wins
    assert margaret["domain"] == ""  # a LinkedIn company page is not the company's website
    radia = _person(result, "Radia")  # only a full name: split into first and last
    assert (radia["last_name"], radia["company"]) == ("Perlman", "Spanning Tree Inc")
    assert radia["linkedin_url"] == "https://www.linkedin.com/sales/lead/ACwAAA3,NAME_SEARCH"


def test_an_excel_sheet_in_cp1252_with_semicolons_and_french_headers():
    result = _harvest("excel_fr_cp1252.csv")
    assert _reasons(result) == [(5, "malformed_email", ""), (7, "duplicate_email", "excel_fr_cp1252.csv row 3")]
    jose = _person(result, "José")
    assert (jose["last_name"], jose["company"], jose["country"]) == ("García", "Señor, S.A.", "España")
    assert json.loads(jose["extra"]) == {"Fonction": "CEO"}
    assert _person(result, "Søren")["needs_email"]


def test_a_utf16_tab_separated_sheet_with_full_names():
    result = _harvest("excel_unicode_utf16.txt")
    aisha = _person(result, "Aïsha")
    assert (aisha["last_name"], aisha["email"]) == ("Bello", "aisha@acme.example")
    chen = _person(result, "Chen")
    assert (chen["needs_email"], chen["domain"]) == (True, "tencentish.example")
    assert _reasons(result) == [(4, "duplicate_email", "excel_unicode_utf16.txt row 2"), (5, "missing_email", "")]


def test_all_exports_of_one_day_together():
    result = _harvest(*ALL)
    assert (result.rows_read, len(result.leads), len(result.rejects)) == (34, 18, 16)
    across = result.rejects[
        result.rejects["duplicate_of"].str.startswith("apollo_export.csv")
        & (result.rejects["source_file"] != "apollo_export.csv")
    ]
    assert sorted(zip(across["source_file"], across["reason"], across["duplicate_of"], strict=True)) == [
        ("excel_fr_cp1252.csv", "duplicate_email", "apollo_export.csv row 6"),  # Zoë, by email
        ("hubspot_contacts.csv", "duplicate_email", "apollo_export.csv row 3"),  # Grace, by email
        ("linkedin_connections.csv", "duplicate_linkedin", "apollo_export.csv row 2"),  # Ada, no email: by profile
        ("sales_navigator_list.csv", "duplicate_name_company", "apollo_export.csv row 3"),  # Grace, by name at company
    ]


def test_reading_in_small_batches_gives_the_same_table():
    whole = read_lead_file(FIXTURES / "apollo_export.csv")
    batched = read_lead_file(FIXTURES / "apollo_export.csv", batch_rows=2)
    pd.testing.assert_frame_equal(whole[0], batched[0])
    pd.testing.assert_frame_equal(
        whole[1].sort_values("source_row").reset_index(drop=True),
        batched[1].sort_values("source_row").reset_index(drop=True),
    )


def test_the_campaigns_explicit_mapping_wins(tmp_path: Path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "Mail Pro,Email,Boîte,Nom complet\nada@acme.example,old@acme.example,Acme,Ada Lovelace\n", encoding="utf-8"
    )
    result = harvest([path], columns={"mail pro": "email", "BOÎTE": "company", "Nom Complet": "full_name"})
    lead = result.leads.iloc[0]
    assert (lead["email"], lead["company"], lead["first_name"], lead["last_name"]) == (
        "ada@acme.example",
        "Acme",
        "Ada",
        "Lovelace",
    )
    assert json.loads(lead["extra"]) == {"Email": "old@acme.example"}  # the outranked column is kept, not lost


def test_existing_leads_are_recognised_and_rows_without_email_match_them_by_name_and_domain(tmp_path: Path):
    path = tmp_path / "again.csv"
    path.write_text(
        "Email,First Name,Last Name,Website\nADA@acme.example,Ada,Lovelace,acme.example\n"
        ",Grace,Hopper,https://hopper.example\n,Alan,Turing,turing.example\n",
        encoding="utf-8",
    )
    existing = pd.DataFrame(
        {
            "email": ["ada@acme.example", "grace@hopper.example"],
            "first_name": ["Ada", "Grace"],
            "last_name": ["Lovelace", "Hopper"],
            "company": ["", ""],
            "domain": ["acme.example", "hopper.example"],
            "first_seen": ["2026-11-01", "2026-11-02"],
            "status": ["contacted", "qualified"],
        }
    )
    result = harvest([path], existing=existing)
    assert _reasons(result) == [
        (2, "duplicate_email", "existing lead ada@acme.example (first seen 2026-11-01, contacted)"),
        (3, "duplicate_name_domain", "existing lead grace@hopper.example (first seen 2026-11-02, qualified)"),
    ]
    assert result.leads["first_name"].tolist() == ["Alan"]


def test_a_mapping_to_an_unknown_field_is_refused_with_the_field_path(tmp_path: Path):
    from cam_core.campaign.demo import demo_campaign_yaml
    from cam_core.campaign.loading import CampaignError, load_campaign

    path = tmp_path / "acme.yaml"
    path.write_text(
        demo_campaign_yaml() + '\nintake:\n  columns: {"Mail Pro": e_mail}\n'
        '  apollo_search: {seniorities: [boss], employee_ranges: ["lots"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert "intake.columns.Mail Pro" in message and "'e_mail'" in message
    assert "intake.apollo_search.seniorities.0" in message
    assert "employee ranges are 'min,max'" in message
