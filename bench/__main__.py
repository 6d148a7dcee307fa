"""CAM's benchmark: `python -m bench --leads N [--json]`, `--history N --leads M` and `--send`.

Pipeline mode writes a deterministic synthetic Apollo-format CSV of N leads, then
in this one process, on SQLite in a temporary folder (or, with --postgres, on a
throw-away PostgreSQL server started as the tests start theirs):
- times each stage harvest -> nurture_batch (cam_core called as the assets call
  it, Parquet outputs and database writes included) and the whole chain;
- records the peak RSS of the process after the chain;
- times pyarrow.csv reading the same file: the floor, no work can be faster;
- times the durable floor on the same file and the same database kind
  (bench/floor.py: parse with pyarrow, load every row with an email once by the
  database's bulk path into a table keyed by email, write one Parquet file), the
  least that makes the file's leads durable: `ratio_to_durable_floor` is
  end_to_end_s / durable_floor_s;
- times the row-by-row baseline (bench/baseline.py: one ORM object and one
  commit per lead, Python loops for scoring) on the first --baseline-leads rows
  and scales it linearly to N: baseline_s_scaled = baseline_s * N / baseline_leads.

History mode (`--history N --leads M`) asks whether months of earlier days slow a
day down. It writes one day's export of M leads (rows N.. of the synthetic export,
so none of them is among the N earlier leads), then in this one process:
- `day_s_empty`: runs that day (as pipeline mode does) against a fresh database;
- `day_s_with_history`: loads N earlier leads of the same campaign into a second
  fresh database of the same kind, with their enrolments, sent steps, status
  history and suppressions (bench/history.py: bulk-loaded rows shaped as CAM
  writes them, over the 180 days before; `history_seed_s`), then runs the same
  day against it; `ratio` is day_s_with_history / day_s_empty.
Stage seconds of both days are reported, and the peak RSS after the empty day and
at the end (the seeding included).

Send mode (`--send`) runs the chain for --send-leads leads whose campaign sends
through Resend, then times `sent_emails` (cam_core.outreach.sending.send_batch) against
the fake Resend server on 127.0.0.1 limited to 5 requests per second: batching
100 emails per request allows 500 emails/s at most. The fake runs in a process
of its own (as Resend does not share the client's interpreter): in the client's
process its schema validation, tens of ms of Python per batch, would compete
with the client for the GIL. `--fake-in-process` measures that way instead.

Numbers, not a test: outside pytest's testpaths.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from bench import baseline, floor, history, pipeline
from bench.synthetic import write_export
from cam_core.campaign.demo import demo_campaign_yaml, with_sender
from cam_core.campaign.loading import load_campaign
from cam_core.state import schema

DAY = "2026-11-17"  # a Tuesday
ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _campaign(folder: Path, provider: str, daily_cap: int):
    text = with_sender(demo_campaign_yaml(), provider)
    text = re.sub(r"(?m)^(\s+daily_cap:\s*)\d+", rf"\g<1>{daily_cap}", text, count=1)
    path = folder / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return load_campaign(path)


def bench_pipeline(leads: int, baseline_leads: int, postgres: bool = False) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="cam-bench-") as scratch,
        throwaway_database(Path(scratch), postgres) as url,
    ):
        root = Path(scratch)
        csv_path = write_export(root / "apollo_export.csv", leads)
        campaign = _campaign(root, "outbox", daily_cap=250)
        start = time.perf_counter()
        seconds, counts = pipeline.run([csv_path], campaign, DAY, url, root)
        end_to_end = time.perf_counter() - start
        peak = _peak_rss_mb()

        import pyarrow.csv as pacsv

        start = time.perf_counter()
        table = pacsv.read_csv(csv_path)
        parse_s = time.perf_counter() - start
        assert table.num_rows == leads
        del table
        durable = floor.durable_floor(csv_path, url, root)

        n = min(baseline_leads, leads)
        start = time.perf_counter()
        baseline.run(csv_path, campaign, url if postgres else f"sqlite:///{root / 'baseline.db'}", limit=n)
        baseline_s = time.perf_counter() - start
        return {
            "leads": leads,
            "database": "postgresql" if postgres else "sqlite",
            "file_mb": round(csv_path.stat().st_size / 2**20, 1),
            "end_to_end_s": round(end_to_end, 2),
            **{f"{name}_s": round(seconds[name], 2) for name in pipeline.STAGES},
            "floor_s": round(parse_s, 3),
            "ratio_to_floor": round(end_to_end / parse_s, 1),
            "durable_floor_s": round(durable["total_s"], 2),
            "ratio_to_durable_floor": round(end_to_end / durable["total_s"], 1),
            "durable_floor_parts": {k: round(v, 3) for k, v in durable.items() if k.endswith("_s") and k != "total_s"},
            "baseline_leads": n,
            "baseline_s": round(baseline_s, 2),
            "baseline_s_scaled": round(baseline_s * leads / n, 1),
            "speedup_vs_baseline": round(baseline_s * leads / n / end_to_end, 1),
            "peak_rss_mb": round(peak),
            "counts": counts,
            "machine": _machine(),
        }


@contextmanager
def throwaway_database(root: Path, postgres: bool) -> Iterator[str]:
    """The CAM database URL: SQLite in `root`, or a throw-away PostgreSQL server like the tests'."""
    with throwaway_databases(root, postgres, 1) as [url]:
        yield url


