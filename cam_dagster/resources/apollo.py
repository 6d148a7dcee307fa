"""The `ApolloResource`: Apollo's API for People Search (`harvest`) and people match (`enriched`)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from cam_core.apollo import DEFAULT_BASE_URL, apollo_client, retry_policy
from cam_core.http import ApiClient


class ApolloResource(dg.ConfigurableResource):
    """Apollo's API, one key and one base URL for both of CAM's uses: `harvest` runs a
    campaign's `intake.apollo_search`, and `EnrichmentResource` nests this resource for
    the `apollo` step of the enrichment waterfall.

    `api_key` is a secret: wire it with `dg.EnvVar("APOLLO_API_KEY")`. Empty means
    Apollo is skipped (with a log line), not an error.
    """

    api_key: str = Field(default="", description="Apollo master API key (APOLLO_API_KEY)")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Apollo API root (APOLLO_BASE_URL)")
    timeout_seconds: float = Field(default=10.0, description="per HTTP request")
    retry_attempts: int = Field(default=5, description="tries per call on 429, 5xx and timeouts")
    retry_base_delay: float = Field(default=1.0, description="first backoff after a 5xx or timeout, doubling")

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def client(self) -> ApiClient:
        retry = retry_policy(self.retry_attempts, self.retry_base_delay)
        return apollo_client(self.api_key, self.base_url, timeout=self.timeout_seconds, retry=retry)
