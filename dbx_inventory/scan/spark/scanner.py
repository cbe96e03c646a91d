"""The Spark executor: users in chunks, each chunk a Spark job whose tasks run the walker; two chunks in flight;
a lost session reconnected and its chunk run again. Results come back chunk by chunk, so an abandoned operation
costs at most one chunk."""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import json
import logging
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from ...api.auth import MaskedToken
from ...api.clock import RealClock
from ...api.task_token import TaskToken, task_lifetime
from ...core.errors import InventoryError
from ...core.model import ScanTarget, UserResult
from ...core.records import record_to_result
from ...core.redact import redact
from ..options import SparkTarget
from . import session as sessions
from .errors import clean_error, session_lost
from .preflight import check_python
from .task import RESULT_SCHEMA, TaskOptions, scan_partition

log = logging.getLogger("dbx_inventory")

REOPEN_WAITS = (2.0, 4.0, 8.0, 16.0)  # a restarting driver gets about half a minute to answer again
MAX_RECONNECTS = 3
# Chunks in flight at once: while one drains (a task still on its last, largest user), the next one's tasks
# take the free slots, so the API families stay busy across chunk boundaries. The cluster's slots bound how
# many tasks run at once, so the per-task share of the rate budget stays right.
PIPELINE = 2


class SparkScanner:
    def __init__(self, target: SparkTarget, sdk_config: Any, opts: TaskOptions, chunk_size: int,
                 secret: str | None, task_token: TaskToken | None = None) -> None:
        self.target = target
        self.task_token = task_token  # None: the tasks carry opts.token as given
        self.sdk_config = sdk_config
        self.opts = opts
        self.chunk_size = chunk_size
        self.secret = secret
        self.spark: Any = None
        self.workers_seen: dict[str, int] = {}
        self.rates: dict[str, float] = {}  # per task and API family, learned by the chunks so far
        self._reconnect = threading.Lock()
        self.importable_on_workers = False

    def open(self) -> None:
        """The session, with Databricks Connect's own checks of the compute it dials."""
        if self.spark is None:
            self.spark = sessions.open_session(self.target, self.sdk_config)

    def start(self) -> None:
        self.open()
        sessions.ship_package()
        if not self.target.on_this_machine:  # a local Spark's workers run this very interpreter
            check_python(self.spark, self.target, self.secret)
        log.debug("Spark: package shipped by value; %d tasks at once", sessions.parallelism(self.spark, self.target))

    def tasks(self) -> int:
        """How many tasks a chunk has: the cluster's slots, or fewer for small chunks."""
        return min(sessions.parallelism(self.spark, self.target), max(1, self.chunk_size))

    def start_from(self, rates: dict[str, float]) -> None:
        """Request rates per API family learned on the driver, shared out between a chunk's tasks."""
        tasks = self.tasks()
        self.rates = {family: rate / tasks for family, rate in rates.items()}

    def scan(self, users: Sequence[ScanTarget]) -> Iterator[UserResult]:
        tasks = self.tasks()
        # The workspace's rate budget is shared: tasks together keep about as many requests in flight as
        # the local mode does, and split --max-rps between them.
        walk = dataclasses.replace(self.opts.walk, workers=max(1, math.ceil(self.opts.walk.workers / tasks)))
        per_task = dataclasses.replace(self.opts, walk=walk,
                                       max_rps=self.opts.max_rps / tasks if self.opts.max_rps else None)
        log.debug("Spark: %d tasks per chunk of %d users, %d workers per task per API family, %d chunks in flight",
                  tasks, self.chunk_size, walk.workers, PIPELINE)
        # Chunks of equal size, at most chunk_size: 201 users make 3 chunks of 67, not a last chunk of 1 user that
        # waits for a free slot, then keeps the whole cluster waiting for its one task.
        size = math.ceil(len(users) / max(1, math.ceil(len(users) / self.chunk_size)))
        chunks = [(start, list(users[start:start + size])) for start in range(0, len(users), size)]
        lifetime = task_lifetime(len(users), tasks, self.opts.retry_deadline)
        with concurrent.futures.ThreadPoolExecutor(PIPELINE, thread_name_prefix="spark-chunk") as pool:
            pending: collections.deque[concurrent.futures.Future[list[Any]]] = collections.deque()
            queue = iter(chunks)

            def submit() -> None:
                nxt = next(queue, None)
                if nxt is not None:
                    opts = dataclasses.replace(per_task, rates=dict(self.rates))
                    if self.task_token is not None:  # minted once; an OAuth token as fresh as it can be
                        opts = dataclasses.replace(opts, token=MaskedToken(self.task_token.value(lifetime)))
                    pending.append(pool.submit(self._run_chunk, nxt[1], nxt[0], opts, tasks))

            for _ in range(PIPELINE):
                submit()
            try:
                while pending:
                    rows = pending.popleft().result()
                    self._learn(rows)
                    submit()
                    yield from self._results(rows)
            finally:
                for future in pending:
                    future.cancel()

    def log_executors(self) -> None:
        """For --debug: where the users were scanned, and whether the package was there without shipping."""
        log.debug("Spark executors: %s", ", ".join(f"{h} ({n} users)" for h, n in self.workers_seen.items()))
        log.debug("package importable on the executors without shipping: %s", self.importable_on_workers)

    def _learn(self, rows: list[Any]) -> None:
        """The rates a chunk's tasks learned, each task's own share: the next chunks start from their mean."""
        learned: dict[str, list[float]] = {}
        for pace in {row["pace"] for row in rows}:
            for family, rate in json.loads(pace or "{}").items():
                learned.setdefault(family, []).append(rate)
        for family, rates in learned.items():
            self.rates[family] = sum(rates) / len(rates)
        if learned:
            log.debug("Spark: next chunks start at %s requests/s per task",
                      ", ".join(f"{f} {r:.1f}" for f, r in self.rates.items()))

    def _results(self, rows: list[Any]) -> Iterator[UserResult]:
        for row in rows:
            result = record_to_result(json.loads(row["record"]))
            self.workers_seen[row["host"]] = self.workers_seen.get(row["host"], 0) + 1
            self.importable_on_workers |= bool(row["pkg_importable"])
            if self.importable_on_workers:
                log.debug("the package is also installed on executor %s", row["host"])
            log.debug("%s scanned on executor %s", result.username, row["host"])
            yield result

    def _run_chunk(self, chunk: list[ScanTarget], offset: int, opts: TaskOptions, tasks: int) -> list[Any]:
        attempts = 0
        rows = [(offset + i, json.dumps(dataclasses.asdict(t))) for i, t in enumerate(chunk)]
        while True:
            session = self.spark
            try:
                df = session.createDataFrame(rows, "idx long, target string")
                df = df.repartition(min(tasks, len(chunk))).mapInArrow(scan_partition(opts), RESULT_SCHEMA)
                return df.collect()
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                if session_lost(exc) and attempts < MAX_RECONNECTS:
                    attempts += 1
                    log.warning("Spark session lost (%s); reconnecting (%d/%d) and rerunning this chunk",
                                clean_error(exc, self.secret), attempts, MAX_RECONNECTS)
                    with self._reconnect:  # chunks in flight lose the session together: one reconnects
                        if self.spark is session:
                            try:
                                session.stop()  # or a cached session would come back, as dead as it is
                            except Exception:
                                pass
                            self.spark = self._reopen()
                    continue
                log.debug("Spark job failed: %s", redact(str(exc), self.secret))
                raise InventoryError(f"Spark job failed: {clean_error(exc, self.secret)}") from None

    def _reopen(self) -> Any:
        clock = RealClock()
        for wait in (*REOPEN_WAITS, None):
            try:
                return sessions.open_session(self.target, self.sdk_config)
            except InventoryError as exc:
                if wait is None:
                    raise
                log.warning("Spark is not answering yet (%s); trying again in %.0f s", exc, wait)
                clock.sleep(wait)

    def stop(self) -> None:
        """Stop a session this run opened (never a cluster's or a notebook's), and revoke the tasks' token; a
        second call does nothing. Called only by SparkStart.close, which owns the scanner's lifetime."""
        if self.spark is not None and not (self.target.cluster_id or self.target.serverless or self.target.active):
            spark, self.spark = self.spark, None
            try:
                spark.stop()
            except Exception:
                pass
        if self.task_token is not None:
            self.task_token.revoke()
