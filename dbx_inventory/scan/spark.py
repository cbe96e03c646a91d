"""Spark mode: the same walker, retry policy and pacer, run as Spark tasks.

One code path for every way of reaching Spark: Databricks Connect (`--cluster-id`, `--serverless`), any Spark
Connect server (`--spark-remote sc://host:15002`, or `local[N]` to start one in-process), and classic pyspark
(`--spark-master`). Imports are lazy, so the other modes work without pyspark.

Where the original went wrong, and what this does instead: it put the token in every DataFrame row (here the
tasks carry a short-lived token of their own, revoked when the run ends, masked inside the pickled task and
never in a row or a plan: api/task_token.py); it sized partitions by --debug (here by
the cluster's parallelism); it fell back silently (here `--fallback-local` makes that explicit). The code is
shipped by value, so the cluster needs no copy of this package, and results come back chunk by chunk into
the checkpoint, so an abandoned operation costs at most one chunk.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.auth import MaskedToken, StaticAuth
from ..api.client import build_client
from ..api.clock import RealClock
from ..api.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    InventoryError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from ..api.redact import add_secret, redact
from ..api.rest import RestClient
from ..api.task_token import TaskToken, task_lifetime
from ..core.records import record_to_result, result_to_record
from ..core.summary import ScanTarget, UserResult
from ..outputs.columns import COLUMNS, record
from .options import ScanOptions, SparkTarget
from .walker import Walker, WalkOptions

log = logging.getLogger("dbx_inventory")

INSTALL_HELP = (
    "Spark mode needs pyspark 4 for --spark-remote/--spark-master (pip install -r requirements-spark.txt), or "
    "databricks-connect for --cluster-id/--serverless, in its own virtual environment without pyspark and not "
    "newer than the cluster's runtime (e.g. pip install 'databricks-connect==15.4.*' for DBR 15.4 LTS, which "
    "runs on Python 3.11; databricks-connect 16.x and later need the Python of their runtime, 3.12)"
)
# A session lost to a driver that restarted or went away for a moment: reconnect and rerun the chunk.
RECONNECTABLE = ("OPERATION_ABANDONED", "SESSION_CLOSED", "SESSION_CHANGED", "INVALID_HANDLE", "SESSION_NOT_FOUND",
                 "stopped SparkContext", "StatusCode.UNAVAILABLE", "Connection refused", "failed to connect")
REOPEN_WAITS = (2.0, 4.0, 8.0, 16.0)  # a restarting driver gets about half a minute to answer again
MAX_RECONNECTS = 3
LOCAL_CONF = {"spark.log.level": "ERROR", "spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false",
              # The JVM of a Spark started here only hands rows to Python tasks: its fast-starting compiler tier
              # saves about a second of start-up and costs nothing that the HTTP-bound tasks would notice.
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}
RESULT_SCHEMA = "idx long, user string, record string, host string, pkg_importable boolean, pace string"
# Chunks in flight at once: while one drains (a task still on its last, largest user), the next one's tasks
# take the free slots, so the API families stay busy across chunk boundaries. The cluster's slots bound how
# many tasks run at once, so the per-task share of the rate budget stays right.
PIPELINE = 2


@dataclass(frozen=True)
class TaskOptions:
    """Everything a task needs, and nothing secret in clear."""

    host: str
    walk: WalkOptions
    max_rps: float | None
    retry_deadline: float
    token: MaskedToken | None = field(default=None, repr=False)  # set for each Spark job (SparkScanner.scan)
    rates: dict[str, float] = field(default_factory=dict)  # per task and API family, learned by earlier chunks


def _require_pyspark() -> None:
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ConfigError(INSTALL_HELP) from None


def open_session(target: SparkTarget, sdk_config: Any) -> Any:
    if target.cluster_id or target.serverless:
        return _databricks_session(target, sdk_config)
    _require_pyspark()
    from pyspark.sql import SparkSession

    try:
        if target.active:
            # In a notebook the session exists; in a job's Python task the cluster's environment makes one.
            return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        builder = SparkSession.builder.appName("dbx-inventory")
        if target.remote and not target.remote.startswith("local"):
            return builder.remote(target.remote).getOrCreate()
        # A Spark started on this machine binds to loopback and keeps stage bars off the admin's terminal.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if target.remote:
            return builder.remote(target.remote).getOrCreate()
        for key, value in LOCAL_CONF.items():
            builder = builder.config(key, value)
        if target.catalog:
            # Without a metastore, a table written by one run is unknown to the next (LOCATION_ALREADY_EXISTS).
            builder = builder.enableHiveSupport()
        return builder.master(target.master or "local[*]").getOrCreate()
    except Exception as exc:
        raise ConfigError(f"cannot start Spark ({target.describe()}): {clean_error(exc)}") from None


def _databricks_session(target: SparkTarget, sdk_config: Any) -> Any:
    """Databricks Connect from the one SDK Config that carries the credentials, the profile and the compute
    (`cluster_id`, or `serverless_compute_id="auto"`): the builder calls here (sdkConfig, getOrCreate) exist in
    15.4 and in 19.x alike, and 19.x refuses a cluster set beside sdkConfig()."""
    connect_version()
    from databricks.connect import DatabricksSession  # type: ignore[import-not-found]

    try:
        return DatabricksSession.builder.sdkConfig(sdk_config).getOrCreate()
    except Exception as exc:
        raise ConfigError(connect_error(exc, target)) from None


def connect_version() -> str:
    """The installed databricks-connect's version; an error that says what to install, or that pyspark is in
    the way (databricks-connect bundles its own and refuses to run beside it)."""
    from importlib import metadata

    try:
        version = metadata.version("databricks-connect")
    except metadata.PackageNotFoundError:
        raise ConfigError(INSTALL_HELP) from None
    for other in ("pyspark", "pyspark-connect", "pyspark-client"):
        try:
            found = metadata.version(other)
        except metadata.PackageNotFoundError:
            continue
        if "+databricks.connect" not in found:
            raise ConfigError(f"{other} {found} is installed beside databricks-connect {version}, which bundles its "
                              f"own: use a virtual environment with databricks-connect alone (pip uninstall {other})")
    return version


def check_cluster(client: RestClient, cluster_id: str, version: str) -> None:
    """Before Databricks Connect dials: the cluster exists, may be used, runs, and runs a runtime at least as new
    as databricks-connect (a newer client is refused, docs/api-notes.md). One request, each failure a sentence."""
    try:
        info = client.get("clusters", "/api/2.1/clusters/get", {"cluster_id": cluster_id})
    except ApiError as exc:
        # clusters/get answers an unknown id with 400 INVALID_PARAMETER_VALUE "Cluster ... does not exist" on
        # many workspaces, not with a 404: the one place where the message tells the cause.
        if isinstance(exc, NotFound) or (isinstance(exc, BadRequest) and "not exist" in exc.message):
            raise ConfigError(f"cluster {cluster_id} not found in {client.host}: check --cluster-id") from exc
        if isinstance(exc, (Unauthenticated, PermissionDenied)):
            raise ConfigError(f"no permission to use cluster {cluster_id} ({exc.describe()}): ask for CAN ATTACH TO") from exc
        raise ConfigError(f"cannot check cluster {cluster_id}: {exc.describe()}") from exc
    state = str(info.get("state") or "")
    if state and state not in ("RUNNING", "RESIZING"):
        hint = "wait until it is RUNNING" if state in ("PENDING", "RESTARTING") else "start it, then run again"
        raise ConfigError(f"cluster {cluster_id} is not running ({state}): {hint}")
    runtime = re.match(r"(\d+)\.(\d+)", str(info.get("spark_version") or ""))
    client_version = re.match(r"(\d+)\.(\d+)", version)
    if runtime and client_version:
        have = tuple(int(x) for x in client_version.groups())
        need = tuple(int(x) for x in runtime.groups())
        if have > need:
            raise ConfigError(f"databricks-connect {version} is newer than cluster {cluster_id}'s runtime "
                              f"{info.get('spark_version')}: install databricks-connect=={need[0]}.{need[1]}.* in an "
                              "environment with the runtime's Python")


def connect_error(exc: BaseException, target: SparkTarget) -> str:
    """One sentence for a failure of Databricks Connect to start, naming the cause where it is known."""
    text = str(exc)
    if "cannot be installed at the same time" in text:
        return ("pyspark is installed beside databricks-connect, which bundles its own: use a virtual environment "
                "with databricks-connect alone")
    versions = re.search(r"([\d.]+x?) \(Databricks Runtime\) < ([\d.]+) \(Databricks Connect\)", text)
    if versions:
        return (f"databricks-connect {versions.group(2)} is newer than the runtime {versions.group(1)} of "
                f"{target.describe()}: install databricks-connect=={versions.group(1).rstrip('.x')}.*")
    if "PYTHON_VERSION_MISMATCH" in text:
        return f"Python versions differ between this machine and {target.describe()}: {clean_error(exc)}"
    if "does not exist" in text or "RESOURCE_DOES_NOT_EXIST" in text:
        return f"{target.describe()} was not found in this workspace: {clean_error(exc)}"
    if "PERMISSION_DENIED" in text or "permission" in text.lower():
        return f"no permission to use {target.describe()}: {clean_error(exc)}"
    if "unsupported with serverless" in text:
        return (f"{target.describe()} reports no Databricks Runtime 16 or later, which this databricks-connect "
                f"needs: {clean_error(exc)}")
    return f"cannot start Databricks Connect on {target.describe()}: {clean_error(exc)}"


PY_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception|Exit|Interrupt)\b.*")


def clean_error(exc: BaseException, *secrets: str | None) -> str:
    """Spark errors carry JVM stack traces and sometimes configuration: keep one readable line, the
    Python exception raised on the worker when there is one."""
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    python_errors = [ln.strip() for ln in lines if PY_EXCEPTION_LINE.match(ln) and not ln.strip().startswith("at ")]
    text = python_errors[-1] if python_errors else (lines[0] if lines else type(exc).__name__)
    text = re.sub(r"\s+", " ", text)[:300]
    return redact(text, *secrets)


def parallelism(spark: Any, target: SparkTarget) -> int:
    """How many tasks the cluster runs at once: classic's defaultParallelism, the conf, or local[N]."""
    try:
        return max(1, int(spark.sparkContext.defaultParallelism))
    except Exception:  # Spark Connect has no SparkContext
        pass
    try:
        value = spark.conf.get("spark.default.parallelism", None)
        if value:
            return max(1, int(value))
    except Exception:
        pass
    match = re.match(r"local\[(\d+)\]", target.remote or target.master or "")
    return int(match.group(1)) if match else 8


