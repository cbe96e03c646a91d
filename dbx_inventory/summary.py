"""The pure core: entries in, per-user summary out. No I/O, no clock, no threads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .listers import Entry

DEFAULT_SIZE_ESTIMATE = 10_000  # bytes per object without a size: the original's documented estimate


@dataclass
class Tally:
    """What one file system holds for one user, folded entry by entry (memory does not grow with files)."""

    files: int = 0
    bytes: int = 0
    estimated: int = 0
    estimated_bytes: int = 0
    folders: int = 0
    newest_mtime_ms: int | None = None
    notebooks_too_big: int = 0  # notebooks over the export cap: estimated although exports were asked for

    def add(self, entry: Entry, size_estimate: int) -> None:
        if entry.is_folder:
            self.folders += 1
        else:
            self.files += 1
            if entry.size is None:
                self.estimated += 1
                self.estimated_bytes += size_estimate
                self.bytes += size_estimate
            else:
                self.bytes += entry.size
        if entry.mtime_ms is not None and (self.newest_mtime_ms is None or entry.mtime_ms > self.newest_mtime_ms):
            self.newest_mtime_ms = entry.mtime_ms


    def add_too_big(self, entry: Entry, size_estimate: int) -> None:
        """A notebook that export refused as too big: counted and estimated like any unsized object."""
        self.notebooks_too_big += 1
        self.add(entry._replace(size=None), size_estimate)


def fold(entries: Iterable[Entry], size_estimate: int = DEFAULT_SIZE_ESTIMATE) -> Tally:
    tally = Tally()
    for entry in entries:
        tally.add(entry, size_estimate)
    return tally


@dataclass(frozen=True)
class FsResult:
    """One file system's result for one user. `found` is False when the home does not exist (404),
    which is not an error; `error` is set when any part of the walk failed."""

    fs: str
    found: bool
    tally: Tally = field(default_factory=Tally)
    error: str | None = None

    @property
    def has_files(self) -> bool:
        return self.error is None and self.tally.files > 0


@dataclass(frozen=True)
class UserResult:
    username: str
    parts: tuple[FsResult, ...]
    seconds: float = 0.0
    worker: str = ""

    def part(self, fs: str) -> FsResult | None:
        return next((p for p in self.parts if p.fs == fs), None)

    @property
    def errors(self) -> list[str]:
        return [p.error for p in self.parts if p.error]

    @property
    def status(self) -> str:
        # A partial scan is never `success` or `empty` (defect 2): that is how data gets deleted.
        if self.errors:
            return "error"
        return "success" if self.file_count else "empty"

    @property
    def file_source(self) -> str:
        dbfs, ws = self.part("dbfs"), self.part("workspace")
        has_dbfs = bool(dbfs and dbfs.has_files)
        has_ws = bool(ws and ws.has_files)
        return {(True, True): "both", (True, False): "dbfs", (False, True): "workspace"}.get((has_dbfs, has_ws), "none")

    @property
    def file_count(self) -> int:
        return sum(p.tally.files for p in self.parts if p.error is None)

    @property
    def total_size(self) -> int:
        return sum(p.tally.bytes for p in self.parts if p.error is None)

    @property
    def estimated(self) -> int:
        return sum(p.tally.estimated for p in self.parts if p.error is None)

    @property
    def estimated_bytes(self) -> int:
        return sum(p.tally.estimated_bytes for p in self.parts if p.error is None)

    @property
    def notebooks_too_big(self) -> int:
        return sum(p.tally.notebooks_too_big for p in self.parts if p.error is None)

    @property
    def folders(self) -> int:
        return sum(p.tally.folders for p in self.parts if p.error is None)

    @property
    def newest_mtime_ms(self) -> int | None:
        times = [p.tally.newest_mtime_ms for p in self.parts if p.error is None and p.tally.newest_mtime_ms]
        return max(times) if times else None
