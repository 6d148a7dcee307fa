"""Each asset through dg.materialize on a test instance, and the whole graph rerun."""

from __future__ import annotations

import csv
import datetime as dt
from email import message_from_bytes, policy

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.campaign.loading import load_campaign
from cam_core.engagement.receiving import receive
from cam_core.outreach.checks import DAILY_CAP_HELD, NO_SUPPRESSED_ADDRESS
from cam_core.selection.checks import NO_LEAD_ENROLLED_TWICE
from cam_core.selection.routing import tiers_for
from cam_core.state import schema
from cam_core.state.suppression import suppress, suppressed
from cam_dagster.partitions import partition_key
from tests.helpers import DAY, NOW, UNSUBSCRIBE_SECRET, metadata_of, stored


def _table(engine, table: sa.Table) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.select(table))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _sample_rows(home) -> list[list[str]]:
    with (home.samples / "demo_leads.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_harvest_accounts_for_every_row_and_replaces_its_rejects(demo_home, run_assets, engine):
    rows = _sample_rows(demo_home)
    first = metadata_of(run_assets("harvest"), "harvest")
    leads = stored(demo_home, "harvest")
    rejects = _table(engine, schema.harvest_rejects)

    assert first["rows_in"] == len(rows)
    assert len(leads) + len(rejects) == len(rows)
    assert leads.loc[leads["email"] != "", "email"].is_unique
    assert (leads["email"] == leads["email"].str.strip().str.lower()).all()
    # The sample repeats every 40th person with the email upper-cased and padded.
    upper_twins = sum(1 for r in rows if r[9] != r[9].strip().lower())
    assert (rejects["reason"] == "duplicate_email").sum() == upper_twins
    assert (
        rejects.loc[rejects["reason"] == "duplicate_email", "duplicate_of"]
        .str.match(r"^demo_leads\.\w+\.csv row \d+$")
        .all()
    )
    # People exported without an email (each with a LinkedIn profile) are kept for enrichment.
    assert leads["needs_email"].sum() == sum(1 for r in rows if not r[9].strip()) > 0
    assert not (rejects["reason"].str.startswith("missing_email")).any()

    run_assets("harvest")
    assert len(_table(engine, schema.harvest_rejects)) == len(rejects), "a rerun must replace the partition's rejects"


@pytest.mark.sqlite_only
def test_enriched_flags_what_offline_verification_can_see(demo_home, run_assets):
    result = run_assets(["harvest", "enriched"])
    everyone = stored(demo_home, "enriched")
    # Rows without an email yet (kept for enrichment) are not counted as invalid addresses.
    waiting = everyone[everyone["email"] == ""]
    assert len(waiting) and not waiting["email_valid"].any()
    assert metadata_of(result, "enriched")["flagged_invalid_syntax"] == (~everyone["email_valid"]).sum() - len(waiting)
    verified = everyone[everyone["email"] != ""].set_index("email")
    disposable = verified.index.str.endswith("@mailinator.com")
    assert disposable.any() and verified.loc[disposable, "disposable"].all()
    assert not verified.loc[~disposable, "disposable"].any()
    bad = verified.index.str.endswith("..bad")
    assert bad.any() and not verified.loc[bad, "email_valid"].any()
    assert verified.loc[~bad, "email_valid"].all()
    assert (verified["mx"] == "unknown").all()


@pytest.mark.sqlite_only
def test_scored_explains_every_score(demo_home, run_assets):
    run_assets(["harvest", "enriched", "scored"])
    scored = stored(demo_home, "scored")
    assert scored["icp_score"].between(0, 100).all()
    assert (scored.loc[scored["icp_score"] > 0, "score_breakdown"] != "").all()
    ctos = scored[scored["title"] == "CTO"]
    assert ctos["score_breakdown"].str.contains(r"decision_maker \+35 \(title: CTO\)", regex=True).all()
    marketing = scored[scored["title"] == "Marketing Director"]
    assert not marketing["score_breakdown"].str.contains("decision_maker").any()


def test_qualified_records_each_verdict_with_a_reason(demo_home, run_assets, engine):
    run_assets(["harvest", "enriched", "scored"])
    victim = stored(demo_home, "scored").sort_values("icp_score").iloc[-1]["email"]
    suppress(engine, [victim], reason="unsubscribed", source="test", now=NOW)
    result = run_assets("qualified")

    everyone = stored(demo_home, "qualified")
    waiting = everyone[everyone["email"] == ""]
    assert len(waiting) > 0 and (waiting["qualification"] == "needs_email").all()
    # No enrichment key in the tests: the reason says how to get addresses looked up.
    assert waiting["reason"].str.startswith("no email address (enrichment is off: set APOLLO_API_KEY").all()
    qualified = everyone[everyone["email"] != ""].set_index("email")
    assert qualified.loc[victim, "qualification"] == "rejected"
    assert qualified.loc[victim, "reason"] == "suppressed (unsubscribed)"
    assert (qualified["reason"] != "").all()
    leads = _table(engine, schema.leads).set_index("email")
    assert len(leads) == len(qualified)
    assert (leads.loc[qualified.index, "status"] == qualified["qualification"]).all()
    counts = metadata_of(result, "qualified")
    # Numbered in the order leads are judged, so the UI lists their plots in that order.
    assert counts["verdict_01_qualified"] + counts["verdict_02_review"] + counts["verdict_03_rejected"] == len(
        qualified
    )
    assert counts["verdict_04_needs_email"] == len(waiting)


def test_routed_enrols_qualified_leads_once_in_their_tiers_sequence(demo_home, run_assets, engine):
    run_assets(["harvest", "enriched", "scored", "qualified", "routed"])
    run_assets("routed")
    routed = stored(demo_home, "routed")
    campaign = load_campaign(demo_home.campaigns / "demo.yaml")
    assert (routed["qualification"] == "qualified").all()
    assert (routed["tier"] == tiers_for(routed["icp_score"], campaign)).all()
    assert (routed["sequence"] == routed["tier"].map(campaign.routing)).all()
    enrolments = _table(engine, schema.enrolments)
    assert sorted(enrolments["email"]) == sorted(routed["email"])


def test_whole_graph_sends_each_due_lead_once_within_the_cap(demo_home, run_assets, engine):
    result = run_assets()
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values()) and {asset for asset, _ in checks} == {
        "harvest",
        "qualified",
        "routed",
        "nurture_batch",
    }
    assert len(checks) == 8
    campaign = load_campaign(demo_home.campaigns / "demo.yaml")
    routed = stored(demo_home, "routed")
    ledger = _table(engine, schema.sends)
    files = sorted(demo_home.outbox_dir("demo", DAY).glob("*.eml"))

    expected = min(len(routed), campaign.sender.daily_cap)
    assert len(ledger) == len(files) == expected
    assert (ledger["status"] == "sent").all() and ledger["email"].is_unique
    held = stored(demo_home, "nurture_batch")
    assert metadata_of(result, "nurture_batch")["leads_held_by_cap"] == len(routed) - expected
    # The best tiers go first when the cap bites.
    sent_tiers = routed.set_index("email").loc[ledger["email"], "tier"]
    if len(routed) > expected:
        assert (sent_tiers == "hot").sum() == (routed["tier"] == "hot").sum()
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<https://northwind-data.example/unsubscribe?token=")
    body = message.get_body(("plain",))
    assert body is not None and campaign.sender.postal_address in body.get_content()
    assert len(held) == expected
    contacted = _table(engine, schema.leads).query("status == 'contacted'")
    assert sorted(contacted["email"]) == sorted(ledger["email"])


