"""Reading the list of users to scan: arguments, a users file, or stdin.

A file is one name per line, taken literally (blank lines and `#` comments skipped, a BOM and CRLF line ends
stripped), unless its first line is a CSV header. A first line that names a known column is a header, and
that column holds the names; a first line that only looks like one (several fields and no `@`) is an input
error that lists the columns found, never a user. Display names are never taken for user names. The header
line decides the delimiter: `,`, or the `;` of spreadsheets saved in locales whose decimal mark is a comma,
or a tab. A cell escaped against formulas (outputs/csv_safe.py) reads back as the name it escaped.

The original took a CSV header for a user, let a BOM break the first name, and scanned twice the names that
differ only in case (twice the same home, unless each names a folder of its own); a plain list with
`Smith, John` on one line was once read as CSV and merged the next fifty users into one junk name.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ..api.errors import InputError
from ..core.summary import OwnerStatus, as_owner_status
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
                     "give the column with --users-column NAME, or use one of userName, email, mail, login, user, "
                     "applicationId")


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


def _check_name(name: str, line: int, path: str) -> str:
    if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        what = f"longer than {MAX_NAME} characters" if len(name) > MAX_NAME else "holds a control character"
        raise InputError(f"users file {path}, line {line}: this cannot be a user name ({what})")
    return name


def parse_users_text(text: str, path: str = "-", column: str | None = None) -> list[InputUser]:
    """Users from a file's text: one per line, or a CSV whose header names the column of user names."""
    text = text.lstrip("\ufeff")
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)]
    lines = [(n, ln) for n, ln in lines if ln and not ln.startswith("#")]
    if not lines:
        return []
    first, delimiter = _header_fields(lines[0][1], column)
    if column or _looks_like_header(first):
        index = _name_column(first, column, path)
        normalised = [_norm(h) for h in first]
        status_at = normalised.index("ownerstatus") if "ownerstatus" in normalised else None
        display_at = normalised.index("displayname") if "displayname" in normalised else None

        def cell(row: list[str], at: int | None) -> str:
            return unescape(row[at].strip()) if at is not None and len(row) > at else ""

        users = []
        rows = csv.reader(io.StringIO("\n".join(ln for _, ln in lines[1:])), delimiter=delimiter)
        for (number, _), row in zip(lines[1:], rows):
            name = cell(row, index)
            if name:
                users.append(InputUser(_check_name(name, number, path), as_owner_status(cell(row, status_at)),
                                           cell(row, display_at)))
        return users
    return [InputUser(_check_name(ln, n, path)) for n, ln in lines]


def dedupe(users: Iterable[InputUser]) -> list[InputUser]:
    """Exact duplicates once, the first kept, in input order. Names that differ only in case stay apart here:
    whether they are one home or two is known only once they are resolved (scan/identities.py, `once`)."""
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
    names = [InputUser(n.strip()) for n in positional if n.strip()]
    if users_file:
        names += read_users_file(users_file, column)
    return dedupe(names)
