"""Output writers: the inventory CSV and the users file, always written atomically.

The original wrote its inventory once, in place, and exited 0 when the write failed (defect 7); one user
gave a 4-column CSV and several gave 7 (defect 11). Here there is one schema, checked writable before the
first request, written to a temporary file beside the target, fsynced, then renamed over it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from .errors import InputError
from .summary import UserResult

ORIGINAL_COLUMNS = ["username", "file_count", "total_size", "total_size_gb", "status", "file_source", "error"]
EXTRA_COLUMNS = [
    "dbfs_files", "dbfs_bytes", "workspace_files", "workspace_bytes",
    "estimated_objects", "estimated_bytes", "folders", "newest_modified", "scan_seconds",
    "notebooks_too_big",
]
COLUMNS = ORIGINAL_COLUMNS + EXTRA_COLUMNS
GIB = 1024**3


def iso_ms(ms: int | None) -> str:
    if not ms:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def inventory_row(result: UserResult) -> dict[str, str]:
    """One CSV row. A failed user's totals are left blank: a partial count reads as a real one."""
    failed = result.status == "error"
    row = {
        "username": result.username,
        "file_count": "" if failed else str(result.file_count),
        "total_size": "" if failed else str(result.total_size),
        "total_size_gb": "" if failed else f"{result.total_size / GIB:.2f}",
        "status": result.status,
        "file_source": result.file_source,
        "error": "; ".join(result.errors),
        "estimated_objects": "" if failed else str(result.estimated),
        "estimated_bytes": "" if failed else str(result.estimated_bytes),
        "folders": "" if failed else str(result.folders),
        "newest_modified": "" if failed else iso_ms(result.newest_mtime_ms),
        "scan_seconds": f"{result.seconds:.2f}",
        "notebooks_too_big": "" if failed else str(result.notebooks_too_big),
    }
    for fs, prefix in (("dbfs", "dbfs"), ("workspace", "workspace")):
        part = result.part(fs)
        ok = part is not None and part.error is None
        row[f"{prefix}_files"] = str(part.tally.files) if ok and part else ""
        row[f"{prefix}_bytes"] = str(part.tally.bytes) if ok and part else ""
    return row


@contextlib.contextmanager
def atomic_text(path: str) -> Iterator[IO[str]]:
    """A text file that appears at `path` complete or not at all; `-` is stdout."""
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(path: str) -> None:
    """Fail before the first request, not after an hour of scanning."""
    if path == "-":
        return
    if os.path.isdir(path):
        raise InputError(f"output path is a directory: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"output directory does not exist: {directory}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-check-", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError:
        raise InputError(f"output is not writable: {path}") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise InputError(f"output is not writable: {path}")


def render_csv(rows: Iterable[dict[str, str]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_text(path: str, text: str) -> None:
    try:
        with atomic_text(path) as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"could not write {path}: {exc.strerror or exc}") from None


# -- machine-readable formats (--format json / jsonl) -------------------------------------------------
FORMAT_NAME = "dbx-inventory"
FORMAT_VERSION = 1
TEXT_COLUMNS = {"username", "status", "file_source", "error", "newest_modified"}


def machine_record(result: UserResult) -> dict[str, object]:
    """The CSV row with raw numbers: ints for counts and bytes, null where the CSV is blank."""
    record: dict[str, object] = {}
    for column, value in inventory_row(result).items():
        if column in TEXT_COLUMNS:
            record[column] = value
        elif value == "":
            record[column] = None
        else:
            record[column] = float(value) if "." in value else int(value)
    return record


def render_inventory(results: list[UserResult], fmt: str, header: dict[str, object]) -> str:
    """csv: the original's columns first; json: a header and the users; jsonl: one user per line."""
    import json

    if fmt == "csv":
        return render_csv((inventory_row(r) for r in results), COLUMNS)
    if fmt == "json":
        doc = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **header,
               "users": [machine_record(r) for r in results]}
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return "".join(json.dumps(machine_record(r), ensure_ascii=False) + "\n" for r in results)


def write_inventory(path: str, results: list[UserResult], fmt: str, header: dict[str, object]) -> None:
    write_text(path, render_inventory(results, fmt, header))
