"""`python -m dbx_inventory.checkpoint PATH`: a checkpoint as the inventory CSV (cli/checkpoint.py)."""

import sys

from .cli.checkpoint import main
from .cli.common import run

if __name__ == "__main__":
    sys.exit(run(main))
