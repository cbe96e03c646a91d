"""Spark mode: the same walker, retry policy and pacer, run as Spark tasks.

One code path for every way of reaching Spark: Databricks Connect (`--cluster-id`, `--serverless`), any Spark
Connect server (`--spark-remote sc://host:15002`, or `local[N]` to start one in-process), and classic pyspark
(`--spark-master`). Imports of pyspark are lazy, so the other modes work without it.

- `preflight`: the quick checks before a session opens (Spark installed, the cluster there and running, the
  Python version on both sides).
- `session`: opening a session for each kind of target, and shipping this package to it.
- `errors`: a Spark or Connect failure in one sentence; which failures a reconnect cures.
- `task`: the code that runs on the executors.
- `scanner`: chunks of users as Spark jobs, two in flight, reconnecting after a lost session.
- `start`: opening Spark in the background while the driver finds what to scan.
- `head_start`: this machine scans the first users while Spark opens.
- `tables`: `--output-table` and `--history-table`.

The tasks carry a short-lived token of their own, revoked when the run ends, masked inside the pickled task and
never in a row or a plan (api/task_token.py). Partitions are sized by the cluster's parallelism, and falling back
to a local scan is explicit (`--fallback-local`). The code is shipped by value, so the cluster needs no copy of
this package, and results come back chunk by chunk into the checkpoint, so an abandoned operation costs at most
one chunk.
"""
