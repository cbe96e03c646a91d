"""What changed between two inventories, per user: files and bytes added or removed, the largest changes,
users new since the old inventory and users gone from it; and how the two inventories differ in what they
counted (the workspace, the file systems, the places, the size estimate). Pure: records in, a comparison out.

Users match by their exact home name: paths are case-sensitive, so `jane@x.com` and `JANE@X.COM` are two
folders, two users. A user is compared only on the parts both inventories counted (the DBFS home, the
Workspace home, /Repos, the uploads): a part one side did not count is unknown, never "removed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.hosts import normalise_host
from ..core.locations import SCOPES, places

Record = dict[str, Any]
# The parts of a user's total counted apart. dbfs_* holds the uploads and workspace_* holds /Repos, so the
# homes are what is left of them once the places beyond are taken out.
BEYOND = {"dbfs": "uploads", "workspace": "repos"}
HOMES = "homes"  # a record without the split (the earlier toolkit's 7 columns): its total is the two homes
PER_COLUMN = [f"{scope}_{what}" for scope in SCOPES for what in ("files", "bytes")]


def key(r: Record) -> str:
    """A record's home, exactly as spelled: `home_name` where the name was typed otherwise, else the name."""
    return str(r.get("home_name") or r["username"])


def _both(r: Record, scope: str) -> tuple[int, int] | None:
    files, size = r.get(f"{scope}_files"), r.get(f"{scope}_bytes")
    return None if files is None or size is None else (files, size)


def parts(r: Record) -> dict[str, tuple[int, int]]:
    """(files, bytes) of each part a record counted completely: `home_dbfs`, `home_workspace`, `repos`,
    `uploads`; or, for a record without the split, `homes` (its total)."""
    out: dict[str, tuple[int, int]] = {}
    for fs, beyond in BEYOND.items():
        fs_part = _both(r, fs)
        if fs_part is None:
            continue
        extra = _both(r, beyond)
        if extra is not None:
            out[beyond] = extra
            fs_part = (fs_part[0] - extra[0], fs_part[1] - extra[1])
        out[f"home_{fs}"] = fs_part
    if not out and r.get("file_count") is not None and r.get("total_size") is not None:
        out[HOMES] = (r["file_count"], r["total_size"])
    return out


