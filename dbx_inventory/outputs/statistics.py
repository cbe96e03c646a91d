"""The figures of an inventory, computed once, for the end-of-run summary (text.py) and the HTML report
(html_report.py) alike. They take records (columns.py's typed rows), which a run and a saved inventory
(inventory_file.py) both give. Totals count the users scanned completely: a failed user's numbers are
blank, never a partial count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.model import NO_SUCH_NAME

Record = dict[str, Any]

# The homes by owner status, in the order an admin reads them: what can be reclaimed first, then those likely
# to leave, then the current identities, then the unknown.
OWNER_ORDER: tuple[str | None, ...] = ("removed", "unassigned", "inactive", "service_principal", "active", None)
STATUSES = ("success", "empty", "error")


def error_reason(error: str) -> str:
    """Group errors by file system, status and code, without the path: 'workspace: HTTP 403 PERMISSION_DENIED'."""
    if error.startswith(NO_SUCH_NAME):
        return "no user, service principal or home of that name"
    head = error.split(" on ", 1)[0]
    return head.split(": gave up", 1)[0].strip()


def _sum(records: list[Record], column: str) -> int:
    return sum(r.get(column) or 0 for r in records if r["status"] != "error")


@dataclass(frozen=True)
class OwnerRow:
    status: str  # an owner status, or "unknown"
    homes: int
    files: int
    bytes: int
    failed: int


@dataclass(frozen=True)
class WorkspaceRow:
    workspace: str
    users: int  # rows of users and homes; a workspace that could not be scanned has none
    files: int
    bytes: int
    reclaimable: int  # bytes in removed users' homes
    failed: int  # rows with status error, the workspace's own included
    error: str  # why the workspace could not be scanned at all


@dataclass(frozen=True)
class PersonRow:
    person: str  # the home's name, case-folded: how identity federation joins account and workspace users
    workspaces: int  # rows of this person, one per workspace
    files: int | None  # None when a row failed: a part would read as the whole
    bytes: int | None
    failed: int
    owner_statuses: tuple[str, ...]


def people(records: list[Record]) -> list[PersonRow]:
    """Each person's totals across the workspaces of a run, the largest first."""
    rows: dict[str, list[Record]] = {}
    for r in records:
        if r["username"]:
            rows.setdefault((r.get("home_name") or r["username"]).casefold(), []).append(r)
    out = []
    for person, mine in rows.items():
        failed = sum(1 for r in mine if r["status"] == "error")
        out.append(PersonRow(person, len(mine), None if failed else _sum(mine, "file_count"),
                             None if failed else _sum(mine, "total_size"), failed,
                             tuple(sorted({r["owner_status"] for r in mine if r.get("owner_status")}))))
    return sorted(out, key=lambda p: (-(p.bytes or 0), p.person))


@dataclass(frozen=True)
class FileSystemRow:
    label: str
    files: int
    bytes: int
    estimated_bytes: int


