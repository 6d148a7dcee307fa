"""Taking in what the world says, the same way whether it comes over HTTP (`cam serve`:
webhooks, one-click unsubscribes) or from a file: store each event once, then act at once.

The moment an event is stored, a permanent bounce, a complaint, an unsubscribe or
the provider's own suppression puts the address on the global suppression list
(so a send already claimed is refused at hand-over), and the lead moves along its
lifecycle with the event's source in its history. A replay stores and changes
nothing. Events about a provider message are matched to their ledger row (and so
to lead, campaign and step) by the provider's id; an event that matches no row is
stored all the same, under no campaign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.engagement.events import moves_of
from cam_core.state import ledger, suppression
from cam_core.state.events import EVENT_COLUMNS, record_events
from cam_core.state.history import Stamp
from cam_core.state.leads import move_leads
from cam_core.vocabulary import SUPPRESSING_EVENTS


@dataclass(frozen=True)
class Received:
    stored: int  # events new to the table
    repeats: int  # events already stored (replays): nothing done
    suppressed: int  # addresses newly on the suppression list
    moved: int  # leads whose status changed


def _matched(engine: Engine, events: pd.DataFrame) -> pd.DataFrame:
    """Campaign, email, send key and step from the ledger, for events that name a provider message."""
    out = events.reindex(columns=[*EVENT_COLUMNS, "provider_id"]).astype("object")
    ids = [i for i in out["provider_id"].dropna().unique().tolist() if i]
    if ids:
        rows = ledger.sends_by_message_id(engine, ids).set_index("message_id").astype("object")
        for column in ("campaign", "email", "send_key", "step"):
            out[column] = out["provider_id"].map(rows[column]).combine_first(out[column])
    out["campaign"] = out["campaign"].fillna("")
    out["email"] = out["email"].fillna("")
    return out.drop(columns="provider_id")


def receive(engine: Engine, events: pd.DataFrame, now: dt.datetime, secret: str) -> Received:
    """Store `events` (EVENT_COLUMNS, `provider_id` in place of what the ledger knows) and apply their effects.

    `secret` is the suppression list's key: a forgotten person's address, listed only
    as its keyed hash, is not written back in the clear by a late bounce or complaint.
    """
    rows = _matched(engine, events)
    # A provider's timestamp CAM cannot read is replaced by the moment it arrived, not refused.
    occurred = pd.to_datetime(rows["occurred_at"], utc=True, errors="coerce", format="ISO8601")
    rows["occurred_at"] = occurred.fillna(pd.Timestamp(now)).map(lambda t: t.isoformat())
    rows["source"] = rows["source"].fillna("")
    fresh = record_events(engine, rows)
    suppressed = moved = 0
    for (campaign, source), group in fresh.groupby(["campaign", "source"], sort=False):
        stamp = Stamp(str(source), now)
        ending = group[group["kind"].isin(SUPPRESSING_EVENTS) & (group["email"] != "")]
        for kind, by_kind in ending.groupby("kind"):
            suppressed += suppression.suppress(
                engine, by_kind["email"].tolist(), str(kind), str(source), now, secret=secret
            )
        if campaign:
            moved += move_leads(engine, str(campaign), moves_of(group), stamp)
    return Received(len(fresh), len(rows.drop_duplicates("event_id")) - len(fresh), suppressed, moved)
