"""The SQL tables that carry state between assets, in the asset graph as external assets.

Dagster cannot draw a cycle, and most of these tables are written late in one run
and read early in the next (the send ledger by `nurture_batch`, suppression by
`qualified`), so each is drawn as an input of the assets that read it, and every
asset that writes one reports a materialization of it with what it wrote: the
table's page lists each write and the run that made it. `enrolments` is written
and read within one run, so it sits between `routed` and `nurture_batch`.
"""

from __future__ import annotations

import hashlib

import dagster as dg
import sqlalchemy as sa

from cam_core.state import schema
from cam_dagster.owners import DATA_TEAM

GROUP = "state"


def schema_version(table: sa.Table) -> str:
    """The table's code version: a digest of its columns, so it changes exactly when its shape does
    (a table's content is written by the assets; what code can change about it is its schema)."""
    shape = "\n".join(f"{c.name} {str(c.type).lower()} {c.nullable} {c.primary_key}" for c in table.columns)
    return "schema-" + hashlib.sha256(shape.encode()).hexdigest()[:12]


def _table(key: str, table: sa.Table, description: str, deps: tuple[str, ...] = ()) -> dg.AssetSpec:
    columns = [dg.TableColumn(c.name, str(c.type).lower(), description=c.comment) for c in table.columns]
    return dg.AssetSpec(
        key,
        description=description,
        deps=deps,
        group_name=GROUP,
        kinds={"sql"},
        owners=[DATA_TEAM],
        code_version=schema_version(table),
        metadata={"dagster/table_name": table.name, "dagster/column_schema": dg.TableSchema(columns=columns)},
    )


LEADS = _table(
    "leads",
    schema.leads,
    "One row per campaign and lead (by email): lifecycle status and why, score, tier, sequence. "
    "Written by qualified, routed, sent_emails, engagement and `cam serve` (cam_core.state.leads), "
    "each change of status along cam_core.lifecycle and recorded in lead_history; "
    "read by harvest (who is known already) and nurture_batch.",
)
ENROLMENTS = _table(
    "enrolments",
    schema.enrolments,
    "Which sequence each lead of a campaign is enrolled in, and since which day; once per lead, ever. "
    "Written by routed (cam_core.state.leads.save_routing); read by nurture_batch to plan due steps.",
    deps=("routed",),
)
SEND_LEDGER = _table(
    "send_ledger",
    schema.sends,
    "The send ledger (table `sends`): one row per campaign, lead and step, ever, claimed before the "
    "provider is called and completed after. Written by sent_emails (cam_core.state.ledger); read by "
    "nurture_batch (steps done, the day's room) and by sent_emails when it claims.",
)
SUPPRESSION = _table(
    "suppression",
    schema.suppression,
    "Addresses never written to again, in any campaign (a forgotten person only as a keyed hash). "
    "Written outside the runs, the moment the world says so: by `cam serve` (permanent bounces, "
    "complaints, unsubscribes, Resend's own suppressions), `cam suppress` and `cam forget` "
    "(cam_core.state.suppression); read by qualified, nurture_batch and sent_emails at hand-over.",
)
EVENTS = _table(
    "events",
    schema.events,
    "What Resend and recipients reported (sent, delivered, delayed, bounced, complained, opened, clicked, "
    "failed, suppressed, received, unsubscribed), each stored once by its id as `cam serve` receives it "
    "(cam_core.engagement.receiving). Read by engagement and campaign_metrics.",
)
LEAD_HISTORY = _table(
    "lead_history",
    schema.lead_history,
    "One row per change of a lead's status: from, to, when, why and on whose word (asset:<run id>, "
    "webhook:<svix-id>, unsubscribe:<token id>, cli). Written with every status change "
    "(cam_core.state.leads); read by `cam leads history EMAIL`.",
)

TABLES = [LEADS, ENROLMENTS, SEND_LEDGER, SUPPRESSION, EVENTS, LEAD_HISTORY]


def report_write(context: dg.AssetExecutionContext, table: dg.AssetSpec, **numbers: int) -> None:
    """Record on the table's own page that this run's asset wrote to it, and how much."""
    context.log_event(
        dg.AssetMaterialization(
            asset_key=table.key,
            description=f"written by {context.asset_key.to_user_string()} for {context.partition_key}",
            metadata={name: dg.MetadataValue.int(int(n)) for name, n in numbers.items()},
        )
    )
