import dagster as dg
import pandas as pd

from cam_core import ledger, store
from cam_core.batch_checks import CHECK_DESCRIPTIONS, check_batch
from cam_core.ledger import FAILED, SENT
from cam_core.nurture import plan_first_steps
from cam_core.rendering import TemplateProblem, render_step
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource

NURTURE_BATCH_CHECKS = [
    dg.AssetCheckSpec(name, asset="nurture_batch", blocking=True, description=text)
    for name, text in CHECK_DESCRIPTIONS.items()
]


@dg.asset(
    partitions_def=cam_partitions, group_name="outreach", kinds={"pandas", "jinja"}, deps=["routed"],
    check_specs=NURTURE_BATCH_CHECKS,
)
def nurture_batch(context: dg.AssetExecutionContext, cam: CamResource):
    """The emails due today, rendered: step 1 of each enrolled lead's sequence that
    has not been sent, in a sandboxed Jinja2 environment, every message ending with
    the postal address and a signed unsubscribe link.

    Suppressed leads and leads that replied, bounced or unsubscribed are left out;
    leads beyond the daily cap are held for a later day. The blocking checks
    re-read the suppression list and the ledger after rendering: any failure stops
    `sent_emails`.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    plan = plan_first_steps(cam.engine, campaign, partition.day, store.suppressed(cam.engine))
    try:
        batch = render_step(plan.due, campaign, step=1, secret=cam.signing_secret(campaign))
    except TemplateProblem as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    yield dg.Output(
        batch,
        metadata={
            **metadata.counts("leads", plan.counts),
            "rows_out": dg.MetadataValue.int(len(batch)),
            "daily_cap": dg.MetadataValue.int(campaign.sender.daily_cap),
            "preview": metadata.table(batch[["email", "tier", "sequence", "step", "subject"]]),
        },
    )
    keys = batch["send_key"].tolist()
    known = ledger.ledger_rows(cam.engine, partition.campaign, keys=keys)
    outcomes = check_batch(
        batch,
        suppressed=store.suppressed(cam.engine),
        done_keys=set(known.loc[known["status"].isin([SENT, FAILED]), "send_key"]),
        claimed_elsewhere=ledger.claims_on(cam.engine, partition.campaign, partition.day, excluding=keys),
        daily_cap=campaign.sender.daily_cap,
        postal_address=campaign.sender.postal_address,
    )
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            check_name=outcome.name,
            passed=outcome.passed,
            metadata={**outcome.numbers, "examples": dg.MetadataValue.json(outcome.offenders)},
        )
