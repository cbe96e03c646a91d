"""Output writers: the inventory in its three formats, and text files, always written atomically.

There is one schema (columns.py), checked writable before the first request, written to a temporary file
beside the target, fsynced, then renamed over it: a failed write never leaves half an inventory.
"""

from __future__ import annotations

import contextlib
import enum
import glob
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator
from typing import IO

from ..core.errors import OutputError
from ..core.model import UserResult
from .columns import COLUMNS, columns_for, record, text_row
from .csv_safe import write_csv
from .statistics import PersonRow


class OutputFormat(str, enum.Enum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


FORMAT_NAME = "dbx-inventory"
FORMAT_VERSION = 1
NUMERIC_COLUMNS = frozenset(c.name for c in COLUMNS if c.kind != "string")


@contextlib.contextmanager
def atomic_text(path: str) -> Iterator[IO[str]]:
    """A text file that appears at `path` complete or not at all; `-` is stdout.

    A symlink is written through, to the file it points to: renaming over the link itself would replace the
    link with a plain file (and, as root, `-o /dev/stdout` would replace the system's /dev/stdout). A path
    that is not a regular file (a terminal, a pipe, /dev/null) cannot be renamed over: it is written as it is.
    """
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = os.path.realpath(path)
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        with open(target, "w", encoding="utf-8", newline="") as special:
            yield special
        return
    directory = os.path.dirname(target)
    prefix = f".{os.path.basename(target)}.tmp-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=directory)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an inventory gets the permissions of any new file
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # A write killed before its rename (kill -9, a power cut) left its temporary file: gone with this one.
    for stale in glob.glob(os.path.join(glob.escape(directory), glob.escape(prefix) + "*.part")):
        with contextlib.suppress(OSError):
            os.unlink(stale)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: str) -> None:
    """Fail before the first request, not after an hour of scanning."""
    if path == "-":
        return
    if os.path.isdir(path):
        raise OutputError(f"output path is a directory: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory does not exist: {directory} (for {os.path.basename(path)})")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-check-", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError:
        raise OutputError(f"output is not writable: {path}") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise OutputError(f"output is not writable: {path}")


def render_csv(rows: Iterable[dict[str, str]], columns: list[str], numeric: Collection[str] = ()) -> str:
    """Text cells that a spreadsheet would run as a formula are escaped (csv_safe.py); `numeric` columns never."""
    buf = io.StringIO()
    write_csv(buf, rows, columns, numeric)
    return buf.getvalue()


def write_text(path: str, text: str) -> None:
    try:
        with atomic_text(path) as fh:
            fh.write(text)
    except BrokenPipeError:
        raise  # `-o - | head`: the reader had enough, not a failure (cli/common.py ends quietly)
    except OSError as exc:
        raise OutputError(f"could not write {path}: {exc.strerror or exc}") from None


def render_inventory(results: list[UserResult], fmt: str, header: dict[str, object]) -> str:
    """csv: the earlier toolkit's columns first; json: a header and the users; jsonl: one user per line.
    The machine formats carry raw numbers, and null where the CSV is blank."""
    columns = columns_for(results)
    if fmt == OutputFormat.CSV:
        return render_csv((text_row(r, columns) for r in results), [c.name for c in columns],
                          {c.name for c in columns if c.kind != "string"})
    if fmt == OutputFormat.JSON:
        doc = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **header,
               "users": [record(r, columns) for r in results]}
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return "".join(json.dumps(record(r, columns), ensure_ascii=False) + "\n" for r in results)


def render_people(rows: Iterable[PersonRow]) -> str:
    """--by-person: each person's totals across the workspaces, as CSV; blank totals where a row failed."""
    columns = ["person", "workspaces", "file_count", "total_size", "failed", "owner_statuses"]
    return render_csv(({"person": p.person, "workspaces": str(p.workspaces),
                        "file_count": "" if p.files is None else str(p.files),
                        "total_size": "" if p.bytes is None else str(p.bytes), "failed": str(p.failed),
                        "owner_statuses": ";".join(p.owner_statuses)} for p in rows),
                      columns, {"workspaces", "file_count", "total_size", "failed"})


def write_inventory(path: str, results: list[UserResult], fmt: str, header: dict[str, object]) -> None:
    write_text(path, render_inventory(results, fmt, header))
