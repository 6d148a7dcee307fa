"""What tests share besides fixtures: the test day, the resources a run gets, and readers
of what a run stored and reported. Fixtures live in conftest.py; everything else here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import sqlalchemy as sa
import yaml

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.settings import HomeLayout
from cam_core.state.history import Stamp
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
#: Lead-state changes made by a test, as if by a person at the command line.
BY_TEST = Stamp("test", NOW)
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


#: The API key the fake Resend server accepts.
RESEND_KEY = "re_test_key"


def resend_settings(fake: Any, **extra: Any) -> dict[str, Any]:
    """`run_assets` settings for the Resend resource pointed at a fake Resend server, with short retries."""
    return {"api_key": RESEND_KEY, "api_url": fake.url, "timeout_seconds": 1.0, "retry_base_delay": 0.05, **extra}


def edit_campaign(home: HomeLayout, name: str = DEMO_CAMPAIGN, **sender: Any) -> None:
    """Change fields of a campaign file's `sender`."""
    path = home.campaigns / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["sender"].update(sender)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def rows_of(engine: Any, table: sa.Table) -> pd.DataFrame:
    """Every row of a CAM table."""
    with engine.connect() as conn:
        result = conn.execute(sa.select(table))
        return pd.DataFrame(result.all(), columns=list(result.keys()))