def ship_package() -> None:
    """Pickle this package by value into every task: the cluster does not have it installed, and functions
    are otherwise pickled by reference to their module (ModuleNotFoundError on the executors)."""
    from pyspark import cloudpickle  # the copy bundled with pyspark, which Spark uses

    import dbx_inventory

    cloudpickle.register_pickle_by_value(dbx_inventory)


def _scan_partition(opts: TaskOptions):  # runs on the executors
    # The classes below are this module's globals, pickled by value with the function: an `import
    # dbx_inventory...` statement here would fail on a cluster that does not have the package.
    def task(batches):
        import importlib.util
        import socket

        import pyarrow as pa

        rows = [(i, json.loads(t)) for b in batches
                for i, t in zip(b.column("idx").to_pylist(), b.column("target").to_pylist())]
        if not rows:
            return
        index = {t["name"]: i for i, t in rows}
        assert opts.token is not None, "a Spark job's tasks are given a token"
        add_secret(opts.token.reveal())  # this worker's own redaction: its copy of the module knows no secret
        client = build_client(StaticAuth(opts.host, opts.token), opts.walk.workers, opts.max_rps, opts.retry_deadline,
                              rates=opts.rates)
        walker = Walker(client, opts.walk)
        host = socket.gethostname()
        # Proof for the tests: the package reached this worker only by value, not by import.
        importable = importlib.util.find_spec("dbx_inventory") is not None
        out: dict[str, list] = {"idx": [], "user": [], "record": [], "host": [], "pkg_importable": [], "pace": []}
        for result in walker.scan([ScanTarget(**t) for _, t in rows]):
            out["idx"].append(index[result.username])
            out["user"].append(result.username)
            out["record"].append(json.dumps(result_to_record(result)))
            out["host"].append(host)
            out["pkg_importable"].append(importable)
        # What this task's pacers learned of the workspace's limits, for the next chunk's tasks to start from.
        learned = json.dumps({f: s.rate for f, p in client.pacers.items() if (s := p.state()).limit_found})
        out["pace"] = [learned] * len(out["idx"])
        client.close()
        yield pa.RecordBatch.from_pydict(out)

    return task


