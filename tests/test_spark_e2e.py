"""Spark mode on real local Spark: a Spark Connect server started in-process, and classic pyspark."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from dbx_inventory.api.auth import MaskedToken
from dbx_inventory.core.errors import ConfigError
from dbx_inventory.core.locations import HOME_DBFS
from dbx_inventory.core.model import ScanTarget
from dbx_inventory.scan.options import SparkTarget
from dbx_inventory.scan.spark.preflight import check_python
from dbx_inventory.scan.spark.scanner import SparkScanner
from dbx_inventory.scan.spark.session import ship_package
from dbx_inventory.scan.spark.task import TaskOptions, scan_partition
from dbx_inventory.scan.walker import WalkOptions
from emulator import Faults
from tests.conftest import (
    SCAN,
    TOKEN,
    assert_matches_truth,
    emulator_env,
    read_csv,
    run,
    scannable_users,
    start_scan,
    user_of,
    wait_for_checkpoint,
)
from tests.fakes import BOTH_HOMES

MODES = {"connect": ["--spark-remote", "local[2]"], "classic": ["--spark-master", "local[2]"]}
FAULTS = Faults(rate=None, fault_rate=0.1, seed=21, fault_kinds=("429ra", "429", "500", "503", "504", "drop"))


def without_timing(rows):
    return [{k: v for k, v in r.items() if k != "scan_seconds"} for r in rows]


@pytest.mark.parametrize("mode", list(MODES), ids=list(MODES))
def test_spark_gives_the_ground_truth_and_the_local_rows(tmp_path, server, workspace, truth, users_file, mode):
    local = run(SCAN, "--users-file", str(users_file), "-o", "local.csv", env=emulator_env(tmp_path, server))
    assert local.returncode == 3, local.stderr
    server.set_faults(FAULTS)
    r = run(SCAN, "--users-file", str(users_file), "-o", "spark.csv", "--chunk-size", "25", "--debug",
            *MODES[mode], env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr[-3000:]
    assert server.stats()["faults"] > 0
    rows = read_csv(tmp_path / "spark.csv")
    assert_matches_truth(rows, truth, scannable_users(workspace))
    assert without_timing(rows) == without_timing(read_csv(tmp_path / "local.csv"))
    assert "scanned on executor" in r.stderr  # --debug says which executor scanned which user
    # The package reached the Python workers only by value: they cannot import it themselves.
    assert "package importable on the executors without shipping: False" in r.stderr
    for text in (r.stdout, r.stderr, (tmp_path / "spark.csv").read_text()):
        assert TOKEN not in text


def test_the_driver_scans_while_spark_opens_and_no_user_is_scanned_twice(tmp_path, server, workspace, truth,
                                                                         users_file):
    server.set_faults(Faults(rate=None, latency_ms=40))
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--chunk-size", "10", "--debug",
            *MODES["classic"], env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr[-3000:]
    users = scannable_users(workspace)
    here, there = (int(n) for n in re.search(r"Spark is ready: (\d+) users scanned from this machine while it "
                                               r"opened, (\d+) go to Spark", r.stderr).groups())
    assert 0 < here <= len(users) // 2 and here + there == len(users)  # Spark mode always runs Spark tasks
    assert r.stderr.count("scanned on executor") == there
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)
    assert not {path: n for path, n in server.stats()["list_calls"].items() if n > 1}  # each user by one of them


def test_token_is_not_in_the_shipped_task(tmp_path):
    from pyspark import cloudpickle

    ship_package()
    opts = TaskOptions("http://127.0.0.1:1", WalkOptions((HOME_DBFS,), 2), None, 5.0, MaskedToken(TOKEN))
    payload = cloudpickle.dumps(scan_partition(opts))
    assert TOKEN.encode() not in payload and TOKEN.encode("utf-16-le") not in payload
    assert b"dbx_inventory" in payload  # shipped by value: the code itself is in the payload
    assert TOKEN not in repr(opts)


def test_output_table_in_a_local_warehouse(tmp_path, server, workspace, truth):
    users = [p.home for p in workspace.principals if p.case in ("both", "empty", "denied")]
    r = run(SCAN, *users, "-o", "inv.csv", "--spark-master", "local[2]", "--output-table", "inventory",
            env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr[-2000:]
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "spark-warehouse" / "inventory").to_pylist()
    by_user = {row["username"]: row for row in table}
    for row in read_csv(tmp_path / "inv.csv"):
        saved = by_user[row["username"]]
        assert saved["status"] == row["status"]
        assert (saved["file_count"] is None) == (row["file_count"] == "")
        if row["file_count"]:
            assert saved["file_count"] == int(row["file_count"]) and saved["total_size"] == int(row["total_size"])


def test_killed_spark_run_resumes_from_the_checkpoint(tmp_path, server, workspace, truth, users_file):
    server.set_faults(Faults(rate=None, latency_ms=30))
    proc = start_scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--chunk-size", "5",
                      *MODES["classic"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = tmp_path / ".checkpoint_progress.json"
    wait_for_checkpoint(ckpt, 6, timeout=120, proc=proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the scanner and its Spark JVM
    proc.wait()
    done = len(ckpt.read_bytes().splitlines()) - 1
    assert 5 <= done < len(workspace.users)
    server.set_faults(Faults(rate=None))
    server.reset_stats()
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", *MODES["classic"],
            env=emulator_env(tmp_path, server))
    assert r.returncode == 3, r.stderr[-2000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))
    assert "already done" in r.stderr


def test_without_pyspark_spark_mode_says_what_to_install(tmp_path, server, workspace, users_file):
    fake = tmp_path / "fake"
    (fake / "pyspark").mkdir(parents=True)
    (fake / "pyspark" / "__init__.py").write_text("raise ImportError('no pyspark here')\n")
    user = user_of(workspace, "both")
    env = emulator_env(tmp_path, server, PYTHONPATH=str(fake))
    r = run(SCAN, user, "--spark-master", "local[2]", env=env)
    assert r.returncode == 1 and "pyspark" in r.stderr and "databricks-connect" in r.stderr
    assert "Traceback" not in r.stderr
    r = run(SCAN, user, "--spark-master", "local[2]", "--fallback-local", "-o", "x.csv", env=env)
    assert r.returncode == 0 and "--fallback-local" in r.stderr
    # A list, where this machine would scan while Spark opens: the quick checks come first, so nothing is
    # scanned and no checkpoint is left to be resumed, even when finding out takes a while.
    (fake / "pyspark" / "__init__.py").write_text("import time\ntime.sleep(2)\nraise ImportError('no pyspark here')\n")
    server.reset_stats()
    r = run(SCAN, "--users-file", str(users_file), "--spark-master", "local[2]", env=env)
    assert r.returncode == 1 and "pyspark" in r.stderr and "--resume" not in r.stderr
    assert not [p for p in server.stats()["list_calls"] if "/Users/" in p]
    assert not (tmp_path / ".checkpoint_progress.json").exists()


class FakeSession:
    """Just enough of a SparkSession for the Python version check: a worker that runs another Python."""

    def __init__(self, version):
        self.version = version

    def range(self, n):
        return self

    def mapInArrow(self, fn, schema):
        return self

    def collect(self):
        return [{"v": self.version}]


def test_python_version_mismatch_stops_with_both_versions():
    with pytest.raises(ConfigError) as info:
        check_python(FakeSession("3.12"), SparkTarget(master="local[1]"), None)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert here in str(info.value) and "3.12" in str(info.value)


class LocalArrowSession:
    """A Spark double that runs mapInArrow functions in this process, on real Arrow batches. Each DataFrame is
    its own object: the scanner runs chunks from two threads at once, as it does against a real session."""

    def __init__(self, fail_first_with: str | None = None):
        self.fail = fail_first_with
        self._lock = threading.Lock()

    def createDataFrame(self, rows, schema):
        return _Frame(self, list(rows))

    def stop(self):
        pass


class _Frame:
    def __init__(self, session, rows):
        self.session, self.rows, self.fn = session, rows, None

    def repartition(self, n):
        return self

    def mapInArrow(self, fn, schema):
        self.fn = fn
        return self

    def collect(self):
        with self.session._lock:
            message, self.session.fail = self.session.fail, None
        if message:
            raise RuntimeError(f"[INVALID_HANDLE.{message}] The operation was abandoned. SQLSTATE: HY000")
        import pyarrow as pa

        batch = pa.RecordBatch.from_pydict({"idx": [i for i, _ in self.rows], "target": [t for _, t in self.rows]})
        return [row for out in self.fn(iter([batch])) for row in out.to_pylist()]


def test_abandoned_operation_costs_one_chunk_and_reconnects(server, workspace, truth, monkeypatch):
    import dbx_inventory.scan.spark.session as spark_mode

    fresh = []
    monkeypatch.setattr(spark_mode, "open_session", lambda target, cfg: fresh.append(1) or LocalArrowSession())
    opts = TaskOptions(server.url, WalkOptions(BOTH_HOMES, 2), None, 10.0, MaskedToken(TOKEN))
    scanner = SparkScanner(SparkTarget(master="local[1]"), None, opts, 4, TOKEN)
    scanner.spark = LocalArrowSession(fail_first_with="OPERATION_ABANDONED")
    users = [p.home for p in workspace.principals if p.case in ("both", "git", "kinds", "deep", "weird")]
    results = list(scanner.scan([ScanTarget(u) for u in users]))
    assert len(fresh) == 1  # one reconnect
    assert sorted(r.username for r in results) == sorted(users)  # every user once
    for r in results:
        g = truth[r.username]
        assert r.total.files == g["dbfs_files"] + g["ws_files"]


def test_other_spark_failures_are_one_clean_sentence(server):
    from dbx_inventory.core.errors import InventoryError

    class BrokenFrame(_Frame):
        def collect(self):
            raise RuntimeError("An exception was thrown from the Python worker.\n  at org.apache...\n"
                               f"ValueError: boom {TOKEN}\n  at java.base/...")

    class Broken(LocalArrowSession):
        def createDataFrame(self, rows, schema):
            return BrokenFrame(self, list(rows))

    opts = TaskOptions(server.url, WalkOptions((HOME_DBFS,), 1), None, 5.0, MaskedToken(TOKEN))
    scanner = SparkScanner(SparkTarget(master="local[1]"), None, opts, 4, TOKEN)
    scanner.spark = Broken()
    with pytest.raises(InventoryError) as info:
        list(scanner.scan([ScanTarget("a@x.com")]))
    text = str(info.value)
    assert "ValueError: boom" in text and TOKEN not in text and "\n" not in text


def _tasks_and_driver(stderr, users):
    """The users scanned by Spark tasks (--debug names them) and those the driver scanned while Spark opened."""
    on_executor = set(re.findall(r"(\S+) scanned on executor", stderr))
    return on_executor, [u for u in users if u not in on_executor]


def _home_listings_by_token(stats, user):
    return {stats["list_tokens"][key] for key in (f"dbfs:/Users/{user}", f"ws:/Users/{user}")
            if key in stats["list_tokens"]}


SPARK_TOKEN_USERS = ("both", "dbfs_only", "ws_only", "deep", "git", "kinds", "weird", "empty", "bignb", "empty_dirs")


def test_spark_tasks_carry_a_token_of_their_own_revoked_at_the_end(tmp_path, server, workspace, truth):
    users = [user_of(workspace, case) for case in SPARK_TOKEN_USERS]
    server.set_faults(Faults(rate=None, latency_ms=30))
    r = run(SCAN, *users, "-o", "inv.csv", "--chunk-size", "3", "--debug", *MODES["classic"],
            env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr[-3000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)
    stats = server.stats()
    assert len(stats["tokens"]) == 1, stats["tokens"]
    token_id, minted = next(iter(stats["tokens"].items()))
    assert "dbx-inventory" in minted["comment"] and minted["lifetime_seconds"] >= 3600
    assert minted["created_with"] == "user" and minted["deleted"]  # made with the user's token, revoked at the end
    on_executor, on_driver = _tasks_and_driver(r.stderr, users)
    assert on_executor and set(stats["by_token"][token_id]) <= {"dbfs", "workspace", "export"}
    for user in on_executor:
        assert _home_listings_by_token(stats, user) == {token_id}, user
    for user in on_driver:
        assert _home_listings_by_token(stats, user) == {"user"}, user
    value = server.minted[token_id]["value"]
    for text in (r.stdout, r.stderr, (tmp_path / "inv.csv").read_text()):
        assert value not in text and TOKEN not in text
    assert "could not create" not in r.stderr


def test_spark_tasks_carry_the_users_token_where_minting_is_refused(tmp_path, server, workspace, truth):
    users = [user_of(workspace, case) for case in SPARK_TOKEN_USERS]
    server.set_faults(Faults(rate=None, latency_ms=30, refuse_tokens=(403, "PERMISSION_DENIED")))
    r = run(SCAN, *users, "-o", "inv.csv", "--chunk-size", "3", "--debug", *MODES["classic"],
            env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr[-3000:]
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, users)
    warnings = [line for line in r.stderr.splitlines() if "could not create a short-lived token" in line]
    assert len(warnings) == 1 and "PERMISSION_DENIED" in warnings[0], r.stderr[-3000:]
    stats = server.stats()
    assert stats["tokens"] == {} and set(stats["by_token"]) == {"user"}
    on_executor, _ = _tasks_and_driver(r.stderr, users)
    assert on_executor and all(_home_listings_by_token(stats, u) == {"user"} for u in on_executor)
    assert TOKEN not in r.stdout + r.stderr


def test_an_interrupted_spark_run_revokes_the_tasks_token(tmp_path, server, workspace, users_file):
    server.set_faults(Faults(rate=None, latency_ms=60))
    proc = start_scan(tmp_path, server, "--users-file", str(users_file), "-o", "inv.csv", "--chunk-size", "4",
                      *MODES["classic"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the tasks have made requests with their token
        stats = server.stats()
        if any(label != "user" for label in stats["by_token"]):
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    tokens = server.stats()["tokens"]
    assert len(tokens) == 1 and next(iter(tokens.values()))["deleted"], tokens
