from collections.abc import Iterator

import dagster as dg
import pandas as pd

from cam_core.selection import review
from cam_core.selection.checks import CHECK_DESCRIPTIONS as SELECTION_CHECKS
from cam_core.selection.checks import EVERY_VERDICT_HAS_A_REASON, check_verdicts
from cam_core.selection.qualification import qualify
from cam_core.state.leads import save_qualified
from cam_core.state.suppression import suppressed
from cam_core.vocabulary import VERDICTS, LeadStatus, ReviewStatus
from cam_dagster import metadata
from cam_dagster.checks import blocking_checks, check_results
from cam_dagster.owners import DATA_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import LEADS, SUPPRESSION, report_write

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="selection",
    kinds={"pandas", "sql"},
    owners=[DATA_TEAM],
    deps=[SUPPRESSION],
    check_specs=blocking_checks(
        "qualified", {EVERY_VERDICT_HAS_A_REASON: SELECTION_CHECKS[EVERY_VERDICT_HAS_A_REASON]}
    ),
)
def qualified(
    context: dg.AssetExecutionContext, cam: CamResource, scored: pd.DataFrame
) -> Iterator[dg.Output[pd.DataFrame] | dg.AssetCheckResult]:
    """Each lead qualified, sent to review or rejected, with the reason in words.

    The verdicts are written to the `leads` table (a lead already further along,
    say contacted, keeps its status). Suppressed addresses are rejected here,
    whatever their score. Leads in the review band go to the review queue; once a
    person decides (`cam review approve|reject`, or a decisions CSV in
    `$CAM_HOME/reviews/`), the next materialization qualifies or rejects them.
    """
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    decisions = review.decisions_for(cam.engine, partition.campaign)
    result = qualify(
        scored, campaign.qualification, suppressed(cam.engine, scored["email"], cam.signing_secret()), decisions
    )
    save_qualified(cam.engine, partition.campaign, partition.day, result, cam.stamp(context.run.run_id))
    in_review = result[result["qualification"] == LeadStatus.REVIEW]
    waiting = review.queue(cam.engine, partition.campaign, partition.day, in_review, now=cam.now())
    verdicts = result["qualification"].value_counts()
    reasons = (
        result["reason"]
        .str.replace(r"\d+", "N", regex=True)
        .str.replace(r" by .*? \(", " by X (", regex=True)
        .value_counts()
        .rename_axis("reason")
        .reset_index()
    )
    decided = result["reason"].str.extract(r"^(approved|rejected) in review", expand=False).value_counts()
    report_write(context, LEADS, leads_written=int((result["email"] != "").sum()))
    yield dg.Output(
        result,
        metadata={
            **metadata.rows(len(scored), len(result)),
            **metadata.ordered("verdict", verdicts, VERDICTS),
            "review_pending": dg.MetadataValue.int(int(waiting)),
            **metadata.counts(
                "review_decided", {d: int(decided.get(d, 0)) for d in (ReviewStatus.APPROVED, ReviewStatus.REJECTED)}
            ),
            "reasons": metadata.table(reasons),
        },
    )
    yield from check_results(check_verdicts(result))
