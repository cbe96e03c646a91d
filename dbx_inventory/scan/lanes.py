"""The walk's work queues: one lane (a priority queue and its pool of workers) per API family, and the rule
that says when one more user may start.

- One lane per family by default, so DBFS, Workspace and notebook exports proceed at the same time under
  their separate rate limits. `--no-parallel` is one lane with one worker: one request at a time.
- Jobs are ordered by user (input order), then newest first: workers finish early users before starting
  late ones, a huge user is shared by every worker, and depth-first order keeps the queues short.
"""

from __future__ import annotations

import itertools
import queue
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.model import Entry

EXPORT = "export"  # the family of notebook exports (--exact-notebook-sizes)


@dataclass(order=True)
class Job:
    """One request of the walk: list a folder, or export a notebook to measure it."""

    user_index: int
    order: int  # negative sequence number: within a user, the newest job first
    user: Any = field(compare=False)  # the walker's per-user state
    part: Any = field(compare=False)  # the walker's per-place state
    path: str = field(compare=False)
    notebook: Entry | None = field(default=None, compare=False)

    @property
    def family(self) -> str:
        return EXPORT if self.notebook is not None else self.part.location.fs


class Lanes:
    def __init__(self, families: Sequence[str], workers: int, sequential: bool, users_in_flight: int = 0) -> None:
        groups = [(tuple(families), 1)] if sequential else [((f,), max(1, workers)) for f in families]
        self.pools: list[tuple[queue.PriorityQueue[Job], int]] = []
        self._queue_of: dict[str, queue.PriorityQueue[Job]] = {}
        self._export: tuple[queue.PriorityQueue[Job], int] | None = None  # when exports have a lane of their own
        for group, n in groups:
            q: queue.PriorityQueue[Job] = queue.PriorityQueue()
            self.pools.append((q, n))
            for family in group:
                self._queue_of[family] = q
            if group == (EXPORT,):
                self._export = (q, n)
        self.workers = sum(n for _, n in self.pools)
        self._seq = itertools.count()
        self._min_users = max(2, self.workers)
        # Users in flight cost a tally and a set of pending folders each: bounded, whatever the file count.
        self._max_users = users_in_flight or 1000

    def put(self, user_index: int, user: Any, part: Any, path: str, notebook: Entry | None = None) -> None:
        job = Job(user_index, -next(self._seq), user, part, path, notebook)
        self._queue_of[job.family].put(job)

    def admit_more(self, in_flight: int) -> bool:
        """Admit users while any lane is short of work, so that no family idles while another finishes the
        users in flight (a user completes only when all its places are done)."""
        if in_flight >= self._max_users:
            return False
        return in_flight < self._min_users or self._starved()

    def _starved(self) -> bool:
        # The export lane is fed by Workspace listings, not by admitting users: when it has a backlog, more
        # users would only queue more exports; when it is short, listings will refill it.
        export_q = None
        if self._export is not None:
            export_q, export_workers = self._export
            if export_q.qsize() >= 8 * export_workers:
                return False
        return any(q.qsize() < 2 * n for q, n in self.pools if q is not export_q)