@contextmanager
def throwaway_databases(root: Path, postgres: bool, count: int) -> Iterator[list[str]]:
    """`count` fresh CAM database URLs: SQLite files in `root`, or databases of one throw-away PostgreSQL server."""
    if not postgres:
        yield [f"sqlite:///{root / ('cam.db' if i == 0 else f'cam-{i + 1}.db')}" for i in range(count)]
        return
    sys.path.insert(0, str(ROOT))  # `tests` as a package: its PostgreSQL server and fakes
    from tests.postgres_server import PostgresServer

    with redirect_stdout(sys.stderr):  # stdout is the one JSON line
        server = PostgresServer(durable=True).start()
    try:
        yield [server.new_database() for _ in range(count)]
    finally:
        server.stop()


def bench_history(history_leads: int, leads: int, postgres: bool = False) -> dict[str, object]:
    """One day of `leads` new leads, timed against an empty database and after `history_leads` earlier ones."""
    with (
        tempfile.TemporaryDirectory(prefix="cam-bench-history-") as scratch,
        throwaway_databases(Path(scratch), postgres, 2) as (empty_url, history_url),
    ):
        root = Path(scratch)
        csv_path = write_export(root / "apollo_export.csv", leads, start=history_leads)
        campaign = _campaign(root, "outbox", daily_cap=250)
        (root / "empty").mkdir()
        (root / "with_history").mkdir()

        start = time.perf_counter()
        stages_empty, counts_empty = pipeline.run([csv_path], campaign, DAY, empty_url, root / "empty")
        day_empty = time.perf_counter() - start
        peak_empty = _peak_rss_mb()

        engine = schema.engine_for(history_url)
        start = time.perf_counter()
        history.seed(engine, campaign, DAY, history_leads, pipeline.SECRET, str(root / "outbox"))
        seed_s = time.perf_counter() - start
        seeded = history.counts(engine, campaign.name)
        peak_seeded = _peak_rss_mb()

        start = time.perf_counter()
        stages_history, counts_history = pipeline.run([csv_path], campaign, DAY, history_url, root / "with_history")
        day_history = time.perf_counter() - start
        return {
            "mode": "history",
            "history_leads": history_leads,
            "leads": leads,
            "database": "postgresql" if postgres else "sqlite",
            "day_s_empty": round(day_empty, 2),
            "day_s_with_history": round(day_history, 2),
            "ratio": round(day_history / day_empty, 2),
            "stages_empty": {name: round(stages_empty[name], 2) for name in pipeline.STAGES},
            "stages_with_history": {name: round(stages_history[name], 2) for name in pipeline.STAGES},
            "history_seed_s": round(seed_s, 1),
            "history_rows": seeded,
            "counts_empty": counts_empty,
            "counts_with_history": counts_history,
            "peak_rss_mb_after_empty_day": round(peak_empty),
            "peak_rss_mb_after_seed": round(peak_seeded),
            "peak_rss_mb": round(_peak_rss_mb()),
            "machine": _machine(),
        }


