"""The `CamResource`: CAM's home folder, its database, its campaigns and its clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine
from upath import UPath

from cam_core import settings
from cam_core.campaign.loading import CampaignError, CampaignSet, campaign_by_name, load_campaigns
from cam_core.campaign.models import Campaign
from cam_core.outreach.senders import Sender
from cam_core.outreach.senders.outbox import OutboxSender
from cam_core.partition_store import data_root
from cam_core.settings import HomeLayout
from cam_core.state.history import Stamp
from cam_core.state.schema import engine_for
from cam_core.unsubscribe import secret_for
from cam_core.vocabulary import SenderProvider
from cam_dagster.resources.resend import ResendResource


class CamResource(dg.ConfigurableResource):
    """CAM's state: the home folder (campaigns, landed files, outbox), where partitions are
    stored, the SQL database, and the one clock every writer stamps time with (`now`).

    `database_url` and `unsubscribe_secret` are secrets: wire them with `dg.EnvVar`
    (CAM_DATABASE_URL, CAM_UNSUBSCRIBE_SECRET) so their values never reach run config;
    without an unsubscribe secret the home's own key signs the links (`cam_core.unsubscribe`).
    `resend` is where campaigns whose `sender.provider` is `resend` send; without it
    (or without its key) such a campaign is refused when it loads.
    """

    home: str = Field(description="CAM home folder ($CAM_HOME, default .cam/ in the project)")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in the home")
    unsubscribe_secret: str = Field(default="", description="HMAC key for unsubscribe links")
    data_url: str = Field(
        default="",
        description="Where per-partition outputs are stored ($CAM_DATA_URL): a folder, s3://bucket/prefix or any "
        "fsspec URL, its credentials from the store's usual environment; empty means data/ in the home",
    )
    frozen_now: str = Field(default="", description="ISO time to use as 'now' (tests, replays); empty: the clock")
    resend: ResendResource | None = None

    @property
    def layout(self) -> HomeLayout:
        return HomeLayout(Path(self.home)).ensure()

    @property
    def data(self) -> UPath:
        """Where per-partition outputs are stored: `data_url`, else the home's `data/` folder."""
        return data_root(self.data_url or self.layout.data)

    @property
    def engine(self) -> Engine:
        return engine_for(self.database_url or settings.default_database_url(Path(self.home)))

    def now(self) -> dt.datetime:
        """The time every writer stamps: the ledger, suppression, review decisions, the outbox, the cache."""
        if self.frozen_now:
            return dt.datetime.fromisoformat(self.frozen_now).astimezone(dt.UTC)
        return dt.datetime.now(dt.UTC)

    def stamp(self, run_id: str) -> Stamp:
        """Who changes lead state from an asset: `asset:<run id>`, at `now`."""
        return Stamp(f"asset:{run_id}", self.now())

    def campaign(self, name: str) -> Campaign:
        """The campaign, or a run failure that names the file, field and fix (no traceback).

        A campaign that cannot send the way its file says (Resend without a key) is refused too.
        """
        try:
            campaign = campaign_by_name(self.layout.campaigns, name)
        except CampaignError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        if campaign.sender.provider == SenderProvider.RESEND and not (self.resend and self.resend.api_key):
            raise dg.Failure(
                description=f"campaign {campaign.name} sends through resend but RESEND_API_KEY is not set; "
                "set it, or set sender.provider: outbox in the campaign file",
                allow_retries=False,
            )
        return campaign

    def campaigns(self) -> CampaignSet:
        return load_campaigns(self.layout.campaigns)

    def signing_secret(self) -> str:
        """The unsubscribe key: CAM_UNSUBSCRIBE_SECRET, else the home's own key, made once."""
        return secret_for(self.layout.root, self.unsubscribe_secret)

    def sender(self, campaign: Campaign, day: str) -> Sender:
        if campaign.sender.provider == SenderProvider.RESEND and self.resend is not None:
            return self.resend.sender(campaign.name)
        return OutboxSender(self.layout.outbox_dir(campaign.name, day), campaign.name, self.now())
