"""Run an inventory from a notebook (or any Python code) with the same options as the command line.

    from dbx_inventory.cli.notebook import run_inventory
    rows = run_inventory(users_file="/Volumes/main/admin/inventory/users.csv", workspace_only=True)
    df = run_inventory(["jane@company.com"], spark=spark)          # a DataFrame

On a Databricks cluster the workspace's own credentials are used (no token, no profile), and the scan runs
as Spark tasks on the cluster's session. See NOTEBOOK_USAGE.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..core.errors import InputError
from ..outputs.columns import columns_for, record
from ..outputs.logs import setup_logging
from ..outputs.text import run_summary
from ..scan.options import NO_OUTPUT, scan_options
from ..scan.run import execute

log = logging.getLogger("dbx_inventory")


def run_inventory(users: Iterable[str] = (), spark: Any = None, log_file: str | None = None, **options: Any) -> Any:
    """Scan the users and return one record per user (raw numbers, as in --format json), or a typed
    DataFrame when `spark` is given. Options are the command line's long options with underscores
    (dbfs_only=True, size_estimate=0, output=...). Writes a file only when `output=` is given. Fatal problems
    raise the tool's errors (e.g. AuthError); users whose scan failed are records with status 'error'."""
    options.setdefault("output", NO_OUTPUT)
    options.setdefault("no_progress", True)
    try:
        opts = scan_options(users, log_file=log_file, **options)
    except TypeError as exc:  # an option the command line does not have
        raise InputError(f"invalid option for run_inventory: {exc}") from None
    setup_logging(opts.debug, opts.quiet, log_file=log_file)
    outcome = execute(opts)
    # Nothing printed: the caller has the records. The log says how the run ended.
    if outcome.note:
        log.warning("%s", outcome.note)
    else:
        log.info("%s", run_summary(outcome.results, outcome.output, outcome.host))
    if spark is not None:
        from ..scan.spark.tables import inventory_dataframe

        return inventory_dataframe(spark, outcome.results)
    columns = columns_for(outcome.results)
    return [record(r, columns) for r in outcome.results]
