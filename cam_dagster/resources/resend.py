"""The `ResendResource`: Resend's API for campaigns whose `sender.provider` is `resend`."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from cam_core.http import RetryPolicy
from cam_core.outreach.senders.resend import DEFAULT_API_URL, ResendSender


class ResendResource(dg.ConfigurableResource):
    """Resend's API, nested in `CamResource`, which refuses a campaign that sends
    through Resend without a key and hands `sent_emails` its sender.

    `api_key` and `webhook_secret` are secrets: wire them with `dg.EnvVar("RESEND_API_KEY")`
    and `dg.EnvVar("RESEND_WEBHOOK_SECRET")`. `api_url`
    follows RESEND_API_URL, the variable the official SDK reads, so a proxy or a
    test server can stand in for Resend.
    """

    api_key: str = Field(default="", description="Resend API key (RESEND_API_KEY)")
    api_url: str = Field(default=DEFAULT_API_URL, description="Resend API address (RESEND_API_URL)")
    timeout_seconds: float = Field(default=10.0, description="per-call timeout")
    retry_base_delay: float = Field(default=1.0, description="first backoff after a 5xx or timeout, doubling")
    webhook_secret: str = Field(
        default="", description="signing secret of the Resend webhook (RESEND_WEBHOOK_SECRET, whsec_...), for cam serve"
    )
    requests_per_second: float = Field(
        default=0.0, description="pace calls under the account's rate limit (Resend's default is 2); 0: no pacing"
    )

    def sender(self, campaign: str) -> ResendSender:
        return ResendSender(
            self.api_key,
            self.api_url,
            campaign=campaign,
            timeout=self.timeout_seconds,
            retry=RetryPolicy(attempts=6, base_delay=self.retry_base_delay, max_delay=30.0),
            requests_per_second=self.requests_per_second,
        )
