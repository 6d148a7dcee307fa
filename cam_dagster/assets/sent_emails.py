from collections.abc import Iterator

import dagster as dg
import pandas as pd

from cam_core.outreach.sending import send_batch
from cam_core.vocabulary import SendStatus
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import LEADS, SEND_LEDGER, report_write

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="outreach",
    kinds={"email", "sql"},
    owners=[GROWTH_TEAM],
    deps=[SEND_LEDGER],
)
def sent_emails(
    context: dg.AssetExecutionContext, cam: CamResource, nurture_batch: pd.DataFrame
) -> Iterator[dg.Output[pd.DataFrame]]:
    """What was handed to the sender, exactly once per lead and step: the send
    ledger's rows for this campaign and day.

    Only messages whose sending window is open now go (a past day's partition
    reports, never fires late). Each is claimed in the ledger under the daily cap,
    warm-up, sending-domain cap and hourly pacing before it is handed over, in
    batches whose id is the provider's idempotency key, and completed after; a
    rerun, a retry, a killed run or a concurrent run never sends a second copy.
    The campaign's `sender.provider` chooses: `outbox` writes `.eml` files to
    `$CAM_HOME/outbox/<campaign>/<date>/`, `resend` sends through Resend.

    A campaign whose recent hard-bounce or complaint rate crossed its
    `sender.reputation` limits is paused: nothing new is claimed and the run fails
    naming the rate, until `cam resume --campaign C` (see `cam_core.outreach.reputation`).
    """
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    report = send_batch(
        cam.engine,
        campaign,
        partition.day,
        nurture_batch,
        sender=cam.sender(campaign, partition.day),
        stamp=cam.stamp(context.run.run_id),
        secret=cam.signing_secret(),
    )
    rows = report.ledger
    statuses = rows["status"].value_counts()
    report_write(context, SEND_LEDGER, sent=report.counts["sent"], failed=report.counts["failed"])
    report_write(context, LEADS, leads_contacted=report.counts["sent"])
    yield dg.Output(
        rows,
        metadata={
            **metadata.counts("this_run", report.counts),
            **metadata.ordered("ledger", statuses, SendStatus),
            **metadata.counts("sent_variant", rows.loc[rows["status"] == SendStatus.SENT, "variant"].value_counts()),
            "provider": dg.MetadataValue.text(campaign.sender.provider.value),
            "problem": dg.MetadataValue.text(report.problem or "none"),
            "paused": dg.MetadataValue.text(report.paused or "no"),
        },
    )
    if report.problem:
        # What was delivered is recorded above; the run still shows red so someone looks.
        raise dg.Failure(description=report.problem)
