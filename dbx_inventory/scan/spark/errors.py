"""Spark and Databricks Connect failures in one readable sentence, and which of them a reconnect cures."""

from __future__ import annotations

import re

from ...core.redact import redact
from ..options import SparkTarget

# A session lost to a driver that restarted or went away for a moment: reconnect and rerun the chunk.
RECONNECTABLE = ("OPERATION_ABANDONED", "SESSION_CLOSED", "SESSION_CHANGED", "INVALID_HANDLE", "SESSION_NOT_FOUND",
                 "stopped SparkContext", "StatusCode.UNAVAILABLE", "Connection refused", "failed to connect")
PY_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception|Exit|Interrupt)\b.*")


def session_lost(exc: BaseException) -> bool:
    """The session went away (a driver restart, a dropped connection), not the job itself failing."""
    text = str(exc)
    return any(code in text for code in RECONNECTABLE)


def clean_error(exc: BaseException, *secrets: str | None) -> str:
    """Spark errors carry JVM stack traces and sometimes configuration: keep one readable line, the
    Python exception raised on the worker when there is one."""
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    python_errors = [ln.strip() for ln in lines if PY_EXCEPTION_LINE.match(ln) and not ln.strip().startswith("at ")]
    text = python_errors[-1] if python_errors else (lines[0] if lines else type(exc).__name__)
    text = re.sub(r"\s+", " ", text)[:300]
    return redact(text, *secrets)


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
