"""--files-output: every file and object scanned, streamed to disk as the scan goes, never held in memory.

While the scan runs, records go to `PATH.part` as JSON Lines, in small batches, and are synced before each
user is recorded in the checkpoint: so the `.part` holds every file of every user the checkpoint calls done.
A resumed run keeps those lines (dropping the in-flight users' and a torn last line) and appends, so after
any number of resumes the list holds every user's files exactly once. A complete run turns the `.part` into
CSV, JSON Lines or Parquet (with pyarrow) by the file's extension, atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any

from ..core.errors import InputError, OutputError
from ..core.locations import Location
from ..core.model import Entry, ScanTarget
from .columns import iso_ms
from .csv_safe import write_csv
from .writers import atomic_text

FIELDS = ["user", "owner_status", "file_system", "location", "path", "object_type", "size", "size_estimated",
          "modified"]
BATCH = 5000


def files_output_kind(path: str) -> str:
    """csv, jsonl or parquet, by the file's extension."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError("--files-output .parquet needs pyarrow (pip install pyarrow); use .csv or .jsonl") from None
        return "parquet"
    if ext in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if ext == ".csv":
        return "csv"
    if path == "-":
        raise InputError("--files-output needs a file ending in .csv, .jsonl or .parquet: the list is written as the "
                         "scan goes, and converted at the end, so it cannot go to standard output")
    raise InputError(f"--files-output must end in .csv, .jsonl or .parquet, not {ext or 'nothing'}: {path}")


class FilesOutput:
    def __init__(self, path: str, size_estimate: int) -> None:
        self.path = path
        self.part = path + ".part"
        self.size_estimate = size_estimate
        self.kind = files_output_kind(path)
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._fh: IO[str] | None = None

    def open(self, done: set[str] | None = None) -> FilesOutput:
        """Start the `.part`; `done`: a resumed run's finished users, whose lines of an earlier `.part` stay."""
        try:
            if done is not None and os.path.exists(self.part):
                kept = self.part + ".tmp"
                with open(kept, "w", encoding="utf-8") as out:
                    out.writelines(line for line, rec in self._lines(self.part) if rec["user"] in done)
                os.replace(kept, self.part)
                self._fh = open(self.part, "a", encoding="utf-8")
            else:
                self._fh = open(self.part, "w", encoding="utf-8")
        except OSError as exc:
            raise self._error(exc) from None
        return self

    @staticmethod
    def _lines(path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Complete lines of a `.part` with their records; a torn last line (a crash mid-write) is dropped."""
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    return
                with contextlib.suppress(ValueError):
                    yield line, json.loads(line)

    def observe(self, target: ScanTarget, location: Location, entries: Sequence[Entry]) -> None:
        rows: list[dict[str, Any]] = [
            {"user": target.name, "owner_status": target.owner_status, "file_system": location.fs,
             "location": location.name, "path": e.path, "object_type": e.kind,
             "size": self.size_estimate if e.size is None else e.size, "size_estimated": e.size is None,
             "modified": iso_ms(e.mtime_ms)}
            for e in entries if not e.is_folder
        ]
        if not rows:
            return
        with self._lock:
            self._rows.extend(rows)
            if len(self._rows) >= BATCH:
                self._flush()

    def sync(self) -> None:
        """Everything observed so far is on disk: call before a user is recorded as done."""
        with self._lock:
            self._flush()
            if self._fh is not None:
                try:
                    self._fh.flush()
                    os.fsync(self._fh.fileno())
                except OSError as exc:
                    raise self._error(exc) from None

    def _flush(self) -> None:
        rows, self._rows = self._rows, []
        if rows and self._fh is not None:
            try:
                self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            except OSError as exc:  # a full disk must stop the run with a sentence, not kill a worker silently
                raise self._error(exc) from None

    def _error(self, exc: OSError) -> OutputError:
        return OutputError(f"could not write --files-output {self.path}: {exc.strerror or exc}")

    def close(self, complete: bool) -> None:
        """A complete run writes PATH from the `.part`; an interrupted or failed one leaves the `.part` to
        resume, as far as it can be written."""
        try:
            self.sync()
        except OutputError:
            if complete:
                raise
        finally:
            if self._fh is not None:
                with contextlib.suppress(OSError):
                    self._fh.close()
                self._fh = None
        if not complete:
            return
        try:
            self._convert()
            os.unlink(self.part)
        except OSError as exc:
            raise self._error(exc) from None

    def _convert(self) -> None:
        records = (rec for _, rec in self._lines(self.part))
        if self.kind != "parquet":
            with atomic_text(self.path) as fh:
                if self.kind == "csv":
                    write_csv(fh, records, FIELDS, numeric=("size", "size_estimated"))
                else:
                    fh.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        target = os.path.realpath(self.path)  # through a symlink, never over it
        tmp = target + ".tmp"
        types = {"size": pa.int64(), "size_estimated": pa.bool_()}
        schema = pa.schema([(name, types.get(name, pa.string())) for name in FIELDS])
        with pq.ParquetWriter(tmp, schema) as writer:
            batch: list[dict[str, Any]] = []
            for rec in records:
                batch.append(rec)
                if len(batch) >= BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        os.replace(tmp, target)
