"""The report an admin forwards: one self-contained HTML page (no network, no CDN: CSS, script and the SVG
chart are inline), rendered by Jinja2 from an inventory's records, with what changed since an older one.

What it shows, in order: the workspace, scan time, tool version and options; the headline figures (users,
files, bytes, the estimated share, users in error, what removed users' homes hold); the top 20 users by
bytes, DBFS and Workspace stacked, estimated bytes hatched, owner status shown; bytes by owner status; every
user in a table sortable by any column and filterable by name and status; errors grouped by reason; and
with a previous inventory, the largest changes and the users new or gone.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from typing import Any

from .changes import Comparison, compare
from .statistics import Statistics, people
from .text import OWNER_WORDS, OwnedVolume, human_bytes, plural

Record = dict[str, Any]
TABLE_COLUMNS = ["username", "owner_status", "status", "file_count", "total_size", "dbfs_bytes", "workspace_bytes",
                 "estimated_bytes", "file_source", "newest_modified", "error"]
SIZE_COLUMNS = ("total_size", "dbfs_bytes", "workspace_bytes", "estimated_bytes")


def headline(stats: Statistics) -> dict[str, Any]:
    return {"users": stats.users, "files": stats.files, "bytes": stats.bytes, "estimated_share": stats.estimated_share,
            "errors": stats.errors, "removed_homes": stats.removed_homes, "reclaimable": stats.reclaimable}


def top_bars(stats: Statistics, n: int = 20) -> list[dict[str, Any]]:
    """The n largest users as stacked bars: DBFS, then the Workspace with its estimated part marked. An
    inventory without the split (the earlier toolkit's 7 columns) gives one bar per user."""
    biggest = stats.largest(n)
    scale = max((r["total_size"] for r in biggest), default=1) or 1
    bars = []
    for r in biggest:
        total = r["total_size"]
        split = r["dbfs_bytes"] is not None or r["workspace_bytes"] is not None
        dbfs = (r["dbfs_bytes"] or 0) if split else 0
        workspace = (r["workspace_bytes"] or 0) if split else total
        estimated = min(r["estimated_bytes"] or 0, workspace)
        bars.append({"username": r["username"], "owner_status": r["owner_status"], "total": total, "dbfs": dbfs,
                     "workspace": workspace, "estimated": estimated, "split": split,
                     "w_dbfs": 100 * dbfs / scale, "w_ws": 100 * workspace / scale,
                     "w_est": 100 * estimated / scale})
    return bars


# Inside <script>, "</script" ends the element and "<!--" can make the parser miss its end, whatever the type.
# These characters only occur inside JSON strings, where \uXXXX is the same character to JSON.parse; the two
# line separators are escaped too, so the text is also valid JavaScript should anyone paste it into code.
_SCRIPT_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"})


def script_json(data: Any) -> str:
    """JSON to embed in `<script type="application/json">`: no text in the data can end or break the element."""
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


def table_row(record: Record) -> Record:
    """A user as the page's table gets it: the raw values (to sort and filter), and each size as human_bytes
    shows it, so the table and the tooltips never round one number two ways."""
    row = {c: record[c] for c in TABLE_COLUMNS}
    row["sizes"] = [None if record[c] is None else human_bytes(record[c]) for c in SIZE_COLUMNS]  # in that order
    return row


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    """The template environment, built once: compiling the template costs more than rendering it."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("dbx_inventory.outputs", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["size"] = human_bytes
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else "unknown"
    env.filters["signed_size"] = lambda n: ("+" if n > 0 else "−" if n < 0 else "") + human_bytes(abs(n))
    env.filters["signed"] = lambda n: f"{n:+,}"
    env.filters["plural"] = lambda n, word, many=None: plural(n, word, many, grouped=True)
    return env


def render_html(records: list[Record], header: dict[str, Any] | None = None,
                previous: list[Record] | None = None, previous_name: str = "",
                volumes: Sequence[OwnedVolume] = ()) -> str:
    stats = Statistics.of(records)
    comparison: Comparison | None = compare(records, previous) if previous is not None else None
    rows = [table_row(r) for r in records]
    return str(_environment().get_template("report.html.j2").render(
        header=header or {}, headline=headline(stats), bars=top_bars(stats),
        owners=[dataclasses.asdict(o) for o in stats.by_owner], owner_words=OWNER_WORDS, errors=stats.errors_by_reason,
        workspaces=[dataclasses.asdict(w) for w in stats.by_workspace],
        volumes=[dataclasses.asdict(v) for v in volumes], places=[dataclasses.asdict(p) for p in stats.by_place],
        persons=[dataclasses.asdict(p) for p in people(records)[:20] if p.workspaces > 1] if stats.by_workspace else [],
        comparison=comparison,
        previous_name=previous_name, rows_json=script_json(rows),
        columns=TABLE_COLUMNS[:1] + ["workspace"] + TABLE_COLUMNS[1:] if stats.by_workspace else TABLE_COLUMNS,
        size_columns=SIZE_COLUMNS,
        options=json.dumps(header.get("options"), sort_keys=True) if header and header.get("options") else "",
    ))
