"""The pure core, the per-user model: entries in, per-user summary out. No I/O, no clock, no threads.

`Tally` defines what is counted, once: every output (the checkpoint, the CSV and JSON columns, the Spark
result, the summary) derives its fields from `dataclasses.fields(Tally)`, so a new counter is one line here
plus its meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, NamedTuple, get_args

# The words of the model, as types: mypy catches a misspelt status.
Status = Literal["success", "empty", "error"]
# "unassigned": a home whose owner left this workspace but is still an active user of the account (another
# workspace's, perhaps): not to be deleted as a departed user's. "": cannot be known.
# "group": a workspace group, which owns Unity Catalog volumes but has no home.
OwnerStatus = Literal["active", "inactive", "service_principal", "removed", "unassigned", "group", ""]
# "files": the Files API, which lists Unity Catalog volumes (/Volumes/<catalog>/<schema>/<volume>/...).
FileSystem = Literal["dbfs", "workspace", "files"]

# The error of a name that no identity owns and no place holds a folder of: a typo, or another workspace's.
NO_SUCH_NAME = "no user, service principal or home named"
DEFAULT_SIZE_ESTIMATE = 10_000  # bytes per object without a size: the earlier toolkit's documented estimate


class Entry(NamedTuple):
    """One item of a listing, whatever the file system."""

    path: str
    is_folder: bool
    size: int | None  # None: the API gave no size (notebooks, most Workspace objects)
    mtime_ms: int | None
    kind: str


def _counter(column: str, meaning: str, per_scope: bool = False) -> Any:
    # `per_scope`: also reported per file system and per location (dbfs_files, repos_bytes, ...).
    return field(default=0, metadata={"column": column, "meaning": meaning, "per_scope": per_scope})


@dataclass
class Tally:
    """What one part of one user's data holds, folded entry by entry (memory does not grow with files)."""

    files: int = _counter("file_count", "files and objects that are not folders", per_scope=True)
    bytes: int = _counter("total_size", "bytes, estimates included", per_scope=True)
    estimated: int = _counter("estimated_objects", "objects the API gave no size for")
    estimated_bytes: int = _counter("estimated_bytes", "bytes counted for those objects")
    folders: int = _counter("folders", "folders walked below the roots (Git folders included)")
    newest_mtime_ms: int | None = field(
        default=None, metadata={"column": "newest_modified", "meaning": "newest modification time seen (UTC)",
                                "per_scope": False, "merge": "max"})
    notebooks_too_big: int = _counter("notebooks_too_big", "notebooks over the export cap, left estimated")

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

    def __add__(self, other: Tally) -> Tally:
        # Called for every sum of every user's parts: the field list is read once (_MERGE), not per call.
        merged: dict[str, Any] = {}
        for name, keeps_max in _MERGE:
            a, b = getattr(self, name), getattr(other, name)
            if keeps_max:
                merged[name] = max((v for v in (a, b) if v is not None), default=None)
            else:
                merged[name] = a + b
        return Tally(**merged)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        """Missing fields take their defaults: a record written before a counter existed still loads."""
        return cls(**{f.name: data.get(f.name, f.default) for f in COUNTERS})


COUNTERS = fields(Tally)
_MERGE = tuple((f.name, f.metadata.get("merge") == "max") for f in COUNTERS)  # how __add__ merges each field


