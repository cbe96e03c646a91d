"""Spark mode's head start: while Spark opens, this machine scans the first users itself.

Opening Spark takes seconds to minutes (a JVM and its first job, or Databricks Connect's handshake with the
cluster), and the workspace's rate limit, not compute, bounds a scan. So the driver does not wait idle: its own
walker takes users from the front of the list until the session is ready, then the rest go to Spark in chunks,
starting from the request rates the driver has learned. Both executors run the same walker code, retry policy
and per-family limits; a user is scanned by exactly one of them, and the rows do not say which (`--debug`
does). At most half the users are taken here, so that Spark mode always runs Spark tasks.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Iterator

from ...api.rest import RestClient
from ...core.model import ScanTarget, UserResult
from ..walker import Walker
from .scanner import SparkScanner
from .start import SparkStart

log = logging.getLogger("dbx_inventory")

HEAD_START_SHARE = 0.5  # of the users, at most, scanned here while Spark opens


class _Done:
    """Put on the queue by a producer that has nothing more to give."""


class HeadStart:
    """The head-start-then-Spark executor (scan/executors.py)."""

    def __init__(self, walker: Walker, start: SparkStart, client: RestClient) -> None:
        self.walker = walker
        self.start = start
        self.client = client
        self.scanner: SparkScanner | None = None  # once Spark is open
        self._lock = threading.Lock()
        self._handed = 0  # users given to the local walker: always a prefix of the list
        self._closed = False

    def scan(self, targets: Iterable[ScanTarget]) -> Iterator[UserResult]:
        todo = list(targets)  # the head start's share is a share of the whole list
        results: queue.Queue[UserResult | BaseException | _Done] = queue.Queue()
        limit = int(len(todo) * HEAD_START_SHARE)

        def local_targets() -> Iterator[ScanTarget]:
            if not self.start.wait_checked():
                return
            for target in todo:
                with self._lock:
                    if self._closed or self._handed >= limit:
                        return
                    self._handed += 1
                yield target

        running = {self._pump(self.walker.scan(local_targets()), results, "walker")}
        try:
            while running or self.scanner is None:
                if self.scanner is None and self.start.done():
                    self.scanner = scanner = self.start.result()  # a failure to open Spark surfaces here
                    with self._lock:
                        self._closed = True
                        rest = list(todo[self._handed:])
                    log.info("Spark is ready: %d users scanned from this machine while it opened, %d go to Spark",
                             self._handed, len(rest))
                    if rest:
                        scanner.start_from(self.client.learned_rates())
                        running.add(self._pump(scanner.scan(rest), results, "spark"))
                try:
                    item = results.get(timeout=0.05)
                except queue.Empty:
                    continue
                if isinstance(item, _Done):
                    running.discard(item)
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            self.walker.stop()

    def close(self) -> None:
        """Stop the local walker, and Spark once it is open (or now, if it is)."""
        self.walker.stop()
        self.start.close()

    @staticmethod
    def _pump(source: Iterator[UserResult], results: queue.Queue, name: str) -> _Done:
        done = _Done()

        def pump() -> None:
            try:
                for result in source:
                    results.put(result)
            except BaseException as exc:  # handed to the consumer, which raises it in the main thread
                results.put(exc)
            finally:
                results.put(done)

        threading.Thread(target=pump, name=f"head-start-{name}", daemon=True).start()
        return done
