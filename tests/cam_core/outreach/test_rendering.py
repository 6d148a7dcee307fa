"""Rendering outreach safely, signed unsubscribe links, and the message that leaves the machine."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2
import pandas as pd
import pytest
import yaml
from jinja2.exceptions import SecurityError
from pydantic import ValidationError

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.outreach.rendering import BATCH_COLUMNS, TemplateProblem, render_batch
from cam_core.outreach.senders.message import build_message, message_id_for
from cam_core.outreach.senders.outbox import OutboxSender
from cam_core.state.ledger import send_keys
from cam_core.unsubscribe import make_token, read_token, token_id, unsubscribe_url
from tests.helpers import NOW

SECRET = "test-signing-secret"
POSTAL = "Northwind Data Ltd, 12 Example Street, London EC1A 1AA, United Kingdom"


def _campaign(body: str | None = None, subject: str | None = None, sequence: str = "standard") -> Campaign:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = "demo"
    step = raw["sequences"][sequence]["steps"][0]
    step = step["variants"][0] if "variants" in step else step
    if body is not None:
        step["body"] = body
    if subject is not None:
        step["subject"] = subject
    return Campaign.model_validate(raw)


def render_step(leads: pd.DataFrame, campaign: Campaign, step: int, secret: str) -> pd.DataFrame:
    """Render `step` for each lead, in the step's first variant."""
    due = leads.assign(step=step)
    due["variant"] = [campaign.sequences[s].steps[step - 1].versions()[0].name for s in due["sequence"]]
    due["send_key"] = send_keys(campaign.name, due["email"], due["step"])
    return render_batch(due, campaign, secret)


def _due(*rows: dict) -> pd.DataFrame:
    base = {
        "email": "",
        "first_name": "",
        "last_name": "",
        "title": "",
        "company": "",
        "domain": "",
        "industry": "",
        "country": "",
        "icp_score": 80,
        "tier": "warm",
        "sequence": "standard",
        "status": "enrolled",
    }
    return pd.DataFrame([{**base, **row} for row in rows])


LEADS = _due(
    {
        "email": "ada@acme.example",
        "first_name": "Ada",
        "company": "Acme",
        "title": "CTO",
        "tier": "hot",
        "sequence": "fast_track",
    },
    {"email": "zoe@globex.example", "first_name": "Zoë", "company": "Globex", "industry": "Fintech"},
    {"email": "bob@hooli.example"},  # nothing known but the address
)


def _text(batch: pd.DataFrame, row: int | str, column: str) -> str:
    """One cell of a rendered batch that holds text (a subject, a body, a link)."""
    value = batch.loc[row, column]
    assert isinstance(value, str)
    return value


def _token_of(link: str) -> str:
    return unquote(parse_qs(urlsplit(link).query)["token"][0])


# --- rendered bodies ----------------------------------------------------------------------------


def test_every_body_ends_with_the_postal_address_and_its_own_unsubscribe_link() -> None:
    batch = render_step(LEADS, _campaign(), step=1, secret=SECRET)

    assert list(batch.columns) == list(BATCH_COLUMNS)
    assert len(batch) == 3
    assert batch["unsubscribe_url"].is_unique
    for row in batch.to_dict("records"):
        link = row["unsubscribe_url"]
        assert link.startswith("https://northwind-data.example/unsubscribe?token=")
        assert row["body_text"].endswith(f"\n--\n{POSTAL}\nUnsubscribe: {link}\n")
        # The link names this send (kept in the ledger as its token id), and no address.
        assert read_token(_token_of(link), SECRET) == row["token_id"] == token_id(row["send_key"], SECRET)
        assert row["email"].split("@")[0] not in link


def test_the_footer_is_added_whatever_the_template_says() -> None:
    campaign = _campaign(body="Hi {{ first_name }}. Reply STOP to stop.\n\n\n")
    batch = render_step(_due({"email": "ann@acme.example", "first_name": "Ann"}), campaign, 1, SECRET)

    body = _text(batch, 0, "body_text")
    assert body.startswith("Hi Ann. Reply STOP to stop.\n\n--\n")
    assert body.count(POSTAL) == 1
    assert body.endswith(f"Unsubscribe: {_text(batch, 0, 'unsubscribe_url')}\n")


