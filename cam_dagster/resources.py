"""The `cam` resource: CAM's home, database and campaigns for every asset, check and sensor."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from cam_core import settings
from cam_core.campaigns import Campaign, CampaignError, CampaignSet, campaign_by_name, load_campaigns
from cam_core.db import engine_for
from cam_core.outbox import OutboxSender, Sender
from cam_core.settings import HomeLayout
from cam_core.unsubscribe import OUTBOX_SECRET


class CamResource(dg.ConfigurableResource):
    """CAM's state: the home folder (campaigns, landed files, outbox) and the SQL database.

    `database_url` and `unsubscribe_secret` are secrets: wire them with `dg.EnvVar`
    (CAM_DATABASE_URL, CAM_UNSUBSCRIBE_SECRET) so their values never reach run config.
    """

    home: str = Field(description="CAM home folder ($CAM_HOME, default .cam/ in the project)")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in the home")
    unsubscribe_secret: str = Field(default="", description="HMAC key for unsubscribe links")

    @property
    def layout(self) -> HomeLayout:
        return HomeLayout(Path(self.home)).ensure()

    @property
    def engine(self) -> Engine:
        return engine_for(self.database_url or settings.default_database_url(Path(self.home)))

    def campaign(self, name: str) -> Campaign:
        """The campaign, or a run failure that names the file, field and fix (no traceback)."""
        try:
            return campaign_by_name(self.layout.campaigns, name)
        except CampaignError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    def campaigns(self) -> CampaignSet:
        return load_campaigns(self.layout.campaigns)

    def signing_secret(self, campaign: Campaign) -> str:
        if self.unsubscribe_secret:
            return self.unsubscribe_secret
        if campaign.sender.provider == "outbox":
            return OUTBOX_SECRET
        raise dg.Failure(f"campaign {campaign.name} sends through {campaign.sender.provider}: set CAM_UNSUBSCRIBE_SECRET")

    def sender(self, campaign: Campaign, day: str) -> Sender:
        return OutboxSender(self.layout.outbox_dir(campaign.name, day), campaign.name)


def cam_resource_from_env() -> CamResource:
    """The resource as the environment configures it; secrets stay `EnvVar`s."""
    return CamResource(
        home=str(settings.cam_home()),
        database_url=dg.EnvVar("CAM_DATABASE_URL") if os.environ.get("CAM_DATABASE_URL") else "",
        unsubscribe_secret=dg.EnvVar("CAM_UNSUBSCRIBE_SECRET") if os.environ.get("CAM_UNSUBSCRIBE_SECRET") else "",
    )
