"""`cam serve`: the HTTP service through which CAM hears back.

- `GET|POST <each campaign's sender.unsubscribe_url path>?token=...`: RFC 8058 one-click
  unsubscribe. A POST whose body is `List-Unsubscribe=One-Click` suppresses the address
  before it answers; a GET only shows a page whose button makes that POST (link scanners
  fetch every GET, so a GET alone changes nothing). A forged, truncated or tampered
  token gets a plain 400 that says nothing more. Rate limited per client.
- `POST /webhooks/resend`: Resend's events, verified by their Svix signature (5-minute
  timestamp window, checked by the resend SDK), stored once by `svix-id` and acted on
  (`cam_core.engagement.receiving`). A signed body CAM cannot read is stored as `unknown`.
  An `email.received` (a reply to a campaign's Resend inbound address) is fetched whole
  and taken in as a reply (`cam_core.engagement.replies`).
- `GET /healthz`: 200 while the database answers.

The access log is one JSON line per request with the path but never the query string,
so neither tokens nor addresses reach it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pandas as pd
import resend
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cam_core.campaign.models import Campaign
from cam_core.engagement.receiving import receive
from cam_core.engagement.replies import ingest
from cam_core.engagement.resend_events import event_row
from cam_core.state import ledger
from cam_core.unsubscribe import read_token
from cam_core.vocabulary import EventKind

ACCESS_LOG = logging.getLogger("cam.serve.access")
WEBHOOK_PATH = "/webhooks/resend"
ONE_CLICK = "List-Unsubscribe=One-Click"
#: Larger bodies are refused before they are read whole: no Resend event comes near it.
MAX_BODY = 1_000_000
_SIGNED_BUT_NOT_JSON = "failed to parse webhook payload"


@dataclass(frozen=True)
class ServiceConfig:
    engine: Engine
    unsubscribe_secret: str
    webhook_secret: str  # "": webhooks are refused (503) rather than taken unsigned
    unsubscribe_paths: frozenset[str]
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    per_client_per_minute: int = 30
    # Resend's inbound mail: email id -> the message (RFC 5322 bytes); None when no Resend key is set.
    fetch_received: Callable[[str], bytes] | None = None
    campaigns: Mapping[str, Campaign] = field(default_factory=dict)


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, a burst of as many."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, client: str) -> float:
        """0 when the request may go ahead (and it is counted), else how long to wait."""
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget idle clients, so memory stays bounded
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self.burst / self.rate}
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1, now)
            return 0.0


class AccessLog:
    """One JSON line per request: method, path (no query string), status, duration, client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round(1000 * (time.perf_counter() - started), 1),
                "client": client[0] if client else "",
            }
            ACCESS_LOG.info(json.dumps(line))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        f'<body style="font-family:sans-serif;max-width:32em;margin:3em auto">{body}</body></html>'
    )
    return HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})


def _invalid() -> Response:
    return PlainTextResponse("This link is not valid.", status_code=400)


def _unsubscribed(engine: Engine, tid: str, now: dt.datetime, secret: str) -> None:
    send = ledger.send_by_token(engine, tid)
    if send is None:
        return  # a genuine link whose send is not in the ledger (a preview, a forgotten person)
    row = {
        "event_id": f"unsubscribe:{send['send_key']}",
        "campaign": send["campaign"],
        "email": send["email"],
        "send_key": send["send_key"],
        "step": send["step"],
        "kind": EventKind.UNSUBSCRIBE,
        "occurred_at": now.isoformat(),
        "source": f"unsubscribe:{tid}",
    }
    receive(engine, pd.DataFrame([row]), now, secret)


def _take_in_reply(config: ServiceConfig, email_id: str) -> None:
    assert config.fetch_received is not None
    raw = config.fetch_received(email_id)
    ingest(config.engine, [raw], "resend", config.clock(), config.unsubscribe_secret, config.campaigns)


def create_app(config: ServiceConfig) -> Starlette:
    limiter = RateLimiter(config.per_client_per_minute)

    async def unsubscribe(request: Request) -> Response:
        client = request.client.host if request.client else ""
        wait = limiter.wait_seconds(client)
        if wait:
            return PlainTextResponse(
                "Too many requests.", status_code=429, headers={"Retry-After": str(math.ceil(wait))}
            )
        tid = read_token(request.query_params.get("token", ""), config.unsubscribe_secret)
        if tid is None:
            return _invalid()
        if request.method == "GET":
            return _page(
                "Unsubscribe",
                "<h1>Unsubscribe</h1><p>Stop all email from us to this address?</p>"
                '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
                '<button type="submit">Unsubscribe</button></form>',
            )
        body = (await request.body())[:1000].decode("utf-8", "replace")
        if parse_qs(body).get("List-Unsubscribe") != ["One-Click"]:
            return PlainTextResponse(f"Expected the body {ONE_CLICK} (RFC 8058).", status_code=400)
        await run_in_threadpool(_unsubscribed, config.engine, tid, config.clock(), config.unsubscribe_secret)
        return _page("Unsubscribed", "<h1>You are unsubscribed</h1><p>You will get no more email from us.</p>")

    async def resend_webhook(request: Request) -> Response:
        if not config.webhook_secret:
            return PlainTextResponse("Webhooks are not configured: set RESEND_WEBHOOK_SECRET.", status_code=503)
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return PlainTextResponse("Body too large.", status_code=413)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return PlainTextResponse("Body too large.", status_code=413)
        svix_id = request.headers.get("svix-id", "")
        if not svix_id or len(svix_id) > 100:
            return PlainTextResponse("Missing or invalid svix-id.", status_code=400)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return PlainTextResponse("Body is not UTF-8.", status_code=400)
        headers = {
            "id": svix_id,
            "timestamp": request.headers.get("svix-timestamp", ""),
            "signature": request.headers.get("svix-signature", ""),
        }
        payload: Any
        try:
            payload = resend.Webhooks.verify(
                {"payload": body, "headers": headers, "webhook_secret": config.webhook_secret}  # type: ignore[typeddict-item]
            )
        except ValueError as exc:
            # The SDK checks the signature before it parses: a signed body that is not JSON is kept as unknown.
            if not str(exc).startswith(_SIGNED_BUT_NOT_JSON):
                return PlainTextResponse("Signature verification failed.", status_code=400)
            payload = None
        row = event_row(svix_id, body, payload)
        received = await run_in_threadpool(
            receive, config.engine, pd.DataFrame([row]), config.clock(), config.unsubscribe_secret
        )
        if row["kind"] == EventKind.RECEIVED and config.fetch_received is not None:
            # A reply to CAM: taken in like any other (matched, classified, acted on). If the
            # fetch fails, the 5xx makes Resend retry; `ingest` takes each message in once.
            await run_in_threadpool(_take_in_reply, config, row["provider_id"])
        return JSONResponse({"stored": received.stored == 1, "kind": row["kind"]})

    async def healthz(_request: Request) -> Response:
        def ping() -> None:
            with config.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except sa.exc.SQLAlchemyError:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route(WEBHOOK_PATH, resend_webhook, methods=["POST"]),
        *(Route(path, unsubscribe, methods=["GET", "POST"]) for path in sorted(config.unsubscribe_paths)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(AccessLog)
    return app