def test_rerunning_a_partition_converges_and_sends_nothing_new(demo_home, run_assets, engine):
    run_assets()
    first = {a: stored(demo_home, a) for a in ("harvest", "enriched", "scored", "qualified", "routed", "sent_emails")}
    outbox = demo_home.outbox_dir("demo", DAY)
    files_before = {p.name: p.stat().st_mtime_ns for p in outbox.glob("*.eml")}
    ledger_before = _table(engine, schema.sends)

    second_result = run_assets()

    for asset, frame in first.items():
        pd.testing.assert_frame_equal(stored(demo_home, asset), frame, obj=asset)
    assert {p.name: p.stat().st_mtime_ns for p in outbox.glob("*.eml")} == files_before
    pd.testing.assert_frame_equal(_table(engine, schema.sends), ledger_before)
    assert stored(demo_home, "nurture_batch").empty
    assert metadata_of(second_result, "sent_emails")["this_run_sent"] == 0


def test_leads_held_by_the_cap_go_out_the_next_day(demo_home, run_assets, engine):
    run_assets()
    routed = stored(demo_home, "routed")
    next_day = (dt.date.fromisoformat(DAY) + dt.timedelta(days=1)).isoformat()
    run_assets(day=next_day)
    ledger = _table(engine, schema.sends)
    assert sorted(ledger["email"]) == sorted(routed["email"])
    assert ledger["email"].is_unique
    assert (ledger.groupby("send_day").size() <= 250).all()


