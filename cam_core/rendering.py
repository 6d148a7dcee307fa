"""Rendering outreach messages with Jinja2 in a sandbox (the `nurture_batch` stage).

Templates see the lead's fields (first_name, last_name, title, company, domain,
industry, country, tier) and `campaign`; a name a template uses that is not one
of them is an error naming the campaign, sequence and step. Every message ends
with the sender's postal address and a signed unsubscribe link, whatever the
template says, so no message can go out without them.

A rendered batch has these columns: send_key, email, first_name, last_name,
company, tier, sequence, step, subject, body_text, from_email, reply_to,
unsubscribe_url, list_unsubscribe.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from cam_core.campaigns import Campaign
from cam_core.ledger import send_keys
from cam_core.unsubscribe import make_token, unsubscribe_url

TEMPLATE_FIELDS = ("first_name", "last_name", "title", "company", "domain", "industry", "country", "tier")
BATCH_COLUMNS = (
    "send_key", "email", "first_name", "last_name", "company", "tier", "sequence", "step", "subject",
    "body_text", "from_email", "reply_to", "unsubscribe_url", "list_unsubscribe",
)


class TemplateProblem(ValueError):
    """A campaign template that cannot render."""


@cache
def _environment() -> SandboxedEnvironment:
    # The sandbox stops templates reaching Python internals (attribute walks to
    # __class__, __globals__ and the like); StrictUndefined turns typos into errors.
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def footer(postal_address: str, link: str) -> str:
    return f"\n\n--\n{postal_address.strip()}\nUnsubscribe: {link}\n"


def sender_domain(from_email: str) -> str:
    return from_email.rsplit("@", 1)[-1].strip(" >").lower()


def render_step(due: pd.DataFrame, campaign: Campaign, step: int, secret: str) -> pd.DataFrame:
    """Render step `step` (1-based) of each due lead's sequence; `due` has the lead and tier columns."""
    if due.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "step" else "str") for c in BATCH_COLUMNS})
    sender = campaign.sender
    out = due.reset_index(drop=True).copy()
    out["step"] = step
    out["send_key"] = send_keys(campaign.name, out["email"], out["step"])
    compiled: dict[str, tuple[Template, Template]] = {}
    subjects: list[str] = []
    bodies: list[str] = []
    for lead in out[["email", "sequence", *TEMPLATE_FIELDS]].fillna("").astype("str").to_dict("records"):
        where = f"campaign {campaign.name}, sequence {lead['sequence']}, step {step}"
        context = {**{f: lead[f] for f in TEMPLATE_FIELDS}, "campaign": campaign.name}
        try:
            if lead["sequence"] not in compiled:
                source = campaign.sequences[lead["sequence"]].steps[step - 1]
                compiled[lead["sequence"]] = (_environment().from_string(source.subject),
                                              _environment().from_string(source.body))
            subject_template, body_template = compiled[lead["sequence"]]
            subject = subject_template.render(context)
            body = body_template.render(context)
        except TemplateError as exc:
            raise TemplateProblem(f"{where}: template error: {exc}") from None
        except Exception as exc:  # {{ 1/0 }}, a sandboxed range too big, ...: still the template's fault
            raise TemplateProblem(f"{where}: template error: {type(exc).__name__}: {exc}") from None
        subjects.append(" ".join(subject.split()))
        bodies.append(body.rstrip())
    tokens = [make_token(campaign.name, email, secret) for email in out["email"]]
    out["unsubscribe_url"] = [unsubscribe_url(sender.unsubscribe_url, t) for t in tokens]
    out["body_text"] = pd.Series(bodies, dtype="str") + [footer(sender.postal_address, link) for link in out["unsubscribe_url"]]
    out["subject"] = subjects
    out["from_email"] = sender.from_email
    out["reply_to"] = sender.reply_to or sender.from_email
    mailto = f"mailto:unsubscribe@{sender_domain(sender.from_email)}?subject=unsubscribe"
    out["list_unsubscribe"] = "<" + out["unsubscribe_url"] + f">, <{mailto}>"
    return out[list(BATCH_COLUMNS)]
