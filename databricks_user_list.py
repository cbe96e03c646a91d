#!/usr/bin/env python3
"""Export the workspace's users (SCIM), one userName per line. See README.md."""

import sys

from dbx_inventory.cli.common import run
from dbx_inventory.cli.users import main

if __name__ == "__main__":
    sys.exit(run(main))