def test_a_failed_blocking_check_stops_the_send(demo_home, run_assets, engine, monkeypatch, instance):
    import cam_dagster.assets.nurture_batch as nurture_module

    real_plan = nurture_module.plan_due_steps
    # Simulate a planner that forgets the suppression list: the check must catch it.
    monkeypatch.setattr(
        nurture_module,
        "plan_due_steps",
        lambda engine, campaign, day, suppressed: real_plan(engine, campaign, day, suppressed.iloc[0:0]),
    )
    run_assets(["harvest", "enriched", "scored", "qualified", "routed"])
    victim = stored(demo_home, "routed").sort_values("icp_score").iloc[-1]["email"]
    suppress(engine, [victim], reason="unsubscribed", source="test", now=NOW)

    result = run_assets(raise_on_error=False)

    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == [NO_SUPPRESSED_ADDRESS]
    # The failure is the demo's on DAY, as the check's page lists it, not the state of every partition.
    key = str(partition_key(DEMO_CAMPAIGN, DAY))
    assert failed[0].partition == key
    [record] = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("nurture_batch"), NO_SUPPRESSED_ADDRESS), limit=1
    )
    assert record.partition == key and record.status.value == "FAILED"
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "sent_emails" not in materialized
    assert not list(demo_home.outbox.rglob("*.eml"))
    assert _table(engine, schema.sends).empty


def test_routing_that_leaves_a_lead_unenrolled_is_stopped_before_anything_is_planned(
    demo_home, run_assets, engine, monkeypatch
):
    import cam_dagster.assets.routed as routed_module

    # A writer that records tiers but forgets the enrolments: the routed lead holds none.
    monkeypatch.setattr(routed_module, "save_routing", lambda engine, campaign, day, routed, stamp: None)

    result = run_assets(raise_on_error=False)

    failed = [
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    ]
    assert failed == [("routed", NO_LEAD_ENROLLED_TWICE)]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "routed" in materialized and not {"nurture_batch", "sent_emails"} & materialized
    assert not list(demo_home.outbox.rglob("*.eml"))


def test_each_table_an_asset_writes_shows_the_write_on_its_own_page(demo_home, run_assets, instance):
    run_assets()
    routed = stored(demo_home, "routed")

    def written(table: str) -> dict[str, object]:
        event = instance.get_latest_materialization_event(dg.AssetKey(table))
        assert event is not None and event.asset_materialization is not None, table
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}

    assert written("enrolments") == {"enrolled": len(routed)}
    sent = int((stored(demo_home, "sent_emails")["status"] == "sent").sum())
    assert written("send_ledger") == {"sent": sent, "failed": 0}
    assert written("leads") == {"leads_moved": 0}  # engagement writes last; no events today


