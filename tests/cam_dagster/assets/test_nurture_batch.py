"""`nurture_batch` when a template fails on some leads' data: those messages fail with
their reason, the rest of the campaign's batch renders and goes."""

from __future__ import annotations

import yaml

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.reporting.explain import explain
from cam_core.settings import HomeLayout
from cam_core.state import schema
from tests.helpers import metadata_of, rows_of, stored

UP_TO_ROUTED = ["harvest", "enriched", "scored", "qualified", "routed"]


def _divide_by_lead(home: HomeLayout, last_name: str) -> None:
    """Every first step's body divides by zero for leads called `last_name`, and only for them."""
    path = home.campaigns / f"{DEMO_CAMPAIGN}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for sequence in raw["sequences"].values():
        first = sequence["steps"][0]
        for version in first.get("variants") or [first]:
            version["body"] += f'\n{{{{ 100 // ((last_name != "{last_name}") | int) }}}} per cent'
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def _a_due_last_name(home: HomeLayout) -> str:
    batch = stored(home, "nurture_batch")
    names = batch.loc[batch["last_name"].fillna("") != "", "last_name"]
    counts = names.value_counts()
    return str(counts.index[-1])  # the least shared, so most of the batch still renders


def test_a_template_failing_on_one_leads_data_fails_that_message_not_the_campaign(demo_home, run_assets, engine):
    run_assets([*UP_TO_ROUTED, "nurture_batch"])
    victim = _a_due_last_name(demo_home)
    _divide_by_lead(demo_home, victim)

    result = run_assets(["nurture_batch", "sent_emails"])

    assert result.success
    batch = stored(demo_home, "nurture_batch")
    failed = batch[batch["render_error"] != ""]
    assert (failed["last_name"] == victim).all() and len(failed) == (batch["last_name"] == victim).sum() > 0
    assert (
        failed["render_error"]
        .str.contains(
            r"^campaign demo, sequence \w+, step 1, variant \w+: template error: ZeroDivisionError: ", regex=True
        )
        .all()
    )
    assert (failed[["subject", "body_text", "body_html"]] == "").all().all()
    rendered = batch[batch["render_error"] == ""]
    assert len(rendered) > 0 and rendered["body_text"].str.contains("100 per cent").all()
    # The blocking checks judge what was rendered: none fails because of the failed rows.
    assert all(e.passed for e in result.get_asset_check_evaluations())
    meta = metadata_of(result, "nurture_batch")
    assert meta["render_failed"] == len(failed)
    assert "ZeroDivisionError" in meta["render_failures"] and victim not in meta["preview"]

    # The failed messages were never sent; each is in the ledger, failed with its reason.
    sends = rows_of(engine, schema.sends).set_index("email")
    for email, reason in zip(failed["email"], failed["render_error"], strict=True):
        assert sends.loc[email, "status"] == "failed" and sends.loc[email, "error"] == reason
    assert (sends.loc[rendered["email"], "status"] == "sent").all()
    # ... and a person asking why the lead heard nothing reads the reason.
    why = explain(engine, DEMO_CAMPAIGN, str(failed["email"].iloc[0]))
    assert why is not None
    assert f": failed: {failed['render_error'].iloc[0]}" in why


def test_explain_shows_each_step_in_the_ledger_with_its_status(demo_home, run_assets, engine):
    run_assets([*UP_TO_ROUTED, "nurture_batch", "sent_emails"])
    sent = rows_of(engine, schema.sends).iloc[0]

    why = explain(engine, DEMO_CAMPAIGN, sent["email"])

    assert why is not None
    assert f"  step 1 ({sent['sequence']}, variant {sent['variant']}) on {sent['send_day']}: sent" in why.splitlines()
    unsent = stored(demo_home, "routed")
    others = unsent.loc[~unsent["email"].isin(rows_of(engine, schema.sends)["email"]) & (unsent["email"] != "")]
    if not others.empty:
        assert "sends: none" in (explain(engine, DEMO_CAMPAIGN, others["email"].iloc[0]) or "")
