"""Reading the list of users to scan: arguments, a users file, or stdin.

The original took a CSV header for a user, let a BOM break the first name, and scanned twice the names
that differ only in case.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable

from ..api.errors import InputError

NAME_COLUMNS = ("username", "user_name", "email", "user", "applicationid", "name")


def _header_column(fields: list[str]) -> int | None:
    lowered = [f.strip().lower() for f in fields]
    for wanted in NAME_COLUMNS:
        if wanted in lowered:
            return lowered.index(wanted)
    return None


def parse_users_text(text: str) -> list[str]:
    """Users from a file's text: one per line, or a CSV with a userName/email column."""
    text = text.lstrip("\ufeff")
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        return []
    first = next(csv.reader([lines[0]]))
    column = _header_column(first) if "@" not in lines[0] else None
    if column is not None:
        rows = csv.reader(io.StringIO("\n".join(lines[1:])))
        return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]
    if any("," in ln for ln in lines):
        # A headerless CSV: the first column is the user.
        return [row[0].strip() for row in csv.reader(io.StringIO("\n".join(lines))) if row and row[0].strip()]
    return [ln.strip().strip('"').strip() for ln in lines]


def dedupe(names: Iterable[str]) -> list[str]:
    """Case-insensitive de-duplication that keeps the first spelling and the input order."""
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def read_users_file(path: str) -> list[str]:
    if path == "-":
        return parse_users_text(sys.stdin.read())
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return parse_users_text(fh.read())
    except FileNotFoundError:
        raise InputError(f"users file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"users file is a directory: {path}") from None
    except PermissionError:
        raise InputError(f"users file is not readable: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"users file is not UTF-8 text: {path}") from None


def collect_users(positional: Iterable[str], users_file: str | None) -> list[str]:
    names = [n.strip() for n in positional if n.strip()]
    if users_file:
        names += read_users_file(users_file)
    return dedupe(names)
