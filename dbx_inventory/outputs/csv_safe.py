"""CSV cells a spreadsheet will not run as formulas, and the reading that undoes it.

A `displayName` comes from the identity provider and a folder under `/Users` can be given any name, so a cell
may start with `=`, `+`, `-`, `@`, a tab or a carriage return, which Excel, LibreOffice and Google Sheets
take for a formula (https://owasp.org/www-community/attacks/CSV_Injection). Such a text cell is written with
a leading apostrophe, as OWASP advises; a cell that already starts with an apostrophe gets one more, so that
reading undoes the escape exactly, whatever the text. Numbers are never escaped. Every CSV the tools write goes
through `write_csv`; every CSV they read back goes through `unescape`. JSON, JSON Lines and Parquet carry the
text as it is.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_ESCAPED = (*FORMULA_STARTS, QUOTE)


def escape(text: str) -> str:
    """A text cell as the CSV writes it. A NUL, which Python 3.10's csv module cannot write at all ("need to
    escape") and no spreadsheet keeps, becomes U+FFFD, the replacement character."""
    text = text.replace("\x00", "\ufffd")
    return QUOTE + text if text.startswith(_ESCAPED) else text


def unescape(text: str) -> str:
    """A cell as `escape` was given it. A lone leading apostrophe before anything else (`'brien`) is kept: only
    `escape` puts one before a formula character or another apostrophe."""
    return text[1:] if text.startswith(QUOTE) and text[1:].startswith(_ESCAPED) else text


def write_csv(fh: IO[str], rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
              numeric: Collection[str] = ()) -> None:
    """A header and the rows; text cells escaped, the `numeric` columns (and any non-text value) as they are,
    None blank."""
    writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
    # With "\n" line ends, the csv module quotes a field holding "\n" but not one holding a lone "\r", which
    # every reader then takes for the end of the row: such a row is written with every field quoted.
    quoted = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        safe = {k: escape(v) if isinstance(v, str) and k not in numeric else v for k, v in row.items()}
        has_cr = any(isinstance(v, str) and "\r" in v for v in safe.values())
        (quoted if has_cr else writer).writerow(safe)
