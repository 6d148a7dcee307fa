from collections.abc import Iterator
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd

from cam_core.campaign.models import Campaign
from cam_core.http import ApiError
from cam_core.intake import apollo_search
from cam_core.intake.checks import CHECK_DESCRIPTIONS, check_harvest
from cam_core.intake.harvest import harvest as harvest_files
from cam_core.intake.inbox import quarantine_landed
from cam_core.intake.landing import landed_files
from cam_core.state.leads import known_leads
from cam_core.state.rejects import rejects_count, save_rejects
from cam_dagster import metadata
from cam_dagster.checks import blocking_checks, check_results
from cam_dagster.owners import DATA_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.apollo import ApolloResource
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import LEADS

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


def _search_apollo(
    context: dg.AssetExecutionContext, cam: CamResource, apollo: ApolloResource, campaign: Campaign, day: str
) -> str:
    """Run the campaign's Apollo search once per partition; the outcome in words for metadata."""
    search = campaign.intake.apollo_search
    if search is None:
        return "not configured"
    stored = apollo_search.landed_results(cam.layout, campaign.name, day)
    if stored is not None:
        context.log.info("Apollo search for %s on %s already ran; reading %s", campaign.name, day, stored.name)
        return "already searched"
    if not apollo.configured:
        context.log.warning("Apollo search for %s skipped: APOLLO_API_KEY is not set", campaign.name)
        return "skipped: no APOLLO_API_KEY"
    try:
        with apollo.client() as client:
            outcome = apollo_search.search_people(client, search)
    except ApiError as exc:
        # The landed files still count; the next materialization of the partition searches again.
        context.log.error("Apollo search for %s failed, harvesting the landed files without it: %s", campaign.name, exc)
        return f"failed: {exc}"
    landed = apollo_search.land_results(cam.layout, campaign.name, day, outcome.people)
    context.log.info(
        "Apollo search found %d people in %d page(s); landed as %s", len(outcome.people), outcome.pages, landed.name
    )
    return f"found {len(outcome.people)} in {outcome.pages} page(s)"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="intake",
    kinds={"pandas", "csv"},
    owners=[DATA_TEAM],
    deps=[LEADS],
    check_specs=blocking_checks("harvest", CHECK_DESCRIPTIONS),
)
def harvest(
    context: dg.AssetExecutionContext, cam: CamResource, apollo: ApolloResource
) -> Iterator[dg.Output[pd.DataFrame] | dg.AssetCheckResult]:
    """Every row of every file landed for the campaign and day, parsed, normalised and deduplicated.

    Files dropped in the inbox, landed with `cam ingest` or `cam leads add`, and the
    campaign's Apollo search results (searched once per partition) all count.
    Usable rows flow on, people without an email flagged `needs_email` for
    enrichment; rows that cannot be used (malformed address, nobody named,
    duplicate of an earlier row or of a lead the campaign already has) are written
    to the `harvest_rejects` table with a reason, replacing this partition's
    previous rejects. Accepted + rejected = rows read, file by file, checked before anything
    flows on. A landed file that cannot be read whole (binary, a quote left open) is moved to
    `inbox/<campaign>/_quarantine/` with a report and named in the metadata (`quarantined`);
    the day's other files flow on, and a rerun no longer meets it.
    """
    partition = CampaignDay.of(context.partition_key)
    # A broken campaign file, or a sender without its key, stops here with its error.
    campaign = cam.campaign(partition.campaign)
    search_status = _search_apollo(context, cam, apollo, campaign, partition.day)
    files = landed_files(cam.layout, partition.campaign, partition.day)
    if not files:
        context.log.warning(
            "No files landed for %s on %s; land one with `cam ingest`", partition.campaign, partition.day
        )
    known = partial(known_leads, cam.engine, partition.campaign, partition.day)
    result = harvest_files(files, campaign.intake.columns, known)
    quarantined = _set_aside(context, cam, partition, files, result.refused)
    save_rejects(cam.engine, partition.campaign, partition.day, result.rejects)
    reasons = result.rejects["reason"].str.split(" ").str[0].value_counts()
    yield dg.Output(
        result.leads,
        metadata={
            **metadata.rows(result.rows_read, len(result.leads)),
            "files": dg.MetadataValue.json(result.files),
            "formats": dg.MetadataValue.json(result.formats),
            "rows_by_file": dg.MetadataValue.json(result.rows_by_file),
            "quarantined": dg.MetadataValue.json(quarantined),
            "quarantined_files": dg.MetadataValue.int(len(quarantined)),
            "needs_email": dg.MetadataValue.int(int(result.leads["needs_email"].sum())),
            "apollo_search": dg.MetadataValue.text(search_status),
            "rejected": dg.MetadataValue.int(len(result.rejects)),
            **metadata.counts("rejected", reasons),
            "rejects_preview": metadata.table(result.rejects),
        },
    )
    stored = rejects_count(cam.engine, partition.campaign, partition.day)
    yield from check_results(check_harvest(result.rows_read, result.leads, stored, result.rejects, result.rows_by_file))


def _set_aside(
    context: dg.AssetExecutionContext,
    cam: CamResource,
    partition: CampaignDay,
    files: list[Path],
    refused: dict[str, str],
) -> list[dict[str, str]]:
    """Quarantine each landed file harvest could not read, with its report; what was set aside, for metadata."""
    by_name = {f.name: f for f in files}
    aside = []
    for name, reason in refused.items():
        try:
            moved = quarantine_landed(cam.layout, by_name[name], partition.campaign, partition.day, reason, cam.now())
        except FileNotFoundError:  # a concurrent run of the partition set it aside first
            aside.append({"file": name, "reason": reason, "report": ""})
            continue
        context.log.error("Quarantined %s, which harvest cannot read (%s); report in %s", name, reason, moved.report)
        aside.append({"file": name, "reason": reason, "report": str(moved.report)})
    return aside
