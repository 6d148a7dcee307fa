"""A fake Resend API on 127.0.0.1 that behaves like the real one where CAM relies on it.

- Authorization: `Bearer <key>`; missing -> 401 missing_api_key, wrong -> 403 invalid_api_key.
- POST /emails/batch: at most 100 emails (else 422); each email validated against
  `SendEmailRequest` from Resend's own OpenAPI spec (resend/resend-openapi 1.5.0);
  with `x-batch-validation: permissive` invalid or refused emails come back in
  `errors` by index and the rest are sent, otherwise the whole batch is refused. A
  recipient beyond ASCII (an SMTPUTF8 mailbox; an international domain must come in
  A-labels) is refused as invalid.
- Idempotency-Key: a repeat with the same payload returns the first response and
  sends nothing; the same key with another payload -> 409 invalid_idempotent_request.
- A rate limit per second -> 429 rate_limit_exceeded with Retry-After.
- GET /emails/receiving/{id}: an inbound email put in `received` (Resend's received-email
  object: from, to, subject, text, html, headers, message_id); unknown id -> 404.
- On demand (`script`): "500" answers 500, "hang" waits past the client's timeout
  without sending, "deliver_then_hang" sends and then never answers in time (the
  crash-between-send-and-record case), "in_flight" answers 409
  concurrent_idempotent_requests as Resend does while another request with the same
  Idempotency-Key is still being processed (two runs repairing one batch at once).

`FakeResendProcess` runs the same fake in a child process, for measurements: in
the client's process the fake's schema validation (tens of ms per batch of 100)
competes with the client for the GIL, which a real Resend never does.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from tests.fakes.server import FakeServer, Reply, Request

SPEC = Path(__file__).with_name("resend-openapi.yaml")


_INVALID_TO = (
    "Invalid `to` field. The email address needs to follow the `email@example.com` or "
    "`Name <email@example.com>` format."
)


@cache
def _email_validator() -> Draft202012Validator:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    schema = {"$ref": "#/components/schemas/SendEmailRequest", "components": spec["components"]}
    return Draft202012Validator(schema)


def _error(status: int, name: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"statusCode": status, "name": name, "message": message}, headers or {})


class FakeResend(FakeServer):
    def __init__(self, api_key: str = "re_test_key", per_second: int | None = None, hang_seconds: float = 3.0) -> None:
        super().__init__()
        self.api_key = api_key
        self.per_second = per_second
        self.hang_seconds = hang_seconds
        self.script: list[str] = []
        self.refuse: dict[str, str] = {}  # recipient -> message refused per-email
        self.delivered: list[dict[str, Any]] = []  # every email actually sent, with its id and batch key
        self.received: dict[str, dict[str, Any]] = {}  # inbound emails by id, as the receiving API returns them
        self.hanging = threading.Event()
        self.rate_limited = 0  # requests answered 429
        self._idempotent: dict[str, tuple[str, Any]] = {}
        self._window: list[float] = []
        self._state = threading.Lock()

    def start(self) -> FakeResend:
        # Parse the OpenAPI spec (about a second of YAML) now, not inside the first request.
        _email_validator()
        super().start()
        return self

    def reset(self) -> None:
        """Forget everything sent and every idempotency key, as a fresh account would."""
        with self._state:
            self.delivered.clear()
            self._idempotent.clear()
            self.script.clear()
            self.refuse.clear()

    def recipients(self) -> list[str]:
        """The address of every email sent, one entry per copy."""
        return [parseaddr(to)[1] for email in self.delivered for to in email["to"]]

    def handle(self, request: Request) -> Reply:
        receiving = request.method == "GET" and request.path.startswith("/emails/receiving/")
        if (request.method, request.path) != ("POST", "/emails/batch") and not receiving:
            return _error(404, "not_found", "The requested endpoint does not exist.")
        token = request.headers.get("authorization", "").removeprefix("Bearer").strip()
        if not token or token == "None":
            return _error(401, "missing_api_key", "Missing API key in the authorization header.")
        if token != self.api_key:
            return _error(403, "invalid_api_key", "API key is invalid.")
        if receiving:
            found = self.received.get(request.path.rsplit("/", 1)[1])
            if found is None:
                return _error(404, "not_found", "Email not found")
            return Reply(200, {"object": "email", **found})
        with self._state:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if self.per_second is not None and len(self._window) >= self.per_second:
                self.rate_limited += 1
                return _error(
                    429,
                    "rate_limit_exceeded",
                    f"Too many requests. You can only make {self.per_second} requests per second.",
                    {"retry-after": "1", "ratelimit-reset": "1"},
                )
            self._window.append(now)
            action = self.script.pop(0) if self.script else "ok"
        if action == "500":
            return _error(500, "application_error", "An unexpected error occurred.")
        if action == "in_flight":
            return _error(
                409,
                "concurrent_idempotent_requests",
                "Same idempotency key used while the original request is still in progress.",
            )
        if action == "hang":
            return Reply(504, {"message": "too late"}, delay=self.hang_seconds)
        emails = request.json
        if not isinstance(emails, list) or not 1 <= len(emails) <= 100:
            return _error(422, "validation_error", "The batch must hold between 1 and 100 emails.")
        key = request.headers.get("idempotency-key")
        fingerprint = hashlib.sha256(json.dumps(emails, sort_keys=True).encode()).hexdigest()
        with self._state:
            if key and key in self._idempotent:
                seen, first_response = self._idempotent[key]
                if seen != fingerprint:
                    return _error(
                        409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."
                    )
                return Reply(200, first_response)
            permissive = request.headers.get("x-batch-validation") == "permissive"
            errors = []
            for index, email in enumerate(emails):
                problems = sorted(e.message for e in _email_validator().iter_errors(email))
                addresses = [parseaddr(to)[1] for to in _as_list(email.get("to"))]
                refused = [self.refuse[a] for a in addresses if a in self.refuse]
                refused += [_INVALID_TO for a in addresses if not a.isascii()]  # no SMTPUTF8 mailboxes
                if problems or refused:
                    errors.append({"index": index, "message": (problems + refused)[0]})
            if errors and not permissive:
                return _error(422, "validation_error", errors[0]["message"])
            data = []
            failed = {e["index"] for e in errors}
            for index, email in enumerate(emails):
                if index in failed:
                    continue
                sent = {**email, "to": _as_list(email["to"]), "id": str(uuid.uuid4()), "idempotency_key": key}
                self.delivered.append(sent)
                data.append({"id": sent["id"]})
            response: dict[str, Any] = {"data": data}
            if permissive:
                response["errors"] = errors
            if key:
                self._idempotent[key] = (fingerprint, response)
        if action == "deliver_then_hang":
            self.hanging.set()
            return Reply(200, response, delay=self.hang_seconds)
        return Reply(200, response)


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []


class FakeResendProcess:
    """A FakeResend (same options) in a child process; `url`, and `stats()` for its counts.

    The child is `python -m tests.fakes.resend OPTIONS_JSON`: it prints its URL, then answers
    each `stats` line on its stdin with a JSON line, and stops when stdin closes.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.url = ""

    def __enter__(self) -> FakeResendProcess:
        root = str(Path(__file__).resolve().parents[2])  # the project, so `tests` is importable
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.resend", json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._process.stdin is not None and self._process.stdout is not None  # both are pipes
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self.url = self._stdout.readline().strip()
        if not self.url.startswith("http"):
            self._process.kill()
            raise RuntimeError("the fake Resend process did not start")
        return self

    def stats(self) -> dict[str, int]:
        self._stdin.write("stats\n")
        self._stdin.flush()
        return json.loads(self._stdout.readline())

    def __exit__(self, *exc: object) -> None:
        self._stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stdout.close()


def _serve(options: dict[str, Any]) -> None:
    with FakeResend(**options) as fake:
        print(fake.url, flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                print(
                    json.dumps(
                        {
                            "requests": len(fake.requests),
                            "delivered": len(fake.delivered),
                            "rate_limited": fake.rate_limited,
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
