"""A day's harvest recognises the campaign's earlier leads by reading only those it could repeat."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from cam_core.intake.harvest import harvest
from cam_core.state import schema
from cam_core.state.leads import known_leads

EARLIER = [
    # email, first, last, company, domain, first_seen
    ("ada@acme.example", "Ada", "Lovelace", "Acme", "acme.example", "2026-11-01"),
    ("ayse@yildiz.example", "Ayşe", "ÖZTÜRK", "Özdemir Data", "", "2026-11-02"),
    ("grace@hopper.example", "Grace", "Hopper", "Hopper Labs", "hopper.example", "2026-11-03"),
    *((f"p{i}@many.example", "Pat", f"Person{i}", "Many", "many.example", "2026-11-04") for i in range(300)),
    ("today@acme.example", "Tod", "Ay", "Acme", "acme.example", "2026-11-10"),  # the day's own
]


def _seed(engine) -> None:
    rows = [
        {
            "campaign": "demo",
            "email": e,
            "first_name": f,
            "last_name": last,
            "company": c,
            "domain": d,
            "status": "contacted",
            "first_seen": seen,
            "updated_on": seen,
        }
        for e, f, last, c, d, seen in EARLIER
    ]
    with engine.begin() as conn:
        conn.execute(schema.leads.insert(), rows)


def test_only_the_leads_a_day_could_repeat_are_read(engine):
    _seed(engine)
    found = known_leads(engine, "demo", "2026-11-10", ["ada@acme.example", "today@acme.example"], ["hopper"])
    # By address, by surname (any case), and every surname SQL cannot fold (here ÖZTÜRK); never
    # the day's own leads, nor the 300 others.
    assert sorted(found["email"]) == ["ada@acme.example", "ayse@yildiz.example", "grace@hopper.example"]
    assert known_leads(engine, "demo", "2026-11-10", [], []).empty


def test_a_later_file_repeating_earlier_leads_with_and_without_addresses_is_recognised(engine, tmp_path: Path):
    _seed(engine)
    path = tmp_path / "again.csv"
    path.write_text(
        "Email,First Name,Last Name,Company,Website\n"
        "ADA@acme.example,Ada,Lovelace,Acme,acme.example\n"
        ",GRACE,HOPPER,,hopper.example\n"
        ",ayşe,öztürk,ÖZDEMIR DATA,\n"
        ",Alan,Turing,,turing.example\n",
        encoding="utf-8",
    )
    result = harvest([path], existing=partial(known_leads, engine, "demo", "2026-11-10"))
    reasons = pd.DataFrame(result.rejects)[["source_row", "reason", "duplicate_of"]].values.tolist()
    assert reasons == [
        [2, "duplicate_email", "existing lead ada@acme.example (first seen 2026-11-01, contacted)"],
        [3, "duplicate_name_domain", "existing lead grace@hopper.example (first seen 2026-11-03, contacted)"],
        [4, "duplicate_name_company", "existing lead ayse@yildiz.example (first seen 2026-11-02, contacted)"],
    ]
    assert result.leads["last_name"].tolist() == ["Turing"]
