"""Reading a saved inventory back: JSON (a header and the users), JSON Lines, or CSV (ours, or the earlier toolkit's
toolkit's 7 columns). Every record comes back with every column of columns.py, typed as the machine formats
carry them; a column the file lacks is None (unknown). A CSV's escaped cells (csv_safe.py) read back as the
text they escaped."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InputError
from .columns import COLUMNS
from .csv_safe import unescape

Record = dict[str, Any]


@dataclass
class SavedInventory:
    path: str
    records: list[Record]
    header: dict[str, Any] = field(default_factory=dict)  # host, generated_at, tool_version, options (JSON only)
    columns: list[str] = field(default_factory=list)  # the columns the file had


def _typed(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        if kind == "long":
            return int(value)
        if kind == "double":
            return float(value)
    except (TypeError, ValueError):
        return None
    return str(value)


def _complete(raw: dict[str, Any]) -> Record:
    return {c.name: _typed(c.kind, raw.get(c.name)) for c in COLUMNS}


def read_inventory(path: str) -> SavedInventory:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:  # a CR inside a quoted CSV cell is text
            text = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read inventory {path}: {exc.strerror or exc}") from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("users"), list):
            users = [u for u in doc["users"] if isinstance(u, dict)]
            header = {k: v for k, v in doc.items() if k != "users"}
            return SavedInventory(path, [_complete(u) for u in users], header, sorted({k for u in users for k in u}))
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise InputError(f"{path} is neither JSON nor JSON Lines ({exc})") from None
        rows = [r for r in rows if isinstance(r, dict)]
        return SavedInventory(path, [_complete(r) for r in rows], {}, sorted({k for r in rows for k in r}))
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "username" not in reader.fieldnames:
        raise InputError(f"{path} is not an inventory: no username column")
    rows = [{k: unescape(v) if isinstance(v, str) else v for k, v in row.items()} for row in reader]
    return SavedInventory(path, [_complete(r) for r in rows], {}, list(reader.fieldnames))
