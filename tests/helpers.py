"""What tests share besides fixtures: the test day, the resources a run gets, and readers
of what a run stored and reported. Fixtures live in conftest.py; everything else here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.settings import HomeLayout
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.resources.apollo import ApolloResource
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.enrichment import EnrichmentResource
from cam_dagster.resources.resend import ResendResource

DAY = "2026-11-17"  # a Tuesday, with the following week also in the past (partitions end today)
UNSUBSCRIBE_SECRET = "test-unsubscribe-secret"
#: The asset keys users and scripts rely on, in the order leads flow (a contract: see the README).
ASSET_KEYS = [
    "harvest",
    "enriched",
    "scored",
    "qualified",
    "routed",
    "nurture_batch",
    "sent_emails",
    "engagement",
    "campaign_metrics",
]
#: The clock of writes a test makes itself (suppressions, events): 09:00 UTC on DAY.
NOW = dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC)
FIXTURES = Path(__file__).parent / "fixtures"


def resources_for(
    home: HomeLayout, database_url: str, now: str, apollo: ApolloResource | None = None, **resend: Any
) -> dict[str, object]:
    """The resources a run gets, wired as the definitions wire them: `now` is the clock every
    writer stamps and the sending window is judged by; `resend` settings configure Resend;
    without `apollo` there is no Apollo key, so campaigns' searches and Apollo enrichment are skipped."""
    cam = CamResource(
        home=str(home.root),
        database_url=database_url,
        frozen_now=now,
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
        resend=ResendResource(**resend),
    )
    apollo = apollo or ApolloResource()
    return {
        "cam": cam,
        "apollo": apollo,
        "enrichment": EnrichmentResource(apollo=apollo, mx_lookup=False),
        "io_manager": PartitionedParquetIOManager(cam=cam),
    }


def stored(home: HomeLayout, asset: str, campaign: str = DEMO_CAMPAIGN, day: str = DAY) -> pd.DataFrame:
    """What the IO manager stored for one asset and partition."""
    return pd.read_parquet(home.data / asset / campaign / f"{day}.parquet")


def metadata_of(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def today() -> str:
    return dt.date.today().isoformat()
