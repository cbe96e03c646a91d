"""python -m dbx_inventory.checkpoint PATH [-o partial.csv]: a checkpoint printed as the inventory CSV, so the
results of a crashed or stopped run are usable as they are."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..core.errors import ExitCode, InventoryError
from ..outputs.writers import OutputFormat, write_inventory
from ..state.checkpoint import load


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dbx_inventory.checkpoint", description=__doc__)
    ap.add_argument("path", help="a checkpoint (.checkpoint_progress.json by default)")
    ap.add_argument("-o", "--output", default="-", help="the inventory CSV to write (default: standard output)")
    args = ap.parse_args(argv)
    try:
        loaded = load(args.path)
        write_inventory(args.output, list(loaded.results.values()), OutputFormat.CSV, {})
    except InventoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.FATAL
    return ExitCode.OK
