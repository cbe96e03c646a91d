"""The code that runs on the executors, and the options it is given.

The rule of this file: the functions that run on the executors never `import dbx_inventory...`. The cluster does
not have this package installed; session.ship_package registers it to be pickled by value, so a task function
reaches this package only through this module's globals, which are pickled with it. An import statement inside
a task would fail there with ModuleNotFoundError. Standard-library modules and pyarrow (which Spark needs for
mapInArrow) are on every executor and may be imported inside.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...api.auth import MaskedToken, StaticAuth
from ...api.client import build_client
from ...core.model import ScanTarget
from ...core.records import result_to_record
from ...core.redact import add_secret
from ..walker import Walker, WalkOptions

RESULT_SCHEMA = "idx long, user string, record string, host string, pkg_importable boolean, pace string"


@dataclass(frozen=True)
class TaskOptions:
    """Everything a task needs, and nothing secret in clear."""

    host: str
    walk: WalkOptions
    max_rps: float | None
    retry_deadline: float
    token: MaskedToken | None = field(default=None, repr=False)  # set for each Spark job (SparkScanner.scan)
    rates: dict[str, float] = field(default_factory=dict)  # per task and API family, learned by earlier chunks


def scan_partition(opts: TaskOptions) -> Callable[[Iterator[Any]], Iterator[Any]]:  # runs on the executors
    def task(batches: Iterator[Any]) -> Iterator[Any]:
        import importlib.util
        import socket

        import pyarrow as pa

        rows = [(i, json.loads(t)) for b in batches
                for i, t in zip(b.column("idx").to_pylist(), b.column("target").to_pylist())]
        if not rows:
            return
        index = {t["name"]: i for i, t in rows}
        assert opts.token is not None, "a Spark job's tasks are given a token"
        add_secret(opts.token.reveal())  # this worker's own redaction: its copy of the module knows no secret
        client = build_client(StaticAuth(opts.host, opts.token), opts.walk.workers, opts.max_rps, opts.retry_deadline,
                              rates=opts.rates)
        walker = Walker(client, opts.walk)
        host = socket.gethostname()
        # Proof for the tests: the package reached this worker only by value, not by import.
        importable = importlib.util.find_spec("dbx_inventory") is not None
        out: dict[str, list[Any]] = {"idx": [], "user": [], "record": [], "host": [], "pkg_importable": [], "pace": []}
        for result in walker.scan([ScanTarget(**{**t, "volumes": tuple(t.get("volumes") or ())}) for _, t in rows]):
            out["idx"].append(index[result.username])
            out["user"].append(result.username)
            out["record"].append(json.dumps(result_to_record(result)))
            out["host"].append(host)
            out["pkg_importable"].append(importable)
        # What this task's pacers learned of the workspace's limits, for the next chunk's tasks to start from.
        learned = json.dumps(client.learned_rates())
        out["pace"] = [learned] * len(out["idx"])
        client.close()
        yield pa.RecordBatch.from_pydict(out)

    return task


def python_version_task(batches: Iterator[Any]) -> Iterator[Any]:  # runs on the executors
    import sys

    import pyarrow as pa

    for b in batches:
        yield pa.RecordBatch.from_pydict({"v": [f"{sys.version_info[0]}.{sys.version_info[1]}"] * b.num_rows})
