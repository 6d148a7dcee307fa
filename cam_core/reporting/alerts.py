"""Alerts about failed runs: the one line that records them and the short message a chat
webhook (Slack's incoming webhooks, or anything that takes `{"text": ...}`) receives.

An alert leaves the machine and lands where many people read it, so what it carries is
cleaned first: no email address (a lead's, a sender's) and no credentials in a URL, and
the webhook's own URL (a secret: whoever has it can post) is never written anywhere.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import httpx

#: Characters of the error kept in an alert: a chat line, not a traceback.
MAX_ERROR = 300

_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    """`text` without credentials in URLs (`postgresql://cam:pw@db` -> `postgresql://<credentials>@db`)
    and without email addresses (each becomes `<email>`)."""
    return _EMAIL.sub("<email>", _CREDENTIALS.sub(r"\g<scheme><credentials>@", text))


def first_line(text: str) -> str:
    """The first non-blank line of `text`, redacted and cut to MAX_ERROR characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = redact(line)
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 3] + "..."


def run_link(ui_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


@dataclass(frozen=True)
class FailedRun:
    """What an alert says about one failed run."""

    job: str
    partition: str | None  # None for a run of no partition
    run_id: str
    error: str  # what failed first, in a person's words (may be several lines; only the first is kept)

    def record(self) -> str:
        """The line the sensor logs, for the UI's record of failures."""
        return (
            f"run {self.run_id} of {self.job} failed "
            f"(partition {self.partition or 'none'}): {first_line(self.error) or 'no error recorded'}"
        )

    def message(self, ui_url: str) -> str:
        """The chat alert: job, partition, the error's first line and the link to the run."""
        where = f" for {self.partition}" if self.partition else ""
        return (
            f"CAM run failed: {self.job}{where}\n"
            f"{first_line(self.error) or 'no error recorded'}\n"
            f"{run_link(ui_url, self.run_id)}"
        )


class _Unlogged(logging.Filter):
    """Drops log records that spell out one URL: httpx logs each request's full URL at INFO."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        return self.url not in record.getMessage()


def post_alert(webhook_url: str, text: str, timeout: float = 5.0) -> str | None:
    """POST `{"text": text}` to the webhook; None when it took it (2xx), else why not in a few
    words that never include the URL (httpx's own messages and log lines do)."""
    hide = _Unlogged(webhook_url)
    httpx_log = logging.getLogger("httpx")
    httpx_log.addFilter(hide)
    try:
        response = httpx.post(webhook_url, json={"text": text}, timeout=timeout)
    except httpx.TimeoutException:
        return f"the webhook did not answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return f"the webhook could not be reached ({type(exc).__name__})"
    finally:
        httpx_log.removeFilter(hide)
    if not response.is_success:
        return f"the webhook answered HTTP {response.status_code}"
    return None
