import dagster as dg
import pandas as pd

from cam_core.enrich.verification import verification_counts, verify
from cam_core.enrich.waterfall import enrich
from cam_dagster import metadata
from cam_dagster.owners import DATA_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.enrichment import EnrichmentResource

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions, code_version=CODE_VERSION, group_name="enrich", kinds={"pandas"}, owners=[DATA_TEAM]
)
def enriched(
    context: dg.AssetExecutionContext, cam: CamResource, enrichment: EnrichmentResource, harvest: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Harvested leads, enriched where provider keys are set, then verified.

    Enrichment (Apollo people match, Dropcontact batch, in the campaign's waterfall
    order) fills missing fields and finds addresses for rows without one; answers are
    cached in the CAM database so nobody is paid for twice, and a run spends at most
    the campaign's credit budget. A provider outage marks its leads `pending` (the run
    still succeeds; the next materialization asks again). Without keys: offline only.

    Verification: email syntax (email-validator, no network), role accounts, free-mail
    providers, disposable domains, the campaign's competitors, and MX where a resolver
    answers. MX `unknown` (offline, no answer) is never counted as invalid.
    """
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    providers = enrichment.providers(campaign.enrichment)
    run = enrich(harvest, providers, cam.engine, campaign.enrichment, now=cam.now())
    for error in run.errors:
        context.log.warning("Enrichment degraded, leads left pending for the next run: %s", error)
    verified = verify(run.leads, competitors=campaign.competitors, mx=enrichment.mx_checker())
    flagged = {
        **verification_counts(verified),
        "competitor": int(verified["competitor"].sum()),
        "mx_none": int((verified["mx"] == "none").sum()),
    }
    return dg.Output(
        verified,
        metadata={
            **metadata.rows(len(harvest), len(verified)),
            **metadata.counts("flagged", flagged),
            **metadata.counts("mx", verified["mx"].value_counts()),
            "providers": dg.MetadataValue.json([p.name for p in providers]),
            **metadata.counts("enrichment", run.counts),
            "enrichment_degraded": dg.MetadataValue.bool(bool(run.errors)),
            "enrichment_errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in run.errors) or "_(none)_"),
        },
    )
