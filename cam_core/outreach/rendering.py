"""Rendering planned messages (the rendering half of `nurture_batch`).

Each due row renders its own sequence, step and variant in the sandboxed
environments of `cam_core.campaign.templates`: subject and plain text as written, HTML
autoescaped. Every message ends with the sender's postal address and a signed
unsubscribe link, whatever the template says, so no message can go out without
them; the one-click `List-Unsubscribe` header carries the same link.

A rendered batch has BATCH_COLUMNS: send_key, email, first_name, last_name,
company, country (for the recipient's time zone), tier, sequence, step, variant, subject, body_text, body_html ("" when
the step has no HTML part), from_email, reply_to, unsubscribe_url,
list_unsubscribe, token_id (the link's opaque id of the send, kept in the ledger).
"""

from __future__ import annotations

import html as html_lib

import pandas as pd
from jinja2 import Template, TemplateError

from cam_core.campaign.models import Campaign
from cam_core.campaign.templates import TEMPLATE_FIELDS, environment
from cam_core.unsubscribe import make_token, token_id, unsubscribe_url

BATCH_COLUMNS = (
    "send_key",
    "email",
    "first_name",
    "last_name",
    "company",
    "country",
    "tier",
    "sequence",
    "step",
    "variant",
    "subject",
    "body_text",
    "body_html",
    "from_email",
    "reply_to",
    "unsubscribe_url",
    "list_unsubscribe",
    "token_id",
)


class TemplateProblem(ValueError):
    """A campaign template that cannot render."""


def footer(postal_address: str, link: str) -> str:
    return f"\n\n--\n{postal_address.strip()}\nUnsubscribe: {link}\n"


def html_footer(postal_address: str, link: str) -> str:
    address = html_lib.escape(postal_address.strip())
    href = html_lib.escape(link, quote=True)
    return f'\n<hr>\n<p style="font-size:12px;color:#666">{address}<br><a href="{href}">Unsubscribe</a></p>\n'


def empty_batch() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "step" else "str") for c in BATCH_COLUMNS})


def _compiled(campaign: Campaign, sequence: str, step: int, variant: str) -> tuple[Template, Template, Template | None]:
    [version] = [v for v in campaign.sequences[sequence].steps[step - 1].versions() if v.name == variant]
    html = environment(html=True).from_string(version.html) if version.html else None
    return environment().from_string(version.subject), environment().from_string(version.body), html


def render_batch(due: pd.DataFrame, campaign: Campaign, secret: str) -> pd.DataFrame:
    """Render each due row (lead columns plus sequence, step, variant, send_key)."""
    if due.empty:
        return empty_batch()
    sender = campaign.sender
    out = due.reset_index(drop=True).copy()
    compiled: dict[tuple[str, int, str], tuple[Template, Template, Template | None]] = {}
    subjects: list[str] = []
    texts: list[str] = []
    htmls: list[str] = []
    for lead in out[["sequence", "step", "variant", *TEMPLATE_FIELDS]].to_dict("records"):
        key = (lead["sequence"], int(lead["step"]), lead["variant"])
        where = f"campaign {campaign.name}, sequence {key[0]}, step {key[1]}, variant {key[2]}"
        context = {f: "" if pd.isna(lead[f]) else str(lead[f]) for f in TEMPLATE_FIELDS}
        context["campaign"] = campaign.name
        try:
            if key not in compiled:
                compiled[key] = _compiled(campaign, *key)
            subject, text, html = compiled[key]
            subjects.append(" ".join(subject.render(context).split()))
            texts.append(text.render(context).rstrip())
            htmls.append(html.render(context).rstrip() if html else "")
        except TemplateError as exc:
            raise TemplateProblem(f"{where}: template error: {exc}") from None
        except Exception as exc:  # {{ 1/0 }}, a sandboxed range too big, ...: still the template's fault
            raise TemplateProblem(f"{where}: template error: {type(exc).__name__}: {exc}") from None
    links = [unsubscribe_url(sender.unsubscribe_url, make_token(k, secret)) for k in out["send_key"]]
    out["token_id"] = [token_id(k, secret) for k in out["send_key"]]
    out["subject"] = subjects
    out["unsubscribe_url"] = links
    out["body_text"] = [t + footer(sender.postal_address, link) for t, link in zip(texts, links, strict=True)]
    out["body_html"] = [
        h + html_footer(sender.postal_address, link) if h else "" for h, link in zip(htmls, links, strict=True)
    ]
    out["from_email"] = sender.from_email
    reply_to = sender.reply_to or sender.from_email
    if campaign.replies.plus_addressing:
        # Each send its own reply address, so a reply is matched even when its headers are lost.
        local, _, domain = reply_to.partition("@")
        out["reply_to"] = local + "+" + out["token_id"] + "@" + domain
    else:
        out["reply_to"] = reply_to
    mailto = f"mailto:unsubscribe@{sender.domain}?subject=unsubscribe"
    out["list_unsubscribe"] = "<" + out["unsubscribe_url"] + f">, <{mailto}>"
    return out[list(BATCH_COLUMNS)]
