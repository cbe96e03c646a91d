"""The concurrent walk, in the style of rclone's fs/walk: pools of workers take folders from shared queues
(lanes.py); a counter of outstanding requests per place says when a user's place is done.

- No depth limit: a folder is opened whatever its depth, and never twice.
- Entries are folded into the user's tallies as they arrive (core/model.py): memory grows with the users
  in flight, the folders pending and the largest single listing, not with the total number of files.
- `exact_notebook_sizes`: every notebook a listing finds becomes an export job; the notebook is folded when
  its export answers, and the pending counter covers exports, so a place is done only when its exports are.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..api.clock import Clock, RealClock
from ..api.listers import LISTERS, TOO_BIG, Exporter, Lister, export_notebook
from ..api.rest import RestClient
from ..core.errors import ApiError, BadRequest, InventoryError, NotFound, PermissionDenied, Unauthenticated
from ..core.locations import HOME_DBFS, HOME_WORKSPACE, Location
from ..core.model import DEFAULT_SIZE_ESTIMATE, Entry, PartResult, ScanTarget, Tally, UserResult
from ..core.redact import redact
from .lanes import EXPORT, Job, Lanes

log = logging.getLogger("dbx_inventory")

# An observer gets every listing as it is folded (progress display, per-file output, largest files).
Observer = Callable[[ScanTarget, Location, Sequence[Entry]], None]


@dataclass(frozen=True)
class WalkOptions:
    locations: tuple[Location, ...] = (HOME_DBFS, HOME_WORKSPACE)
    workers: int = 8  # per lane
    sequential: bool = False  # one lane, one worker, one request at a time
    size_estimate: int = DEFAULT_SIZE_ESTIMATE
    users_in_flight: int = 0  # most users admitted at once; 0: 1000
    exact_notebook_sizes: bool = False  # export every notebook to measure it instead of estimating it


@dataclass
class _Place:
    location: Location
    root: str
    tally: Tally = field(default_factory=Tally)
    pending: int = 1  # requests not yet folded
    found: bool = True
    error: str | None = None
    visited: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        # Errors name the file system for a home, the location otherwise ("repos: HTTP 403 ...").
        return self.location.fs if self.location.name == "home" else self.location.name


@dataclass
class _User:
    index: int
    target: ScanTarget
    started: float
    places: list[_Place]
    lock: threading.Lock = field(default_factory=threading.Lock)
    remaining: int = 0


@dataclass
class _Answer:
    """What one request gave, its failure classified."""

    entries: Sequence[Entry] = ()
    size: int = 0  # an export's
    too_big: bool = False  # an export refused over the size cap: stays estimated, not an error
    missing: bool = False  # the place does not exist: not an error
    failure: str | None = None


def _request(job: Job, client: RestClient, listers: dict[str, Lister], exporter: Exporter) -> _Answer:
    """List one folder or export one notebook; classify what went wrong."""
    place = job.part
    if place.error is not None:
        return _Answer()  # a place that already failed needs no more requests
    try:
        if job.notebook is not None:
            return _Answer(size=exporter(client, job.notebook.path))
        return _Answer(entries=listers[place.location.fs](client, job.path))
    except ApiError as exc:
        if isinstance(exc, (Unauthenticated, PermissionDenied)):
            client.access.confirm()  # raises when the credentials stopped working
        if job.notebook is not None and isinstance(exc, BadRequest) and exc.error_code == TOO_BIG:
            return _Answer(too_big=True)
        if job.notebook is None and isinstance(exc, NotFound) and job.path == place.root:
            return _Answer(missing=True)
        if exc.too_slow:
            return _Answer(failure=redact(f"{place.label}: {too_slow(place.location, job, exc)}"))
        # A 404 below the root too: a folder deleted mid-scan leaves a number that is neither old nor new.
        what = "export " if job.notebook is not None else ""
        return _Answer(failure=redact(f"{place.label}: {what}{exc.describe()}"))
    except InventoryError:
        raise
    except Exception as exc:  # a bug or an unexpected answer: this user fails, the others go on
        return _Answer(failure=redact(f"{place.label}: {type(exc).__name__} on {job.path}: {exc}"))


def too_slow(location: Location, job: Job, exc: ApiError) -> str:
    """The sentence for a folder (or notebook) the REST API cannot answer for in time, however often asked."""
    if job.notebook is not None:
        return f"the REST API could not export {job.notebook.path} in time ({exc.message})"
    where = ("dbfs:" if location.fs == "dbfs" else "") + job.path
    hint = "; dbfs/list gives up on a directory of more than about 10,000 entries" if location.fs == "dbfs" else ""
    return f"the REST API could not list {where} in time ({exc.message}){hint}"


class Walker:
    def __init__(self, client: RestClient, options: WalkOptions, clock: Clock | None = None,
                 listers: dict[str, Lister] | None = None, observer: Observer | None = None,
                 exporter: Exporter | None = None) -> None:
        self.client = client
        self.options = options
        self.clock = clock or RealClock()
        self.listers = listers or LISTERS
        self.observer = observer
        self.exporter = exporter or export_notebook
        self._exporting = options.exact_notebook_sizes and any(loc.fs == "workspace" for loc in options.locations)
        families = list(dict.fromkeys(loc.fs for loc in options.locations)) + ([EXPORT] if self._exporting else [])
        self.lanes = Lanes(families, options.workers, options.sequential, options.users_in_flight)
        self._stop = threading.Event()
        self._fatal: InventoryError | None = None
        self._results: queue.Queue[UserResult] = queue.Queue()
        self._worker_name = socket.gethostname()

    def stop(self) -> None:
        """Stop scheduling new work; in-flight requests end on their own, their users are dropped."""
        self._stop.set()

    def scan(self, targets: Iterable[ScanTarget]) -> Iterator[UserResult]:
        """Yield one UserResult per target, in completion order."""
        threads = [threading.Thread(target=self._work, args=(q,), name=f"walker-{i}-{n}", daemon=True)
                   for i, (q, workers) in enumerate(self.lanes.pools) for n in range(workers)]
        for t in threads:
            t.start()
        try:
            pending = iter(enumerate(targets))
            in_flight = 0
            while True:
                while not self._stop.is_set() and self.lanes.admit_more(in_flight):
                    nxt = next(pending, None)
                    if nxt is None:
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
            # Requests in flight are abandoned, not awaited: the workers are daemons, and one short wait for
            # them all (not one per thread) keeps Ctrl-C or SIGTERM prompt during an outage.
            until = time.monotonic() + 0.5
            for t in threads:
                t.join(timeout=max(0.0, until - time.monotonic()))

    def _places(self, target: ScanTarget) -> list[_Place]:
        """A user's folder in every per-user place, and each Unity Catalog volume it owns."""
        if target.error:
            return []
        places = [_Place(loc, loc.path(target.folder)) for loc in self.options.locations if target.homes and not loc.owned]
        return places + [_Place(loc, path) for loc in self.options.locations if loc.owned for path in target.volumes]

    def _admit(self, index: int, target: ScanTarget) -> None:
        places = self._places(target)
        user = _User(index, target, self.clock.time(), places, remaining=len(places))
        if not places:  # nothing to walk: known to fail before any request
            self._results.put(self._result(user))
        for place in places:
            place.visited.add(place.root)
            self.lanes.put(index, user, place, place.root)

    def _work(self, lane: queue.PriorityQueue[Job]) -> None:
        while not self._stop.is_set():
            try:
                job = lane.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._process(job)
            except InventoryError as exc:  # credentials gone, an unwritable --files-output...
                self._fail(exc)
                return
            except Exception as exc:
                # A dead worker would leave its user pending forever: a hang is worse than a clear stop.
                self._fail(InventoryError(f"internal error while scanning: {type(exc).__name__}: {exc}"))
                return

    def _process(self, job: Job) -> None:
        user, place = job.user, job.part
        answer = _request(job, self.client, self.listers, self.exporter)
        shown = self._shown(job, answer)
        if shown and self.observer and answer.failure is None and place.error is None:
            self.observer(user.target, place.location, shown)
        with user.lock:
            place.found = place.found and not answer.missing
            if answer.failure and place.error is None:
                place.error = answer.failure
                log.debug("%s: %s", user.target.name, answer.failure)
            if place.error is None:
                self._fold(job, answer)
            finished = self._settle(user, place)
        if finished is not None:
            self._results.put(finished)

    def _exports(self, place: _Place, entry: Entry) -> bool:
        return self._exporting and place.location.fs == "workspace" and entry.kind == "NOTEBOOK" and entry.size is None

    def _shown(self, job: Job, answer: _Answer) -> list[Entry]:
        """What the observers see: a listing's entries (notebooks to be exported wait for their size), or
        the exported notebook with its measured size."""
        if job.notebook is None:
            return [e for e in answer.entries if not self._exports(job.part, e)]
        return [job.notebook if answer.too_big else job.notebook._replace(size=answer.size)]

    def _fold(self, job: Job, answer: _Answer) -> None:
        """Count what the answer holds and queue what it opens (under the user's lock)."""
        place, size_estimate = job.part, self.options.size_estimate
        if job.notebook is not None:
            if answer.too_big:
                place.tally.add_too_big(job.notebook, size_estimate)
            else:
                place.tally.add(job.notebook._replace(size=answer.size), size_estimate)
            return
        for entry in answer.entries:
            if entry.is_folder:
                if entry.path in place.visited:
                    continue  # never list a folder twice (a listing that names itself, a cycle)
                place.visited.add(entry.path)
                place.pending += 1
                self.lanes.put(job.user_index, job.user, place, entry.path)
            elif self._exports(place, entry):
                place.pending += 1
                self.lanes.put(job.user_index, job.user, place, entry.path, entry)
                continue  # folded when its export answers
            place.tally.add(entry, size_estimate)

    def _settle(self, user: _User, place: _Place) -> UserResult | None:
        """One request of `place` is folded (under the user's lock); the result, when the user is done."""
        place.pending -= 1
        if place.pending == 0:
            place.visited = set()
            user.remaining -= 1
            if user.remaining == 0:
                return self._result(user)
        return None

    def _result(self, user: _User) -> UserResult:
        parts = tuple(PartResult(p.location.fs, p.found, p.tally, p.error, p.location.name, p.root) for p in user.places)
        if not user.target.error and not user.target.volumes:
            # Volumes were looked for and this identity owns none: 0, not blank.
            parts += tuple(PartResult(loc.fs, False, Tally(), None, loc.name) for loc in self.options.locations if loc.owned)
        return UserResult.of(user.target, parts, round(self.clock.time() - user.started, 3), self._worker_name)

    def _fail(self, error: InventoryError) -> None:
        if self._fatal is None:
            self._fatal = error
        self._stop.set()
