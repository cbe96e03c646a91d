"""Opening Spark in the background while the driver finds what to scan, and the one place that stops it."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import threading

from ...api.rest import RestClient
from ...api.task_token import TaskToken
from ..options import ScanOptions
from .preflight import check_cluster, connect_version, require_pyspark
from .scanner import SparkScanner
from .task import TaskOptions

log = logging.getLogger("dbx_inventory")


class SparkStart:
    """Spark opening in the background while the driver finds what to scan: a session takes seconds to open (a
    JVM, or Databricks Connect's handshake with the cluster), and a large workspace's paged SCIM listing takes as
    long. `result()` is where a failure to start surfaces, as if Spark had been started right there. `close()`
    is the one path that stops the scanner, however the run ended."""

    def __init__(self, client: RestClient, options: ScanOptions) -> None:
        self._checked = threading.Event()
        self._scanner: SparkScanner | None = None  # once built, on the starting thread
        self._closed = False
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="spark-start")
        self._future = self._pool.submit(self._start, client, options)
        self._pool.shutdown(wait=False)

    def done(self) -> bool:
        return self._future.done()

    def wait_checked(self) -> bool:
        """Until the checks are through (Spark installed, the cluster there and running, serverless compute
        accepted): True, or False when starting has already failed. A refusal that can be known when the session
        starts is then an error before any user is scanned, whatever the timing."""
        while not self._checked.wait(0.05):
            if self._future.done():
                return False
        return True

    def result(self) -> SparkScanner:
        """The started scanner; an InventoryError if Spark cannot run."""
        return self._future.result()

    def close(self) -> None:
        """However the run ended (done, nothing left to scan, interrupted before Spark opened, failed to start):
        stop the session once it is open, and revoke the tasks' token. A second call does nothing."""
        if self._closed:
            return
        self._closed = True

        def stop(future: concurrent.futures.Future[SparkScanner]) -> None:
            if self._scanner is not None:
                self._scanner.stop()

        self._future.add_done_callback(stop)

    def _start(self, client: RestClient, options: ScanOptions) -> SparkScanner:
        """The Spark executor the options ask for, started. `_checked` is set once the checks are through: before
        the session opens, or for serverless compute once it has opened."""
        target = options.spark
        assert target is not None, "SparkStart is made for Spark mode"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local Spark's workers: this interpreter
        header = client.config.authenticate().get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        opts = TaskOptions(client.host, options.walk_options(), options.max_rps, options.retry_deadline)
        self._scanner = scanner = SparkScanner(target, client.config, opts, options.chunk_size, token,
                                               TaskToken(client))
        log.info("Scanning on %s", target.describe())
        if target.cluster_id:
            check_cluster(client, target.cluster_id, connect_version())
        elif target.serverless:
            connect_version()
            # Whether this databricks-connect may use serverless compute is known only once the session is open:
            # databricks-connect asks the server for its runtime then, and refuses one older than itself.
            scanner.open()
        else:
            require_pyspark()
        self._checked.set()
        scanner.start()
        return scanner