def _python_version_task(batches):  # runs on the executors
    import sys

    import pyarrow as pa

    for b in batches:
        yield pa.RecordBatch.from_pydict({"v": [f"{sys.version_info[0]}.{sys.version_info[1]}"] * b.num_rows})


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
            self.spark = open_session(self.target, self.sdk_config)

    def start(self) -> None:
        self.open()
        ship_package()
        if not self.target.on_this_machine:  # a local Spark's workers run this very interpreter
            self.check_python()
        log.debug("Spark: package shipped by value; %d tasks at once", parallelism(self.spark, self.target))

    def check_python(self) -> None:
        """Python UDFs need the same minor version on both sides (PYTHON_VERSION_MISMATCH): say so plainly."""
        local = f"{sys.version_info[0]}.{sys.version_info[1]}"
        try:
            remote = self.spark.range(1).mapInArrow(_python_version_task, "v string").collect()[0]["v"]
        except Exception as exc:
            text = clean_error(exc, self.secret)
            if "PYTHON_VERSION_MISMATCH" in str(exc) or "version" in text.lower() and "python" in text.lower():
                raise ConfigError(f"Python versions differ between this machine ({local}) and the cluster: {text}") from None
            raise ConfigError(f"Spark cannot run a Python task on {self.target.describe()}: {text}") from None
        if remote != local:
            raise ConfigError(f"Python {local} here but {remote} on {self.target.describe()}: use a Python {remote} "
                              "environment (Python UDFs need the same minor version on both sides)")

    def tasks(self) -> int:
        """How many tasks a chunk has: the cluster's slots, or fewer for small chunks."""
        return min(parallelism(self.spark, self.target), max(1, self.chunk_size))

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
                df = df.repartition(min(tasks, len(chunk))).mapInArrow(_scan_partition(opts), RESULT_SCHEMA)
                return df.collect()
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                text = str(exc)
                if any(code in text for code in RECONNECTABLE) and attempts < MAX_RECONNECTS:
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
                log.debug("Spark job failed: %s", redact(text, self.secret))
                raise InventoryError(f"Spark job failed: {clean_error(exc, self.secret)}") from None

    def _reopen(self) -> Any:
        clock = RealClock()
        for wait in (*REOPEN_WAITS, None):
            try:
                return open_session(self.target, self.sdk_config)
            except InventoryError as exc:
                if wait is None:
                    raise
                log.warning("Spark is not answering yet (%s); trying again in %.0f s", exc, wait)
                clock.sleep(wait)

    def save_table(self, name: str, results: list[UserResult]) -> None:
        """--output-table: the inventory as a table (Delta on Databricks), replaced on each run."""
        self._write(name, results, "overwrite", None)

    def append_history(self, name: str, results: list[UserResult], scan_time: str) -> None:
        """--history-table: every run appends its rows with the scan time, so growth can be queried."""
        self._write(name, results, "append", scan_time)

    def _write(self, name: str, results: list[UserResult], mode: str, scan_time: str | None) -> None:
        try:
            inventory_dataframe(self.spark, results, scan_time).write.mode(mode).saveAsTable(name)
        except Exception as exc:
            raise InventoryError(f"could not save table {name}: {clean_error(exc, self.secret)}") from None

    def stop(self) -> None:
        """Stop a session this run opened (never a cluster's or a notebook's), and revoke the tasks' token; a
        second call does nothing."""
        if self.spark is not None and not (self.target.cluster_id or self.target.serverless or self.target.active):
            spark, self.spark = self.spark, None
            try:
                spark.stop()
            except Exception:
                pass
        if self.task_token is not None:
            self.task_token.revoke()