def test_templates_see_the_lead_and_fall_back_when_a_field_is_empty() -> None:
    batch = render_step(LEADS, _campaign(), 1, SECRET).set_index("email")

    assert batch.loc["ada@acme.example", "subject"] == "Acme and the 3 a.m. pipeline page"
    assert _text(batch, "ada@acme.example", "body_text").startswith("Hi Ada,\n")
    assert "We help CTOs catch it first." in _text(batch, "ada@acme.example", "body_text")
    assert batch.loc["zoe@globex.example", "subject"] == "A question about data quality at Globex"
    assert "similar Fintech companies" in _text(batch, "zoe@globex.example", "body_text")
    assert batch.loc["bob@hooli.example", "subject"] == "A question about data quality at your company"
    assert _text(batch, "bob@hooli.example", "body_text").startswith("Hi there,\n")
    assert (batch["step"] == 1).all()
    assert batch.loc["ada@acme.example", "list_unsubscribe"] == (
        f"<{_text(batch, 'ada@acme.example', 'unsubscribe_url')}>, "
        "<mailto:unsubscribe@northwind-data.example?subject=unsubscribe>"
    )


def test_a_subject_cannot_carry_a_line_break_from_lead_data() -> None:
    campaign = _campaign(subject="Hello {{ company }}")
    batch = render_step(
        _due({"email": "ann@acme.example", "company": "Acme\r\nBcc: victim@else.example"}), campaign, 1, SECRET
    )
    assert batch.loc[0, "subject"] == "Hello Acme Bcc: victim@else.example"


def test_an_empty_batch_has_the_batch_columns() -> None:
    batch = render_step(LEADS.iloc[0:0], _campaign(), 1, SECRET)
    assert batch.empty and list(batch.columns) == list(BATCH_COLUMNS)
    assert "render_error" in BATCH_COLUMNS


def test_send_keys_are_stable_and_distinct_per_lead_and_step() -> None:
    campaign = _campaign()
    first = render_step(LEADS, campaign, 1, SECRET)
    again = render_step(LEADS, campaign, 1, SECRET)

    assert first["send_key"].tolist() == again["send_key"].tolist()
    assert first["send_key"].is_unique
    assert first["send_key"].str.fullmatch(r"[0-9a-f]{32}").all()


# --- template problems --------------------------------------------------------------------------


def test_an_unknown_variable_is_refused_when_the_campaign_loads() -> None:
    with pytest.raises(ValidationError) as caught:
        _campaign(body="Hi {{ frist_name }},")
    message = str(caught.value)
    assert "sequences.standard.steps.0" in message
    assert "unknown field(s) frist_name" in message


def test_an_unknown_variable_in_a_variant_subject_is_found_too() -> None:
    with pytest.raises(ValidationError, match=r"sequences\.fast_track\.steps\.0\.variants\.0[\s\S]*compnay"):
        _campaign(subject="About {{ compnay }}", sequence="fast_track")


def test_a_template_syntax_error_is_refused_when_the_campaign_loads() -> None:
    with pytest.raises(ValidationError, match="template syntax error"):
        _campaign(body="Hi {{ first_name ")


def test_sandbox_errors_are_template_errors() -> None:
    # What lets render_batch report a sandbox escape as a TemplateProblem.
    assert issubclass(SecurityError, jinja2.TemplateError)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ first_name.__class__.__base__.__subclasses__() }}",
        "{{ '{0.__class__.__mro__}'.format(first_name) }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_template_that_reaches_outside_its_sandbox_is_refused(template: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _campaign(body=template)
    assert "sequences.standard.steps.0" in str(caught.value)
    assert "unsafe" in str(caught.value) or "unknown field" in str(caught.value)


@pytest.mark.parametrize(
    "template", ["{% for i in range(10**9) %}x{% endfor %}", "{{ 1 / 0 }}", "{{ first_name + 1 }}"]
)
def test_a_template_that_cannot_run_is_refused_when_the_campaign_loads(template: str) -> None:
    with pytest.raises(ValidationError, match="template cannot render"):
        _campaign(body=template)


