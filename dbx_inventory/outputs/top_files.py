"""--top N: the N largest files of the run, kept in a bounded heap (memory independent of the file count)."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Sequence
from typing import NamedTuple

from ..core.locations import Location
from ..core.model import Entry, ScanTarget


class BigFile(NamedTuple):
    size: int
    user: str
    file_system: str
    path: str


class TopFiles:
    """Only files whose size the API gave: an estimated size says nothing about which files hold space."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._heap: list[BigFile] = []
        self._lock = threading.Lock()

    def observe(self, target: ScanTarget, location: Location, entries: Sequence[Entry]) -> None:
        candidates = [BigFile(e.size, target.name, location.fs, e.path) for e in entries if not e.is_folder and e.size]
        if not candidates:
            return
        with self._lock:
            for item in candidates:
                if len(self._heap) < self.n:
                    heapq.heappush(self._heap, item)
                elif item > self._heap[0]:
                    heapq.heapreplace(self._heap, item)

    def largest(self) -> list[BigFile]:
        with self._lock:
            return sorted(self._heap, reverse=True)
