"""What a lead's next message would look like, rendered exactly as the batch would render it.

A message the campaign's templates cannot render for this lead (`render_error`, a
division by a value of the lead's, say) is a `PreviewError` giving the reason, as the
ledger would record it, never an empty message.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.addresses import address
from cam_core.campaign.models import Campaign
from cam_core.outreach.planning import variants_for
from cam_core.outreach.rendering import render_batch
from cam_core.selection.routing import tiers_for
from cam_core.state import schema
from cam_core.state.ledger import send_keys
from cam_core.vocabulary import SendStatus


class PreviewError(LookupError):
    """Nothing to preview for that lead."""


def preview(engine: Engine, campaign: Campaign, email: str, secret: str) -> dict[str, object]:
    """The lead's next step (step 1 when it is not enrolled yet), rendered; one batch row."""
    email = address(email)  # as the lead is stored: `ann@xn--bcher-idn-q9a.de` is `ann@bücher-idn.de`
    lead, enrolment = schema.leads, schema.enrolments
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(
                    lead, enrolment.c.sequence.label("enrolled_sequence"), enrolment.c.tier.label("enrolled_tier")
                )
                .outerjoin(
                    enrolment, sa.and_(enrolment.c.campaign == lead.c.campaign, enrolment.c.email == lead.c.email)
                )
                .where(lead.c.campaign == campaign.name, lead.c.email == email)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise PreviewError(f"no lead {email} in campaign {campaign.name}; land a file with it and run the campaign")
        sent_steps = (
            conn.execute(
                sa.select(schema.sends.c.step).where(
                    schema.sends.c.campaign == campaign.name,
                    schema.sends.c.email == email,
                    schema.sends.c.status == SendStatus.SENT,
                )
            )
            .scalars()
            .all()
        )
    tier = row["enrolled_tier"] or tiers_for(pd.Series([row["icp_score"] or 0]), campaign).iloc[0]
    sequence = row["enrolled_sequence"] or campaign.routing[tier]
    step = max(sent_steps, default=0) + 1
    if step > len(campaign.sequences[sequence].steps):
        raise PreviewError(f"{email} has received every step of sequence {sequence}")
    due = pd.DataFrame([{**dict(row), "tier": tier, "sequence": sequence, "step": step}])
    due["variant"] = variants_for(due, campaign)
    due["send_key"] = send_keys(campaign.name, due["email"], due["step"])
    [message] = render_batch(due, campaign, secret).to_dict("records")
    if message["render_error"]:
        raise PreviewError(f"{email}: cannot render its next message: {message['render_error']}")
    return {str(k): v for k, v in message.items()}