def test_a_template_that_fails_on_one_leads_data_fails_that_message_only() -> None:
    campaign = _campaign(body="{{ 100 // (company | length) }} per cent")  # fine for "Globex", not for ""
    leads = _due(
        {"email": "zoe@globex.example", "company": "Globex"},
        {"email": "bob@hooli.example"},  # no company: a division by zero
        {"email": "ann@initech.example", "company": "Initech"},
    )

    batch = render_step(leads, campaign, 1, SECRET).set_index("email")

    assert batch.loc["bob@hooli.example", "render_error"] == (
        "campaign demo, sequence standard, step 1, variant main: template error: "
        "ZeroDivisionError: integer division or modulo by zero"
    )
    # Nothing of it can be sent: no subject, no body.
    assert [batch.loc["bob@hooli.example", c] for c in ("subject", "body_text", "body_html")] == ["", "", ""]
    rendered = batch.drop(index="bob@hooli.example")
    assert (rendered["render_error"] == "").all()
    assert _text(batch, "zoe@globex.example", "body_text").startswith("16 per cent\n\n--\n")
    assert _text(batch, "ann@initech.example", "body_text").startswith("14 per cent\n\n--\n")


def test_a_leads_data_that_takes_a_template_past_its_limits_fails_that_message_only() -> None:
    # The lint's one-letter sample stays within the limit; an eleven-letter name does not.
    campaign = _campaign(body="{{ first_name * 100000 }}")
    leads = _due({"email": "bart@acme.example", "first_name": "Bartholomew"}, {"email": "bob@hooli.example"})

    batch = render_step(leads, campaign, 1, SECRET).set_index("email")

    error = _text(batch, "bart@acme.example", "render_error")
    assert error.startswith("campaign demo, sequence standard, step 1, variant main: template error: TemplateLimit: ")
    assert "too large" in error
    assert batch.loc["bob@hooli.example", "render_error"] == ""


def test_a_template_that_does_not_compile_is_still_a_problem_of_the_campaign(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lint refuses it when the campaign loads; should one get past, the whole batch stops.
    monkeypatch.setattr("cam_core.campaign.models.template_problems", lambda source, html=False: [])
    campaign = _campaign(body="Hi {{ first_name ")
    with pytest.raises(TemplateProblem, match="campaign demo, sequence standard, step 1, variant main: template error"):
        render_step(_due({"email": "bob@hooli.example"}), campaign, 1, SECRET)


def test_html_is_autoescaped_and_carries_the_footer_too() -> None:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = "demo"
    raw["sequences"]["standard"]["steps"][0]["html"] = "<p>Hi {{ first_name }} at {{ company }}</p>"
    batch = render_step(
        _due({"email": "eve@acme.example", "first_name": "Eve", "company": "<script>x</script>"}),
        Campaign.model_validate(raw),
        1,
        SECRET,
    )
    html = _text(batch, 0, "body_html")
    assert html.startswith("<p>Hi Eve at &lt;script&gt;x&lt;/script&gt;</p>")
    assert POSTAL in html and 'href="https://northwind-data.example/unsubscribe?token=' in html


# --- unsubscribe tokens -------------------------------------------------------------------------


KEY = "3f2a" * 8  # a send key: 32 hex characters


def test_tokens_round_trip_and_survive_a_link() -> None:
    token = make_token(KEY, SECRET)
    assert read_token(token, SECRET) == token_id(KEY, SECRET)
    link = unsubscribe_url("https://example.com/u", token)
    assert read_token(_token_of(link), SECRET) == token_id(KEY, SECRET)


def test_a_token_shows_neither_the_address_nor_the_send_key() -> None:
    # The ledger's send key is a plain hash of campaign, address and step: anyone holding a list
    # of addresses could match it. The token's id is keyed, so without the key it matches nothing.
    token = make_token(KEY, SECRET)
    assert KEY not in token
    assert make_token(KEY, "another-home's-key") != token


def test_unsubscribe_url_keeps_an_existing_query() -> None:
    assert unsubscribe_url("https://example.com/u?lang=en", "abc.def") == "https://example.com/u?lang=en&token=abc.def"


@pytest.mark.parametrize(
    "forge",
    [
        # Another send's id with the signature of one's own token.
        lambda t: token_id("0" * 32, SECRET) + "." + t.partition(".")[2],
        # One character of the signature changed.
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),
        # The signature dropped, cut short, or replaced by non-ASCII text.
        lambda t: t.partition(".")[0],
        lambda t: t.partition(".")[0] + ".",
        lambda t: t[:-10],
        lambda t: t.partition(".")[0] + ".é" + t.partition(".")[2][2:],
        # Garbage.
        lambda t: "",
        lambda t: ".",
        lambda t: "not a token",
    ],
)
def test_a_forged_or_damaged_token_reads_as_none(forge) -> None:
    assert read_token(forge(make_token(KEY, SECRET)), SECRET) is None


