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


@settings(max_examples=150, deadline=None)
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
