"""The CSV escape against formulas: what a spreadsheet sees, and that our readers get the text back exactly."""

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

from dbx_inventory.outputs.csv_safe import FORMULA_STARTS, escape, unescape, write_csv

# Arbitrary text, with the characters that matter at the start made likely.
# Any text but NUL, which a CSV cannot carry on every Python (escape() replaces it: see the test below).
plain = st.text().filter(lambda t: "\x00" not in t)
texts = st.one_of(plain, st.builds(lambda a, b: a + b, st.sampled_from([*FORMULA_STARTS, "'", "''"]), plain))


@given(texts)
@example("=HYPERLINK(\"http://x\")")
@example("'=1")
@example("'")
@example("")
def test_unescape_undoes_escape_for_any_text(text):
    assert unescape(escape(text)) == text


@given(texts)
def test_no_escaped_cell_starts_a_formula(text):
    assert not escape(text).startswith(FORMULA_STARTS)


@given(st.lists(st.tuples(texts, st.integers()), max_size=5))
def test_a_written_csv_reads_back_to_the_same_text_and_numbers(rows):
    buf = io.StringIO()
    write_csv(buf, [{"name": t, "size": n} for t, n in rows], ["name", "size"], numeric=("size",))
    back = list(csv.DictReader(io.StringIO(buf.getvalue(), newline="")))
    assert [(unescape(r["name"]), int(r["size"])) for r in back] == rows


def test_numbers_and_numeric_columns_are_never_escaped():
    buf = io.StringIO()
    write_csv(buf, [{"name": "-2+3", "delta": "-5", "count": -7, "none": None}], ["name", "delta", "count", "none"],
              numeric=("delta",))
    assert buf.getvalue().splitlines() == ["name,delta,count,none", "'-2+3,-5,-7,"]


def test_text_a_reader_wrote_itself_is_kept():
    assert unescape("'brien@x.com") == "'brien@x.com" and unescape("plain") == "plain"


@given(st.lists(st.tuples(texts, texts, st.integers(min_value=0)), min_size=1, max_size=4))
def test_an_inventory_csv_reads_back_as_written(rows):
    # The reader behind --compare and the report, from a file as the scanner writes it.
    import os
    import tempfile

    from dbx_inventory.outputs.inventory_file import read_inventory
    from dbx_inventory.outputs.writers import NUMERIC_COLUMNS, render_csv

    text = render_csv([{"username": u, "display_name": d, "total_size": n, "status": "success"} for u, d, n in rows],
                      ["username", "total_size", "status", "display_name"], NUMERIC_COLUMNS)
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        back = read_inventory(path).records
    finally:
        os.unlink(path)
    # A blank cell is unknown (None) to the reader, as it is for every column.
    assert [(r["username"], r["display_name"], r["total_size"]) for r in back] == [
        (u or None, d or None, n) for u, d, n in rows]


def test_a_nul_is_written_as_the_replacement_character():
    from dbx_inventory.outputs.writers import render_csv

    text = render_csv([{"username": "a\x00b", "total_size": 1, "status": "success"}],
                      ["username", "total_size", "status"])
    assert "a\ufffdb" in text  # and no "need to escape" from the csv module on Python 3.10
