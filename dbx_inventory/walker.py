"""The concurrent walk, in the style of rclone's fs/walk: fixed pools of workers take directories from a
shared queue; a counter of outstanding directories says when a user's file system is done.

- One lane (queue + workers) per API family by default, so DBFS and Workspace proceed at the same time
  under their separate rate limits. `--no-parallel` is a single lane with one worker: one request at a time.
- Jobs are ordered by user (input order) and then newest-first, so workers finish early users before
  starting late ones and a huge user is shared by every worker instead of holding one up.
- Entries are folded into per-user tallies as they arrive: memory grows with users in flight and
  directories pending, never with the number of files.
- No depth limit (defect 3): a directory is opened whatever its depth, and never twice.
- `exact_notebook_sizes`: every notebook a listing finds becomes an export job in a lane of its own (its own
  queue and workers, paced by the export family's pacer); the notebook is folded when its export answers, and
  the pending counter covers exports, so a user's Workspace part is done only when its exports are done.
  `--no-parallel` keeps them on the single lane. A notebook over the export cap stays estimated.
"""

from __future__ import annotations

import itertools
import logging
import queue
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .clock import Clock, RealClock
from .errors import ApiError, AuthError, InventoryError
from .listers import LISTERS, TOO_BIG, Entry, Exporter, Lister, export_notebook, home_path
from .rest import RestClient
from .summary import DEFAULT_SIZE_ESTIMATE, FsResult, Tally, UserResult

log = logging.getLogger("dbx_inventory")


@dataclass
class _FsScan:
    fs: str
    root: str
    tally: Tally = field(default_factory=Tally)
    pending: int = 1
    found: bool = True
    error: str | None = None
    visited: set[str] = field(default_factory=set)


@dataclass
class _UserScan:
    index: int
    username: str
    started: float
    parts: dict[str, _FsScan]
    lock: threading.Lock = field(default_factory=threading.Lock)
    remaining: int = 0


@dataclass(frozen=True)
class WalkOptions:
    file_systems: tuple[str, ...] = ("dbfs", "workspace")
    workers: int = 8  # per lane
    sequential: bool = False  # one lane, one worker, one request at a time
    size_estimate: int = DEFAULT_SIZE_ESTIMATE
    users_in_flight: int = 0  # most users admitted at once; 0: 1000
    exact_notebook_sizes: bool = False  # export every notebook to measure it instead of estimating it


# An observer gets every listing as it is folded (progress display, per-file output).
Observer = Callable[[str, str, Sequence[Entry]], None]


