"""What people read: sizes formatted one way, counts with the right noun, comparisons that say what failed."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from dbx_inventory.core.model import PartResult, Tally, UserResult
from dbx_inventory.outputs.changes import compare
from dbx_inventory.outputs.html_report import render_html
from dbx_inventory.outputs.text import (
    changes_table,
    human_bytes,
    plain_tables,
    run_summary,
    summary_tables,
    user_report,
)


def test_a_tie_rounds_up_and_a_rounded_1024_moves_to_the_next_unit():
    assert human_bytes(80_000) == "78.13 KiB"  # 78.125 exactly: float formatting said 78.12
    assert human_bytes(80_000 - 1) == "78.12 KiB"
    assert [human_bytes(n) for n in (0, 1, 1023, 1024)] == ["0 B", "1 B", "1023 B", "1.00 KiB"]
    assert human_bytes(1024**2 - 1) == "1.00 MiB" and human_bytes(308_608_130) == "294.31 MiB"
    assert human_bytes(5 * 1024**5) == "5120.00 TiB"


@given(st.integers(min_value=1024, max_value=2**62))
def test_a_size_is_within_half_a_hundredth_of_its_unit(n):
    value, unit = human_bytes(n).split()
    scale = 1024 ** (["KiB", "MiB", "GiB", "TiB"].index(unit) + 1)
    hundredths = int(value.replace(".", ""))
    assert abs(hundredths * scale - 100 * n) * 2 <= scale  # |shown - exact| <= half a hundredth of the unit
    assert unit == "TiB" or hundredths < 102_400


def one_of_each() -> UserResult:
    return UserResult("u@x.com", (PartResult("dbfs", True, Tally(files=1, bytes=1, folders=1), path="/Users/u@x.com"),
                                  PartResult("workspace", True, Tally(files=1, bytes=10_000, estimated=1,
                                                                      estimated_bytes=10_000, folders=1))))


def test_one_of_anything_is_singular_in_the_one_user_report():
    text = user_report(one_of_each(), size_estimate=1)
    assert "1 file, 1 B (1 byte); 1 folder" in text
    assert "1 object estimated at 1 byte each" in text
    assert "Total: 2 files" in text
    assert not re.search(r"\b1 (files|folders|objects|bytes|users)\b", text), text


def test_one_of_anything_is_singular_in_the_summary_and_the_report():
    results = [one_of_each()]
    text = run_summary(results, "inv.csv") + "\n" + plain_tables(summary_tables(results))
    assert "Scanned 1 user" in text and "Top 1 user by size" in text
    page = html.unescape(render_html([{"username": "u@x.com", "owner_status": "removed", "status": "success",
                                       "file_count": 1, "total_size": 1, "dbfs_bytes": 1, "workspace_bytes": 0,
                                       "estimated_bytes": 0, "file_source": "dbfs", "newest_modified": None,
                                       "error": None}]))
    assert "Top 1 user by size" in page and "in 1 removed user's home: reclaimable" in page
    for shown in (text, page):
        assert not re.search(r"\b1 (files|folders|users|homes|removed users)\b", shown)


def rec(name: str, files: int | None) -> dict:
    return {"username": name, "file_count": files, "total_size": None if files is None else 100 * files,
            "status": "error" if files is None else "success"}


def test_a_user_failed_in_both_is_not_failed_in_one_of_the_two():
    before = [rec("both@x.com", None), rec("then@x.com", None), rec("now@x.com", 1), rec("fine@x.com", 1)]
    after = [rec("both@x.com", None), rec("then@x.com", 2), rec("now@x.com", None), rec("fine@x.com", 3)]
    c = compare(after, before)
    assert c.failed_both == ["both@x.com"] and c.unknown == ["then@x.com", "now@x.com"]
    assert [ch.username for ch in c.changes] == ["fine@x.com"]
    title, _, rows = changes_table(c, "old.csv")
    assert ["(2 failed in one of the two, 1 failed in both: no difference to tell)", "", "", ""] in rows
    page = render_html([{**r, "owner_status": None, "dbfs_bytes": None, "workspace_bytes": None,
                         "estimated_bytes": None, "file_source": None, "newest_modified": None, "error": None}
                        for r in after], previous=[{**r} for r in before])
    assert re.search(r'<span id="failed-once-count">2</span> failed in one of the two, '
                     r'<span id="failed-both-count">1</span> failed in both \(no difference to tell\)', page)


def test_the_report_command_says_report_of_1_user(tmp_path, capsys):
    from dbx_inventory.cli.report import main

    (tmp_path / "inv.csv").write_text("username,file_count,total_size,status\nu@x.com,1,1,success\n")
    assert main([str(tmp_path / "inv.csv"), "-o", str(tmp_path / "r.html")]) == 0
    assert f"Report of 1 user written to {tmp_path / 'r.html'}" in capsys.readouterr().err