@dataclass(frozen=True)
class Statistics:
    users: int
    files: int
    bytes: int
    estimated_bytes: int
    errors: int
    by_status: dict[str, int]
    by_owner: list[OwnerRow]
    by_file_system: list[FileSystemRow]  # the file systems some user was scanned in, then the total
    removed_homes: int
    reclaimable: int  # bytes in removed users' homes
    errors_by_reason: list[tuple[str, int]]
    records: list[Record]
    by_workspace: list[WorkspaceRow]  # a run over several workspaces: one row each, in the inventory's order
    by_place: list[FileSystemRow]  # the places beyond the homes that were scanned (repos, volumes, a --place...)

    @property
    def estimated_share(self) -> float:
        """Percent of the bytes that are estimates, one decimal."""
        return round(100 * self.estimated_bytes / self.bytes, 1) if self.bytes else 0.0

    @property
    def owners_known(self) -> bool:
        return any(r.get("owner_status") for r in self.records)

    def largest(self, n: int, owner_status: str | None = None) -> list[Record]:
        """The n users with the most bytes (of one owner status, if given), users with bytes only."""
        pool = [r for r in self.records if r["status"] != "error" and r.get("total_size")
                and (owner_status is None or r.get("owner_status") == owner_status)]
        return sorted(pool, key=lambda r: (-r["total_size"], r["username"]))[:n]

    @classmethod
    def of(cls, records: list[Record]) -> Statistics:
        counted = [r for r in records if r["status"] != "error"]
        by_owner = []
        for status in OWNER_ORDER:
            mine = [r for r in records if (r.get("owner_status") or None) == status]
            if mine:
                by_owner.append(OwnerRow(status or "unknown", len(mine), _sum(mine, "file_count"),
                                         _sum(mine, "total_size"), sum(1 for r in mine if r["status"] == "error")))
        systems = []
        for fs, label in (("dbfs", "DBFS"), ("workspace", "Workspace")):
            scanned = [r for r in counted if r.get(f"{fs}_files") is not None]
            if scanned:
                # Objects without a size are Workspace objects: DBFS gives every file's size.
                estimated = _sum(scanned, "estimated_bytes") if fs == "workspace" else 0
                systems.append(FileSystemRow(label, _sum(scanned, f"{fs}_files"), _sum(scanned, f"{fs}_bytes"), estimated))
        total_bytes, estimated_bytes = _sum(records, "total_size"), _sum(records, "estimated_bytes")
        systems.append(FileSystemRow("Total", _sum(records, "file_count"), total_bytes, estimated_bytes))
        reasons: dict[str, int] = {}
        for r in records:
            # A row's errors are joined with "; "; a workspace's row (no username) holds one sentence.
            errors = ([r["error"]] if not r["username"] else r["error"].split("; ")) if r.get("error") else []
            for error in errors:
                reasons[error_reason(error)] = reasons.get(error_reason(error), 0) + 1
        removed = [r for r in counted if r.get("owner_status") == "removed"]
        return cls(
            users=len(records), files=_sum(records, "file_count"), bytes=total_bytes,
            estimated_bytes=estimated_bytes, errors=sum(1 for r in records if r["status"] == "error"),
            by_status={s: sum(1 for r in records if r["status"] == s) for s in STATUSES},
            by_owner=by_owner, by_file_system=systems, removed_homes=len(removed),
            reclaimable=sum(r.get("total_size") or 0 for r in removed),
            errors_by_reason=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])), records=records,
            by_workspace=_by_workspace(records), by_place=_by_place(counted),
        )


# The per-place columns that are not places: the homes' two file systems.
_NOT_PLACES = ("dbfs", "workspace")


def _by_place(counted: list[Record]) -> list[FileSystemRow]:
    """Files and bytes per place beyond the homes (built-in or of the admin's naming), of the users scanned
    completely, for the places some user was scanned in."""
    names = list(dict.fromkeys(key[:-len("_files")] for r in counted for key in r
                               if key.endswith("_files") and r[key] is not None))
    rows = []
    for name in names:
        if name in _NOT_PLACES or f"{name}_bytes" not in counted[0]:
            continue
        scanned = [r for r in counted if r.get(f"{name}_files") is not None]
        rows.append(FileSystemRow(name, _sum(scanned, f"{name}_files"), _sum(scanned, f"{name}_bytes"), 0))
    return rows


def _by_workspace(records: list[Record]) -> list[WorkspaceRow]:
    names = list(dict.fromkeys(r["workspace"] for r in records if r.get("workspace")))
    if len(names) < 2 and not any(r.get("workspace") and not r["username"] for r in records):
        return []  # one workspace: its figures are the whole summary's
    rows = []
    for name in names:
        mine = [r for r in records if r.get("workspace") == name]
        users = [r for r in mine if r["username"]]
        removed = [r for r in users if r["status"] != "error" and r.get("owner_status") == "removed"]
        rows.append(WorkspaceRow(name, len(users), _sum(users, "file_count"), _sum(users, "total_size"),
                                 sum(r.get("total_size") or 0 for r in removed),
                                 sum(1 for r in mine if r["status"] == "error"),
                                 next((r.get("error") or "" for r in mine if not r["username"]), "")))
    return rows
