"""A live progress display on stderr, only when stderr is a terminal (cron output stays clean).

One line, drawn by rich: the workspace, users done of all (those a resumed run found done count as done,
like the `[N/total]` log lines and the interrupt message), the time left at the recent rate of users, files
and bytes seen, and the pace. While it is live, log lines (a user's error, a warning) go through rich's
console, so they print above the line instead of glued to a frame of it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..core.locations import Location
from ..core.model import Entry, ScanTarget
from .text import human_bytes, plural

log = logging.getLogger("dbx_inventory")


def pace(client: Any) -> str:
    """How fast requests go, in an admin's words: a pacer that found the workspace's limit is normal."""
    states = [s for s in client.pacer_states() if s.requests]
    found = [s.rate for s in states if s.limit_found and s.rate]
    if found:
        return f"pacing at {max(found):.0f} req/s (workspace limit found)"
    capped = [s.rate for s in states if s.rate and s.capped]
    if capped:
        return f"pacing at {max(capped):.0f} req/s (--max-rps)"
    starting = [s for s in states if s.rate]
    if starting:  # a family that starts slow by design (SCIM's few requests per second), not a limit
        first = max(starting, key=lambda s: s.rate or 0.0)
        return f"pacing {first.family} at {first.rate:.0f} req/s (its starting rate)"
    return f"{sum(s.requests for s in states):,} requests"


class Progress:
    def __init__(self, total_users: int, done_users: int, client: Any, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total_users
        self.users = done_users
        self.client = client
        self.files = self.bytes = 0
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress
            from rich.table import Column

            host = self.client.host.split("://", 1)[-1]
            self._progress = RichProgress(
                TextColumn(f"{host}  users"), BarColumn(bar_width=10), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
                console=Console(stderr=True), transient=True, refresh_per_second=4, speed_estimate_period=60, expand=True,
            )
            before = sys.stderr
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total, completed=self.users)
            # rich redirects sys.stderr while it is live; log handlers keep the stream they were given.
            for handler in log.handlers:
                if type(handler) is logging.StreamHandler and handler.stream is before:
                    self._streams.append((handler, handler.setStream(sys.stderr)))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            for handler, stream in self._streams:
                handler.setStream(stream)

    def observe(self, target: ScanTarget, location: Location, entries: Sequence[Entry]) -> None:
        if not self.enabled:
            return
        files = sum(1 for e in entries if not e.is_folder)
        size = sum(e.size or 0 for e in entries if not e.is_folder)
        with self._lock:
            self.files += files
            self.bytes += size

    def user_done(self) -> None:
        with self._lock:
            self.users += 1
        if self._progress is not None:
            text = f"{plural(self.files, 'file', grouped=True)}, {human_bytes(self.bytes)}"
            how = pace(self.client)
            self._progress.update(self._task, completed=self.users, description=f"{text} · {how}" if how else text)
