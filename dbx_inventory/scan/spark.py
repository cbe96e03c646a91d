"""Spark mode: the same walker, retry policy and pacer, run as Spark tasks.

One code path for every way of reaching Spark: Databricks Connect (`--cluster-id`, `--serverless`), any Spark
Connect server (`--spark-remote sc://host:15002`, or `local[N]` to start one in-process), and classic pyspark
(`--spark-master`). Imports are lazy, so the other modes work without pyspark.

Where the original went wrong, and what this does instead: it put the token in every DataFrame row (here it
travels masked inside the pickled task, never in a row or a plan); it sized partitions by --debug (here by
the cluster's parallelism); it fell back silently (here `--fallback-local` makes that explicit). The code is
shipped by value, so the cluster needs no copy of this package, and results come back chunk by chunk into
the checkpoint, so an abandoned operation costs at most one chunk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.auth import MaskedToken, StaticAuth
from ..api.client import build_client
from ..api.errors import ConfigError, InventoryError
from ..api.redact import redact
from ..api.rest import RestClient
from ..core.summary import ScanTarget, UserResult
from ..outputs.columns import COLUMNS, record
from ..state.checkpoint import record_to_result, result_to_record
from .options import ScanOptions, SparkTarget
from .walker import Walker, WalkOptions

log = logging.getLogger("dbx_inventory")

INSTALL_HELP = (
    "Spark mode needs pyspark 4 for --spark-remote/--spark-master (pip install -r requirements-spark.txt), or "
    "databricks-connect for --cluster-id/--serverless, in its own virtual environment without pyspark and not "
    "newer than the cluster's runtime (e.g. pip install 'databricks-connect==15.4.*' for DBR 15.4 LTS, which "
    "runs on Python 3.11; databricks-connect 16.x and later need the Python of their runtime, 3.12)"
)
RECONNECTABLE = ("OPERATION_ABANDONED", "SESSION_CLOSED", "SESSION_CHANGED", "INVALID_HANDLE", "SESSION_NOT_FOUND")
MAX_RECONNECTS = 3
LOCAL_CONF = {"spark.log.level": "ERROR", "spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false"}
RESULT_SCHEMA = "idx long, user string, record string, host string, pkg_importable boolean"


@dataclass(frozen=True)
class TaskOptions:
    """Everything a task needs, and nothing secret in clear."""

    host: str
    walk: WalkOptions
    max_rps: float | None
    retry_deadline: float
    token: MaskedToken = field(repr=False)


def open_session(target: SparkTarget, sdk_config: Any) -> Any:
    try:
        if target.cluster_id or target.serverless:
            from databricks.connect import DatabricksSession  # type: ignore[import-not-found]

            builder = DatabricksSession.builder.sdkConfig(sdk_config)
            builder = builder.serverless(True) if target.serverless else builder.clusterId(target.cluster_id)
            return builder.getOrCreate()
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(INSTALL_HELP) from None
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
        client = build_client(StaticAuth(opts.host, opts.token), opts.walk.workers, opts.max_rps, opts.retry_deadline)
        walker = Walker(client, opts.walk)
        host = socket.gethostname()
        # Proof for the tests: the package reached this worker only by value, not by import.
        importable = importlib.util.find_spec("dbx_inventory") is not None
        out: dict[str, list] = {"idx": [], "user": [], "record": [], "host": [], "pkg_importable": []}
        for result in walker.scan([ScanTarget(**t) for _, t in rows]):
            out["idx"].append(index[result.username])
            out["user"].append(result.username)
            out["record"].append(json.dumps(result_to_record(result)))
            out["host"].append(host)
            out["pkg_importable"].append(importable)
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
                 secret: str | None) -> None:
        self.target = target
        self.sdk_config = sdk_config
        self.opts = opts
        self.chunk_size = chunk_size
        self.secret = secret
        self.spark: Any = None
        self.workers_seen: dict[str, int] = {}
        self.importable_on_workers = False

    def start(self) -> None:
        self.spark = open_session(self.target, self.sdk_config)
        ship_package()
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

    def scan(self, users: Sequence[ScanTarget]) -> Iterator[UserResult]:
        tasks = min(parallelism(self.spark, self.target), max(1, self.chunk_size))
        # The workspace's rate budget is shared: tasks together keep about as many requests in flight as
        # the local mode does, and split --max-rps between them.
        walk = dataclasses.replace(self.opts.walk, workers=max(1, math.ceil(self.opts.walk.workers / tasks)))
        per_task = dataclasses.replace(self.opts, walk=walk,
                                       max_rps=self.opts.max_rps / tasks if self.opts.max_rps else None)
        log.debug("Spark: %d tasks per chunk of %d users, %d workers per task per API family",
                  tasks, self.chunk_size, walk.workers)
        for start in range(0, len(users), self.chunk_size):
            chunk = list(users[start:start + self.chunk_size])
            for row in self._run_chunk(chunk, start, per_task, tasks):
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
            try:
                df = self.spark.createDataFrame(rows, "idx long, target string")
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
                    self.spark = open_session(self.target, self.sdk_config)
                    continue
                raise InventoryError(f"Spark job failed: {clean_error(exc, self.secret)}") from None

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
        if self.spark is not None and not (self.target.cluster_id or self.target.serverless or self.target.active):
            try:
                self.spark.stop()
            except Exception:
                pass


def start_spark(client: RestClient, options: ScanOptions) -> SparkScanner | None:
    """The Spark executor the options ask for, started; None for the local walker."""
    target = options.spark
    if target is None:
        return None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local Spark's workers: this interpreter
    header = client.config.authenticate().get("Authorization", "")
    token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
    opts = TaskOptions(client.host, options.walk_options(), options.max_rps, options.retry_deadline, MaskedToken(token))
    scanner = SparkScanner(target, client.config, opts, options.chunk_size, token)
    try:
        log.info("Scanning on %s", target.describe())
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
