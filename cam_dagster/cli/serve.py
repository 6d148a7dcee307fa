"""`cam serve`: one-click unsubscribes, Resend webhooks and a health probe over HTTP,
beside the Dagster webserver and daemon (see `cam_core.engagement.service`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from functools import partial
from urllib.parse import urlsplit

import uvicorn

from cam_core.engagement.resend_inbound import received_message
from cam_core.engagement.service import ServiceConfig, create_app
from cam_dagster.cli.common import CliError, cam
from cam_dagster.cli.guide import add_command


def register(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "serve",
        help="serve one-click unsubscribes and Resend webhooks",
        description="Serve each campaign's unsubscribe URL path, POST /webhooks/resend and GET /healthz, "
        "behind a TLS proxy that forwards the public unsubscribe URL.",
        examples=["cam serve", "cam serve --port 8080 --forwarded-allow-ips 10.0.0.5"],
    )
    command.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    command.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    command.add_argument(
        "--rate", type=int, default=30, help="unsubscribe requests a minute per client before 429 (default 30)"
    )
    command.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-For names the client (default 127.0.0.1)",
    )
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    with cam() as resource:
        found = resource.campaigns()
        paths = frozenset(urlsplit(c.sender.unsubscribe_url).path or "/" for c in found.campaigns.values())
        resend = resource.resend
        webhook_secret = resend.webhook_secret if resend else ""
        fetch = partial(received_message, resend.api_key, resend.api_url) if resend and resend.api_key else None
        config = ServiceConfig(
            engine=resource.engine,
            unsubscribe_secret=resource.signing_secret(),
            webhook_secret=webhook_secret,
            unsubscribe_paths=paths,
            clock=resource.now,
            per_client_per_minute=args.rate,
            fetch_received=fetch,
            campaigns=found.campaigns,
        )
    if not paths:
        raise CliError(f"no usable campaign in {resource.layout.campaigns}: nothing to serve unsubscribes for")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("cam.serve.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    for path in sorted(paths):
        print(f"cam serve: unsubscribe at {path}", file=sys.stderr)
    if not webhook_secret:
        print("cam serve: RESEND_WEBHOOK_SECRET is not set: /webhooks/resend answers 503", file=sys.stderr)
    # uvicorn drains requests in flight on SIGTERM (up to 10 s), then raises the signal
    # again for the handler it found: this one ends the process with 0, as a stop asked for.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # uvicorn's own access log prints query strings (tokens); ours does not.
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        log_level="warning",
    )
