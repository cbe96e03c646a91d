"""The inventory as Spark tables: `--output-table` (replaced on each run) and `--history-table` (each run appends
its rows with the scan time), written through the session that scanned, with the other outputs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ...core.errors import InventoryError
from ...core.model import UserResult
from ...outputs.columns import columns_for, record
from .errors import clean_error
from .scanner import SparkScanner

log = logging.getLogger("dbx_inventory")


def write_tables(scanner: SparkScanner, output_table: str | None, history_table: str | None,
                 results: list[UserResult], scan_time: str) -> None:
    """The tables asked for, of a complete run (an interrupted one writes none)."""
    if output_table:
        _write(scanner, output_table, results, "overwrite", None)
        log.info("Saved the inventory as table %s", output_table)
    if history_table:
        _write(scanner, history_table, results, "append", scan_time)
        log.info("Appended this run to table %s", history_table)


def _write(scanner: SparkScanner, name: str, results: list[UserResult], mode: str, scan_time: str | None) -> None:
    try:
        # mergeSchema: a history table made by an earlier version takes the columns added since (Delta).
        inventory_dataframe(scanner.spark, results, scan_time).write.mode(mode).option("mergeSchema", "true").saveAsTable(name)
    except Exception as exc:
        raise InventoryError(f"could not save table {name}: {clean_error(exc, scanner.secret)}") from None


def inventory_dataframe(spark: Any, results: list[UserResult], scan_time: str | None = None) -> Any:
    """The inventory as a typed DataFrame, with the columns and types of every other format (columns.py):
    longs for counts and bytes, nulls where the CSV is blank."""
    schema = ", ".join((["`scan_time` timestamp"] if scan_time else []) +
                       [f"`{c.name}` {c.kind}" for c in columns_for(results)])
    when = [dt.datetime.strptime(scan_time, "%Y-%m-%dT%H:%M:%SZ")] if scan_time else []
    data = [tuple(when + list(record(r, columns_for(results)).values())) for r in results]
    return spark.createDataFrame(data, schema)