def test_a_batch_over_the_days_room_is_stopped_by_its_check(demo_home, run_assets, engine, monkeypatch):
    import cam_dagster.assets.nurture_batch as nurture_module

    real_plan = nurture_module.plan_due_steps

    def plan_ignoring_the_cap(engine, campaign, day, suppressed):
        roomy = campaign.model_copy(update={"sender": campaign.sender.model_copy(update={"daily_cap": 10_000})})
        return real_plan(engine, roomy, day, suppressed)

    # The checks read the ledger before planning (so concurrent runs cannot fail a
    # correct batch); a planner that oversteps the cap must still be caught.
    monkeypatch.setattr(nurture_module, "plan_due_steps", plan_ignoring_the_cap)
    result = run_assets(raise_on_error=False)

    assert len(stored(demo_home, "routed")) > 250, "the demo has more leads than its daily cap"
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == [DAILY_CAP_HELD]
    assert _table(engine, schema.sends).empty


def test_engagement_folds_events_into_lead_state_and_suppression(demo_home, run_assets, engine):
    run_assets()
    sent = _table(engine, schema.sends)["email"].tolist()
    replied, bounced, unsubscribed = sent[:3]
    at = f"{DAY}T15:00:00Z"
    receive(
        engine,
        pd.DataFrame(
            {
                "event_id": ["e1", "e2", "e3", "e3"],  # a repeated delivery of e3 counts once
                "campaign": "demo",
                "email": [replied, bounced, unsubscribed, unsubscribed],
                "kind": ["reply", "bounce", "unsubscribe", "unsubscribe"],
                "occurred_at": at,
            }
        ),
        NOW,
        UNSUBSCRIBE_SECRET,
    )

    result = run_assets(["engagement", "campaign_metrics"])

    statuses = _table(engine, schema.leads).set_index("email")["status"]
    assert (statuses[replied], statuses[bounced], statuses[unsubscribed]) == ("replied", "bounced", "unsubscribed")
    assert set(suppressed(engine).index) == {bounced, unsubscribed}
    funnel = stored(demo_home, "campaign_metrics").set_index("stage")
    assert (funnel["count"]["reply"], funnel["count"]["bounce"], funnel["count"]["unsubscribe"]) == (1, 1, 1)
    assert funnel["count"]["delivered"] == 0, "nothing is assumed delivered because it was sent"
    assert funnel["to_date"]["sent"] == funnel["count"]["sent"] > 0 and funnel["to_date"]["bounce"] == 1
    assert metadata_of(result, "engagement")["events"] == 3
    assert metadata_of(result, "campaign_metrics")["to_date_15_bounce"] == 1


@pytest.mark.sqlite_only
def test_campaign_metrics_funnel_adds_up(demo_home, run_assets, engine):
    run_assets()
    funnel = stored(demo_home, "campaign_metrics").set_index("stage")
    counts = funnel["count"]
    assert counts["rows_read"] == len(_sample_rows(demo_home))
    assert counts["accepted"] + len(_table(engine, schema.harvest_rejects)) == counts["rows_read"]
    assert counts["qualified"] + counts["review"] + counts["rejected"] + counts["needs_email"] == counts["accepted"]
    assert counts["needs_email"] > 0
    assert counts["sent"] == len(_table(engine, schema.sends))
    assert funnel.loc["qualified", "target"] == 200


@pytest.mark.sqlite_only
def test_a_broken_campaign_file_fails_its_run_clearly_and_others_keep_working(demo_home, run_assets, instance):
    text = (demo_home.campaigns / "demo.yaml").read_text().replace("daily_cap: 250", "daily_cap: lots")
    (demo_home.campaigns / "broken.yaml").write_text(text)
    instance.add_dynamic_partitions("campaign", ["broken"])

    result = run_assets("harvest", campaign="broken", raise_on_error=False)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "broken.yaml" in message and "sender.daily_cap" in message and "valid integer" in message
    assert run_assets("harvest").success
