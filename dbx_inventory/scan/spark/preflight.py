"""The quick checks before Spark mode scans: the Spark client is installed, the cluster is there, may be used and
runs, and Python UDFs can run on the other side. Each failure is one sentence that says what to do."""

from __future__ import annotations

import re
import sys
from typing import Any

from ...api.rest import RestClient
from ...core.errors import ApiError, BadRequest, ConfigError, NotFound, PermissionDenied, Unauthenticated
from ..options import SparkTarget
from .errors import clean_error
from .task import python_version_task

INSTALL_HELP = (
    "Spark mode needs pyspark 4 for --spark-remote/--spark-master (pip install -r requirements-spark.txt), or "
    "databricks-connect for --cluster-id/--serverless, in its own virtual environment without pyspark and not "
    "newer than the cluster's runtime (e.g. pip install 'databricks-connect==15.4.*' for DBR 15.4 LTS, which "
    "runs on Python 3.11; databricks-connect 16.x and later need the Python of their runtime, 3.12)"
)


def require_pyspark() -> None:
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ConfigError(INSTALL_HELP) from None


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


def check_python(spark: Any, target: SparkTarget, secret: str | None) -> None:
    """Python UDFs need the same minor version on both sides (PYTHON_VERSION_MISMATCH): say so plainly."""
    local = f"{sys.version_info[0]}.{sys.version_info[1]}"
    try:
        remote = spark.range(1).mapInArrow(python_version_task, "v string").collect()[0]["v"]
    except Exception as exc:
        text = clean_error(exc, secret)
        if "PYTHON_VERSION_MISMATCH" in str(exc) or "version" in text.lower() and "python" in text.lower():
            raise ConfigError(f"Python versions differ between this machine ({local}) and the cluster: {text}") from None
        raise ConfigError(f"Spark cannot run a Python task on {target.describe()}: {text}") from None
    if remote != local:
        raise ConfigError(f"Python {local} here but {remote} on {target.describe()}: use a Python {remote} "
                          "environment (Python UDFs need the same minor version on both sides)")
