"""A live progress line on stderr, only when stderr is a terminal (cron output stays clean)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from ..core.locations import Location
from ..core.summary import Entry, ScanTarget
from .text import human_bytes


class Progress:
    """Users done/total, files, bytes, requests/s and throttled requests, drawn by rich."""

    def __init__(self, total_users: int, client: Any, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total_users
        self.client = client
        self.users = self.files = self.bytes = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                TextColumn("users"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
                refresh_per_second=4,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

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
            elapsed = max(time.monotonic() - self._started, 1e-6)
            text = (f"{self.files} files, {human_bytes(self.bytes)}, "
                    f"{self.client.requests() / elapsed:.0f} req/s, {self.client.throttled()} throttled")
            self._progress.update(self._task, completed=self.users, description=text)
