"""Every resource wired once from the environment; secrets stay `dg.EnvVar`s."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from cam_core import settings
from cam_core.apollo import DEFAULT_BASE_URL as APOLLO_BASE_URL
from cam_core.enrich.providers.dropcontact import BASE_URL as DROPCONTACT_BASE_URL
from cam_core.outreach.senders.resend import DEFAULT_API_URL as RESEND_API_URL
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.resources.alerts import AlertsResource
from cam_dagster.resources.apollo import ApolloResource
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.enrichment import EnrichmentResource
from cam_dagster.resources.imap import ImapResource
from cam_dagster.resources.resend import ResendResource


def optional_secret(name: str) -> str | dg.EnvVar:
    """`dg.EnvVar(name)` when the variable is set, else "": the value itself never enters run config."""
    return dg.EnvVar(name) if os.environ.get(name) else ""


def _switched_on(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


def cam_from_env() -> CamResource:
    resend = ResendResource(
        api_key=optional_secret("RESEND_API_KEY"),
        api_url=os.environ.get("RESEND_API_URL") or RESEND_API_URL,
        webhook_secret=optional_secret("RESEND_WEBHOOK_SECRET"),
    )
    return CamResource(
        home=str(settings.cam_home()),
        data_url=os.environ.get(settings.DATA_URL_VARIABLE, "").strip(),
        database_url=optional_secret("CAM_DATABASE_URL"),
        unsubscribe_secret=optional_secret("CAM_UNSUBSCRIBE_SECRET"),
        resend=resend,
    )


def resources_from_env() -> dict[str, Any]:
    """Every resource the definitions need, configured from the environment."""
    cam = cam_from_env()
    apollo = ApolloResource(
        api_key=optional_secret("APOLLO_API_KEY"), base_url=os.environ.get("APOLLO_BASE_URL") or APOLLO_BASE_URL
    )
    enrichment = EnrichmentResource(
        apollo=apollo,
        dropcontact_api_key=optional_secret("DROPCONTACT_API_KEY"),
        dropcontact_base_url=os.environ.get("DROPCONTACT_BASE_URL") or DROPCONTACT_BASE_URL,
        mx_lookup=_switched_on("CAM_MX_LOOKUP"),
    )
    imap = ImapResource(url=os.environ.get("CAM_IMAP_URL", "").strip(), password=optional_secret("CAM_IMAP_PASSWORD"))
    alerts = AlertsResource(webhook_url=optional_secret("CAM_ALERT_WEBHOOK_URL"), ui_url=settings.ui_url())
    return {
        "alerts": alerts,
        "cam": cam,
        "apollo": apollo,
        "enrichment": enrichment,
        "imap": imap,
        "io_manager": PartitionedParquetIOManager(cam=cam),
    }
