import dagster as dg
import pandas as pd

from cam_core.sending import send_batch
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="outreach", kinds={"email", "sql"})
def sent_emails(context: dg.AssetExecutionContext, cam: CamResource, nurture_batch: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """What was handed to the sender, exactly once per lead and step: the send
    ledger's rows for this campaign and day.

    Each message is claimed in the ledger before it is handed over and completed
    after, so a rerun, a retry or a concurrent run never sends a second copy and
    never goes past the daily cap. The default sender writes `.eml` files to
    `$CAM_HOME/outbox/<campaign>/<date>/`.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    report = send_batch(
        cam.engine, partition.campaign, partition.day, nurture_batch,
        sender=cam.sender(campaign, partition.day), cap=campaign.sender.daily_cap,
    )
    statuses = report.ledger["status"].value_counts()
    return dg.Output(
        report.ledger,
        metadata={
            **metadata.counts("this_run", report.counts),
            **metadata.counts("ledger", {s: int(statuses.get(s, 0)) for s in ("sent", "pending", "failed")}),
            "outbox": dg.MetadataValue.path(str(cam.layout.outbox_dir(partition.campaign, partition.day))),
        },
    )
