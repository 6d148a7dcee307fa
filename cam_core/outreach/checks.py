"""What must hold of a rendered batch before anything is sent.

Each check returns a `CheckOutcome`; `nurture_batch` reports them as blocking
asset checks, so one failure stops `sent_emails`. A row whose template failed on
its lead's data (`render_error`) is never sent, so it has no footer to check; the
other checks still judge it, since it still counts against the day's cap.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

import pandas as pd

from cam_core.checks import CheckOutcome, judged

NO_SUPPRESSED_ADDRESS = "no_suppressed_address"
NO_STEP_ALREADY_SENT = "no_step_already_sent"
NO_STEP_TWICE_IN_BATCH = "no_step_twice_in_batch"
DAILY_CAP_HELD = "daily_cap_held"
COMPLIANCE_FOOTER_PRESENT = "compliance_footer_present"

CHECK_DESCRIPTIONS = {
    NO_SUPPRESSED_ADDRESS: "No address in the batch is on the global suppression list.",
    NO_STEP_ALREADY_SENT: "No lead and step in the batch is already sent or failed in the ledger.",
    NO_STEP_TWICE_IN_BATCH: "Each lead appears at most once per step in the batch.",
    DAILY_CAP_HELD: "The batch fits the day's room: daily cap, warm-up ramp and sending-domain cap.",
    COMPLIANCE_FOOTER_PRESENT: "Every rendered message carries its own unsubscribe link and the postal address.",
}


def check_batch(
    batch: pd.DataFrame, *, suppressed: pd.Series, done_keys: AbstractSet[str], room: int, postal_address: str
) -> list[CheckOutcome]:
    """`done_keys`: send keys already sent or failed; `room`: sends still allowed today outside this batch."""
    has_link = pd.Series(
        [link in body for link, body in zip(batch["unsubscribe_url"], batch["body_text"], strict=True)],
        index=batch.index,
        dtype="bool",
    )
    has_address = batch["body_text"].str.contains(postal_address.strip(), regex=False)
    not_rendered = batch["render_error"] != ""
    over = max(len(batch) - room, 0)
    return [
        judged(NO_SUPPRESSED_ADDRESS, batch.loc[batch["email"].isin(suppressed.index), "email"]),
        judged(NO_STEP_ALREADY_SENT, batch.loc[batch["send_key"].isin(done_keys), "email"]),
        judged(NO_STEP_TWICE_IN_BATCH, batch.loc[batch.duplicated(["email", "step"], keep=False), "email"]),
        judged(
            DAILY_CAP_HELD, batch["email"].tail(over) if over else batch["email"].iloc[0:0], room=room, batch=len(batch)
        ),
        judged(COMPLIANCE_FOOTER_PRESENT, batch.loc[~((has_link & has_address) | not_rendered), "email"]),
    ]
