"""One pacer per API family, shared by every worker of the process (in the style of rclone's lib/pacer).

Databricks throttles per workspace and per API family (databricks-api.md): a rate limit answered with 429
and Retry-After, and a cap of about 20 requests in flight answered with 429 and no Retry-After. The
original slept 50 ms before every request and backed off per user with no shared limiter (defect 5), so
its workers throttled each other. Here:

- requests of a family start no closer than 1/rate apart; `rate` is unknown (unlimited) until the first
  429 with Retry-After, then set just under the success rate measured at that moment (multiplicative
  decrease), and raised a little on every success (so a spurious 429 is forgotten within seconds);
- a 429 without Retry-After means too many requests in flight: the family's in-flight limit drops to
  what was in flight minus one and climbs back by one per `recover_after` successes;
- `max_rps` is a hard ceiling an admin can set to leave headroom for other tools.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

from .clock import Clock

WINDOW = 1.0  # seconds of successes used to measure the achieved rate
CUT = 0.85  # multiplicative decrease on a rate-limit 429
GAIN = 0.004  # relative increase per success; ~25 successes undo a 10% cut... over a few seconds
MIN_RATE = 1.0  # never pace slower than this: a limit below 1 req/s is not one Databricks sets


@dataclass(frozen=True)
class PacerState:
    family: str
    rate: float | None
    in_flight_limit: int | None
    in_flight: int
    requests: int
    throttled: int


class Pacer:
    def __init__(
        self,
        family: str,
        clock: Clock,
        max_rps: float | None = None,
        max_in_flight: int | None = None,
        recover_after: int = 20,
    ) -> None:
        self.family = family
        self._clock = clock
        self._cap = max_rps
        self._rate: float | None = None
        self._next_start = 0.0
        self._limit_max = max_in_flight
        self._limit = max_in_flight
        self._in_flight = 0
        self._recover_after = recover_after
        self._successes_since_cut = 0
        self._last_cut = -1e9
        self._recent: collections.deque[float] = collections.deque()
        self._cond = threading.Condition()
        self.requests = 0
        self.throttled = 0

    # -- the two calls around every request -------------------------------------------------------
    def acquire(self) -> None:
        """Block until this family may start one more request, then count it as in flight."""
        with self._cond:
            while self._limit is not None and self._in_flight >= self._limit:
                self._cond.wait(0.05)
            self._in_flight += 1
            self.requests += 1
            now = self._clock.time()
            start = max(now, self._next_start)
            rate = self._effective_rate()
            self._next_start = start + (1.0 / rate if rate else 0.0)
        self._clock.sleep(start - now)

    def release(self, throttled: bool = False, retry_after: float | None = None) -> None:
        """Record how the request ended: a success speeds up, a 429 slows down."""
        with self._cond:
            in_flight_then = self._in_flight
            self._in_flight -= 1
            now = self._clock.time()
            if throttled:
                self.throttled += 1
                if retry_after is not None:
                    self._cut_rate(now)
                else:
                    self._cut_concurrency(in_flight_then)
            else:
                self._speed_up(now)
            self._cond.notify_all()

    # -- adaptation --------------------------------------------------------------------------------
    def _effective_rate(self) -> float | None:
        rates = [r for r in (self._rate, self._cap) if r]
        return min(rates) if rates else None

    def _measured_rate(self, now: float) -> float | None:
        while self._recent and self._recent[0] < now - WINDOW:
            self._recent.popleft()
        if len(self._recent) < 2:
            return None
        span = max(now - self._recent[0], WINDOW / 4)
        return len(self._recent) / span

    def _cut_rate(self, now: float) -> None:
        # One cut per window: the 429s of requests already in flight say nothing new.
        if now - self._last_cut < WINDOW:
            return
        self._last_cut = now
        measured = self._measured_rate(now)
        base = min(r for r in (self._rate, measured) if r) if (self._rate or measured) else None
        if base is None:
            # Throttled before any success: start from a cautious guess and let successes raise it.
            base = 10.0
        self._rate = max(MIN_RATE, base * CUT)
        self._next_start = max(self._next_start, now + 1.0 / self._rate)

    def _cut_concurrency(self, in_flight_then: int) -> None:
        self._limit = max(1, min(self._limit or in_flight_then, in_flight_then) - 1)
        self._successes_since_cut = 0

    def _speed_up(self, now: float) -> None:
        self._recent.append(now)
        if self._rate is not None:
            self._rate *= 1.0 + GAIN
        if self._limit is not None and (self._limit_max is None or self._limit < self._limit_max):
            self._successes_since_cut += 1
            if self._successes_since_cut >= self._recover_after:
                self._limit += 1
                self._successes_since_cut = 0

    def state(self) -> PacerState:
        with self._cond:
            return PacerState(
                self.family, self._effective_rate(), self._limit, self._in_flight, self.requests, self.throttled
            )
