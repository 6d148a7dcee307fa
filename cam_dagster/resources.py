"""Resources: `cam` (CAM's home, database and campaigns) and `resend` (the Resend API)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from cam_core import settings
from cam_core.campaigns import Campaign, CampaignError, CampaignSet, campaign_by_name, load_campaigns
from cam_core.db import engine_for
from cam_core.http import RetryPolicy
from cam_core.outbox import OutboxSender, Sender
from cam_core.resend_sender import DEFAULT_API_URL, ResendSender
from cam_core.settings import HomeLayout
from cam_core.unsubscribe import OUTBOX_SECRET


class ResendResource(dg.ConfigurableResource):
    """Resend's API, for campaigns whose `sender.provider` is `resend`.

    `api_key` is a secret: wire it with `dg.EnvVar("RESEND_API_KEY")`. `api_url`
    follows RESEND_API_URL, the variable the official SDK reads, so a proxy or a
    test server can stand in for Resend.
    """

    api_key: str = Field(default="", description="Resend API key (RESEND_API_KEY)")
    api_url: str = Field(default=DEFAULT_API_URL, description="Resend API address (RESEND_API_URL)")
    timeout_seconds: float = Field(default=10.0, description="per-call timeout")
    retry_base_delay: float = Field(default=1.0, description="first backoff after a 5xx or timeout, doubling")
    requests_per_second: float = Field(
        default=0.0, description="pace calls under the account's rate limit (Resend's default is 2); 0: no pacing")

    def problem(self, campaign: Campaign) -> str | None:
        """Why this campaign cannot send, or None."""
        if campaign.sender.provider == "resend" and not self.api_key:
            return (f"campaign {campaign.name} sends through resend but RESEND_API_KEY is not set; "
                    "set it, or set sender.provider: outbox in the campaign file")
        return None

    def sender(self, campaign: Campaign) -> ResendSender:
        return ResendSender(self.api_key, self.api_url, campaign=campaign.name, timeout=self.timeout_seconds,
                            retry=RetryPolicy(attempts=6, base_delay=self.retry_base_delay, max_delay=30.0),
                            requests_per_second=self.requests_per_second)


class CamResource(dg.ConfigurableResource):
    """CAM's state: the home folder (campaigns, landed files, outbox) and the SQL database.

    `database_url` and `unsubscribe_secret` are secrets: wire them with `dg.EnvVar`
    (CAM_DATABASE_URL, CAM_UNSUBSCRIBE_SECRET) so their values never reach run config.
    """

    home: str = Field(description="CAM home folder ($CAM_HOME, default .cam/ in the project)")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in the home")
    unsubscribe_secret: str = Field(default="", description="HMAC key for unsubscribe links")
    frozen_now: str = Field(default="", description="ISO time to use as 'now' (tests, replays); empty: the clock")

    @property
    def layout(self) -> HomeLayout:
        return HomeLayout(Path(self.home)).ensure()

    @property
    def engine(self) -> Engine:
        return engine_for(self.database_url or settings.default_database_url(Path(self.home)))

    def now(self) -> dt.datetime:
        if self.frozen_now:
            return dt.datetime.fromisoformat(self.frozen_now).astimezone(dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc)

    def campaign(self, name: str, resend: ResendResource | None = None) -> Campaign:
        """The campaign, or a run failure that names the file, field and fix (no traceback).

        With `resend`, a campaign that cannot send the way its file says is refused too.
        """
        try:
            campaign = campaign_by_name(self.layout.campaigns, name)
        except CampaignError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        problem = resend.problem(campaign) if resend is not None else None
        if problem:
            raise dg.Failure(description=problem, allow_retries=False)
        return campaign

    def campaigns(self) -> CampaignSet:
        return load_campaigns(self.layout.campaigns)

    def signing_secret(self, campaign: Campaign) -> str:
        if self.unsubscribe_secret:
            return self.unsubscribe_secret
        if campaign.sender.provider == "outbox":
            return OUTBOX_SECRET
        raise dg.Failure(
            description=f"campaign {campaign.name} sends through {campaign.sender.provider}: set "
                        "CAM_UNSUBSCRIBE_SECRET (a long random string) so unsubscribe links cannot be forged",
            allow_retries=False,
        )

    def sender(self, campaign: Campaign, day: str, resend: ResendResource) -> Sender:
        if campaign.sender.provider == "resend":
            return resend.sender(campaign)
        return OutboxSender(self.layout.outbox_dir(campaign.name, day), campaign.name)


def _secret(name: str) -> str | dg.EnvVar:
    return dg.EnvVar(name) if os.environ.get(name) else ""


def cam_resource_from_env() -> CamResource:
    """The resource as the environment configures it; secrets stay `EnvVar`s."""
    return CamResource(
        home=str(settings.cam_home()),
        database_url=_secret("CAM_DATABASE_URL"),
        unsubscribe_secret=_secret("CAM_UNSUBSCRIBE_SECRET"),
    )


def resend_resource_from_env() -> ResendResource:
    return ResendResource(api_key=_secret("RESEND_API_KEY"), api_url=os.environ.get("RESEND_API_URL") or DEFAULT_API_URL)
