"""Paid enrichment providers, each a step of the waterfall: Apollo people match
(`apollo`) and Dropcontact batch enrichment (`dropcontact`). Each wraps an
`ApiClient` and answers the `Provider` protocol below; the waterfall needs nothing else.
"""

from __future__ import annotations

from typing import Any, Protocol


class Provider(Protocol):
    """Looks people up `batch_size` at a time: one answer (lead fields) or None per person, in order.

    Raises `cam_core.http.ApiError` (or a subclass) when the call fails; the waterfall
    then leaves those people pending for the next run.
    """

    name: str
    batch_size: int

    def lookup(self, people: list[dict[str, str]]) -> list[dict[str, Any] | None]: ...
