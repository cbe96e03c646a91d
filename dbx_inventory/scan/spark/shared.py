"""One Spark session for a run over several workspaces. Each workspace's users go to Spark as that workspace's
own jobs on the shared session: a task is (workspace, chunk of users), and carries that workspace's host and
token (a short-lived one minted for the tasks, where the workspace allows it), so no workspace's credentials
reach another's tasks. A Databricks Connect session lives in the workspace of the cluster (the run's own
--profile or environment); a local or Spark Connect session in none."""

from __future__ import annotations

import logging
import os
import sys
import threading

from ...api.rest import RestClient
from ...api.task_token import TaskToken
from ..options import ScanOptions
from .preflight import check_cluster, connect_version, require_pyspark
from .scanner import SparkScanner
from .task import TaskOptions

log = logging.getLogger("dbx_inventory")


class SharedSpark:
    def __init__(self, options: ScanOptions, cluster_client: RestClient | None) -> None:
        assert options.spark is not None, "SharedSpark is made for Spark mode"
        self.options = options
        self.target = options.spark
        self._cluster_client = cluster_client  # where the cluster or serverless compute is, if any
        self._lock = threading.Lock()
        self._owner: SparkScanner | None = None  # the scanner that opened the session, and stops it

    def scanner(self, client: RestClient, options: ScanOptions) -> SparkScanner:
        """A scanner for one workspace, on the shared session (opened by the first workspace to ask)."""
        header = client.config.authenticate().get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        opts = TaskOptions(client.host, options.walk_options(), options.max_rps, options.retry_deadline)
        session_config = self._cluster_client.config if self._cluster_client else client.config
        scanner = SparkScanner(self.target, session_config, opts, options.chunk_size, token, TaskToken(client))
        with self._lock:
            if self._owner is None:
                self._open(scanner)
                self._owner = scanner
            else:
                scanner.spark = self._owner.spark
        scanner.start_from(client.learned_rates())
        return scanner

    def _open(self, scanner: SparkScanner) -> None:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local Spark's workers: this interpreter
        log.info("Scanning on %s", self.target.describe())
        if self.target.cluster_id:
            assert self._cluster_client is not None
            check_cluster(self._cluster_client, self.target.cluster_id, connect_version())
        elif self.target.serverless:
            connect_version()
        else:
            require_pyspark()
        scanner.start()

    @staticmethod
    def done_with(scanner: SparkScanner) -> None:
        """A workspace is scanned: revoke its tasks' token (the session stays for the others)."""
        if scanner.task_token is not None:
            scanner.task_token.revoke()

    def close(self) -> None:
        with self._lock:
            owner, self._owner = self._owner, None
        if owner is not None:
            owner.stop()
        if self._cluster_client is not None:
            self._cluster_client.close()

    @property
    def owner(self) -> SparkScanner | None:
        """The scanner whose session the tables are written through, once any workspace has opened it."""
        return self._owner
