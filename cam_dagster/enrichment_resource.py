"""The `enrichment` resource: provider keys and endpoints, and the MX resolver, for `enriched`."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from cam_core.apollo_match import BASE_URL as APOLLO_BASE_URL, ApolloMatch, apollo_client
from cam_core.campaigns import Enrichment
from cam_core.dropcontact import BASE_URL as DROPCONTACT_BASE_URL, DropcontactBatch, dropcontact_client
from cam_core.enrichment import Provider
from cam_core.http import RetryPolicy
from cam_core.mx import MxChecker, system_resolver


class EnrichmentResource(dg.ConfigurableResource):
    """Apollo and Dropcontact for `enriched`, when their keys are set; offline verification otherwise.

    The keys are secrets: wire them with `dg.EnvVar` (APOLLO_API_KEY, DROPCONTACT_API_KEY)
    so their values never reach run config, logs or metadata. Base URLs come from
    APOLLO_BASE_URL and DROPCONTACT_BASE_URL so tests and proxies can point elsewhere.
    """

    apollo_api_key: str = Field(default="", description="Apollo API key; empty: Apollo is skipped")
    dropcontact_api_key: str = Field(default="", description="Dropcontact API key; empty: Dropcontact is skipped")
    apollo_base_url: str = APOLLO_BASE_URL
    dropcontact_base_url: str = DROPCONTACT_BASE_URL
    timeout_seconds: float = Field(default=10.0, description="per HTTP request")
    retry_attempts: int = Field(default=4, description="tries per call on 429, 5xx and timeouts")
    dropcontact_poll_seconds: float = 5.0
    dropcontact_max_wait_seconds: float = 300.0
    mx_lookup: bool = Field(default=True, description="look up MX records (CAM_MX_LOOKUP=0 turns it off)")
    dns_nameservers: list[str] = Field(default_factory=list, description="empty: the system's resolvers")
    dns_timeout_seconds: float = 2.0

    def providers(self, settings: Enrichment) -> list[Provider]:
        """The campaign's waterfall, keeping only the providers that have a key."""
        retry = RetryPolicy(attempts=self.retry_attempts)
        built: dict[str, Provider] = {}
        if self.apollo_api_key:
            built["apollo"] = ApolloMatch(
                apollo_client(self.apollo_api_key, self.apollo_base_url, self.timeout_seconds, retry=retry),
                reveal_personal_emails=settings.reveal_personal_emails,
            )
        if self.dropcontact_api_key:
            built["dropcontact"] = DropcontactBatch(
                dropcontact_client(self.dropcontact_api_key, self.dropcontact_base_url, self.timeout_seconds, retry=retry),
                poll_every=self.dropcontact_poll_seconds, max_wait=self.dropcontact_max_wait_seconds,
            )
        return [built[name] for name in settings.waterfall if name in built]

    def mx_checker(self) -> MxChecker:
        if not self.mx_lookup:
            return MxChecker(None)
        return MxChecker(system_resolver(timeout=self.dns_timeout_seconds / 2, lifetime=self.dns_timeout_seconds,
                                         nameservers=self.dns_nameservers or None))


def _env(name: str) -> str | dg.EnvVar:
    return dg.EnvVar(name) if os.environ.get(name) else ""


def enrichment_resource_from_env() -> EnrichmentResource:
    """Keys stay `EnvVar`s; base URLs and the MX switch are plain settings."""
    return EnrichmentResource(
        apollo_api_key=_env("APOLLO_API_KEY"),
        dropcontact_api_key=_env("DROPCONTACT_API_KEY"),
        apollo_base_url=os.environ.get("APOLLO_BASE_URL") or APOLLO_BASE_URL,
        dropcontact_base_url=os.environ.get("DROPCONTACT_BASE_URL") or DROPCONTACT_BASE_URL,
        mx_lookup=os.environ.get("CAM_MX_LOOKUP", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