def bench_send(leads: int, per_second: int, pace: bool, fake_in_process: bool = False) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))  # `tests` as a package: its PostgreSQL server and fakes
    import pandas as pd

    from cam_core.outreach.senders.resend import ResendSender
    from cam_core.outreach.sending import send_batch
    from cam_core.state import schema
    from cam_core.state.history import Stamp
    from tests.fakes.resend import FakeResend, FakeResendProcess

    fake_server = FakeResend if fake_in_process else FakeResendProcess
    with (
        tempfile.TemporaryDirectory(prefix="cam-bench-send-") as scratch,
        fake_server(api_key="re_bench", per_second=per_second) as fake,
    ):
        root = Path(scratch)
        # Recipients on a non-reserved domain (the sender refuses reserved ones); only the fake sees them.
        csv_path = write_export(root / "export.csv", leads, domain_suffix=".io", country="Germany")
        campaign = _campaign(root, "resend", daily_cap=10 * leads)
        url = f"sqlite:///{root / 'cam.db'}"
        pipeline.run([csv_path], campaign, DAY, url, root)
        batch = pd.read_parquet(root / "nurture_batch.parquet")
        sender = ResendSender(
            "re_bench", fake.url, campaign=campaign.name, requests_per_second=per_second if pace else 0.0
        )
        now = dt.datetime.fromisoformat(f"{DAY}T10:00:00+00:00")
        start = time.perf_counter()
        report = send_batch(schema.engine_for(url), campaign, DAY, batch, sender, Stamp("bench", now), secret="bench")
        elapsed = time.perf_counter() - start
        sent = report.counts["sent"]
        allowed = 100 * per_second
        stats = (
            {"requests": len(fake.requests), "delivered": len(fake.delivered), "rate_limited": fake.rate_limited}
            if isinstance(fake, FakeResend)
            else fake.stats()
        )
        return {
            "mode": "send",
            "messages": len(batch),
            "sent": sent,
            "delivered_by_fake": stats["delivered"],
            "requests": stats["requests"],
            "answered_429": stats["rate_limited"],
            "requests_per_second_limit": per_second,
            "client_paced": pace,
            "fake_in_process": fake_in_process,
            "send_s": round(elapsed, 2),
            "emails_per_second": round(sent / elapsed, 1),
            "allowed_emails_per_second": allowed,
            "share_of_allowed": round(sent / elapsed / allowed, 3),
            "problem": report.problem,
            "machine": _machine(),
        }


def _machine() -> str:
    import os
    import platform

    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the file (with --history: the day's)")
    parser.add_argument(
        "--history",
        type=int,
        metavar="N",
        help="time a day of --leads new leads against an empty database and after N earlier leads",
    )
    parser.add_argument("--baseline-leads", type=int, default=5_000, help="rows the row-by-row baseline runs on")
    parser.add_argument("--send", action="store_true", help="measure sending against the fake Resend instead")
    parser.add_argument("--send-leads", type=int, default=5_000)
    parser.add_argument("--per-second", type=int, default=5, help="the fake Resend's request rate limit")
    parser.add_argument(
        "--no-pace", action="store_true", help="send without client-side pacing (learn the limit from 429s)"
    )
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="run the fake Resend in this process (competing with the client for the GIL)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the CAM database on a throw-away PostgreSQL server (initdb/pg_ctl, as in the tests)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    if args.send:
        result = bench_send(args.send_leads, args.per_second, not args.no_pace, args.fake_in_process)
    elif args.history is not None:
        result = bench_history(args.history, args.leads, args.postgres)
    else:
        result = bench_pipeline(args.leads, args.baseline_leads, args.postgres)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}  {value}")


if __name__ == "__main__":
    main()