def test_a_token_signed_with_another_secret_reads_as_none() -> None:
    token = make_token(KEY, "someone-elses-secret")
    assert read_token(token, SECRET) is None
    assert read_token(token, "someone-elses-secret") == token_id(KEY, "someone-elses-secret")


# --- the message handed to the provider ---------------------------------------------------------


@pytest.fixture
def rendered_row() -> dict[str, Any]:
    # A long address and campaign name make the List-Unsubscribe URL far longer than 78 characters.
    leads = _due(
        {
            "email": "aisha.okafor-nakamura.longname@massive-dynamic-logistics.example",
            "first_name": "Aïsha",
            "last_name": "Okafor",
            "company": "Massive Dynamic",
        }
    )
    row = render_step(leads, _campaign(), 1, SECRET).to_dict("records")[0]
    return {str(column): value for column, value in row.items()}  # the batch's columns are names


def _header_lines(raw: bytes, name: str) -> list[str]:
    """The physical lines of header `name`, continuation lines included."""
    head = raw.split(b"\n\n", 1)[0].decode("ascii").replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(head) if line.lower().startswith(name.lower() + ":"))
    lines = [head[start]]
    for line in head[start + 1 :]:
        if not line[:1].isspace():
            break
        lines.append(line)
    return lines


def test_list_unsubscribe_is_one_unencoded_clickable_line(rendered_row: dict[str, Any]) -> None:
    raw = build_message(rendered_row, "demo", NOW).as_bytes()

    (line,) = _header_lines(raw, "List-Unsubscribe")  # not folded onto a second line
    assert len(line) > 78
    assert "=?" not in line  # no RFC 2047 encoded-words a mail client cannot click
    found = re.search(r"<(https://[^>]+)>", line)
    assert found is not None
    url = found.group(1)
    assert url == rendered_row["unsubscribe_url"]
    assert read_token(_token_of(url), SECRET) == rendered_row["token_id"]
    assert "<mailto:unsubscribe@northwind-data.example?subject=unsubscribe>" in line


def test_one_click_unsubscribe_and_message_id(rendered_row: dict[str, Any]) -> None:
    parsed = email.message_from_bytes(build_message(rendered_row, "demo", NOW).as_bytes(), policy=policy.default)

    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"] == rendered_row["list_unsubscribe"]
    assert parsed["Message-ID"] == f"<{rendered_row['send_key']}@northwind-data.example>"
    assert parsed["Message-ID"] == message_id_for(rendered_row["send_key"], rendered_row["from_email"])
    assert parsed["From"] == "Ada Lovelace <ada@northwind-data.example>"
    assert parsed["To"] == f"Aïsha Okafor <{rendered_row['email']}>"
    assert parsed["Subject"] == "A question about data quality at Massive Dynamic"
    assert parsed["X-CAM-Sequence"] == "standard step 1 variant main"
    assert parsed.get_content() == rendered_row["body_text"]


def test_message_id_follows_the_send_key_not_the_moment(rendered_row: dict[str, Any]) -> None:
    first = build_message(rendered_row, "demo", NOW)
    again = build_message(rendered_row, "demo", NOW)
    other = build_message({**rendered_row, "send_key": "f" * 32}, "demo", NOW)

    assert first["Message-ID"] == again["Message-ID"]
    assert other["Message-ID"] == f"<{'f' * 32}@northwind-data.example>"
    assert other["Message-ID"] != first["Message-ID"]


def test_sending_the_same_step_twice_to_the_outbox_leaves_one_file(tmp_path: Path, rendered_row: dict) -> None:
    sender = OutboxSender(tmp_path / "outbox", "demo", NOW)

    [first] = sender.deliver([rendered_row], "batch-1")
    [second] = sender.deliver([rendered_row], "batch-1")

    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == [f"{rendered_row['send_key']}.eml"]
    assert first.location == second.location
    assert first.message_id == second.message_id == f"<{rendered_row['send_key']}@northwind-data.example>"
