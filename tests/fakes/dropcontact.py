"""A fake Dropcontact batch API on 127.0.0.1: submit, then poll until the batch is done.

- the key must come in the `X-Access-Token` header (401 otherwise);
- POST /v1/enrich/all takes at most 250 records (400 with Dropcontact's message);
- GET /v1/enrich/all/{request_id} answers `success: false` "not ready yet" for the
  first `not_ready_polls` asks, then `success: true` with one record per record sent;
- replies queued in `script` are served first.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.server import FakeServer, Reply, Request

KEY = "dropcontact-test-key"
NOT_READY = {"success": False, "error": False, "reason": "Request not ready yet, try again in 30 seconds"}


class FakeDropcontact(FakeServer):
    def __init__(self, known: dict[str, dict[str, Any]] | None = None, not_ready_polls: int = 1) -> None:
        """`known` maps an email or LinkedIn URL sent to what Dropcontact finds for it."""
        super().__init__()
        self.known = dict(known or {})
        self.not_ready_polls = not_ready_polls
        self.script: list[Reply] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self._ids = (f"req{n}" for n in itertools.count(1))

    @property
    def submits(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-access-token") != KEY:
            return Reply(401, {"error": True, "reason": "Invalid API key", "success": False})
        if self.script:
            return self.script.pop(0)
        if request.method == "POST" and request.path == "/v1/enrich/all":
            data = (request.json or {}).get("data") or []
            if not data:
                return Reply(400, {"error": True, "reason": "Missing data in JSON", "success": False})
            if len(data) > 250:
                return Reply(
                    400,
                    {
                        "error": True,
                        "reason": "Too many records, you can only submit up to 250 records",
                        "success": False,
                    },
                )
            request_id = next(self._ids)
            self.batches[request_id] = {"data": data, "polls": 0}
            return Reply(200, {"success": True, "error": False, "request_id": request_id, "credits_left": 1000})
        if request.method == "GET" and request.path.startswith("/v1/enrich/all/"):
            batch = self.batches.get(request.path.rsplit("/", 1)[-1])
            if batch is None:
                return Reply(200, NOT_READY)  # as the real API: an unknown id looks like a batch not ready
            batch["polls"] += 1
            if batch["polls"] <= self.not_ready_polls:
                return Reply(200, NOT_READY)
            out = []
            for record in batch["data"]:
                found = self.known.get(record.get("email", "")) or self.known.get(record.get("linkedin", "")) or {}
                out.append({**{k: v for k, v in record.items() if k != "email"}, **found})
            return Reply(200, {"success": True, "error": False, "data": out})
        return Reply(404, {"detail": "Not Found"})
