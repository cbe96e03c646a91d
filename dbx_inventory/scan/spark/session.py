"""Opening a Spark session for each kind of target, how many tasks it runs at once, and shipping this package to
it. A session this run opened is stopped by SparkScanner.stop; a cluster's or a notebook's never is."""

from __future__ import annotations

import os
import re
from typing import Any

from ...core.errors import ConfigError
from ..options import SparkTarget
from .errors import clean_error, connect_error
from .preflight import connect_version, require_pyspark

LOCAL_CONF = {"spark.log.level": "ERROR", "spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false",
              # The JVM of a Spark started here only hands rows to Python tasks: its fast-starting compiler tier
              # saves about a second of start-up and costs nothing that the HTTP-bound tasks would notice.
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


def open_session(target: SparkTarget, sdk_config: Any) -> Any:
    if target.cluster_id or target.serverless:
        return _databricks_session(target, sdk_config)
    require_pyspark()
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
