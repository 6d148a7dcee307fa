"""One way to call a provider's HTTP API: timeouts, retries that honour
Retry-After, and a circuit breaker that stops hammering a failing service.

Every provider client (Apollo, Dropcontact, ...) wraps an `ApiClient`. What is
retried: 429 (after Retry-After, or the rate-limit reset header, or backoff),
5xx, timeouts and connection errors. What is not: 401/403 (`AuthError`: the
key is wrong, retrying cannot help) and other 4xx (`ApiError` with the
provider's message). After `failure_threshold` consecutive failed calls the
breaker opens and calls fail fast with `CircuitOpen` until `reset_after`
seconds have passed.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


class ApiError(RuntimeError):
    """A provider call that did not succeed; `status` is None for transport failures."""

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        super().__init__(f"{provider}: {message}" + (f" (HTTP {status})" if status else ""))


class AuthError(ApiError):
    """401/403: the API key is missing, wrong or lacks the permission."""


class RateLimited(ApiError):
    """429 with a wait longer than the client is willing to sleep."""

    def __init__(self, provider: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(provider, f"rate limited; retry after {retry_after:.0f}s", 429)


class CircuitOpen(ApiError):
    """The breaker is open: the provider failed repeatedly and is left alone for a while."""


@dataclass
class RetryPolicy:
    attempts: int = 5  # tries per call, the first included
    base_delay: float = 0.5  # backoff: base_delay * 2**n, capped at max_delay
    max_delay: float = 30.0
    max_wait: float = 120.0  # longest Retry-After the client sleeps through


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    reset_after: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)

    def allow(self) -> bool:
        if self._opened_at is None:
            return True
        if self.clock() - self._opened_at >= self.reset_after:
            self._opened_at = None  # half-open: let one call through to test the water
            self._failures = self.failure_threshold - 1
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self.clock()

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None


class RatePacer:
    """Paces the *starts* of calls under a provider's limit of `per_second` requests per second.

    At most n = max(1, floor(per_second)) calls start in any window of n / per_second
    seconds, stretched by `margin` (4%) for the jitter between a call's start here and its
    arrival there. That is what "N requests per second" allows however the provider
    counts: per sliding or fixed one-second window, or with a bucket of N tokens. A
    call waits only for its own start slot, so the time calls take and whatever the
    caller does between them (recording answers) overlaps the wait instead of adding
    to it: sending is as fast as the limit, not the limit plus the latency.
    """

    def __init__(
        self,
        per_second: float,
        margin: float = 0.04,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.burst = max(1, math.floor(per_second))
        self.window = self.burst / per_second * (1 + margin)
        self.clock = clock
        self.sleep = sleep
        self._starts: deque[float] = deque(maxlen=self.burst)  # the last `burst` starts

    def wait(self) -> None:
        """Return when the next call may start, and count it as started."""
        if len(self._starts) == self.burst:
            delay = self._starts[0] + self.window - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._starts.append(self.clock())


def retry_after_seconds(
    headers: Mapping[str, str], now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or a rate-limit reset header.

    `headers` as any client hands them over (httpx's, or the plain dict an SDK error carries).
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max((when - now()).total_seconds(), 0.0)
    for header in ("ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset"):
        reset = headers.get(header)
        if reset and reset.strip().replace(".", "", 1).isdigit():
            seconds = float(reset)
            # Some providers send an epoch timestamp rather than a delay.
            return max(seconds - now().timestamp(), 0.0) if seconds > 1e9 else seconds
    return None


class ApiClient:
    """An httpx client for one provider with the retry and breaker rules above."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.sleep = sleep
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=dict(headers or {}), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _backoff(self, attempt: int) -> float:
        return min(self.retry.base_delay * 2**attempt, self.retry.max_delay)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The 2xx response, or an ApiError subclass once retries are spent."""
        last: ApiError | None = None
        for attempt in range(self.retry.attempts):
            if not self.breaker.allow():
                raise CircuitOpen(self.provider, "too many consecutive failures; calls paused")
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TimeoutException:
                last = ApiError(self.provider, "timed out")
                wait = self._backoff(attempt)
            except httpx.TransportError as exc:
                last = ApiError(self.provider, f"connection failed ({type(exc).__name__})")
                wait = self._backoff(attempt)
            else:
                if response.is_success:
                    self.breaker.record_success()
                    return response
                if response.status_code in (401, 403):
                    # The service answered: it is up, the key is the problem.
                    self.breaker.record_success()
                    raise AuthError(self.provider, _message(response), response.status_code)
                if response.status_code == 429:
                    told = retry_after_seconds(response.headers)
                    if told is not None and told > self.retry.max_wait:
                        raise RateLimited(self.provider, told)
                    wait = self._backoff(attempt) if told is None else told
                    last = RateLimited(self.provider, wait)
                    if attempt + 1 < self.retry.attempts:
                        self.sleep(wait)
                    continue  # a rate limit is the service working as designed, not a failure
                if response.status_code < 500:
                    self.breaker.record_success()
                    raise ApiError(self.provider, _message(response), response.status_code)
                last = ApiError(self.provider, _message(response), response.status_code)
                wait = retry_after_seconds(response.headers) or self._backoff(attempt)
            self.breaker.record_failure()
            if attempt + 1 < self.retry.attempts:
                self.sleep(min(wait, self.retry.max_wait))
        assert last is not None
        raise last


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "error_message", "error", "detail", "reason"):
            # Dropcontact sends `"error": true` beside its `reason`: a flag is not a message.
            if body.get(key) and not isinstance(body[key], bool):
                return str(body[key])[:300]
    return str(body)[:300]
