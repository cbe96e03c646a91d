"""Time goes through a Clock so that retry, backoff and pacing tests run in milliseconds."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def epoch(self) -> float:
        """Seconds since 1970 (wall time): for HTTP dates, such as a Retry-After given as a date."""
        ...


class RealClock:
    def time(self) -> float:
        return time.monotonic()

    def epoch(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