def _as_homes(p: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    if "home_dbfs" in p and "home_workspace" in p:
        return {HOMES: (p["home_dbfs"][0] + p["home_workspace"][0], p["home_dbfs"][1] + p["home_workspace"][1])}
    return {}


def common(new: Record, old: Record) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(files, bytes) before and after, over the parts both records counted; None if they share none."""
    a, b = parts(new), parts(old)
    if (HOMES in a) != (HOMES in b):  # one side without the split: compare its total with the other's homes
        a, b = (a, _as_homes(b)) if HOMES in a else (_as_homes(a), b)
    shared = a.keys() & b.keys()
    if not shared:
        return None
    return ((sum(b[k][0] for k in shared), sum(b[k][1] for k in shared)),
            (sum(a[k][0] for k in shared), sum(a[k][1] for k in shared)))


@dataclass(frozen=True)
class Change:
    username: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    # Per column (dbfs_files, repos_bytes...): after minus before, None where either side left it blank.
    columns: dict[str, int | None] = field(default_factory=dict, compare=False, hash=False)

    @property
    def files(self) -> int:
        return self.files_after - self.files_before

    @property
    def bytes(self) -> int:
        return self.bytes_after - self.bytes_before


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)  # users in both, compared on the parts both counted
    new: list[Record] = field(default_factory=list)  # in the new inventory only
    gone: list[Record] = field(default_factory=list)  # in the old inventory only
    unknown: list[str] = field(default_factory=list)  # in both, failed (no totals) in exactly one of them
    failed_both: list[str] = field(default_factory=list)  # in both, failed in both: no difference to tell either
    apart: list[str] = field(default_factory=list)  # in both, but no part counted by both: no difference to tell

    def largest(self, n: int = 20) -> list[Change]:
        moved = [c for c in self.changes if c.bytes or c.files]
        return sorted(moved, key=lambda c: (-abs(c.bytes), -abs(c.files), c.username))[:n]

    @property
    def added_bytes(self) -> int:
        return sum(c.bytes for c in self.changes if c.bytes > 0)

    @property
    def removed_bytes(self) -> int:
        return -sum(c.bytes for c in self.changes if c.bytes < 0)


def _delta(new: Any, old: Any) -> int | None:
    return None if new is None or old is None else new - old


def compare(records: Iterable[Record], previous: Iterable[Record]) -> Comparison:
    """Users match by their exact home name (`key`); each is compared on the parts both sides counted."""
    before: dict[str, Record] = {}
    for r in previous:
        before.setdefault(key(r), r)
    out = Comparison()
    seen = set()
    for r in records:
        k = key(r)
        seen.add(k)
        old = before.get(k)
        if old is None:
            out.new.append(r)
            continue
        if None in (r["file_count"], r["total_size"]) and None in (old["file_count"], old["total_size"]):
            out.failed_both.append(r["username"])
            continue
        if None in (r["file_count"], r["total_size"], old["file_count"], old["total_size"]):
            out.unknown.append(r["username"])
            continue
        shared = common(r, old)
        if shared is None:
            out.apart.append(r["username"])
            continue
        (files_before, bytes_before), (files_after, bytes_after) = shared
        out.changes.append(Change(r["username"], files_before, files_after, bytes_before, bytes_after,
                                  {c: _delta(r.get(c), old.get(c)) for c in PER_COLUMN}))
    out.gone = [r for k, r in before.items() if k not in seen]
    return out


# -- what each side counted ---------------------------------------------------------------------------------
def counted(file_systems: Iterable[str], locations: Iterable[str]) -> frozenset[str]:
    """The per-place columns (SCOPES) a scan with these options fills."""
    walked = places(tuple(locations), tuple(file_systems))
    return frozenset({loc.fs for loc in walked} | {loc.name for loc in walked if loc.name in SCOPES})


@dataclass(frozen=True)
class Basis:
    """What an inventory says it counted. A JSON inventory's header gives the workspace and the options; a
    CSV gives neither, and its columns tell what they can: which per-place columns hold a number in some row,
    and the size estimate (estimated_bytes / estimated_objects). None: not known."""

    name: str
    host: str | None = None
    scopes: frozenset[str] | None = None  # of SCOPES: the parts counted
    size_estimate: int | None = None
    exact_notebook_sizes: bool | None = None

    @classmethod
    def of(cls, name: str, records: Sequence[Record], header: dict[str, Any] | None = None) -> Basis:
        header = header or {}
        raw = header.get("options")
        options: dict[str, Any] = raw if isinstance(raw, dict) else {}
        ok = [r for r in records if r.get("status") != "error"]
        if isinstance(options.get("file_systems"), list) and isinstance(options.get("locations"), list):
            scopes: frozenset[str] | None = counted(options["file_systems"], options["locations"])
        else:  # a CSV: the columns some row fills; none at all is the earlier toolkit's 7 columns, which do not say
            scopes = frozenset(s for s in SCOPES if any(r.get(f"{s}_bytes") is not None for r in ok)) or None
        estimate = options.get("size_estimate")
        if not isinstance(estimate, int):
            estimate = next((r["estimated_bytes"] // r["estimated_objects"] for r in ok
                             if r.get("estimated_objects") and r.get("estimated_bytes") is not None), None)
        exact = options.get("exact_notebook_sizes")
        return cls(name, str(header["host"]) if header.get("host") else None, scopes, estimate,
                   exact if isinstance(exact, bool) else None)


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def differences(new: Basis, old: Basis) -> list[str]:
    """Each way the two inventories differ in what they counted, as far as both say: one sentence each."""
    out = []
    if new.host and old.host and normalise_host(new.host) != normalise_host(old.host):
        out.append(f"{old.name} is an inventory of {old.host} and {new.name} of {new.host}: users of the same "
                   "name are compared across two workspaces")
    if new.scopes is not None and old.scopes is not None and new.scopes != old.scopes:
        out.append(f"{old.name} counted {_listed(old.scopes)} and {new.name} {_listed(new.scopes)}: users are "
                   f"compared on {_listed(new.scopes & old.scopes) or 'nothing'} only, the rest is unknown")
    if new.size_estimate is not None and old.size_estimate is not None and new.size_estimate != old.size_estimate:
        out.append(f"{old.name} counted {old.size_estimate:,} bytes per object without a size and {new.name} "
                   f"{new.size_estimate:,}: estimated bytes differ by that alone")
    if None not in (new.exact_notebook_sizes, old.exact_notebook_sizes) \
            and new.exact_notebook_sizes != old.exact_notebook_sizes:
        measured = new.name if new.exact_notebook_sizes else old.name
        out.append(f"only {measured} measured notebooks (--exact-notebook-sizes): their sizes differ by that alone")
    return out
