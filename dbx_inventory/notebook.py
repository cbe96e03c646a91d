"""Run an inventory from a notebook (or any Python code) with the same options as the command line.

    from dbx_inventory.notebook import run_inventory
    rows = run_inventory(users_file="/Volumes/main/admin/inventory/users.csv", workspace_only=True)
    df = run_inventory(["jane@company.com"], spark=spark)          # a DataFrame

On a Databricks cluster the workspace's own credentials are used (no token, no profile), and the scan runs
as Spark tasks on the cluster's session. See NOTEBOOK_USAGE.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .cli_scan import parse_args
from .errors import InputError
from .logs import setup_logging
from .run import NO_OUTPUT, execute
from .writers import inventory_row, machine_record


def options_to_argv(users: Iterable[str], options: dict[str, Any]) -> list[str]:
    """Keyword arguments named after the long flags (dbfs_only=True, size_estimate=0, output=...)."""
    argv = [str(u) for u in users]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False and value is not None:
            argv += [flag, str(value)]
    return argv


def run_inventory(users: Iterable[str] = (), spark: Any = None, **options: Any) -> Any:
    """Scan the users and return one record per user (raw numbers, as in --format json), or a typed
    DataFrame when `spark` is given. Writes a file only when `output=` is given. Fatal problems raise
    the tool's errors (e.g. AuthError); users whose scan failed are records with status 'error'."""
    options.setdefault("output", NO_OUTPUT)
    options.setdefault("no_progress", True)
    argv = options_to_argv(users, options)
    try:
        args = parse_args(argv)
    except SystemExit:
        raise InputError(f"invalid options for run_inventory: {' '.join(argv)}") from None
    setup_logging(args.debug, args.quiet, log_file=args.log_file)
    outcome = execute(args)
    if spark is not None:
        from .spark_mode import inventory_dataframe

        return inventory_dataframe(spark, [inventory_row(r) for r in outcome.results])
    return [machine_record(r) for r in outcome.results]
