"""The figures of an inventory, computed once (outputs/statistics.py), are the same in the end-of-run summary
and in the HTML report."""

from __future__ import annotations

import re

from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.outputs.columns import record
from dbx_inventory.outputs.html_report import render_html
from dbx_inventory.outputs.statistics import Statistics
from dbx_inventory.outputs.text import plain_tables, summary_tables


def user(name: str, owner: str, dbfs: int, ws: int, estimated: int = 0, error: str | None = None) -> UserResult:
    parts = (PartResult("dbfs", True, Tally(files=1, bytes=dbfs)),
             PartResult("workspace", True, Tally(files=2, bytes=ws, estimated=1 if estimated else 0,
                                                 estimated_bytes=estimated), error))
    return UserResult(name, parts, owner_status=owner)  # type: ignore[arg-type]


RESULTS = [user("a@x.com", "active", 100, 50, 10), user("gone@x.com", "removed", 1000, 0),
           user("sp", "service_principal", 0, 5), user("broken@x.com", "removed", 7, 7, error="workspace: HTTP 500")]


def test_the_figures():
    stats = Statistics.of([record(r) for r in RESULTS])
    assert (stats.users, stats.files, stats.bytes, stats.errors) == (4, 9, 1155, 1)
    assert [o.status for o in stats.by_owner] == ["removed", "service_principal", "active"]
    assert (stats.removed_homes, stats.reclaimable) == (1, 1000)  # the failed removed home is not counted
    assert [f.label for f in stats.by_file_system] == ["DBFS", "Workspace", "Total"]
    assert stats.by_file_system[1].estimated_bytes == 10 and stats.estimated_share == round(100 * 10 / 1155, 1)
    assert stats.errors_by_reason == [("workspace: HTTP 500", 1)]
    assert [r["username"] for r in stats.largest(2)] == ["gone@x.com", "a@x.com"]


def test_the_summary_and_the_report_agree():
    text = plain_tables(summary_tables(RESULTS))
    page = render_html([record(r) for r in RESULTS], {"host": "h"})
    text_owners = re.findall(r"^\s+(removed|service_principal|active)\s", text, re.M)
    assert text_owners[:3] == ["removed", "service_principal", "active"]
    positions = [page.find(f">{w}") for w in ("removed", "service principal", "active user")]
    assert all(p > 0 for p in positions)
