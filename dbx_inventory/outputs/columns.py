"""The inventory's columns, defined once and derived from the model: every format (CSV, JSON, JSON Lines,
the Spark tables, the HTML report) takes its fields and their types from here.

The earlier toolkit's seven columns come first, in its order (docs/history.md); then ours. A counter added to `Tally` appears here
(and so everywhere) without being listed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..core.locations import SCOPES
from ..core.model import COUNTERS, Tally, UserResult

GIB = 1024**3


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string, long or double: Spark's type names, used as they are for the tables
    value: Callable[[UserResult], Any]  # None where the CSV is blank
    meaning: str = ""


def iso_ms(ms: int | None) -> str | None:
    if not ms:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _complete_total(r: UserResult) -> Tally | None:
    # A failed user's totals are left blank: a partial count reads as a real one.
    return None if r.status == "error" else r.total


def _counter_value(tally: Tally | None, name: str) -> Any:
    if tally is None:
        return None
    value = getattr(tally, name)
    return iso_ms(value) if name == "newest_mtime_ms" else value


def _counter(f: Any) -> Column:
    def value(r: UserResult) -> Any:
        return _counter_value(_complete_total(r), f.name)

    kind = "string" if f.name == "newest_mtime_ms" else "long"
    return Column(f.metadata["column"], kind, value, f.metadata["meaning"])


def _scoped(scope: str, f: Any) -> Column:
    def value(r: UserResult) -> Any:
        return _counter_value(r.scope_total(scope), f.name)

    return Column(f"{scope}_{f.name}", "long", value, f"{f.metadata['meaning']}, {scope} only")


def _gib(r: UserResult) -> float | None:
    t = _complete_total(r)
    return None if t is None else round(t.bytes / GIB, 2)


_BY_NAME = {f.name: f for f in COUNTERS}
ORIGINAL = [
    Column("username", "string", lambda r: r.username, "the user, as given"),
    _counter(_BY_NAME["files"]),
    _counter(_BY_NAME["bytes"]),
    Column("total_size_gb", "double", _gib, "total_size / 1024**3 (GiB), 2 decimals"),
    Column("status", "string", lambda r: r.status, "success, empty or error"),
    Column("file_source", "string", lambda r: r.file_source, "where files were found: both, dbfs, workspace, none"),
    Column("error", "string", lambda r: "; ".join(r.errors) or None, "why the scan failed"),
]
OWNER = [
    Column("workspace", "string", lambda r: r.workspace or None, "the workspace's host[:port], without the scheme"),
    Column("owner_status", "string", lambda r: r.owner_status or None,
           "active, inactive, service_principal, removed (a home no current identity owns), or unassigned (its "
           "owner is an active user of the account, not of this workspace)"),
    Column("display_name", "string", lambda r: r.display_name or None, "the identity's displayName"),
    Column("home_name", "string", lambda r: r.home or None, "the home's name, where it differs from username"),
]
def _volume_count(r: UserResult) -> int | None:
    # Known from Unity Catalog's listing even where a volume could not be walked: given on error rows too.
    owned = [p for p in r.parts if p.location == "volumes"]
    return None if not owned else sum(1 for p in owned if p.path)


def _scoped_columns(scopes: Iterable[str]) -> list[Column]:
    return [_scoped(scope, f) for scope in scopes for f in COUNTERS if f.metadata["per_scope"]]


COLUMNS: list[Column] = [
    *ORIGINAL,
    *OWNER,
    *_scoped_columns(SCOPES),
    Column("volumes_owned", "long", _volume_count, "the Unity Catalog volumes it owns (with --locations volumes)"),
    *[_counter(f) for f in COUNTERS if f.name not in ("files", "bytes")],
    Column("scan_seconds", "double", lambda r: round(r.seconds, 2), "wall time from the user's first request to the last"),
]
COLUMN_NAMES = [c.name for c in COLUMNS]
_AFTER_SCOPES = COLUMN_NAMES.index("volumes_owned") + 1


def own_places(results: Iterable[UserResult]) -> list[str]:
    """The places of the admin's own naming (--place) among the results' parts, in the order first met."""
    return list(dict.fromkeys(p.location for r in results for p in r.parts
                              if p.location != "home" and p.location not in SCOPES))


def columns_for(results: Iterable[UserResult]) -> list[Column]:
    """The columns of an inventory: every built-in one, and NAME_files, NAME_bytes... for each --place."""
    extra = own_places(results)
    return COLUMNS if not extra else [*COLUMNS[:_AFTER_SCOPES], *_scoped_columns(extra), *COLUMNS[_AFTER_SCOPES:]]


def record(result: UserResult, columns: list[Column] | None = None) -> dict[str, Any]:
    """One user as typed values: ints for counts and bytes, None where the CSV is blank."""
    return {c.name: c.value(result) for c in columns or columns_for([result])}


def as_text(column: Column, value: Any) -> str:
    """A value as the CSV writes it."""
    if value is None:
        return ""
    if column.name == "total_size_gb":
        return f"{value:.2f}"
    if column.name == "scan_seconds":
        return f"{value:.2f}"
    return str(value)


def text_row(result: UserResult, columns: list[Column] | None = None) -> dict[str, str]:
    return {c.name: as_text(c, c.value(result)) for c in columns or columns_for([result])}
