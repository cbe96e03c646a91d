"""What scans the users: this machine's walker, Spark tasks, or this machine first and then Spark. The run
receives one Executor; `choose_executor` is the one place that decides which, and when Spark mode gives way to a
local scan."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Protocol

from ..api.rest import RestClient
from ..core.errors import InventoryError
from ..core.model import ScanTarget, UserResult
from .options import ScanOptions
from .spark.head_start import HeadStart
from .spark.scanner import SparkScanner
from .spark.start import SparkStart
from .walker import Observer, Walker

log = logging.getLogger("dbx_inventory")


class Executor(Protocol):
    # The Spark scanner that scanned users, if any: the tables are written through its session.
    scanner: SparkScanner | None

    def scan(self, targets: Iterable[ScanTarget]) -> Iterator[UserResult]:
        """One UserResult per target, in completion order. The targets may still be arriving (a feed)."""
        ...

    def close(self) -> None:
        """Stop scheduling work and release what the executor holds; a second call does nothing."""
        ...


class LocalExecutor:
    """The walker on this machine."""

    scanner: SparkScanner | None = None

    def __init__(self, walker: Walker) -> None:
        self.walker = walker

    def scan(self, targets: Iterable[ScanTarget]) -> Iterator[UserResult]:
        return self.walker.scan(targets)

    def close(self) -> None:
        self.walker.stop()


class SparkExecutor:
    """Spark tasks only, once Spark has started."""

    def __init__(self, start: SparkStart, scanner: SparkScanner) -> None:
        self.start = start
        self.scanner: SparkScanner | None = scanner

    def scan(self, targets: Iterable[ScanTarget]) -> Iterator[UserResult]:
        assert self.scanner is not None
        return self.scanner.scan(list(targets))  # chunks are cut from the whole list

    def close(self) -> None:
        self.start.close()


def choose_executor(client: RestClient, options: ScanOptions, start: SparkStart | None, todo: int,
                    observer: Observer | None = None) -> Executor:
    """The executor for `todo` users. Spark mode asked for by the admin scans here while Spark opens, then on
    Spark, and a failure to start stops the run. With --fallback-local, or Spark chosen only because the run is
    on a cluster, Spark may turn out unusable: wait for the verdict, and scan here if so."""
    def walker() -> Walker:
        return Walker(client, options.walk_options(), observer=observer)

    if start is None or options.spark is None or not todo:
        return LocalExecutor(walker())
    if not (options.fallback_local or options.spark.automatic):
        return HeadStart(walker(), start, client)
    try:
        return SparkExecutor(start, start.result())
    except InventoryError as exc:
        start.close()
        if options.fallback_local:
            log.warning("Spark mode cannot run (%s); --fallback-local: scanning from this machine", exc)
        else:  # the automatic choice on a cluster, not the admin's request: scan from the driver
            log.info("no usable Spark session on this cluster (%s): scanning from the driver", exc)
        return LocalExecutor(walker())
