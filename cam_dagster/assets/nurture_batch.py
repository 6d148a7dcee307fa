import datetime as dt

import dagster as dg

from cam_core import ledger, store
from cam_core.batch_checks import CHECK_DESCRIPTIONS, check_batch
from cam_core.nurture import plan_due_steps
from cam_core.rendering import TemplateProblem, render_batch
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource, ResendResource

NURTURE_BATCH_CHECKS = [
    dg.AssetCheckSpec(name, asset="nurture_batch", blocking=True, description=text)
    for name, text in CHECK_DESCRIPTIONS.items()
]


@dg.asset(
    partitions_def=cam_partitions, group_name="outreach", kinds={"pandas", "jinja"}, deps=["routed"],
    check_specs=NURTURE_BATCH_CHECKS,
)
def nurture_batch(context: dg.AssetExecutionContext, cam: CamResource, resend: ResendResource):
    """The emails due today, rendered: for each enrolled lead, the next step of its
    sequence whose delay (business days) has passed, in the variant its address
    hashes to, rendered in a sandboxed Jinja2 environment (HTML autoescaped), every
    message ending with the postal address and a signed unsubscribe link.

    Suppressed leads and leads that replied, bounced, unsubscribed or finished are
    left out; leads beyond the day's room (cap, warm-up, domain cap) are held for
    a later day. The blocking checks re-read the suppression list after rendering
    and judge the batch against their own read of the ledger, taken before planning:
    any failure stops `sent_emails`.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign, resend)
    # The ledger checks judge the batch against the ledger as it stood before planning.
    # Judged after rendering, a concurrent run's claims in between (steps it sent, room
    # it spent) would fail a correct batch and stop this run; those claims are kept
    # exactly-once and within the caps by `sent_emails`, which claims under the locks.
    before = ledger.standing(cam.engine, campaign, partition.day)
    plan = plan_due_steps(cam.engine, campaign, partition.day, store.suppressed(cam.engine))
    try:
        batch = render_batch(plan.due, campaign, secret=cam.signing_secret(campaign))
    except TemplateProblem as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    yield dg.Output(
        batch,
        metadata={
            **metadata.counts("leads", plan.counts),
            **metadata.counts("step", batch["step"].value_counts()),
            **metadata.counts("variant", batch["variant"].value_counts()),
            "rows_out": dg.MetadataValue.int(len(batch)),
            "daily_allowance": dg.MetadataValue.int(campaign.sender.daily_allowance(dt.date.fromisoformat(partition.day))),
            "preview": metadata.table(batch[["email", "tier", "sequence", "step", "variant", "subject"]]),
        },
    )
    outcomes = check_batch(
        batch,
        suppressed=store.suppressed(cam.engine),
        done_keys=before.done_keys,
        room=before.room(excluding=batch["send_key"].tolist()),
        postal_address=campaign.sender.postal_address,
    )
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            check_name=outcome.name,
            passed=outcome.passed,
            metadata={**outcome.numbers, "examples": dg.MetadataValue.json(outcome.offenders)},
        )
