"""The figures of an inventory, computed once, for the end-of-run summary (text.py) and the HTML report
(html_report.py) alike. They take records (columns.py's typed rows), which a run and a saved inventory
(inventory_file.py) both give. Totals count the users scanned completely: a failed user's numbers are
blank, never a partial count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

# The homes by owner status, in the order an admin reads them: what can be reclaimed first, then those likely
# to leave, then the current identities, then the unknown.
OWNER_ORDER: tuple[str | None, ...] = ("removed", "inactive", "service_principal", "active", None)
STATUSES = ("success", "empty", "error")


def error_reason(error: str) -> str:
    """Group errors by file system, status and code, without the path: 'workspace: HTTP 403 PERMISSION_DENIED'."""
    if error.startswith("no user, service principal or home named"):
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
            for error in (r.get("error") or "").split("; ") if r.get("error") else ():
                reasons[error_reason(error)] = reasons.get(error_reason(error), 0) + 1
        removed = [r for r in counted if r.get("owner_status") == "removed"]
        return cls(
            users=len(records), files=_sum(records, "file_count"), bytes=total_bytes,
            estimated_bytes=estimated_bytes, errors=sum(1 for r in records if r["status"] == "error"),
            by_status={s: sum(1 for r in records if r["status"] == s) for s in STATUSES},
            by_owner=by_owner, by_file_system=systems, removed_homes=len(removed),
            reclaimable=sum(r.get("total_size") or 0 for r in removed),
            errors_by_reason=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])), records=records,
        )
