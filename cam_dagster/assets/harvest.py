import dagster as dg
import pandas as pd

from cam_core import db
from cam_core.intake import IntakeError, harvest as harvest_files
from cam_core.landing import landed_files
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource, ResendResource


@dg.asset(partitions_def=cam_partitions, group_name="intake", kinds={"pandas", "csv"})
def harvest(context: dg.AssetExecutionContext, cam: CamResource, resend: ResendResource) -> dg.Output[pd.DataFrame]:
    """Every row of every file landed for the campaign and day, parsed, normalised and deduplicated.

    Usable rows flow on; rows that cannot be used (no email, malformed address,
    duplicate of an earlier row) are written to the `harvest_rejects` table with a
    reason, replacing this partition's previous rejects. Accepted + rejected = rows read.
    """
    partition = campaign_day(context.partition_key)
    cam.campaign(partition.campaign, resend)  # a broken campaign file, or a sender without its key, stops here
    files = landed_files(cam.layout, partition.campaign, partition.day)
    if not files:
        context.log.warning("No files landed for %s on %s; land one with `cam ingest`", partition.campaign, partition.day)
    try:
        result = harvest_files(files)
    except IntakeError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    rejects = result.rejects.assign(campaign=partition.campaign, day=partition.day)
    with cam.engine.begin() as conn:
        db.replace_partition(conn, db.harvest_rejects, partition.campaign, partition.day, db.records(rejects))
    reasons = result.rejects["reason"].value_counts()
    return dg.Output(
        result.leads,
        metadata={
            **metadata.rows(result.rows_read, len(result.leads)),
            "files": dg.MetadataValue.json(result.files),
            "rejected": dg.MetadataValue.int(len(result.rejects)),
            **metadata.counts("rejected", reasons),
            "rejects_preview": metadata.table(result.rejects),
        },
    )
