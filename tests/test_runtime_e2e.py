"""Inside Databricks: runtime auth at the SDK's own seam, the notebook entry point, the history table, the bundle."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import ROOT, SCAN, TOKEN, USERS, assert_matches_truth, clean_env, read_csv, run, scannable_users


def fake_runtime(tmp_path: Path, host: str) -> Path:
    """A stand-in for the runtime's `dbruntime.sdk_credential_provider`, the module databricks-sdk imports
    on a cluster to get the workspace's host and the notebook's token."""
    pkg = tmp_path / "runtime" / "dbruntime"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    # The runtime's unified provider: (host, account_id, workspace_id, header factory).
    (pkg / "sdk_credential_provider.py").write_text(
        "def init_runtime_native_unified():\n"
        f"    return {host!r}, None, None, lambda: {{'Authorization': 'Bearer {TOKEN}'}}\n")
    return tmp_path / "runtime"


def runtime_env(tmp_path, server):
    return clean_env(tmp_path, DATABRICKS_RUNTIME_VERSION="15.4", PYTHONPATH=str(fake_runtime(tmp_path, server.url)))


def test_both_scripts_authenticate_with_the_runtime_and_no_token(tmp_path, server, workspace, truth):
    env = runtime_env(tmp_path, server)
    users = tmp_path / "users.txt"
    r = run(USERS, "-o", str(users), env=env)
    assert r.returncode == 0, r.stderr
    assert users.read_text().splitlines() == scannable_users(workspace)
    chosen = [p.home for p in workspace.principals if p.case in ("both", "git", "deep")]
    # On a cluster the scan goes to the cluster's Spark session by default; --no-parallel keeps it here.
    r = run(SCAN, *chosen, "-o", "inv.csv", "--no-parallel", env=env)
    assert r.returncode == 0, r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, chosen)


def test_on_a_cluster_the_scan_uses_the_clusters_spark_session(tmp_path, server, workspace, truth):
    env = runtime_env(tmp_path, server)
    chosen = [p.home for p in workspace.principals if p.case in ("both", "ws_only")]
    # No Spark flag: on a cluster, its own session is used (here pyspark's getOrCreate gives a local one).
    r = run(SCAN, *chosen, "-o", "inv.csv", "--debug", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Scanning on this cluster's Spark session" in r.stderr and "scanned on executor" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, chosen)
    assert TOKEN not in r.stderr + r.stdout


def test_notebook_entry_point_returns_the_ground_truth(tmp_path, server, workspace, truth, monkeypatch):
    from dbx_inventory.cli.notebook import run_inventory

    for key, value in clean_env(tmp_path, DATABRICKS_HOST=server.url, DATABRICKS_TOKEN=TOKEN).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.chdir(tmp_path)
    users = scannable_users(workspace)
    records = run_inventory(users, quiet=True)
    assert [r["username"] for r in records] == users
    for rec in records:
        g = truth[rec["username"]]
        if g["denied"]:
            assert rec["status"] == "error" and rec["file_count"] is None
            continue
        assert rec["file_count"] == g["dbfs_files"] + g["ws_files"]
        assert rec["total_size"] == g["dbfs_bytes"] + g["ws_known_bytes"] + 10_000 * g["ws_unsized"]
    assert not (tmp_path / "inventory.csv").exists()  # rows are returned, no file unless output= is given
    one = run_inventory([users[0]], workspace_only=True, size_estimate=0, quiet=True)
    g = truth[users[0]]
    assert one[0]["total_size"] == g["ws_known_bytes"] and one[0]["dbfs_files"] is None


def test_history_table_gets_one_run_appended_per_scan(tmp_path, server, workspace):
    env = clean_env(tmp_path, DATABRICKS_HOST=server.url, DATABRICKS_TOKEN=TOKEN)
    chosen = [p.home for p in workspace.principals if p.case in ("both", "empty")]
    for _ in range(2):
        r = run(SCAN, *chosen, "-o", "inv.csv", "--spark-master", "local[1]", "--history-table", "inventory_history",
                env=env)
        assert r.returncode == 0, r.stderr[-2000:]
    import pyarrow.parquet as pq

    rows = pq.read_table(tmp_path / "spark-warehouse" / "inventory_history").to_pylist()
    assert len(rows) == 2 * len(chosen)
    assert len({row["scan_time"] for row in rows}) == 2  # one scan time per run
    assert {row["username"] for row in rows} == set(chosen)


def test_bundle_parses_and_names_only_entry_points_that_exist():
    import yaml

    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())
    assert bundle["bundle"]["name"]
    jobs = bundle["resources"]["jobs"]
    assert jobs
    for job in jobs.values():
        assert job.get("schedule", {}).get("quartz_cron_expression")
        for task in job["tasks"]:
            entry = task.get("spark_python_task") or task.get("notebook_task")
            assert entry, task
            path = entry.get("python_file") or entry.get("notebook_path")
            assert (ROOT / path.lstrip("./")).exists(), path
            for param in entry.get("parameters", []):
                if param.startswith("--"):
                    flag = param.split("=", 1)[0]
                    script = (ROOT / path.lstrip("./")).name
                    help_text = run(ROOT / script, "--help", env=dict(os.environ), cwd=ROOT).stdout
                    assert flag in help_text, (script, flag)
    for name in ("output_table", "schedule"):
        assert name in bundle["variables"]


def test_output_to_a_volume_through_the_files_api(tmp_path, server, workspace, truth):
    env = clean_env(tmp_path, DATABRICKS_HOST=server.url, DATABRICKS_TOKEN=TOKEN)
    chosen = [p.home for p in workspace.principals if p.case in ("both", "weird")]
    target = "/Volumes/main/admin/inventory/reports/inventory.json"
    server.volume_files.clear()
    server.volume_files["/Volumes/main/admin/inventory/reports/.keep"] = b""
    r = run(SCAN, *chosen, "-o", target, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    import json

    doc = json.loads(server.volume_files[target])
    assert [u["username"] for u in doc["users"]] == chosen
    for u in doc["users"]:
        g = truth[u["username"]]
        assert u["file_count"] == g["dbfs_files"] + g["ws_files"]
    # A Volume directory that does not exist is refused before the scan.
    r = run(SCAN, *chosen, "-o", "/Volumes/main/admin/nope/inv.csv", env=env)
    assert r.returncode == 1 and "Volume" in r.stderr and "does not exist" in r.stderr
