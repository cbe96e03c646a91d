"""`python -m dbx_inventory.report`: the command line of the HTML report lives in cli/report.py."""

import sys

from .cli.common import run
from .cli.report import main

if __name__ == "__main__":
    sys.exit(run(main))
