"""Whether the workspace is still there: a host that has not answered any request of any family for a while is
gone, and the run stops with one sentence, instead of failing the remaining users one retry deadline at a time.
"""

from __future__ import annotations

from ..core.errors import UnreachableError
from .clock import Clock


class HostLiveness:
    def __init__(self, host: str, clock: Clock, lost_after: float = 60.0) -> None:
        self.host = host
        self.clock = clock
        self.lost_after = lost_after
        self._last_contact: float | None = None  # when the host last answered; None: never yet

    def answered(self) -> None:
        self._last_contact = self.clock.time()  # a float store: atomic enough across worker threads

    def lost(self, first_drop: float, give_up: bool) -> bool:
        """Whether the host, which did answer earlier in this run, is gone: no request of any family has had
        an answer for `lost_after` seconds, or (as a request gives up) since that request's first failure."""
        if self._last_contact is None:
            return False  # never reached: the access check says "cannot reach" instead
        if give_up and self._last_contact < first_drop:
            return True
        return self.clock.time() - self._last_contact > self.lost_after

    def lost_error(self, reason: str) -> UnreachableError:
        silent = self.clock.time() - (self._last_contact or 0.0)
        return UnreachableError(f"lost contact with {self.host}: no answer to any request for {silent:.0f} s ({reason})")
