"""--cluster-id and --serverless through the real databricks-connect 19.3 client (Python 3.12, no pyspark),
against a local Spark Connect 4.3 server behind a TLS front door that also serves the emulator: as close to a
Databricks cluster as this machine allows. The environments are built once and cached (tests/dbconnect/envs.py).
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import (
    CKPT,
    SCAN,
    TOKEN,
    assert_matches_truth,
    clean_env,
    read_csv,
    scannable_users,
    start_scan,
    wait_for_checkpoint,
)
from tests.dbconnect.cluster import FrontDoor, SparkConnectServer, free_port, make_certificate
from tests.dbconnect.envs import environment
from tests.oracle import write_users_file

pytestmark = pytest.mark.xdist_group("dbconnect")  # its own worker, beside the local Spark tests
CLUSTER = "1234-567890-abc123"


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """The workspace URL Databricks Connect dials, the Spark Connect server behind it, and the emulator."""
    tmp = tmp_path_factory.mktemp("dbconnect")
    client, server_python = environment("client"), environment("server")
    cert, key = make_certificate(tmp)
    trust = {"REQUESTS_CA_BUNDLE": str(cert), "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(cert), "SSL_CERT_FILE": str(cert)}
    ws = build_workspace(seed=19, users=24)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as emu:
        grpc_port = free_port()
        server_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "PYSPARK", "SPARK"))}
        spark = SparkConnectServer(server_python, grpc_port, {**server_env, **trust}, tmp / "spark-connect.log").start()
        front = FrontDoor(cert, key, grpc_port, emu.port).start()
        try:
            yield {"ws": ws, "truth": ws.ground_truth(), "emu": emu, "spark": spark, "url": front.url,
                   "client": client, "trust": trust, "front": front}
        finally:
            front.stop()
            spark.stop()


def scan(d, tmp_path, *args, timeout=300):
    env = clean_env(tmp_path, DATABRICKS_HOST=d["url"], DATABRICKS_TOKEN=TOKEN, **d["trust"])
    return subprocess.run([str(d["client"]), str(SCAN), *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def d(door):
    door["emu"].set_faults(Faults(rate=None))
    door["emu"].reset_stats()
    door["emu"].clusters = {CLUSTER: {"spark_version": "19.3.x-scala2.13", "state": "RUNNING"}}
    return door


def test_the_client_environment_is_databricks_connect_alone(d):
    r = subprocess.run([str(d["client"]), "-c", "import importlib.metadata as m, sys; "
                        "print(m.version('databricks-connect'), sys.version_info[:2]); "
                        "import importlib.util; print(importlib.util.find_spec('dbx_inventory') is None)"],
                       capture_output=True, text=True, cwd="/")
    version, rest = r.stdout.split(" ", 1)
    assert version.startswith("19.3.") and "(3, 12)" in rest


def test_cluster_id_gives_the_ground_truth_under_faults(d, tmp_path):
    users = scannable_users(d["ws"])
    users_file = write_users_file(tmp_path / "users.txt", users)
    d["emu"].set_faults(Faults(rate=None, fault_rate=0.1, seed=8, fault_kinds=("429ra", "429", "500", "503", "drop")))
    r = scan(d, tmp_path, "--users-file", str(users_file), "-o", "inv.csv", "--cluster-id", CLUSTER, "--chunk-size", "8",
             "--debug")
    assert r.returncode == 3, r.stderr[-3000:]  # the workspace's one denied home
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), d["truth"], users)
    assert "scanned on executor" in r.stderr and d["emu"].stats()["faults"] > 0
    assert d["emu"].stats()["requests"]["clusters"] >= 2  # ours, and Databricks Connect's own version check
    assert TOKEN not in r.stdout + r.stderr + (tmp_path / "inv.csv").read_text()


def test_serverless_through_the_same_door(d, tmp_path):
    users = [p.home for p in d["ws"].principals if p.case in ("both", "ws_only", "git")]
    # Compute slow to answer: a head start that did not wait for databricks-connect's verdict on serverless would
    # have scanned users by the time it comes, and the refusal would depend on timing.
    d["front"].grpc_delay = 2.0
    try:
        r = scan(d, tmp_path, *users, "-o", "inv.csv", "--serverless")
    finally:
        d["front"].grpc_delay = 0.0
    # An open-source Spark Connect server reports no Databricks Runtime version, and databricks-connect refuses
    # serverless compute without one: the session starts, the check runs, and the refusal is one sentence.
    if r.returncode == 1:
        (line,) = r.stderr.strip().splitlines()[-1:]
        assert line == ("error: serverless compute reports no Databricks Runtime 16 or later, which this "
                        "databricks-connect needs: Databricks Connect 19.3.0 is unsupported with serverless. Use "
                        "with caution!"), r.stderr[-2000:]
        assert not (tmp_path / CKPT).exists()  # refused before any user was scanned
    else:
        assert r.returncode == 0, r.stderr[-2000:]
        assert_matches_truth(read_csv(tmp_path / "inv.csv"), d["truth"], users)


@pytest.mark.parametrize("cluster,sentence", [
    ({"spark_version": "19.3.x-scala2.13", "state": "TERMINATED"}, "is not running (TERMINATED)"),
    ({"spark_version": "15.4.x-scala2.12", "state": "RUNNING"}, "is newer than cluster"),
    ({"spark_version": "19.3.x-scala2.13", "state": "RUNNING", "denied": True}, "no permission to use cluster"),
    (None, "not found"),
])
def test_why_a_session_cannot_start_is_one_sentence(d, tmp_path, cluster, sentence):
    d["emu"].clusters = {CLUSTER: cluster} if cluster else {}
    r = scan(d, tmp_path, "a@example.com", "b@example.com", "-o", "inv.csv", "--cluster-id", CLUSTER, timeout=120)
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()[-1:]
    assert line.startswith("error:") and sentence in line and "internal error" not in line, r.stderr[-2000:]
    assert "Traceback" not in r.stderr


def test_pyspark_beside_databricks_connect_is_named(d, tmp_path):
    fake = tmp_path / "site" / "pyspark-4.3.0.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: pyspark\nVersion: 4.3.0\n")
    env = clean_env(tmp_path, DATABRICKS_HOST=d["url"], DATABRICKS_TOKEN=TOKEN, PYTHONPATH=str(tmp_path / "site"),
                    **d["trust"])
    r = subprocess.run([str(d["client"]), str(SCAN), "a@example.com", "b@example.com", "--cluster-id", CLUSTER],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "pyspark 4.3.0 is installed beside databricks-connect" in r.stderr


def test_a_lost_session_reconnects_or_stops_and_resume_finishes(d, tmp_path):
    users = scannable_users(d["ws"])
    users_file = write_users_file(tmp_path / "users.txt", users)
    d["emu"].set_faults(Faults(rate=None, latency_ms=40))
    env = clean_env(tmp_path, DATABRICKS_HOST=d["url"], DATABRICKS_TOKEN=TOKEN, **d["trust"])
    proc = start_scan(tmp_path, None, "--users-file", str(users_file), "-o", "inv.csv", "--cluster-id", CLUSTER,
                      "--chunk-size", "4", env=env, python=str(d["client"]), start_new_session=True)
    ckpt = tmp_path / ".checkpoint_progress.json"
    wait_for_checkpoint(ckpt, 4, timeout=180, proc=proc)
    d["spark"].stop()
    d["spark"].start()
    try:
        _, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode in (1, 3), err[-3000:]  # it reconnected and finished, or stopped with a sentence
    assert "Traceback" not in err and "internal error" not in err
    d["emu"].set_faults(Faults(rate=None))
    if proc.returncode == 1:
        assert err.strip().splitlines()[-1].startswith("error:")
        r = scan(d, tmp_path, "--users-file", str(users_file), "-o", "inv.csv", "--cluster-id", CLUSTER, "--resume")
        assert r.returncode == 3, r.stderr[-3000:]
    rows = read_csv(tmp_path / "inv.csv")
    assert_matches_truth(rows, d["truth"], users)  # every user exactly once
    assert len({row["username"] for row in rows}) == len(users)
