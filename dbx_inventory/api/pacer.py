"""One pacer per API family, shared by every worker of the process (in the style of rclone's lib/pacer).

Databricks throttles per workspace and per API family (docs/api-notes.md): a rate limit answered with 429
and Retry-After, and a cap of about 20 requests in flight answered with 429 and no Retry-After. Workers that
each back off alone throttle each other, so one pacer per family decides for all of them:

- requests of a family start no closer than 1/rate apart. The rate is unknown (unlimited) until the
  workspace pushes back; when more than THRESHOLD of the recent requests got a rate-limit 429, the rate is
  set to the success rate actually achieved in that window: the server's limit, measured. A few stray
  429s (below the threshold) change nothing, so random throttling cannot ratchet the rate down to a crawl.
- every success raises the rate a little, so the pacer keeps probing for headroom and forgets an old cut
  within seconds; overshooting costs a few 429s, which the retry policy absorbs after their Retry-After.
  The longer the workspace stays quiet (no rate-limit 429), the faster the probing: the step doubles for each
  quiet second, as TCP's congestion control probes after a loss-free spell. A pacer that shared the limit
  with others (a Spark task beside other tasks) and is now alone finds the freed rate in seconds, not
  minutes. The rate never runs ahead of twice what actually got through, so a pacer that is not the
  bottleneck cannot drift to a rate that means nothing.
- a 429 without Retry-After means too many requests in flight: the family's in-flight limit drops to
  what was in flight minus one, and climbs back by one per `recover_after` successes.
- `max_rps` is a hard ceiling an admin can set to leave headroom for other tools.
"""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass

from .clock import Clock

log = logging.getLogger("dbx_inventory")

WINDOW = 2.0  # seconds of outcomes used to judge throttling and measure the achieved rate
MIN_SAMPLES = 20  # too few outcomes say nothing about a rate
THRESHOLD = 0.10  # share of rate-limit 429s in the window that means "we are above the limit"
GAIN = 0.001  # relative rate increase per success (about +3%/s at 30 requests/s)
MIN_RATE = 1.0  # never pace slower than this
UNDERSHOOT = 0.95  # a cut sets the rate 5% under the success rate measured
QUIET_SECONDS = 1.0  # the probing step doubles for each such spell without a rate-limit 429...
QUIET_DOUBLINGS = 6  # ...up to 2**6 times (at 15 requests/s, about +1%/s at first, +60%/s after 6 quiet seconds)


@dataclass(frozen=True)
class PacerState:
    family: str
    rate: float | None
    limit_found: bool  # the rate was learned from the workspace's 429s (not only --max-rps)
    in_flight_limit: int | None
    in_flight: int
    requests: int
    throttled: int
    capped: bool = False  # the rate is --max-rps's cap


class Pacer:
    def __init__(
        self,
        family: str,
        clock: Clock,
        max_rps: float | None = None,
        max_in_flight: int | None = None,
        recover_after: int = 20,
        initial_rate: float | None = None,
        learned: bool = False,
    ) -> None:
        self.family = family
        self._clock = clock
        self._cap = max_rps
        # A rate learned before (by the previous chunk's Spark tasks): start there instead of finding the
        # workspace's limit again with a burst of 429s.
        self._rate: float | None = initial_rate
        self._learned = learned and initial_rate is not None  # the rate is the workspace's, not a first guess
        self._next_start = 0.0
        self._limit_max = max_in_flight
        self._limit = max_in_flight
        self._in_flight = 0
        self._recover_after = recover_after
        self._successes_since_cut = 0
        self._last_cut = -1e9
        self._last_limited = clock.time()  # the last rate-limit 429 (a carried rate was met just before)
        self._outcomes: collections.deque[tuple[float, bool]] = collections.deque()  # (time, rate-limited)
        self._limited_in_window = 0
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
        """Record how the request ended: a success speeds up, a 429 may slow down."""
        with self._cond:
            in_flight_then = self._in_flight
            self._in_flight -= 1
            now = self._clock.time()
            rate_limited = throttled and retry_after is not None
            self._outcomes.append((now, rate_limited))
            self._limited_in_window += rate_limited
            while self._outcomes[0][0] < now - WINDOW:
                self._limited_in_window -= self._outcomes.popleft()[1]
            if throttled:
                self.throttled += 1
                if rate_limited:
                    self._last_limited = now
                    self._maybe_cut_rate(now)
                else:
                    self._cut_concurrency(in_flight_then)
            else:
                self._speed_up(now)
            self._cond.notify_all()

    # -- adaptation --------------------------------------------------------------------------------
    def _effective_rate(self) -> float | None:
        rates = [r for r in (self._rate, self._cap) if r]
        return min(rates) if rates else None

    def _maybe_cut_rate(self, now: float) -> None:
        total = len(self._outcomes)
        if total < MIN_SAMPLES or now - self._last_cut < WINDOW / 4:
            return
        limited = self._limited_in_window
        if limited / total <= THRESHOLD:
            return
        span = max(now - self._outcomes[0][0], WINDOW / 8)
        achieved = (total - limited) / span
        current = self._rate or float("inf")
        # The first cut goes straight to what got through; later ones at most halve, so that one odd
        # window cannot stall the family.
        floor = current * 0.5 if self._rate else 0.0
        # Just under what got through, so the bucket refills before probing reaches the limit again.
        self._rate = min(current, max(MIN_RATE, achieved * UNDERSHOOT, floor))
        self._learned = True
        self._last_cut = now
        log.debug("pacer %s: %d of %d requests rate-limited in %.1fs; pacing at %.1f requests/s",
                  self.family, limited, total, span, self._rate)

    def _cut_concurrency(self, in_flight_then: int) -> None:
        self._limit = max(1, min(self._limit or in_flight_then, in_flight_then) - 1)
        self._successes_since_cut = 0
        log.debug("pacer %s: concurrency limit hit with %d in flight; now at most %d", self.family,
                  in_flight_then, self._limit)

    def _speed_up(self, now: float) -> None:
        if self._rate is not None:
            doublings = min(int((now - self._last_limited) / QUIET_SECONDS), QUIET_DOUBLINGS)
            span = max(now - self._outcomes[0][0], WINDOW / 8)
            achieved = (len(self._outcomes) - self._limited_in_window) / span
            ceiling = max(self._rate, 2.0 * achieved)
            self._rate = min(ceiling, self._rate * (1.0 + GAIN * 2 ** doublings))
        if self._limit is not None and (self._limit_max is None or self._limit < self._limit_max):
            self._successes_since_cut += 1
            if self._successes_since_cut >= self._recover_after:
                self._limit += 1
                self._successes_since_cut = 0

    def state(self) -> PacerState:
        with self._cond:
            rate = self._effective_rate()
            return PacerState(self.family, rate, self._learned, self._limit, self._in_flight, self.requests,
                              self.throttled, capped=self._cap is not None and rate == self._cap)
