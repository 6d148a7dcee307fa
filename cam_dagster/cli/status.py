"""`cam status [--date D]`: every campaign at a glance, one row each.

Whether it sends or the reputation guard paused it, the day's funnel (rows read, qualified,
sent: the `campaign_metrics` partition the day's run wrote), sends to date, leads waiting for
review, and the last run of the campaign's partitions in the Dagster instance (the UI's run
page under that id). A campaign file that does not load is a row with its error.
"""

from __future__ import annotations

import argparse
import datetime as dt

import dagster as dg
from tabulate import tabulate

from cam_core.campaign.loading import load_campaigns
from cam_core.reporting.status import STATUS_STAGES, campaign_statuses
from cam_dagster.cli.common import cam, dagster_instance, parse_day
from cam_dagster.cli.guide import add_command
from cam_dagster.jobs import CAM_PIPELINE

HEADERS = ("campaign", "sending", "read", "qualified", "sent", "sent to date", "to review", "last run", "started")


def register(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "status",
        help="per campaign: paused or not, the day's funnel, sends to date, reviews, the last run",
        description="One row per campaign file: whether it sends or is paused (and why), the day's rows read, "
        "qualified and sent (from the day's campaign_metrics), sends to date, leads waiting in review, and the "
        "last run with its state. A file that does not load is shown with its error.",
        examples=["cam status", "cam status --date 2026-03-02"],
    )
    command.add_argument("--date", help="the day whose funnel to show, YYYY-MM-DD (default today)")
    command.set_defaults(func=run)


def last_run(instance: dg.DagsterInstance, campaign: str) -> tuple[str, str]:
    """The campaign's latest run of the main job: `<id, 8 chars> <state>` and when it started (UTC)."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=CAM_PIPELINE, tags={"dagster/partition/campaign": campaign}), limit=1
    )
    if not records:
        return "never", ""
    record = records[0]
    started = (
        dt.datetime.fromtimestamp(record.start_time, dt.UTC) if record.start_time else record.create_timestamp
    ).astimezone(dt.UTC)
    day = record.dagster_run.tags.get("dagster/partition/date", "")
    state = record.dagster_run.status.value.lower()
    return f"{record.dagster_run.run_id[:8]} {state}" + (f" ({day})" if day else ""), f"{started:%Y-%m-%d %H:%M} UTC"


def run(args: argparse.Namespace) -> None:
    day = parse_day(args.date)
    instance = dagster_instance()
    with cam() as resource:
        found = load_campaigns(resource.layout.campaigns)
        rows = {s.campaign: s for s in campaign_statuses(resource.engine, resource.data, list(found.campaigns), day)}
        folder = resource.layout.campaigns
    if not rows and not found.errors:
        print(f"No campaign in {folder}: write one there, or run `cam demo`.")
        return
    table: list[list[str | int]] = []
    for name in sorted([*rows, *found.errors]):
        if name in found.errors:
            problems = "; ".join(found.errors[name].problems)
            table.append([name, f"file error: {problems}", "", "", "", "", "", *last_run(instance, name)])
            continue
        status = rows[name]
        funnel: list[str | int] = (
            [status.day.get(stage, 0) for stage in STATUS_STAGES] if status.day else ["not run", "", ""]
        )
        sending = f"paused: {status.paused}" if status.paused else "yes"
        table.append([name, sending, *funnel, status.sent_to_date, status.pending_reviews, *last_run(instance, name)])
    print(f"Campaigns on {day} (read, qualified, sent: that day's run; sent to date: up to it)")
    print(tabulate(table, headers=HEADERS, tablefmt="simple", disable_numparse=True))
    if any(status.paused for status in rows.values()):
        print("Lift a pause once its cause is fixed: cam resume --campaign NAME")
    if any(status.pending_reviews for status in rows.values()):
        print("Decide the leads in review: cam review list --campaign NAME")
