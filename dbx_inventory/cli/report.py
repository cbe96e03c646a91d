"""python -m dbx_inventory.report INVENTORY [--previous OLD] -o report.html: the HTML report of any saved
inventory (JSON, JSON Lines or CSV, ours or the earlier toolkit's 7 columns), without rescanning."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.errors import ExitCode, InputError
from ..outputs.changes import Basis, differences
from ..outputs.html_report import render_html
from ..outputs.inventory_file import read_inventory
from ..outputs.logs import log, setup_logging
from ..outputs.paths import refuse_collisions
from ..outputs.text import plural
from ..outputs.writers import check_writable, write_text

EXAMPLES = """
examples:
  python -m dbx_inventory.report inventory.json -o report.html
  python -m dbx_inventory.report inventory-2026-11-29.csv --previous inventory-2026-11-22.csv -o growth.html
"""


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dbx_inventory.report", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inventory", help="a saved inventory: .json, .jsonl or .csv")
    p.add_argument("--previous", metavar="OLD", help="an older inventory of the same workspace: show what changed")
    p.add_argument("-o", "--output", default="report.html", metavar="FILE", help="the page to write (default report.html)")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = p.parse_args(argv)
    try:
        refuse_collisions([("-o/--output", args.output)], [("INVENTORY", args.inventory), ("--previous", args.previous)])
    except InputError as exc:
        p.error(str(exc))
    check_writable(args.output)
    current = read_inventory(args.inventory)
    previous = read_inventory(args.previous) if args.previous else None
    if previous:
        setup_logging()
        for difference in differences(Basis.of(args.inventory, current.records, current.header),
                                      Basis.of(args.previous, previous.records, previous.header)):
            log.warning("warning: %s", difference)
    header = dict(current.header)
    header.setdefault("source", os.path.basename(args.inventory))
    html = render_html(current.records, header, previous.records if previous else None,
                       os.path.basename(args.previous) if args.previous else "")
    write_text(args.output, html)
    where = "standard output" if args.output == "-" else args.output
    print(f"Report of {plural(len(current.records), 'user')} written to {where}", file=sys.stderr)
    return ExitCode.OK
