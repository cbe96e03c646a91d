"""The HTML report's data, embedded so that no text can break the page, and its sizes formatted once."""

from __future__ import annotations

import json
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dbx_inventory.outputs.columns import COLUMNS
from dbx_inventory.outputs.html_report import render_html, table_row

HOSTILE = ("</script>", "</SCRIPT >", "</script", "<script>", "<!--", "-->", "<!-- old notes -->", "]]>", '"', "'",
           "\\", "\\u2028", "\u2028", "\u2029", "\u200f", "\u202e", "\u200e", "&amp;", "&lt;", "<\\!--", "<\\/",
           "<", ">", "&", "\x00", "\r\n", "\ufeff")
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=12).map("".join)


def record(name: str, error: str | None = None, size: int | None = 80_000) -> dict:
    rec: dict = {c.name: None for c in COLUMNS}
    failed = error is not None
    rec.update(username=name, status="error" if failed else "success", error=error, owner_status="removed",
               display_name=name, file_count=None if failed else 3, total_size=None if failed else size,
               dbfs_bytes=size, workspace_bytes=0, estimated_bytes=0, file_source="dbfs")
    return rec


def embedded_rows(page: str) -> str:
    """The rows element's text as a browser reads it: its content ends at the first `</script`, in any case."""
    start = page.index('<script type="application/json" id="rows">')
    start = page.index(">", start) + 1
    return page[start:re.search("</script", page[start:], re.IGNORECASE).start() + start]


# 40 examples and the two worst cases below: render_html compiles its template on every call (about 20 ms), so
# more would take the unit layer past its 10 s.
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(hostile_text, hostile_text), min_size=1, max_size=4))
@example([("</script><script>alert(1)</script><!--" * 100, "HTTP 403 PERMISSION_DENIED on /Users/x/<!-- old notes -->")])
@example([("\u202eevil\u2028\u2029\"'" + "x" * 4000, "<!--")])
def test_any_text_comes_back_from_the_page_as_it_was(names):
    records = [record(name, error or None) for name, error in names]
    page = render_html(records, {"host": "https://h"}, previous=records)
    text = embedded_rows(page)
    assert "<" not in text and "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == [table_row(r) for r in records]
    # Nothing in the data opened an element: the page's two scripts are the only ones.
    assert len(re.findall("<script", page, re.IGNORECASE)) == 2


def test_a_size_in_the_table_is_the_size_in_the_tooltips():
    row = table_row(record("a@x.com", size=80_000))
    assert row["sizes"] == ["78.13 KiB", "78.13 KiB", "0 B", "0 B"]  # total, DBFS, Workspace, estimated
    page = render_html([record("a@x.com", size=80_000)])
    assert '<div class="bar-size" title="80,000 bytes">78.13 KiB</div>' in page
    # The page's script formats no size of its own.
    assert "toFixed" not in page


# -- the numbers on the page, read from the HTML without a browser --------------------------------------------
def people(*rows: tuple) -> list[dict]:
    """(name, owner status, files, dbfs bytes, workspace bytes, estimated bytes, error) -> records, as the
    inventory writes them: a user in error has blank totals, and keeps the bytes of a file system that was
    counted whole (outputs/columns.py)."""
    out = []
    for name, owner, files, dbfs, ws, est, error in rows:
        rec = record(name, error)
        failed = error is not None
        rec.update(owner_status=owner, file_count=None if failed else files, total_size=None if failed else dbfs + ws,
                   dbfs_bytes=dbfs, workspace_bytes=ws, estimated_bytes=None if failed else est)
        out.append(rec)
    return out


def figure(page: str, element_id: str, attribute: str | None = None) -> str:
    tag = re.search(f'<[^>]* id="{element_id}"[^>]*>([^<]*)<', page)
    assert tag, f"no element {element_id}"
    if attribute is None:
        return tag.group(1)
    return re.search(f'{attribute}="([^"]*)"', tag.group(0)).group(1)


RECORDS = people(
    ("ann@x.com", "active", 3, 1_000, 3_000, 1_000, None),
    ("bob@x.com", "removed", 5, 6_000, 2_000, 0, None),
    ("cid@x.com", "removed", 7, 70_000, 0, 0, "HTTP 403 PERMISSION_DENIED on /Users/cid@x.com"),
    ("dee@x.com", "inactive", 1_200, 1_500_000, 500_000, 0, None),
    ("eve@x.com", "active", 9, 0, 90_000, 0, "HTTP 403 PERMISSION_DENIED on /Users/eve@x.com"),
)


def test_the_headline_figures_count_every_user_and_only_the_counted_bytes():
    page = render_html(RECORDS, {"host": "https://h"})
    assert figure(page, "users-count") == "5"  # failed users are users too
    assert figure(page, "files-count") == "1,208"  # 3 + 5 + 1,200: failed users hold no count
    assert figure(page, "bytes-total", "data-bytes") == str(4_000 + 8_000 + 2_000_000)
    assert figure(page, "estimated-share") == f"{round(100 * 1_000 / 2_012_000, 1)}%"
    assert figure(page, "error-count") == "2"
    assert figure(page, "reclaimable", "data-bytes") == "8000"  # bob's home: cid's could not be counted
    assert "in 1 removed user&#39;s home: reclaimable" in page


def test_bytes_by_owner_status_in_their_fixed_order_with_the_failed_homes():
    page = render_html(RECORDS)
    rows = re.findall(r'<tr data-status="([^"]+)"><td>[^<]*</td><td class="num">([^<]*)</td><td class="num">([^<]*)'
                      r'</td><td class="num" data-bytes="(\d+)"[^>]*>[^<]*</td><td class="num">([^<]*)</td>', page)
    assert rows == [("removed", "2", "5", "8000", "1"), ("inactive", "1", "1,200", "2000000", ""),
                    ("active", "2", "3", "4000", "1")]


def test_the_top_bars_are_the_largest_users_first_with_their_split():
    page = render_html(RECORDS)
    bars = re.findall(r'<div class="bar-row" data-user="([^"]+)" data-bytes="(\d+)">', page)
    assert bars == [("dee@x.com", "2000000"), ("bob@x.com", "8000"), ("ann@x.com", "4000")]  # none for 0 bytes
    assert "Top 3 users by size" in page
    assert re.findall("<title>estimated: ([^<]*)</title>", page) == ["1000 B (1,000 bytes)"]  # ann's only


def test_errors_are_grouped_by_reason_and_an_empty_inventory_says_so():
    page = render_html(RECORDS)
    errors = page.split('<table id="errors">')[1].split("</table>")[0]
    assert re.findall(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td></tr>', errors) == [
        ("HTTP 403 PERMISSION_DENIED", "2")]  # one reason for both, the paths left out
    empty = render_html([])
    assert figure(empty, "users-count") == "0" and figure(empty, "bytes-total", "data-bytes") == "0"
    assert figure(empty, "estimated-share") == "0.0%" and "No user holds any bytes." in empty
    assert "No user failed." in empty
