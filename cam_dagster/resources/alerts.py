"""The `AlertsResource`: where `run_failure_alerts` posts, and the UI its links point to."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from cam_core.reporting.alerts import post_alert

DEFAULT_UI_URL = "http://127.0.0.1:3000"


class AlertsResource(dg.ConfigurableResource):
    """A chat webhook that takes `{"text": ...}` (a Slack incoming webhook, or Mattermost,
    Discord's /slack endpoint, ...). `webhook_url` is a secret, since whoever holds it can
    post to the channel: wire it with `dg.EnvVar("CAM_ALERT_WEBHOOK_URL")`. Without it,
    failed runs are only recorded in the sensor's log."""

    webhook_url: str = Field(default="", description="chat webhook for failed-run alerts (CAM_ALERT_WEBHOOK_URL)")
    ui_url: str = Field(default=DEFAULT_UI_URL, description="the Dagster UI the alerts link to (CAM_UI_URL)")
    timeout_seconds: float = Field(default=5.0, description="how long one post may take before it is given up")

    @property
    def configured(self) -> bool:
        return bool(self.webhook_url.strip())

    def post(self, text: str) -> str | None:
        """Posts `text`; None when the webhook took it, else why not (without the URL)."""
        return post_alert(self.webhook_url.strip(), text, timeout=self.timeout_seconds)
