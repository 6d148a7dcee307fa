"""Sending through Resend with the official SDK: batches of up to 100, exactly once.

Each provider batch carries its ledger batch id as the Idempotency-Key, so a
retry or the repair of a killed run is recognised by Resend (for 24 hours) and
sends nothing twice. Batches use permissive validation: a message Resend
refuses (a 4xx for that message) is marked failed with Resend's words and never
retried, while the others go. 429 waits as Retry-After (or the rate-limit reset
header) says; 5xx and timeouts are retried with backoff under a circuit breaker;
a bad key stops the run at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import resend
from resend.exceptions import InvalidApiKeyError, MissingApiKeyError, RateLimitError, ResendError
from resend.http_client_requests import RequestsClient

from cam_core.http import CircuitBreaker, RatePacer, RetryPolicy, retry_after_seconds
from cam_core.outreach.senders import ProviderUnavailable, SenderRefused
from cam_core.outreach.senders.message import message_id_for, recipient
from cam_core.state.ledger import Outcome
from cam_core.vocabulary import SenderProvider, SendStatus

DEFAULT_API_URL = "https://api.resend.com"


def _status(exc: ResendError) -> int:
    try:
        return int(exc.code)
    except (TypeError, ValueError):
        return 500


_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", "@example.com", "@example.org", "@example.net")


def _reserved(email: str) -> bool:
    return email.lower().endswith(_RESERVED_SUFFIXES)


class ResendSender:
    provider = SenderProvider.RESEND

    def __init__(
        self,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        campaign: str = "",
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        requests_per_second: float = 0.0,
    ) -> None:
        if not api_key:
            raise SenderRefused("RESEND_API_KEY is not set: the campaign's sender is resend")
        self.api_key = api_key
        self.api_url = api_url.rstrip("/")
        self.campaign = campaign
        self.timeout = timeout
        self.retry = retry or RetryPolicy(attempts=6, base_delay=1.0, max_delay=30.0)
        self.breaker = breaker or CircuitBreaker(failure_threshold=5, reset_after=60.0)
        self.sleep = sleep
        # Pace call starts under the account's rate limit instead of learning it from 429s,
        # each of which costs a whole Retry-After second. 0: no pacing. Calls stay one at a
        # time: the caller's ledger write for a batch fits in the wait for the next start
        # slot, while two calls in flight made arrivals at the (fake) provider irregular
        # enough to draw 429s.
        self.pacer = RatePacer(requests_per_second, sleep=sleep) if requests_per_second > 0 else None

    def _params(self, m: dict[str, Any]) -> dict[str, Any]:
        tags = {
            "campaign": self.campaign,
            "step": str(m["step"]),
            "tier": m.get("tier") or "none",
            "variant": m.get("variant") or "main",
        }
        params: dict[str, Any] = {
            "from": m["from_email"],
            "to": [recipient(m)],
            "subject": m["subject"],
            "text": m["body_text"],
            "reply_to": m["reply_to"],
            "headers": {
                # CAM's own Message-ID: a reply's In-Reply-To names the send (cam_core.engagement.replies).
                "Message-ID": message_id_for(m["send_key"], m["from_email"]),
                "List-Unsubscribe": m["list_unsubscribe"],
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-CAM-Send-Key": m["send_key"],
            },
            "tags": [{"name": k, "value": v} for k, v in tags.items()],
        }
        if m.get("body_html"):
            params["html"] = m["body_html"]
        return params

    def _call(self, params: list[dict[str, Any]], batch_id: str) -> Any:
        # The SDK reads its key and address from module globals: set them for this call.
        resend.api_key = self.api_key
        resend.api_url = self.api_url
        # requests takes float seconds; the SDK's annotation says int.
        resend.default_http_client = RequestsClient(timeout=self.timeout)  # type: ignore[arg-type]
        emails = cast(list[resend.Emails.SendParams], params)
        return resend.Batch.send(emails, {"idempotency_key": batch_id, "batch_validation": "permissive"})

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        reserved = [m for m in messages if _reserved(m["email"])]
        if reserved:
            # RFC 2606 names (.example, .test, ...) can only bounce, and bounces cost the
            # sending domain its reputation: they never reach a real provider.
            keep = [m for m in messages if not _reserved(m["email"])]
            refused = [
                Outcome(m["send_key"], SendStatus.FAILED, error="reserved example domain (RFC 2606): never deliverable")
                for m in reserved
            ]
            return refused + (self._deliver(keep, batch_id) if keep else [])
        return self._deliver(messages, batch_id)

    def _deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        params = [self._params(m) for m in messages]
        last = "no attempt made"
        for attempt in range(self.retry.attempts):
            if not self.breaker.allow():
                raise ProviderUnavailable(f"Resend failing repeatedly; calls paused ({last})")
            if self.pacer is not None:
                self.pacer.wait()
            try:
                response = self._call(params, batch_id)
            except (MissingApiKeyError, InvalidApiKeyError) as exc:
                raise SenderRefused(f"Resend refused the API key: {exc.message}") from None
            except RateLimitError as exc:
                wait = retry_after_seconds(exc.headers or {}) or min(
                    self.retry.base_delay * 2**attempt, self.retry.max_delay
                )
                if wait > self.retry.max_wait:
                    raise ProviderUnavailable(f"Resend rate limit: retry after {wait:.0f}s ({exc.message})") from None
                last = f"429 {exc.message}"
                self.sleep(wait)
                continue
            except ResendError as exc:
                status = _status(exc)
                if status == 409 and exc.error_type == "concurrent_idempotent_requests":
                    # Another run is delivering this very batch (it repaired a batch a live run
                    # still had in flight): Resend answers with that call's result once it is done.
                    last = f"409 {exc.message}"
                    if attempt + 1 < self.retry.attempts:
                        self.sleep(min(self.retry.base_delay * 2**attempt, self.retry.max_delay))
                    continue
                if status == 409:
                    # The key was used with another payload: a frozen batch never changes, so this is
                    # a bug. Whatever Resend did with the first payload is unknown: nothing is marked
                    # failed (its rows may have been delivered) and they stay pending, counted under the caps.
                    raise ProviderUnavailable(
                        f"Resend {status} for batch {batch_id}: {exc.message} This is a CAM bug (a frozen batch "
                        "was handed over with another payload); please report it"
                    ) from None
                if status < 500:
                    # The whole call was refused (e.g. more than 100 messages): nothing was sent.
                    self.breaker.record_success()
                    return [
                        Outcome(m["send_key"], SendStatus.FAILED, error=f"Resend {status}: {exc.message}")
                        for m in messages
                    ]
                self.breaker.record_failure()
                last = f"{status} {exc.message}"
                if attempt + 1 < self.retry.attempts:
                    self.sleep(min(self.retry.base_delay * 2**attempt, self.retry.max_delay))
                continue
            self.breaker.record_success()
            return self._outcomes(messages, response)
        raise ProviderUnavailable(
            f"Resend did not accept batch {batch_id} after {self.retry.attempts} attempts ({last})"
        )

    @staticmethod
    def _outcomes(messages: list[dict[str, Any]], response: Any) -> list[Outcome]:
        """Permissive mode: refused messages are listed by index in `errors`; `data`
        holds the ids of the accepted ones, in order."""
        refused = {int(e["index"]): str(e.get("message", "refused")) for e in (response.get("errors") or [])}
        ids = iter(item["id"] for item in (response.get("data") or []))
        outcomes = []
        for index, message in enumerate(messages):
            if index in refused:
                outcomes.append(
                    Outcome(message["send_key"], SendStatus.FAILED, error=f"Resend refused: {refused[index]}")
                )
            else:
                outcomes.append(Outcome(message["send_key"], SendStatus.SENT, message_id=next(ids), location="resend"))
        return outcomes
