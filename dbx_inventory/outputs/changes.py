"""What changed between two inventories, per user: files and bytes added or removed, the largest changes,
users new since the old inventory and users gone from it. Pure: records in, a comparison out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class Change:
    username: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int

    @property
    def files(self) -> int:
        return self.files_after - self.files_before

    @property
    def bytes(self) -> int:
        return self.bytes_after - self.bytes_before


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)  # users in both, counted completely in both
    new: list[Record] = field(default_factory=list)  # in the new inventory only
    gone: list[Record] = field(default_factory=list)  # in the old inventory only
    unknown: list[str] = field(default_factory=list)  # in both, failed (no totals) in exactly one of them
    failed_both: list[str] = field(default_factory=list)  # in both, failed in both: no difference to tell either

    def largest(self, n: int = 20) -> list[Change]:
        moved = [c for c in self.changes if c.bytes or c.files]
        return sorted(moved, key=lambda c: (-abs(c.bytes), -abs(c.files), c.username))[:n]

    @property
    def added_bytes(self) -> int:
        return sum(c.bytes for c in self.changes if c.bytes > 0)

    @property
    def removed_bytes(self) -> int:
        return -sum(c.bytes for c in self.changes if c.bytes < 0)


def compare(records: Iterable[Record], previous: Iterable[Record]) -> Comparison:
    """Users match by name, case-insensitively (the same home typed two ways is the same user)."""
    before = {str(r["username"]).casefold(): r for r in previous}
    out = Comparison()
    seen = set()
    for r in records:
        key = str(r["username"]).casefold()
        seen.add(key)
        old = before.get(key)
        if old is None:
            out.new.append(r)
        elif None in (r["file_count"], r["total_size"]) and None in (old["file_count"], old["total_size"]):
            out.failed_both.append(r["username"])
        elif None in (r["file_count"], r["total_size"], old["file_count"], old["total_size"]):
            out.unknown.append(r["username"])
        else:
            out.changes.append(Change(r["username"], old["file_count"], r["file_count"], old["total_size"],
                                      r["total_size"]))
    out.gone = [r for key, r in before.items() if key not in seen]
    return out
