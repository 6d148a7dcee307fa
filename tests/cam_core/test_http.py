"""The shared provider client against a real fake server on 127.0.0.1."""

from __future__ import annotations

import pytest

from cam_core.http import (
    ApiClient,
    ApiError,
    AuthError,
    CircuitBreaker,
    CircuitOpen,
    RateLimited,
    RatePacer,
    RetryPolicy,
)
from tests.fakes.server import FakeServer, Reply


class Scripted(FakeServer):
    """Answers from a script, one reply per request, then 200."""

    def __init__(self, *replies: Reply) -> None:
        super().__init__()
        self.script = list(replies)

    def handle(self, request):
        return self.script.pop(0) if self.script else Reply(200, {"ok": True})


def _client(server: FakeServer, waits: list[float], **kwargs) -> ApiClient:
    return ApiClient(
        "fakeprovider",
        server.url,
        headers={"x-api-key": "k"},
        timeout=kwargs.pop("timeout", 2.0),
        retry=RetryPolicy(attempts=4, base_delay=0.1, max_wait=30),
        sleep=waits.append,
        **kwargs,
    )


def test_429_waits_as_retry_after_says_then_succeeds():
    waits: list[float] = []
    with Scripted(Reply(429, {"message": "slow down"}, {"Retry-After": "7"})) as server:
        assert _client(server, waits).request("GET", "/x").json() == {"ok": True}
        assert waits == [7.0] and len(server.requests) == 2
        assert server.requests[0].headers["x-api-key"] == "k"


def test_a_rate_limit_reset_header_is_used_when_retry_after_is_missing():
    waits: list[float] = []
    with Scripted(Reply(429, {}, {"x-ratelimit-reset": "3"})) as server:
        _client(server, waits).request("GET", "/x")
        assert waits == [3.0]


def test_a_wait_longer_than_the_client_accepts_is_raised_not_slept():
    waits: list[float] = []
    with Scripted(Reply(429, {}, {"Retry-After": "3600"})) as server:
        with pytest.raises(RateLimited) as caught:
            _client(server, waits).request("GET", "/x")
        assert caught.value.retry_after == 3600 and waits == []


def test_5xx_is_retried_with_backoff_and_gives_up_with_the_providers_message():
    waits: list[float] = []
    with Scripted(*[Reply(503, {"message": "maintenance"})] * 4) as server:
        with pytest.raises(ApiError, match="maintenance") as caught:
            _client(server, waits).request("POST", "/x", json={})
        assert caught.value.status == 503 and len(server.requests) == 4
        assert waits == [0.1, 0.2, 0.4]


def test_a_bad_key_is_not_retried():
    waits: list[float] = []
    with Scripted(Reply(401, {"error": "invalid api key"})) as server:
        with pytest.raises(AuthError, match="invalid api key"):
            _client(server, waits).request("GET", "/x")
        assert len(server.requests) == 1 and waits == []


def test_timeouts_are_retried_then_reported():
    waits: list[float] = []
    with Scripted(*[Reply(200, {}, delay=1.0)] * 4) as server:
        with pytest.raises(ApiError, match="timed out"):
            _client(server, waits, timeout=0.2).request("GET", "/x")
        assert len(server.requests) == 4


def test_the_breaker_opens_after_repeated_failures_and_closes_after_the_pause():
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60, clock=lambda: now[0])
    waits: list[float] = []
    with Scripted(*[Reply(500, {})] * 10) as server:
        client = ApiClient(
            "fakeprovider", server.url, retry=RetryPolicy(attempts=1), breaker=breaker, sleep=waits.append
        )
        for _ in range(2):
            with pytest.raises(ApiError):
                client.request("GET", "/x")
        with pytest.raises(CircuitOpen):
            client.request("GET", "/x")
        assert len(server.requests) == 2  # the open breaker made no call
        now[0] = 61
        server.script = []
        assert client.request("GET", "/x").status_code == 200
        assert not breaker.is_open


def _paced_starts(pacer_rate: float, call_seconds: list[float]) -> tuple[list[float], float]:
    """Start times of calls that take `call_seconds` each, paced on a simulated clock."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = RatePacer(pacer_rate, clock=lambda: now[0], sleep=sleep)
    starts = []
    for seconds in call_seconds:
        pacer.wait()
        starts.append(now[0])
        now[0] += seconds  # the call, and whatever the caller does before the next one
    return starts, pacer.window


def test_the_pacer_keeps_every_second_under_the_limit_and_waits_only_for_the_next_start_slot():
    calls = [0.05, 0.3, 0.12, 0.6, 0.01] * 6
    starts, window = _paced_starts(5, calls)

    assert window == pytest.approx(1.04)  # 5 per second, with 4% for the jitter on the way
    assert all(later - earlier >= 1.0 for earlier, later in zip(starts[:-5], starts[5:], strict=True)), (
        "never 6 in one second"
    )
    # A call starts as soon as both the previous call is done and the limit allows it:
    # the time a call takes overlaps the wait for the next slot instead of adding to it.
    for k in range(1, len(starts)):
        allowed = starts[k - 5] + window if k >= 5 else 0.0
        assert starts[k] == pytest.approx(max(starts[k - 1] + calls[k - 1], allowed))


def test_a_fractional_rate_limit_is_paced_per_whole_call():
    starts, window = _paced_starts(2.5, [0.0] * 7)  # 2 calls per 0.8 s
    assert window == pytest.approx(0.8 * 1.04)
    assert starts == pytest.approx([0.0, 0.0, window, window, 2 * window, 2 * window, 3 * window])
