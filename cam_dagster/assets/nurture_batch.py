import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from cam_core.outreach.checks import CHECK_DESCRIPTIONS, check_batch
from cam_core.outreach.planning import plan_due_steps
from cam_core.outreach.rendering import TemplateProblem, render_batch
from cam_core.state import ledger
from cam_core.state.leads import close_enrolments, resume_paused
from cam_core.state.suppression import suppressed, suppressed_in
from cam_dagster import metadata
from cam_dagster.checks import blocking_checks, check_results
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import ENROLMENTS, LEADS, SEND_LEDGER, SUPPRESSION

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="outreach",
    kinds={"pandas", "jinja"},
    owners=[GROWTH_TEAM],
    # `routed` orders the run (it writes the enrolments read here); the tables show what is read.
    deps=["routed", ENROLMENTS, LEADS, SEND_LEDGER, SUPPRESSION],
    check_specs=blocking_checks("nurture_batch", CHECK_DESCRIPTIONS),
)
def nurture_batch(
    context: dg.AssetExecutionContext, cam: CamResource
) -> Iterator[dg.Output[pd.DataFrame] | dg.AssetCheckResult]:
    """The emails due today, rendered: for each enrolled lead, the next step of its
    sequence whose delay (business days) has passed, in the variant its address
    hashes to, rendered in a sandboxed Jinja2 environment (HTML autoescaped), every
    message ending with the postal address and a signed unsubscribe link.

    Suppressed leads and leads that replied, bounced, unsubscribed or finished are
    left out, and so are paused ones (an out-of-office) until the day they are back;
    leads beyond the day's room (cap, warm-up, domain cap) are held for a later day.
    The blocking checks re-read the suppression list after rendering and judge the
    batch against their own read of the ledger, taken before planning: any failure
    stops `sent_emails`.

    A template that fails on one lead's data fails that lead's message, not the
    campaign: its row carries `render_error` (counted in `render_failed` and shown in
    `render_failures`), is never sent, and is recorded failed with that reason.
    """
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    # The ledger checks judge the batch against the ledger as it stood before planning.
    # Judged after rendering, a concurrent run's claims in between (steps it sent, room
    # it spent) would fail a correct batch and stop this run; those claims are kept
    # exactly-once and within the caps by `sent_emails`, which claims under the locks.
    before = ledger.standing(cam.engine, campaign, partition.day)
    # Leads back from an out-of-office take up their sequence at the step they were on.
    resumed = resume_paused(cam.engine, campaign.name, partition.day, cam.stamp(context.run.run_id))
    plan = plan_due_steps(
        cam.engine, campaign, partition.day, suppressed_in(cam.engine, campaign.name, cam.signing_secret())
    )
    close_enrolments(cam.engine, campaign.name, plan.finished, partition.day)
    try:
        batch = render_batch(plan.due, campaign, secret=cam.signing_secret())
    except TemplateProblem as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    allowance = campaign.sender.daily_allowance(dt.date.fromisoformat(partition.day))
    failed = batch[batch["render_error"] != ""]
    for reason, count in failed["render_error"].value_counts().head(5).items():  # the rest are in metadata
        context.log.warning("%d message(s) not rendered: %s", count, reason)
    yield dg.Output(
        batch,
        metadata={
            **metadata.counts("leads", plan.counts),
            **metadata.counts("step", batch["step"].value_counts()),
            **metadata.counts("variant", batch["variant"].value_counts()),
            "rows_out": dg.MetadataValue.int(len(batch)),
            "daily_allowance": dg.MetadataValue.int(allowance),
            "resumed_from_pause": dg.MetadataValue.int(resumed),
            "render_failed": dg.MetadataValue.int(len(failed)),
            "render_failures": metadata.table(failed[["email", "sequence", "step", "variant", "render_error"]]),
            "preview": metadata.table(
                batch.loc[batch["render_error"] == "", ["email", "tier", "sequence", "step", "variant", "subject"]]
            ),
        },
    )
    outcomes = check_batch(
        batch,
        suppressed=suppressed(cam.engine, batch["email"], cam.signing_secret()),
        done_keys=before.done_keys,
        room=before.room(excluding=batch["send_key"].tolist()),
        postal_address=campaign.sender.postal_address,
    )
    yield from check_results(outcomes)
