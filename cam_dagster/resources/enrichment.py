"""The `EnrichmentResource`: the enrichment waterfall's providers and the MX resolver, for `enriched`."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from cam_core.campaign.models import Enrichment
from cam_core.enrich.mx import MxChecker, system_resolver
from cam_core.enrich.providers import Provider
from cam_core.enrich.providers.apollo import ApolloMatch
from cam_core.enrich.providers.dropcontact import BASE_URL as DROPCONTACT_BASE_URL
from cam_core.enrich.providers.dropcontact import DropcontactBatch, dropcontact_client
from cam_core.http import RetryPolicy
from cam_dagster.resources.apollo import ApolloResource


class EnrichmentResource(dg.ConfigurableResource):
    """Apollo (the nested `ApolloResource`) and Dropcontact for `enriched`, when their keys
    are set; offline verification otherwise.

    `dropcontact_api_key` is a secret: wire it with `dg.EnvVar("DROPCONTACT_API_KEY")` so
    its value never reaches run config, logs or metadata. DROPCONTACT_BASE_URL lets tests
    and proxies point elsewhere.
    """

    apollo: ApolloResource | None = None
    dropcontact_api_key: str = Field(default="", description="Dropcontact API key; empty: Dropcontact is skipped")
    dropcontact_base_url: str = DROPCONTACT_BASE_URL
    timeout_seconds: float = Field(default=10.0, description="Dropcontact: per HTTP request")
    retry_attempts: int = Field(default=4, description="Dropcontact: tries per call on 429, 5xx and timeouts")
    dropcontact_poll_seconds: float = 5.0
    dropcontact_max_wait_seconds: float = 300.0
    mx_lookup: bool = Field(default=True, description="look up MX records (CAM_MX_LOOKUP=0 turns it off)")
    dns_nameservers: list[str] = Field(default_factory=list, description="empty: the system's resolvers")
    dns_timeout_seconds: float = 2.0

    def providers(self, settings: Enrichment) -> list[Provider]:
        """The campaign's waterfall, keeping only the providers that have a key."""
        built: dict[str, Provider] = {}
        if self.apollo is not None and self.apollo.configured:
            built["apollo"] = ApolloMatch(self.apollo.client(), reveal_personal_emails=settings.reveal_personal_emails)
        if self.dropcontact_api_key:
            client = dropcontact_client(
                self.dropcontact_api_key,
                self.dropcontact_base_url,
                self.timeout_seconds,
                retry=RetryPolicy(attempts=self.retry_attempts),
            )
            built["dropcontact"] = DropcontactBatch(
                client, poll_every=self.dropcontact_poll_seconds, max_wait=self.dropcontact_max_wait_seconds
            )
        return [built[name] for name in settings.waterfall if name in built]

    def mx_checker(self) -> MxChecker:
        if not self.mx_lookup:
            return MxChecker(None)
        return MxChecker(
            system_resolver(
                timeout=self.dns_timeout_seconds / 2,
                lifetime=self.dns_timeout_seconds,
                nameservers=self.dns_nameservers or None,
            )
        )