def total(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out = out + t
    return out


def fold(entries: Iterable[Entry], size_estimate: int = DEFAULT_SIZE_ESTIMATE) -> Tally:
    tally = Tally()
    for entry in entries:
        tally.add(entry, size_estimate)
    return tally


@dataclass(frozen=True)
class PartResult:
    """One place of one user (a home, in DBFS or the Workspace). `found` is False when it does not exist
    (404), which is not an error; `error` is set when any part of its walk failed."""

    fs: FileSystem
    found: bool
    tally: Tally = field(default_factory=Tally)
    error: str | None = None
    location: str = "home"
    path: str = ""  # the folder walked, e.g. /Users/jane@x.com (DBFS paths without the dbfs: scheme)

    @property
    def complete(self) -> bool:
        return self.error is None

    @property
    def has_files(self) -> bool:
        return self.complete and self.tally.files > 0

    def in_scope(self, scope: str) -> bool:
        """A scope is a file system (dbfs, workspace) or a location other than the home (repos, uploads)."""
        return scope == self.fs or scope == self.location


OWNER_STATUSES: tuple[OwnerStatus, ...] = tuple(s for s in get_args(OwnerStatus) if s)


def as_owner_status(text: object) -> OwnerStatus:
    """An owner status read from a file (a users CSV, a checkpoint): one of ours, or "" (unknown)."""
    return next((s for s in OWNER_STATUSES if s == text), "")


@dataclass(frozen=True)
class ScanTarget:
    """Who to scan: the name as the admin gave it, and what is known of its owner before the walk."""

    name: str
    home: str = ""  # the home folder's name, when it differs from `name` (resolved through SCIM)
    owner_status: OwnerStatus = ""
    display_name: str = ""
    error: str | None = None  # known to fail before any listing
    identified: bool = True  # False: no identity owns this name, so a name with no home is a typo
    volumes: tuple[str, ...] = ()  # the Unity Catalog volumes it owns, as /Volumes/<catalog>/<schema>/<volume>
    homes: bool = True  # False: no per-user place is walked (a group: it owns volumes, it has no folders)

    @property
    def folder(self) -> str:
        """The folder's exact name in every place: paths are case-sensitive."""
        return self.home or self.name


@dataclass(frozen=True)
class UserResult:
    username: str  # as given
    parts: tuple[PartResult, ...]
    seconds: float = 0.0
    worker: str = ""
    home: str = ""
    owner_status: OwnerStatus = ""
    display_name: str = ""
    error: str | None = None  # a failure of the user as a whole, before any part was walked
    workspace: str = ""  # the workspace's host[:port], in a run over several workspaces

    @property
    def key(self) -> str:
        """What identifies the row in a run: the name, and in a run over several workspaces its workspace."""
        return f"{self.workspace}\t{self.username}" if self.workspace else self.username

    @classmethod
    def of(cls, target: ScanTarget, parts: tuple[PartResult, ...], seconds: float = 0.0, worker: str = "") -> UserResult:
        error, owner = target.error, target.owner_status
        if not target.identified and parts and not any(p.found or p.error for p in parts):
            # No identity owns the name and no place holds a folder of that name: a typo, never "empty".
            error, owner = f"{NO_SUCH_NAME} {target.name!r} in this workspace", ""
        return cls(target.name, parts, seconds, worker, target.home, owner, target.display_name, error)

    def part(self, fs: str, location: str = "home") -> PartResult | None:
        return next((p for p in self.parts if p.fs == fs and p.location == location), None)

    @property
    def errors(self) -> list[str]:
        return ([self.error] if self.error else []) + [p.error for p in self.parts if p.error]

    @property
    def status(self) -> Status:
        # A partial scan is never `success` or `empty`: an "empty" user whose scan failed gets data deleted.
        if self.errors:
            return "error"
        return "success" if self.total.files else "empty"

    @property
    def file_source(self) -> str:
        has_dbfs = any(p.has_files for p in self.parts if p.fs == "dbfs")
        has_ws = any(p.has_files for p in self.parts if p.fs == "workspace")
        if not (has_dbfs or has_ws) and any(p.has_files for p in self.parts if p.fs == "files"):
            return "volumes"  # files only in Unity Catalog volumes (owned, or a --place under /Volumes)
        return {(True, True): "both", (True, False): "dbfs", (False, True): "workspace"}.get((has_dbfs, has_ws), "none")

    @property
    def total(self) -> Tally:
        """Every part scanned completely (a failed user's total is not reported: see the writers)."""
        return total(p.tally for p in self.parts if p.complete)

    def scope_total(self, scope: str) -> Tally | None:
        """The tally of one scope, or None when it was not scanned or any of its parts failed."""
        parts = [p for p in self.parts if p.in_scope(scope)]
        if not parts or not all(p.complete for p in parts):
            return None
        return total(p.tally for p in parts)
