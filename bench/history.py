"""Months of a campaign's history, written straight into CAM's tables, for `python -m bench --history N`.

Running the real pipeline over N earlier leads would take longer than the day it is
meant to slow down (and would send at most the daily cap a day, so the ledger would
stay small); instead each table is loaded in bulk (`bench.loading`) with rows shaped
as CAM writes them, for rows 0..N-1 of the synthetic export (the day's new leads are
rows N.., so no address or person repeats):
- `leads`: one row per address harvest would keep (trimmed, lower-cased, with an `@`,
  first of its repeats), first seen on a day spread evenly over the HISTORY_DAYS before
  the bench's day. Role and disposable addresses are rejected; the others are drawn
  rejected 30 %, review 5 %, enrolled 15 % (still waiting for their first step, as a
  daily cap leaves them), contacted 43 %, replied 3 %, bounced 2 %, unsubscribed 2 %,
  with an ICP score in their verdict's band, its tier, the tier's sequence and a reason;
- `enrolments`: every lead enrolled or further along, enrolled the day it was first seen,
  closed the day after its last step where its sequence is done (as planning closes it);
- `sends`: for each contacted, replied, bounced or unsubscribed lead, 1 to all of its
  sequence's steps (drawn evenly, none on or after the bench's day), each `sent` on the
  business day its delay gives, with its send key (`ledger.send_keys`), variant, batch
  id (100 a batch, by day), message id, unsubscribe token id and outbox location;
- `lead_history`: every move those leads made (qualification, routing, sent, and the
  reply, bounce or unsubscribe event);
- `suppression`: the bounced and unsubscribed addresses.
Not written: `events`, `replies`, `harvest_rejects`, `review_queue`, which no stage of
a day's pipeline reads. One transaction per CHUNK leads.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench import synthetic
from bench.loading import load
from cam_core.campaign.models import Campaign
from cam_core.outreach.planning import variants_for
from cam_core.state.ledger import send_keys
from cam_core.unsubscribe import token_id

#: How far back the earlier leads were first seen.
HISTORY_DAYS = 180
#: Leads generated and loaded per transaction.
CHUNK = 100_000
SOURCE = "asset:bench-history"
_STATUSES = np.array(["rejected", "review", "enrolled", "contacted", "replied", "bounced", "unsubscribed"])
_SHARES = np.array([0.30, 0.05, 0.15, 0.43, 0.03, 0.02, 0.02])
_ENDED = {"replied": "event:reply", "bounced": "event:bounce", "unsubscribed": "event:unsubscribe"}
_SUPPRESSED = {"bounced": "bounce", "unsubscribed": "unsubscribe"}


def seed(engine: Engine, campaign: Campaign, day: str, leads: int, secret: str, outbox: str) -> dict[str, int]:
    """Load `leads` earlier leads of `campaign` (see the module docstring); rows written per table."""
    written: dict[str, int] = {}
    dialect = engine.dialect.name
    for start in range(0, leads, CHUNK):
        tables = _tables(start, min(start + CHUNK, leads), campaign, day, secret, outbox, dialect)
        dbapi: Any = engine.raw_connection()
        try:
            if dialect == "sqlite":
                dbapi.cursor().execute("BEGIN IMMEDIATE")  # CAM's engine leaves pysqlite in autocommit
            for name, rows in tables.items():
                load(dbapi, dialect, name, rows)
                written[name] = written.get(name, 0) + rows.num_rows
            dbapi.commit()
        finally:
            dbapi.close()
    if dialect == "postgresql":
        with engine.connect() as conn:  # as autovacuum would after a load this size
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return written


def _days(offsets: np.ndarray, day: str) -> np.ndarray:
    return np.datetime64(day, "D") - offsets.astype("timedelta64[D]")


def _stamp(days: pd.Series | np.ndarray, time: str, dialect: str) -> pa.Array:
    # As SQLAlchemy binds a UTC datetime on each backend (SQLite keeps no offset).
    text = pd.Series(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]")), dtype="str")
    return pa.array(text + (f" {time}.000000" if dialect == "sqlite" else f" {time}+00:00"), pa.string())


def _tables(
    start: int, stop: int, campaign: Campaign, day: str, secret: str, outbox: str, dialect: str
) -> dict[str, pa.Table]:
    rng = np.random.default_rng([20261117, start])
    raw = synthetic.rows(start, stop)
    email = raw["Email"].str.strip().str.lower()
    keep = email.str.contains("@", regex=False) & ~email.duplicated()
    raw, email = raw[keep].reset_index(drop=True), email[keep].reset_index(drop=True)
    n = len(raw)
    local, domain = email.str.split("@", n=1, expand=True)[0], email.str.split("@", n=1, expand=True)[1]
    status = _STATUSES[rng.choice(len(_STATUSES), n, p=_SHARES)]
    role = ((local == "info") | (domain == "mailinator.com")).to_numpy()
    status[role] = "rejected"
    routed = ~np.isin(status, ["rejected", "review"])
    score = np.where(
        status == "rejected", rng.integers(0, 35, n), np.where(status == "review", rng.integers(35, 55, n), 0)
    )
    score = np.where(routed, rng.integers(campaign.tiers.cool, 101, n), score)
    tier = np.where(score >= campaign.tiers.hot, "hot", np.where(score >= campaign.tiers.warm, "warm", "cool"))
    sequence = pd.Series(tier).map({str(t): s for t, s in campaign.routing.items()}).to_numpy()
    first_seen = _days(rng.integers(1, HISTORY_DAYS + 1, n), day)
    verdict = np.where(routed, "qualified", status)
    reason = np.where(
        role,
        "role account, not a person",
        np.where(
            status == "rejected",
            "score " + score.astype(str) + f" < review_at {campaign.qualification.review_at}",
            np.where(
                status == "review",
                "score " + score.astype(str) + f" >= review_at {campaign.qualification.review_at}",
                "score " + score.astype(str) + f" >= qualify_at {campaign.qualification.qualify_at}",
            ),
        ),
    )

    # Steps sent: 1..all for leads that were contacted, each on the business day its delay gives.
    lengths = {name: len(seq.steps) for name, seq in campaign.sequences.items()}
    delays = {name: [s.delay_days for s in seq.steps] for name, seq in campaign.sequences.items()}
    contacted = routed & (status != "enrolled")
    length = pd.Series(sequence).map(lengths).to_numpy()
    planned = np.where(contacted, 1 + (rng.random(n) * length).astype("int64"), 0)
    send_rows, sent_on, previous = [], np.full(n, np.datetime64("NaT"), "datetime64[D]"), first_seen
    last_sent = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    for step in range(1, max(lengths.values()) + 1):
        delay = pd.Series(sequence).map(
            lambda s, k=step: delays[s][k - 1] if s in delays and k <= len(delays[s]) else 0
        )
        on = np.busday_offset(previous, delay.to_numpy(), roll="forward")
        going = (planned >= step) & (on < np.datetime64(day, "D"))
        if step == 1:
            sent_on = np.where(going, on, sent_on)
        last_sent = np.where(going, on, last_sent)
        planned = np.where((planned >= step) & ~going, step - 1, planned)
        if going.any():
            send_rows.append(
                pd.DataFrame({"email": email[going], "sequence": sequence[going], "step": step, "send_day": on[going]})
            )
        previous = on
    # A lead whose first step would fall on the bench's day has not been contacted yet.
    status = np.where(contacted & (planned == 0), "enrolled", status)
    contacted &= planned > 0
    ended = np.isin(status, list(_ENDED))
    event_day = np.minimum(last_sent + np.timedelta64(1, "D"), np.datetime64(day, "D") - np.timedelta64(1, "D"))
    updated_on = np.where(contacted, np.where(ended, event_day, last_sent), first_seen)

    finished = contacted & (planned == length) & (last_sent + np.timedelta64(1, "D") < np.datetime64(day, "D"))
    name = campaign.name
    leads = pa.table(
        {
            "campaign": pa.array([name] * n, pa.string()),
            "email": pa.array(email, pa.string()),
            "first_name": pa.array(raw["First Name"], pa.string()),
            "last_name": pa.array(raw["Last Name"], pa.string()),
            "title": pa.array(raw["Title"], pa.string()),
            "company": pa.array(raw["Company"], pa.string()),
            "domain": pa.array(raw["Website"].str.removeprefix("https://www."), pa.string()),
            "industry": pa.array(raw["Industry"], pa.string()),
            "country": pa.array(raw["Country"], pa.string()),
            "status": pa.array(status, pa.string()),
            "icp_score": pa.array(score, pa.int64()),
            "score_breakdown": pa.array(
                np.where(
                    score >= 35,
                    "decision_maker +35 (title: "
                    + raw["Title"]
                    + "); target_industry +25 (industry: "
                    + raw["Industry"]
                    + ")",
                    "",
                ),
                pa.string(),
            ),
            "tier": pa.array(tier, pa.string(), mask=~routed),
            "sequence": pa.array(sequence.astype(str), pa.string(), mask=~routed),
            "reason": pa.array(reason, pa.string()),
            "first_seen": pa.array(np.datetime_as_string(first_seen), pa.string()),
            "updated_on": pa.array(np.datetime_as_string(updated_on), pa.string()),
        }
    ).sort_by("email")
    enrolments = pa.table(
        {
            "campaign": pa.array([name] * int(routed.sum()), pa.string()),
            "email": pa.array(email[routed], pa.string()),
            "sequence": pa.array(sequence[routed], pa.string()),
            "tier": pa.array(tier[routed], pa.string()),
            "enrolled_on": pa.array(np.datetime_as_string(first_seen[routed]), pa.string()),
            # Planning closes a finished sequence the day after its last step (the daily runs did).
            "closed_on": pa.array(
                (pd.Series(last_sent[routed]) + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d").fillna("").tolist(),
                pa.string(),
                mask=~finished[routed],
            ),
        }
    ).sort_by("email")

    sends = pd.concat(send_rows, ignore_index=True)
    sends["send_key"] = send_keys(name, sends["email"], sends["step"])
    sends["variant"] = variants_for(sends, campaign)
    sends = sends.sort_values(["send_day", "send_key"], ignore_index=True)
    ordinal = sends.groupby("send_day").cumcount() // 100
    group = sends["send_day"].astype("str") + ":" + ordinal.astype("str")
    names = {g: "cam-" + hashlib.sha256(f"{name}:{g}".encode()).hexdigest()[:40] for g in group.unique()}
    at = _stamp(sends["send_day"], "09:00:00", dialect)
    ledger = pa.table(
        {
            "send_key": pa.array(sends["send_key"], pa.string()),
            "campaign": pa.array([name] * len(sends), pa.string()),
            "email": pa.array(sends["email"], pa.string()),
            "sequence": pa.array(sends["sequence"], pa.string()),
            "step": pa.array(sends["step"], pa.int64()),
            "send_day": pa.array(np.datetime_as_string(sends["send_day"].to_numpy(dtype="datetime64[D]")), pa.string()),
            "status": pa.array(["sent"] * len(sends), pa.string()),
            "provider": pa.array([str(campaign.sender.provider)] * len(sends), pa.string()),
            "sender_domain": pa.array([campaign.sender.domain] * len(sends), pa.string()),
            "variant": pa.array(sends["variant"], pa.string()),
            "batch_id": pa.array(group.map(names), pa.string()),
            "message_id": pa.array("<" + sends["send_key"] + f"@{campaign.sender.domain}>", pa.string()),
            "token_id": pa.array([token_id(k, secret) for k in sends["send_key"]], pa.string()),
            "location": pa.array(f"{outbox}/" + sends["send_key"] + ".eml", pa.string()),
            "claimed_at": at,
            "sent_at": at,
        }
    ).sort_by("send_key")

    moves = [
        (np.ones(n, bool), "harvested", verdict, first_seen, "08:00:00", "qualification"),
        (routed, "qualified", np.full(n, "enrolled"), first_seen, "08:00:00", "routing"),
        (contacted, "enrolled", np.full(n, "contacted"), sent_on, "09:00:00", "sent"),
        *((status == to, "contacted", status, event_day, "12:00:00", cause) for to, cause in _ENDED.items()),
    ]
    history = pa.concat_tables(
        [
            pa.table(
                {
                    "campaign": pa.array([name] * int(mask.sum()), pa.string()),
                    "email": pa.array(email[mask], pa.string()),
                    "from_status": pa.array([source] * int(mask.sum()), pa.string()),
                    "to_status": pa.array(np.asarray(to)[mask], pa.string()),
                    "at": _stamp(on[mask], time, dialect),
                    "cause": pa.array([cause] * int(mask.sum()), pa.string()),
                    "source": pa.array([SOURCE] * int(mask.sum()), pa.string()),
                }
            )
            for mask, source, to, on, time, cause in moves
        ]
    )
    gone = np.isin(status, list(_SUPPRESSED))
    suppression = pa.table(
        {
            "email": pa.array(email[gone], pa.string()),
            "reason": pa.array(pd.Series(status[gone]).map(_SUPPRESSED), pa.string()),
            "source": pa.array([f"webhook:{SOURCE}"] * int(gone.sum()), pa.string()),
            "suppressed_at": _stamp(event_day[gone], "12:00:00", dialect),
        }
    ).sort_by("email")
    return {
        "leads": leads,
        "enrolments": enrolments,
        "sends": ledger,
        "lead_history": history,
        "suppression": suppression,
    }


def counts(engine: Engine, campaign: str) -> dict[str, int]:
    """Rows per table of `campaign` (the suppression list is global)."""
    found = {}
    with engine.connect() as conn:
        for table in ("leads", "enrolments", "sends", "lead_history"):
            found[table] = int(
                conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE campaign = :c"), {"c": campaign}).scalar_one()
            )
        found["suppression"] = int(conn.execute(sa.text("SELECT count(*) FROM suppression")).scalar_one())
    return found
