"""--files-output: every file and object scanned, streamed to disk as the scan goes, never held in memory.

CSV or JSON Lines by the file's extension, Parquet (.parquet) when pyarrow is installed. Records are
buffered in small batches under one lock, so memory stays bounded on a million files.
"""

from __future__ import annotations

import csv
import json
import os
import threading
from collections.abc import Sequence
from typing import IO, Any

from ..api.errors import InputError
from ..core.locations import Location
from ..core.summary import Entry, ScanTarget
from .columns import iso_ms

FIELDS = ["user", "owner_status", "file_system", "location", "path", "object_type", "size", "size_estimated",
          "modified"]
BATCH = 5000


class FilesOutput:
    def __init__(self, path: str, size_estimate: int) -> None:
        self.path = path
        self.size_estimate = size_estimate
        self.kind = self._kind(path)
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self.count = 0
        self.bytes = 0

    @staticmethod
    def _kind(path: str) -> str:
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
        raise InputError(f"--files-output must end in .csv, .jsonl or .parquet, not {ext or 'nothing'}: {path}")

    def open(self) -> FilesOutput:
        tmp = self.path + ".part"
        try:
            if self.kind == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                types = {"size": pa.int64(), "size_estimated": pa.bool_()}
                schema = pa.schema([(name, types.get(name, pa.string())) for name in FIELDS])
                self._parquet = pq.ParquetWriter(tmp, schema)
            else:
                self._fh = open(tmp, "w", encoding="utf-8", newline="")
                if self.kind == "csv":
                    self._csv = csv.DictWriter(self._fh, fieldnames=FIELDS, lineterminator="\n")
                    self._csv.writeheader()
        except OSError as exc:
            raise InputError(f"cannot write --files-output {self.path}: {exc.strerror}") from None
        return self

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
            self.count += len(rows)
            self.bytes += sum(r["size"] for r in rows)
            if len(self._rows) >= BATCH:
                try:
                    self._flush()
                except OSError as exc:  # a full disk must stop the run, not kill a worker silently
                    raise InputError(f"could not write --files-output {self.path}: {exc.strerror or exc}") from None

    def _flush(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        if self._parquet is not None:
            import pyarrow as pa

            self._parquet.write_table(pa.Table.from_pylist(rows, schema=self._parquet.schema))
        elif self._csv is not None:
            self._csv.writerows(rows)
        elif self._fh is not None:
            self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))

    def close(self, complete: bool) -> None:
        """A complete run renames the file into place; an interrupted one leaves `PATH.part`."""
        with self._lock:
            self._flush()
            if self._parquet is not None:
                self._parquet.close()
            if self._fh is not None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
            self._parquet = self._fh = None
        if complete:
            os.replace(self.path + ".part", self.path)
