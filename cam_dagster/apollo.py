"""The Apollo People Search resource: the key from APOLLO_API_KEY, the base URL from APOLLO_BASE_URL."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from cam_core.apollo_search import DEFAULT_BASE_URL, apollo_client
from cam_core.http import ApiClient


class ApolloSearchResource(dg.ConfigurableResource):
    """Apollo's People API Search for campaigns that configure `intake.apollo_search`.

    `api_key` is a secret: wire it with `dg.EnvVar("APOLLO_API_KEY")`. Empty means
    the source is skipped (with a log line), not an error.
    """

    api_key: str = Field(default="", description="Apollo master API key (APOLLO_API_KEY)")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Apollo API root (APOLLO_BASE_URL)")

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def client(self) -> ApiClient:
        return apollo_client(self.api_key, self.base_url)


def apollo_search_from_env() -> ApolloSearchResource:
    return ApolloSearchResource(
        api_key=dg.EnvVar("APOLLO_API_KEY") if os.environ.get("APOLLO_API_KEY") else "",
        base_url=os.environ.get("APOLLO_BASE_URL") or DEFAULT_BASE_URL,
    )