class SparkStart:
    """Spark opening in the background while the driver finds what to scan: a session takes seconds to open (a
    JVM, or Databricks Connect's handshake with the cluster), and a large workspace's paged SCIM listing takes as
    long. `result()` is where a failure to start surfaces, as if Spark had been started right there."""

    def __init__(self, client: RestClient, options: ScanOptions) -> None:
        self._checked = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="spark-start")
        self._future = self._pool.submit(start_spark, client, options, self._checked)
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

    def result(self) -> SparkScanner | None:
        return self._future.result()

    def close(self) -> None:
        """However the run ended (done, nothing left to scan, interrupted before Spark opened, failed): stop the
        session once it is open. A session the scan already stopped stays stopped."""
        def stop(future: concurrent.futures.Future[SparkScanner | None]) -> None:
            scanner = None if future.exception() else future.result()
            if scanner:
                scanner.stop()

        self._future.add_done_callback(stop)


def start_spark(client: RestClient, options: ScanOptions, checked: threading.Event | None = None) -> SparkScanner | None:
    """The Spark executor the options ask for, started; None for the local walker. `checked` is set once the
    checks are through: before the session opens, or for serverless compute once it has opened."""
    target = options.spark
    if target is None:
        return None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local Spark's workers: this interpreter
    header = client.config.authenticate().get("Authorization", "")
    token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
    opts = TaskOptions(client.host, options.walk_options(), options.max_rps, options.retry_deadline)
    scanner = SparkScanner(target, client.config, opts, options.chunk_size, token, TaskToken(client))
    try:
        log.info("Scanning on %s", target.describe())
        if target.cluster_id:
            check_cluster(client, target.cluster_id, connect_version())
        elif target.serverless:
            connect_version()
            # Whether this databricks-connect may use serverless compute is known only once the session is open:
            # databricks-connect asks the server for its runtime then, and refuses one older than itself.
            scanner.open()
        else:
            _require_pyspark()
        if checked:
            checked.set()
        scanner.start()
    except InventoryError as exc:
        scanner.stop()
        if options.fallback_local:
            log.warning("Spark mode cannot run (%s); --fallback-local: scanning from this machine", exc)
            return None
        if target.automatic:  # the automatic choice on a cluster, not the admin's request: scan from the driver
            log.info("no usable Spark session on this cluster (%s): scanning from the driver", exc)
            return None
        raise
    return scanner


def inventory_dataframe(spark: Any, results: list[UserResult], scan_time: str | None = None) -> Any:
    """The inventory as a typed DataFrame, with the columns and types of every other format (columns.py):
    longs for counts and bytes, nulls where the CSV is blank."""
    schema = ", ".join((["`scan_time` timestamp"] if scan_time else []) +
                       [f"`{c.name}` {c.kind}" for c in COLUMNS])
    when = [dt.datetime.strptime(scan_time, "%Y-%m-%dT%H:%M:%SZ")] if scan_time else []
    data = [tuple(when + list(record(r).values())) for r in results]
    return spark.createDataFrame(data, schema)
