"""Reading the list of users to scan: arguments, a users file, or stdin.

A file is one name per line, taken literally (blank lines and `#` comments skipped, a BOM and CRLF line ends
stripped), unless its first line is a CSV header. A first line that names a known column is a header, and
that column holds the names; a first line that only looks like one (several fields and no `@`) is an input
error that lists the columns found, never a user. Display names are never taken for user names. The header
line decides the delimiter: `,`, or the `;` of spreadsheets saved in locales whose decimal mark is a comma,
or a tab. A cell escaped against formulas (outputs/csv_safe.py) reads back as the name it escaped.

A header is never a user, a BOM never breaks the first name, and names that differ only in case are
scanned once when they name one home (twice when each names a folder of its own); a plain list with
`Smith, John` on one line stays a plain list.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.errors import InputError
from ..core.model import OwnerStatus, as_owner_status
from ..outputs.csv_safe import unescape

# The columns that hold user names, in order of preference (compared without case, spaces, '_' and '-').
NAME_COLUMNS = ("username", "email", "emailaddress", "mail", "login", "user", "applicationid")
MAX_NAME = 512
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class InputUser:
    name: str
    owner_status: OwnerStatus = ""  # carried from an exported CSV's owner_status column
    display_name: str = ""


def _norm(column: str) -> str:
    return "".join(c for c in column.casefold() if c not in " _-")


def _name_column(header: list[str], wanted: str | None, path: str) -> int:
    normalised = [_norm(h) for h in header]
    choices = [_norm(wanted)] if wanted else NAME_COLUMNS
    for choice in choices:
        if choice in normalised:
            return normalised.index(choice)
    found = ", ".join(repr(h.strip()) for h in header)
    if wanted:
        raise InputError(f"users file {path} has no column {wanted!r}; its columns: {found}")
    raise InputError(f"users file {path} starts with a header ({found}) that names no column of user names: "
                     "give the column with --users-column NAME, or use one of userName (user_name, User Name), "
                     "email (Email Address), mail, login, user, applicationId")


def _header_fields(line: str, wanted: str | None) -> tuple[list[str], str]:
    """The first line's fields and the delimiter: the first of DELIMITERS whose fields name a column of user
    names (or `wanted`); failing that, the one that splits the line most (a comma on a tie)."""
    splits = [(next(csv.reader([line], delimiter=d)), d) for d in DELIMITERS]
    choices = {_norm(wanted)} if wanted else set(NAME_COLUMNS)
    for fields, delimiter in splits:
        if any(_norm(f) in choices for f in fields):
            return fields, delimiter
    return max(splits, key=lambda s: len(s[0]))


def _looks_like_header(fields: list[str]) -> bool:
    known = any(_norm(f) in NAME_COLUMNS for f in fields)
    return known or (len(fields) > 1 and not any("@" in f for f in fields))


def _check_name(name: str, line: int, path: str, tab_ok: bool = False) -> str:
    if len(name) > MAX_NAME or any((ord(c) < 32 and not (tab_ok and c == "\t")) or ord(c) == 127 for c in name):
        what = f"longer than {MAX_NAME} characters" if len(name) > MAX_NAME else "holds a control character"
        raise InputError(f"users file {path}, line {line}: this cannot be a user name ({what})")
    return name


def unreadable_names(names: Iterable[str], csv_file: bool) -> list[str]:
    """Names a users file cannot carry exactly: spaces or tabs at either end (trimmed when read), control
    characters, and in a plain list a leading `#` (a comment). The exporter warns about them."""
    return [n for n in names if n != n.strip(" \t") or any(ord(c) < 32 or ord(c) == 127 for c in n.replace("\t", "" if csv_file else "\t"))
            or (not csv_file and n.startswith("#"))]


def parse_users_text(text: str, path: str = "-", column: str | None = None) -> list[InputUser]:
    """Users from a file's text: one per line, or a CSV whose header names the column of user names.

    Lines end at a newline only (not at the other characters Python's splitlines() takes for line ends, such
    as U+2028, which a folder name may hold); names are trimmed of spaces and tabs. In a plain list, `#`
    starts a comment; in a CSV, so does a line of one field starting with `#`, while a row with the header's
    columns is data even if its name starts with `#`, and a quoted cell keeps a tab."""
    text = text.lstrip("\ufeff")
    raw = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    lines = [(n, ln.strip(" \t")) for n, ln in enumerate(raw, 1)]
    lines = [(n, ln) for n, ln in lines if ln and not ln.startswith("#")]
    if not lines:
        return []
    header_line, header = lines[0]
    first, delimiter = _header_fields(header, column)
    if not (column or _looks_like_header(first)):
        return [InputUser(_check_name(ln, n, path)) for n, ln in lines]
    index = _name_column(first, column, path)
    normalised = [_norm(h) for h in first]
    status_at = normalised.index("ownerstatus") if "ownerstatus" in normalised else None
    display_at = normalised.index("displayname") if "displayname" in normalised else None

    def cell(row: list[str], at: int | None) -> str:
        return unescape(row[at].strip(" \t")) if at is not None and len(row) > at else ""

    users = []
    rows = csv.reader(io.StringIO("\n".join(raw[header_line:])), delimiter=delimiter)
    for row in rows:
        if len(first) > 1 and len(row) == 1 and row[0].lstrip(" \t").startswith("#"):
            continue  # a comment line: a data row has the header's columns, even a name starting with '#'
        name = cell(row, index)
        if name:
            number = header_line + rows.line_num
            users.append(InputUser(_check_name(name, number, path, tab_ok=True), as_owner_status(cell(row, status_at)),
                                   cell(row, display_at)))
    return users


def dedupe(users: Iterable[InputUser]) -> list[InputUser]:
    """Exact duplicates once, the first kept, in input order. Names that differ only in case stay apart here:
    whether they are one home or two is known only once they are resolved (people/resolve.py, `once`)."""
    seen: set[str] = set()
    out = []
    for user in users:
        if user.name and user.name not in seen:
            seen.add(user.name)
            out.append(user)
    return out


def read_users_file(path: str, column: str | None = None) -> list[InputUser]:
    if path == "-":
        return parse_users_text(sys.stdin.read(), "(stdin)", column)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return parse_users_text(fh.read(), path, column)
    except FileNotFoundError:
        raise InputError(f"users file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"users file is a directory: {path}") from None
    except PermissionError:
        raise InputError(f"users file is not readable: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"users file is not UTF-8 text: {path}") from None


def collect_users(positional: Iterable[str], users_file: str | None, column: str | None = None) -> list[InputUser]:
    names = [InputUser(n.strip(" \t")) for n in positional if n.strip(" \t")]
    if users_file:
        names += read_users_file(users_file, column)
    return dedupe(names)
