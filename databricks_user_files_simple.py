#!/usr/bin/env python3
"""Scan every listed user's DBFS and Workspace homes into an inventory CSV. See README.md."""

import sys

from dbx_inventory.cli.common import run
from dbx_inventory.cli.scan import main

if __name__ == "__main__":
    sys.exit(run(main))
