import dagster as dg
import pandas as pd

from cam_core.verification import verification_counts, verify
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions


@dg.asset(partitions_def=cam_partitions, group_name="intake", kinds={"pandas"})
def enriched(harvest: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Harvested leads with offline verification: email syntax (email-validator, no
    network), role accounts, free-mail providers and disposable domains. MX is
    `unknown` while no resolver is used: unknown is never counted as invalid."""
    verified = verify(harvest)
    return dg.Output(
        verified,
        metadata={**metadata.rows(len(harvest), len(verified)), **metadata.counts("flagged", verification_counts(verified))},
    )
