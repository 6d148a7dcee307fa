import dagster as dg
import pandas as pd

from cam_core.sending import send_batch
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource, ResendResource


@dg.asset(partitions_def=cam_partitions, group_name="outreach", kinds={"email", "sql"})
def sent_emails(context: dg.AssetExecutionContext, cam: CamResource, resend: ResendResource,
                nurture_batch: pd.DataFrame):
    """What was handed to the sender, exactly once per lead and step: the send
    ledger's rows for this campaign and day.

    Only messages whose sending window is open now go (a past day's partition
    reports, never fires late). Each is claimed in the ledger under the daily cap,
    warm-up, sending-domain cap and hourly pacing before it is handed over, in
    batches whose id is the provider's idempotency key, and completed after; a
    rerun, a retry, a killed run or a concurrent run never sends a second copy.
    The campaign's `sender.provider` chooses: `outbox` writes `.eml` files to
    `$CAM_HOME/outbox/<campaign>/<date>/`, `resend` sends through Resend.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign, resend)
    report = send_batch(cam.engine, campaign, partition.day, nurture_batch,
                        sender=cam.sender(campaign, partition.day, resend), now=cam.now())
    ledger = report.ledger
    statuses = ledger["status"].value_counts()
    yield dg.Output(
        ledger,
        metadata={
            **metadata.counts("this_run", report.counts),
            **metadata.counts("ledger", {s: int(statuses.get(s, 0)) for s in ("sent", "pending", "failed")}),
            **metadata.counts("sent_variant", ledger.loc[ledger["status"] == "sent", "variant"].value_counts()),
            "provider": dg.MetadataValue.text(campaign.sender.provider),
            "problem": dg.MetadataValue.text(report.problem or "none"),
        },
    )
    if report.problem:
        # What was delivered is recorded above; the run still shows red so someone looks.
        raise dg.Failure(description=report.problem)
