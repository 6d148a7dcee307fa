"""What changes at a million leads: no statement grows with the number of leads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.loading import load_campaign
from cam_core.reporting.export import export_leads
from cam_core.state import bulk, ledger, schema
from cam_core.state.leads import save_qualified, save_routing
from tests.helpers import BY_TEST, DAY


def test_the_days_room_is_known_however_many_steps_are_due(cam_env, engine):
    path = cam_env.campaigns / "demo.yaml"
    path.write_text(demo_campaign_yaml())
    campaign = load_campaign(path)
    now = dt.datetime.fromisoformat(f"{DAY}T10:00:00+00:00")
    batch = pd.DataFrame(
        {
            "send_key": ["a1", "a2", "a3"],
            "email": ["a@x.io", "b@x.io", "c@x.io"],
            "sequence": "standard",
            "step": 1,
            "variant": "main",
        }
    )
    claim = ledger.claim(engine, campaign, DAY, batch, "outbox", now)
    assert claim.counts["claimed"] == 3
    ledger.freeze(engine, "demo", DAY, claim.rows["batch_id"].iloc[0], claim.rows, now)  # about to be handed over
    # Half a million due steps (more than SQLite allows as bound parameters): nothing fails,
    # and only the sends outside them count against the cap.
    due = [f"k{i}" for i in range(500_000)] + ["a1"]
    assert ledger.room_on(engine, campaign, DAY, excluding=due) == campaign.sender.daily_cap - 2


def test_tiers_and_sends_are_recorded_in_bulk_on_either_database(cam_env, engine):
    leads = pd.DataFrame(
        {
            "email": [f"p{i}@x.io" for i in range(25_000)],
            "qualification": "qualified",
            "first_name": "",
            "last_name": "",
            "title": "",
            "company": "",
            "domain": "x.io",
            "industry": "",
            "country": "",
            "icp_score": 80,
            "score_breakdown": "",
            "reason": "ok",
        }
    )
    save_qualified(engine, "acme", DAY, leads, BY_TEST)
    routed = leads.assign(tier=["hot", "warm"] * 12_500, sequence="fast_track", enrolment="new")
    save_routing(engine, "acme", DAY, routed, BY_TEST)
    exported = export_leads(engine, "acme")
    assert (exported["status"] == "enrolled").all() and len(exported) == 25_000
    assert exported.set_index("email").loc["p1@x.io", "tier"] == "warm"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.enrolments)).scalar_one() == 25_000


def test_bulk_writes_keep_every_value_as_given(cam_env, engine):
    # Staged writes go through COPY's CSV on PostgreSQL and plain tuples on SQLite: what a
    # spreadsheet cell can hold must come back unchanged, and a missing score stays missing.
    awkward = ["", 'quote " and, comma', "new\nline", "\\N", "Zoë Ørsted 東京", "  spaced  "]
    frame = pd.DataFrame(
        {
            "campaign": "acme",
            "email": [f"p{i}@x.io" for i in range(len(awkward))],
            "first_name": awkward,
            "status": "qualified",
            "icp_score": [80, None, 0, 55, None, 100],
            "first_seen": DAY,
            "updated_on": DAY,
        }
    )
    with engine.begin() as conn:
        bulk.upsert(
            conn, schema.leads, frame, keys=("campaign", "email"), updates={"first_name": lambda ex: ex.first_name}
        )
        bulk.update_rows(
            conn,
            schema.leads,
            frame.assign(reason=awkward[::-1])[["email", "reason"]],
            match={"email": "email"},
            values={"reason": "reason"},
        )
        stored = bulk.read_frame(
            conn,
            sa.select(
                schema.leads.c.email, schema.leads.c.first_name, schema.leads.c.icp_score, schema.leads.c.reason
            ).order_by(schema.leads.c.email),
        )
    assert stored["first_name"].tolist() == awkward
    assert stored["reason"].tolist() == awkward[::-1]
    assert [None if pd.isna(s) else int(s) for s in stored["icp_score"]] == [80, None, 0, 55, None, 100]
