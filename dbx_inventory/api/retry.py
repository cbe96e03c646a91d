"""The one retry policy of the program: what is retried, how long to wait, and why.

The SDK's own retries are not used: it does not retry 500/502/504, reads only integer Retry-After, and
keeps going for 5 minutes by default (docs/api-notes.md). Every call site goes through `RestClient`, which
applies this policy.
"""

from __future__ import annotations

import email.utils
import random
import socket
from collections.abc import Mapping
from dataclasses import dataclass

# Status codes worth another try: throttling and transient server errors.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Some endpoints put the status number in error_code, others the name; branch on names only as a
# complement to the status, never on message text (docs/api-notes.md, "Errors").
RETRYABLE_CODES = frozenset(
    {"REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED", "TEMPORARILY_UNAVAILABLE", "DEADLINE_EXCEEDED"}
)
THROTTLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"})
# The server spent its own deadline on the request (dbfs/list on a directory beyond about 10K entries stops
# after about 60 s, docs/api-notes.md). The same request will take as long again: one more try, not minutes of
# them. A 504 without this code is a gateway's, as transient as a 502.
SERVER_DEADLINE = "DEADLINE_EXCEEDED"


@dataclass(frozen=True)
class Verdict:
    retry: bool
    reason: str
    retry_after: float | None = None  # the server's requested wait, in seconds
    throttled: bool = False  # a 429: the shared pacer must slow down
    too_slow: bool = False  # no answer in time (our read timeout, or the server's deadline): few attempts


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_epoch)


def classify_response(
    status: int, error_code: str, headers: Mapping[str, str], now_epoch: float
) -> Verdict:
    throttled = status == 429 or error_code in THROTTLE_CODES
    if error_code == SERVER_DEADLINE:
        return Verdict(True, f"the server ran out of time, HTTP {status} {error_code}", too_slow=True)
    if status in RETRYABLE_STATUS or error_code in RETRYABLE_CODES:
        retry_after = parse_retry_after(headers.get("Retry-After"), now_epoch)
        if throttled:
            shape = "rate limit" if retry_after is not None else "concurrency limit (no Retry-After)"
            reason = f"throttled, HTTP {status} {error_code or ''} {shape}".replace("  ", " ")
        else:
            reason = f"server error HTTP {status}" + (f" {error_code}" if error_code else "")
        return Verdict(True, reason, retry_after, throttled)
    return Verdict(False, f"HTTP {status}" + (f" {error_code}" if error_code else ""))


NO_SUCH_HOST = "no such host"
# getaddrinfo's "this name does not exist" (NXDOMAIN): final. EAI_AGAIN (no DNS server answered) is transient.
_NO_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def _no_such_host(exc: BaseException) -> bool:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is s for s in seen):
        if isinstance(current, socket.gaierror) and current.errno in _NO_NAME:
            return True
        seen.append(current)
        current = current.__cause__ or current.__context__
    return False


def _read_timeout(exc: BaseException) -> bool:
    """The server took the request and did not answer in time: requests raises ReadTimeout while waiting for
    the headers, and a ConnectionError around urllib3's ReadTimeoutError while reading the body."""
    import requests
    from urllib3.exceptions import ReadTimeoutError

    if isinstance(exc, requests.ReadTimeout):
        return True
    return isinstance(exc, requests.ConnectionError) and any(isinstance(a, ReadTimeoutError) for a in exc.args)


def classify_exception(exc: BaseException) -> Verdict:
    """Connection errors, resets and timeouts are transient; a name that does not resolve is final (retrying
    NXDOMAIN for half a minute helps nobody); anything else is a bug, not retried."""
    import requests

    if _no_such_host(exc):
        return Verdict(False, NO_SUCH_HOST)
    if _read_timeout(exc):
        return Verdict(True, "no answer within the read timeout", too_slow=True)
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return Verdict(True, f"network error: {type(exc).__name__}")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Verdict(True, "connection dropped mid-response")
    return Verdict(False, f"{type(exc).__name__}")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by a deadline per request.

    Waits go up to 32 s, while a dead host still fails in about a
    minute rather than the SDK's five. A request that got no answer in time (`Verdict.too_slow`) gets
    `slow_attempts` in all: each try costs a minute or more, and the same request will be as slow again.
    """

    max_attempts: int = 8  # attempts that failed for reasons other than throttling
    slow_attempts: int = 2  # of those, when the server ran out of time
    base_delay: float = 1.0
    max_delay: float = 32.0
    deadline: float = 120.0
    # A host that never answered (connection refused, timeouts) is given up on sooner than the deadline: the
    # first check of a host must say "cannot reach" within about half a minute. Throttling is an answer: it
    # is waited out for the whole deadline, whatever Retry-After asks, on every path.
    unanswered_deadline: float | None = None

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Wait before retry number `attempt` (1-based): equal jitter, so waits never collapse to 0."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def wait(self, verdict: Verdict, attempt: int, rng: random.Random) -> float:
        if verdict.retry_after is not None:
            # Honour the server, but add a little jitter so that all workers don't return at once.
            return verdict.retry_after + rng.uniform(0, min(1.0, self.base_delay))
        return self.backoff(attempt, rng)

    def gives_up(self, failures: int, elapsed: float, next_wait: float, verdict: Verdict | None = None,
                 answered: bool = True) -> bool:
        """`failures`: attempts so far that failed other than by throttling. A throttled request is retried
        until the deadline, however many attempts that takes; anything else also stops after `max_attempts`
        (`slow_attempts` when the server ran out of time), and a request no server answered after
        `unanswered_deadline`."""
        if elapsed + next_wait > self.deadline:
            return True
        if verdict is not None and verdict.throttled:
            return False
        if not answered and self.unanswered_deadline is not None and elapsed + next_wait > self.unanswered_deadline:
            return True
        return failures >= (self.slow_attempts if verdict is not None and verdict.too_slow else self.max_attempts)
