"""Rendering planned messages (the rendering half of `nurture_batch`).

Each due row renders its own sequence, step and variant in the sandboxed
environments of `cam_core.campaign.templates`: subject and plain text as written, HTML
autoescaped. Every message ends with the sender's postal address and a signed
unsubscribe link, whatever the template says, so no message can go out without
them; the one-click `List-Unsubscribe` header carries the same link.

A rendered batch has BATCH_COLUMNS: send_key, email, first_name, last_name,
company, country (for the recipient's time zone), tier, sequence, step, variant, subject, body_text, body_html ("" when
the step has no HTML part), from_email, reply_to, unsubscribe_url,
list_unsubscribe, token_id (the link's opaque id of the send, kept in the ledger),
render_error.

A template that fails on one lead's data (a division by a field that is empty for
that lead, a lead's text that takes it past the limits of `cam_core.campaign.limits`)
fails that lead's message only: its row keeps `render_error` ("<where>: template
error: <Type>: <message>") and an empty subject and body, and is never sent; every
other row has `render_error` "". A template that does not compile is the campaign's
problem (`TemplateProblem`), which the lint catches when the campaign loads.
"""

from __future__ import annotations

import html as html_lib

import pandas as pd
from jinja2 import Template

from cam_core.campaign.models import Campaign
from cam_core.campaign.templates import TEMPLATE_FIELDS, environment, render_limited
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
    "render_error",
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
    errors: list[str] = []
    for lead in out[["sequence", "step", "variant", *TEMPLATE_FIELDS]].to_dict("records"):
        key = (lead["sequence"], int(lead["step"]), lead["variant"])
        where = f"campaign {campaign.name}, sequence {key[0]}, step {key[1]}, variant {key[2]}"
        if key not in compiled:
            try:
                compiled[key] = _compiled(campaign, *key)
            except Exception as exc:  # a template that does not compile fails for every lead alike
                raise TemplateProblem(f"{where}: template error: {type(exc).__name__}: {exc}") from None
        subject, text, html = compiled[key]
        context = {f: "" if pd.isna(lead[f]) else str(lead[f]) for f in TEMPLATE_FIELDS}
        context["campaign"] = campaign.name
        try:
            rendered = (
                " ".join(render_limited(subject, context).split()),
                render_limited(text, context).rstrip(),
                render_limited(html, context).rstrip() if html else "",
            )
        except Exception as exc:  # {{ 1/0 }} on this lead's data, a limit its text went past, ...
            rendered = ("", "", "")
            errors.append(f"{where}: template error: {type(exc).__name__}: {exc}")
        else:
            errors.append("")
        subjects.append(rendered[0])
        texts.append(rendered[1])
        htmls.append(rendered[2])
    links = [unsubscribe_url(sender.unsubscribe_url, make_token(k, secret)) for k in out["send_key"]]
    out["token_id"] = [token_id(k, secret) for k in out["send_key"]]
    out["subject"] = subjects
    out["unsubscribe_url"] = links
    out["render_error"] = errors
    # A message that did not render gets no footer either: nothing of it is sent.
    out["body_text"] = [
        "" if e else t + footer(sender.postal_address, link) for t, link, e in zip(texts, links, errors, strict=True)
    ]
    out["body_html"] = [
        h + html_footer(sender.postal_address, link) if h and not e else ""
        for h, link, e in zip(htmls, links, errors, strict=True)
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