class Walker:
    def __init__(
        self,
        client: RestClient,
        options: WalkOptions,
        clock: Clock | None = None,
        listers: dict[str, Lister] | None = None,
        observer: Observer | None = None,
        exporter: Exporter | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.clock = clock or RealClock()
        self.listers = listers or LISTERS
        self.observer = observer
        self.exporter = exporter or export_notebook
        # Exports only exist for the Workspace: a DBFS-only scan has no export lane.
        self._exporting = options.exact_notebook_sizes and "workspace" in options.file_systems
        exporting = ("export",) if self._exporting else ()
        self._stop = threading.Event()
        self._fatal: InventoryError | None = None
        self._results: queue.Queue[UserResult] = queue.Queue()
        self._seq = itertools.count()
        self._worker_name = socket.gethostname()
        if options.sequential:
            lanes = [(options.file_systems + exporting, 1)]
        else:
            lanes = [((fs,), max(1, options.workers)) for fs in options.file_systems + exporting]
        self._lane_of: dict[str, queue.PriorityQueue] = {}
        self._lanes = []
        self._export_lane: tuple[queue.PriorityQueue, int] | None = None  # only when exports have their own
        for systems, workers in lanes:
            q: queue.PriorityQueue = queue.PriorityQueue()
            for fs in systems:
                self._lane_of[fs] = q
            self._lanes.append((q, workers))
            if systems == ("export",):
                self._export_lane = (q, workers)
        total_workers = sum(w for _, w in self._lanes)
        client.ensure_pool(total_workers + 4)  # one connection per worker thread, whatever the lanes
        self._min_users = max(2, total_workers)
        # Users in flight cost a tally and a set of pending folders each: bounded, and independent of
        # the number of files.
        self._max_users = options.users_in_flight or 1000

    def _lane_starved(self) -> bool:
        # The export lane is fed by Workspace listings, not by admitting users directly: when it has a
        # backlog, more users would only queue more exports; when it is short, listings will refill it.
        export_q = None
        if self._export_lane is not None:
            export_q, export_workers = self._export_lane
            if export_q.qsize() >= 8 * export_workers:
                return False
        return any(q.qsize() < 2 * workers for q, workers in self._lanes if q is not export_q)

    def stop(self) -> None:
        """Stop scheduling new work; in-flight requests end on their own, their users are dropped."""
        self._stop.set()

    def scan(self, usernames: Iterable[str]) -> Iterator[UserResult]:
        """Yield one UserResult per user, in completion order."""
        threads = [
            threading.Thread(target=self._work, args=(q,), name=f"walker-{i}-{n}", daemon=True)
            for i, (q, workers) in enumerate(self._lanes)
            for n in range(workers)
        ]
        for t in threads:
            t.start()
        try:
            pending = iter(enumerate(usernames))
            in_flight = 0
            exhausted = False
            while True:
                # Admit users while any lane is short of work, so that neither family idles while the
                # other finishes the users in flight (they complete only when both are done).
                while not exhausted and not self._stop.is_set() and in_flight < self._max_users and (
                    in_flight < self._min_users or self._lane_starved()
                ):
                    nxt = next(pending, None)
                    if nxt is None:
                        exhausted = True
                        break
                    self._admit(*nxt)
                    in_flight += 1
                if in_flight == 0 or self._stop.is_set():
                    break
                try:
                    result = self._results.get(timeout=0.02)
                except queue.Empty:
                    continue
                in_flight -= 1
                yield result
            if self._fatal:
                raise self._fatal
        finally:
            self._stop.set()
            for t in threads:
                t.join(timeout=0.5)  # in-flight requests are abandoned, not awaited

    # -- internals ----------------------------------------------------------------------------------
    def _admit(self, index: int, username: str) -> None:
        parts = {fs: _FsScan(fs, home_path(fs, username)) for fs in self.options.file_systems}
        user = _UserScan(index, username, self.clock.time(), parts, remaining=len(parts))
        for part in parts.values():
            part.visited.add(part.root)
            self._push(user, part, part.root)

    def _push(self, user: _UserScan, part: _FsScan, path: str) -> None:
        # Lower user index first; within a user, newest first (depth-first keeps the queue short).
        self._lane_of[part.fs].put((user.index, -next(self._seq), (user, part, path, None)))

    def _push_export(self, user: _UserScan, part: _FsScan, notebook: Entry) -> None:
        self._lane_of["export"].put((user.index, -next(self._seq), (user, part, notebook.path, notebook)))

    def _work(self, lane: queue.PriorityQueue) -> None:
        while not self._stop.is_set():
            try:
                _, _, job = lane.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._process(*job)
            except InventoryError as exc:  # a 401 mid-scan, an unwritable --files-output, not a JSON API...
                self._fail(exc)
                return
            except Exception as exc:
                # A dead worker would leave its user pending forever: a hang is worse than a clear stop.
                self._fail(InventoryError(f"internal error while scanning: {type(exc).__name__}: {exc}"))
                return

    def _process(self, user: _UserScan, part: _FsScan, path: str, notebook: Entry | None) -> None:
        """List one folder (or export one notebook) and fold it; raises InventoryError when the run must stop."""
        if notebook is not None:
            self._measure(user, part, notebook)
            return
        entries: Sequence[Entry] = ()
        failure: str | None = None
        missing = False
        if part.error is None:
            try:
                entries = self.listers[part.fs](self.client, path)
            except ApiError as exc:
                _stop_if_unauthenticated(exc)
                if exc.not_found and path == part.root:
                    missing = True  # no home: not an error (empty / none)
                else:
                    failure = f"{part.fs}: {exc.describe()}"
            except InventoryError:
                raise
            except Exception as exc:  # a bug or an unexpected answer: this user fails, others go on
                failure = f"{part.fs}: {type(exc).__name__} on {path}: {exc}"
        if entries and self.observer:
            # Notebooks to be exported are shown once measured, with their real size (_measure).
            shown = [e for e in entries if not self._exports_notebook(part, e)]
            if shown:
                self.observer(user.username, part.fs, shown)
        self._fold(user, part, path, entries, failure, missing)

    def _fold(
        self, user: _UserScan, part: _FsScan, path: str, entries: Sequence[Entry], failure: str | None, missing: bool
    ) -> None:
        with user.lock:
            if missing:
                part.found = False
            if failure and part.error is None:
                part.error = failure
                log.debug("%s: %s", user.username, failure)
            if part.error is None:
                for entry in entries:
                    if entry.is_folder:
                        if entry.path in part.visited:
                            continue  # never list a directory twice (a listing that names itself, a cycle)
                        part.visited.add(entry.path)
                        part.pending += 1
                        self._push(user, part, entry.path)
                    elif self._exports_notebook(part, entry):
                        part.pending += 1
                        self._push_export(user, part, entry)
                        continue  # folded when its export answers
                    part.tally.add(entry, self.options.size_estimate)
            finished = self._settle(user, part)
        if finished is not None:
            self._results.put(finished)

    def _exports_notebook(self, part: _FsScan, entry: Entry) -> bool:
        return self._exporting and part.fs == "workspace" and entry.kind == "NOTEBOOK" and entry.size is None

    def _measure(self, user: _UserScan, part: _FsScan, notebook: Entry) -> None:
        """Export one notebook and fold it."""
        size = 0
        too_big = False
        failure: str | None = None
        if part.error is None:  # a part already failed needs no more requests
            try:
                size = self.exporter(self.client, notebook.path)
            except ApiError as exc:
                _stop_if_unauthenticated(exc)
                if exc.error_code == TOO_BIG:
                    too_big = True  # over the export cap: stays estimated, not an error
                else:
                    # 404 too: a notebook deleted mid-scan leaves a number that is neither old nor new.
                    failure = f"{part.fs}: export {exc.describe()}"
            except InventoryError:
                raise
            except Exception as exc:  # a bug or an unexpected answer: this user fails, others go on
                failure = f"{part.fs}: {type(exc).__name__} exporting {notebook.path}: {exc}"
        if failure is None and part.error is None and self.observer:
            self.observer(user.username, part.fs, [notebook if too_big else notebook._replace(size=size)])
        with user.lock:
            if failure and part.error is None:
                part.error = failure
                log.debug("%s: %s", user.username, failure)
            if part.error is None:
                if too_big:
                    part.tally.add_too_big(notebook, self.options.size_estimate)
                else:
                    part.tally.add(notebook._replace(size=size), self.options.size_estimate)
            finished = self._settle(user, part)
        if finished is not None:
            self._results.put(finished)

    def _settle(self, user: _UserScan, part: _FsScan) -> UserResult | None:
        """One listing or export of `part` is done (call under the user's lock); the result when the user is."""
        part.pending -= 1
        if part.pending == 0:
            part.visited = set()
            user.remaining -= 1
            if user.remaining == 0:
                return self._result(user)
        return None

    def _result(self, user: _UserScan) -> UserResult:
        parts = tuple(FsResult(p.fs, p.found, p.tally, p.error) for p in user.parts.values())
        return UserResult(user.username, parts, round(self.clock.time() - user.started, 3), self._worker_name)

    def _fail(self, error: InventoryError) -> None:
        if self._fatal is None:
            self._fatal = error
        self._stop.set()


def _stop_if_unauthenticated(exc: ApiError) -> None:
    """A 401 mid-scan means the credentials stopped working: every further user would fail the same way."""
    if exc.status == 401:
        raise AuthError(f"authentication failed during the scan ({exc.describe()})")
