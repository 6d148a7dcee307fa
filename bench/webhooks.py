"""How fast `cam serve` takes Resend's webhooks: `python -m bench.webhooks [--events N] [--clients C] [--postgres]`.

Starts `cam serve` as a deployment runs it, on a throw-away CAM home whose ledger holds N
sent messages (SQLite, or with --postgres a throw-away PostgreSQL server started as the
tests start theirs), then posts one signed `email.delivered` or `email.bounced` event per
message from C clients at once, each stored, matched to its ledger row and acted on
(a bounce suppresses the address and moves the lead) before the answer. Prints one JSON
line: events per second and latency percentiles. Numbers, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` as a package: its PostgreSQL server and the Svix signer

from bench.__main__ import throwaway_database  # noqa: E402
from cam_core.campaign.demo import write_demo_home  # noqa: E402
from cam_core.state import bulk, schema  # noqa: E402
from cam_core.vocabulary import SendStatus  # noqa: E402
from tests.fakes.svix import WEBHOOK_SECRET, resend_event, signed  # noqa: E402
from tests.loopback import free_port  # noqa: E402

DAY = "2026-11-17"


def _ledger(url: str, n: int) -> pd.DataFrame:
    """N sent messages of the demo campaign, with Resend-style ids, and their leads."""
    engine = schema.engine_for(url)
    keys = [f"{i:032x}" for i in range(n)]
    sends = pd.DataFrame(
        {
            "send_key": keys,
            "campaign": "demo",
            "email": [f"lead{i}@bench-{i % 97}.io" for i in range(n)],
            "sequence": "standard",
            "step": 1,
            "send_day": DAY,
            "status": SendStatus.SENT.value,
            "provider": "resend",
            "sender_domain": "northwind-data.example",
            "variant": "main",
            "batch_id": "bench",
            "message_id": [f"re_{k}" for k in keys],
            "claimed_at": dt.datetime.fromisoformat(f"{DAY}T10:00:00+00:00"),
        }
    )
    leads = sends[["campaign", "email"]].assign(status="contacted", first_seen=DAY, updated_on=DAY)
    with engine.begin() as conn:
        bulk.insert_ignoring_conflicts(conn, schema.sends, sends)
        bulk.insert_ignoring_conflicts(conn, schema.leads, leads)
    return sends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        write_demo_home(home / "cam" / "campaigns", home / "cam" / "samples")
        url = stack.enter_context(throwaway_database(home / "cam", args.postgres))
        sends = _ledger(url, args.events)
        port = free_port()
        env = {
            **os.environ,
            "CAM_HOME": str(home / "cam"),
            "DAGSTER_HOME": str(home),
            "CAM_DATABASE_URL": url,
            "RESEND_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("cam")), "serve", "--port", str(port)],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        calls = [
            signed(
                resend_event(
                    "bounced" if i % 20 == 0 else "delivered",
                    message_id,
                    email,
                    f"{DAY}T12:00:00Z",
                    bounce={"type": "Permanent", "subType": "General"},
                )
            )
            for i, (message_id, email) in enumerate(zip(sends["message_id"], sends["email"], strict=True))
        ]

        def post(call: tuple[bytes, dict[str, str]], client: httpx.Client) -> float:
            started = time.perf_counter()
            answer = client.post(f"{base}/webhooks/resend", content=call[0], headers=call[1])
            assert answer.status_code == 200, answer.text
            return time.perf_counter() - started

        clients = [stack.enter_context(httpx.Client()) for _ in range(args.clients)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = list(pool.map(lambda ic: post(ic[1], clients[ic[0] % args.clients]), enumerate(calls)))
        elapsed = time.perf_counter() - started
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        ms = np.array(latencies) * 1000
        print(
            json.dumps(
                {
                    "database": "postgresql" if args.postgres else "sqlite",
                    "events": args.events,
                    "clients": args.clients,
                    "seconds": round(elapsed, 2),
                    "events_per_s": round(args.events / elapsed, 1),
                    "p50_ms": round(float(np.percentile(ms, 50)), 1),
                    "p95_ms": round(float(np.percentile(ms, 95)), 1),
                    "p99_ms": round(float(np.percentile(ms, 99)), 1),
                }
            )
        )


if __name__ == "__main__":
    main()
