"""End-to-end: one run over several workspaces of an emulated account (tests/account.py), through the real
scripts and the real SDK: the workspaces reached by --profiles, --workspaces or --account (the SDK's
AccountClient, OAuth M2M, https://dbc-emu-N.cloud.databricks.com through the test's TLS front door)."""

from __future__ import annotations

import json
import signal
import socket

import pytest

from emulator import Faults
from tests.conftest import SCAN, USERS, checkpoint_records, read_csv, run, start_scan, wait_for_checkpoint
from tests.oracle import expected_row

pytestmark = pytest.mark.xdist_group("account")  # one emulated account per worker, shared by these tests


def by_key(rows):
    return {(r["workspace"], r["username"]): r for r in rows}


def assert_exact(rows, account, owner=True, leftovers_as_account=True):
    """Every (workspace, home) of every running workspace, each equal to its ground truth. The owner status of
    a leftover home (a user gone from the workspace) is the account's, unless the run had no account access
    (`leftovers_as_account` False): then only a home whose owner is active in another workspace is told
    unassigned."""
    got = by_key(rows)
    want_keys = {(w.host, home) for w in account.workspaces for home in w.truth}
    assert set(got) == want_keys
    for w in account.workspaces:
        for home, gt in w.truth.items():
            row = got[(w.host, home)]
            want = expected_row(gt, owner=owner)
            if not leftovers_as_account and home in w.removed_kinds:
                want["owner_status"] = "unassigned" if w.removed_kinds[home] == "unassigned" else "removed"
            assert {k: row[k] for k in want} == want, (w.host, home)


def test_three_workspaces_by_profile_are_exact_per_workspace_and_user(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    names = ",".join(w.name for w in account.workspaces)
    r = run(SCAN, "--profiles", names, "--all-homes", "-o", "all.csv", "--by-person", "people.csv",
            "--html", "all.html", env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 3, r.stderr[-3000:]  # each workspace has a denied home: a user error, no more
    rows = read_csv(tmp_path / "all.csv")
    assert_exact(rows, account, leftovers_as_account=False)
    assert "By workspace" in r.stdout + r.stderr
    for w in account.workspaces:
        assert w.host in r.stderr
        assert account.door.connects.get(w.host), "reached by its deployment name, through TLS"
    # One person, three workspaces: the per-person file adds up their rows.
    people = {p["person"]: p for p in read_csv(tmp_path / "people.csv")}
    mixed = [row for row in rows if row["username"] == "ann+data@example.com"]
    assert len(mixed) == 3
    p = people["ann+data@example.com"]
    assert p["workspaces"] == "3" and int(p["total_size"]) == sum(int(row["total_size"]) for row in mixed)
    html = (tmp_path / "all.html").read_text(encoding="utf-8")
    assert 'id="by-workspace"' in html and all(f'data-workspace="{w.host}"' in html for w in account.workspaces)


def test_a_dead_workspace_is_one_error_row_and_the_others_are_exact(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg", hosts="direct")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    lines = ["workspace_url,profile", *(f"{w.url},{w.name}" for w in account.workspaces[:2]), f"{dead},"]
    (tmp_path / "ws.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(SCAN, "--workspaces", "ws.csv", "--all-homes", "-o", "inv.json", "--format", "json",
            "--retry-deadline", "3", "--token", "dapi-nothing-here",
            env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 3, r.stderr[-3000:]
    doc = json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))
    dead_label = dead.split("://")[1]
    assert [w["workspace"] for w in doc["workspaces"]] == [w.url.split("://")[1] for w in account.workspaces[:2]] + [dead_label]
    failed = [u for u in doc["users"] if u["workspace"] == dead_label]
    assert len(failed) == 1 and failed[0]["username"] == "" and failed[0]["status"] == "error"
    assert "cannot reach" in failed[0]["error"]
    for w in account.workspaces[:2]:
        label = w.url.split("://")[1]
        mine = {u["username"]: u for u in doc["users"] if u["workspace"] == label}
        assert set(mine) == set(w.truth)
        for home, gt in w.truth.items():
            assert mine[home]["status"] == expected_row(gt)["status"], home
    assert "dapi-nothing-here" not in r.stderr + (tmp_path / "inv.json").read_text(encoding="utf-8")


def test_the_account_finds_its_running_workspaces_and_tells_unassigned_from_removed(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    r = run(SCAN, "--account", "--account-profile", "account", "--all-homes", "-o", "acct.csv",
            "--checkpoint", "acct.ckpt", env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 3, r.stderr[-3000:]
    rows = read_csv(tmp_path / "acct.csv")
    assert_exact(rows, account)  # the PROVISIONING workspace is not among them
    kinds = {(w.host, home): kind for w in account.workspaces for home, kind in w.removed_kinds.items()}
    statuses = {kind: by_key(rows)[key]["owner_status"] for key, kind in kinds.items()}
    assert statuses == {"unassigned": "unassigned", "unassigned_case": "unassigned", "absent": "removed",
                        "deactivated": "removed"}
    assert account.oauth.issued, "the workspaces were reached with the account's OAuth credentials"
    for text in (r.stdout, r.stderr, (tmp_path / "acct.csv").read_text(encoding="utf-8")):
        assert account.client_secret not in text


def test_a_principal_that_is_no_admin_or_not_assigned_gets_an_error_row_per_workspace(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg", principal="limited-sp")
    r = run(SCAN, "--account", "--account-profile", "account", "-o", "inv.csv", "--retry-deadline", "5",
            env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 3, r.stderr[-3000:]
    rows = read_csv(tmp_path / "inv.csv")
    first, second, *rest = account.workspaces
    (no_admin,) = [row for row in rows if row["workspace"] == first.host]
    assert no_admin["username"] == "" and "not an admin" in no_admin["error"]
    (refused,) = [row for row in rows if row["workspace"] == second.host]
    assert refused["username"] == "" and refused["status"] == "error" and refused["error"]
    for w in rest:
        assert {row["username"] for row in rows if row["workspace"] == w.host} == {u["userName"] for u in w.users} | {
            p for p in w.truth if w.truth[p]["owner_status"] == "service_principal"}


def test_a_killed_run_over_workspaces_resumes_exactly(tmp_path, emulated_account):
    account = emulated_account
    for w in account.workspaces:
        w.server.set_faults(Faults(rate=None, latency_ms=40))
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    env = account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    args = ["--profiles", ",".join(w.name for w in account.workspaces), "--all-homes", "-o", "inv.csv",
            "--checkpoint", "run.ckpt", "--account-profile", "account", "--parallel-workspaces", "2"]
    proc = start_scan(tmp_path, None, *args, env=env)
    wait_for_checkpoint(tmp_path / "run.ckpt", 20, proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = checkpoint_records(tmp_path / "run.ckpt")
    assert saved and all(rec.get("workspace") for rec in saved)
    text = (tmp_path / "run.ckpt").read_text(encoding="utf-8")
    assert account.client_secret not in text and not any(w.token in text for w in account.workspaces)
    # Another set of workspaces is refused, the checkpoint kept.
    fewer = run(SCAN, *[a if a != args[1] else account.workspaces[0].name for a in args], "--resume", env=env)
    assert fewer.returncode == 1 and "another set of workspaces" in fewer.stderr, fewer.stderr[-2000:]
    for w in account.workspaces:
        w.server.set_faults(Faults(rate=None))
    r = run(SCAN, *args, "--resume", env=env)
    assert r.returncode == 3, r.stderr[-3000:]
    assert_exact(read_csv(tmp_path / "inv.csv"), account)
    assert not (tmp_path / "run.ckpt").exists()


def test_the_exporter_lists_the_accounts_workspaces_for_review(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    env = account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    r = run(USERS, "--account", "--account-profile", "account", "--list-workspaces", "-o", "workspaces.csv", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    listed = read_csv(tmp_path / "workspaces.csv")
    assert [row["workspace_url"] for row in listed] == [w.https_url for w in account.workspaces]
    assert {row["workspace_name"] for row in listed} == {w.name for w in account.workspaces}
    # ... and the list goes back in with --workspaces, with the account's credentials on each host.
    again = run(SCAN, "--workspaces", "workspaces.csv", "--account-profile", "account", "-o", "inv.csv", env=env)
    assert again.returncode in (0, 3), again.stderr[-2000:]
    assert {row["workspace"] for row in read_csv(tmp_path / "inv.csv")} == {w.host for w in account.workspaces}


def test_spark_tasks_per_workspace_and_chunk_are_exact(tmp_path, emulated_account):
    # One local Spark for the run; each workspace's chunks are its own jobs, its tasks carrying its own host
    # and a token minted for them (revoked when the workspace is done).
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    r = run(SCAN, "--profiles", ",".join(w.name for w in account.workspaces), "--all-homes", "--account-profile",
            "account", "--spark-master", "local[2]", "--chunk-size", "10", "-o", "spark.csv",
            env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)), timeout=400)
    assert r.returncode == 3, r.stderr[-3000:]
    assert_exact(read_csv(tmp_path / "spark.csv"), account)
    for w in account.workspaces:
        stats = w.server.stats()
        minted = stats["tokens"]
        assert minted and all(t.get("deleted") for t in minted.values()), (w.host, minted)
        assert set(stats["by_token"]) - {"user"}, "the listings went out with the tasks' own token"


def test_volumes_across_workspaces_are_each_workspaces_own(tmp_path, emulated_account):
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg", hosts="direct")
    r = run(SCAN, "--profiles", ",".join(w.name for w in account.workspaces), "--all-homes", "--locations",
            "volumes", "-o", "vol.csv", env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 3, r.stderr[-3000:]
    rows = by_key(read_csv(tmp_path / "vol.csv"))
    for w in account.workspaces:
        label = w.url.split("://")[1]
        truth = w.server.ws.volume_truth()
        for owner, t in {**truth["owners"], **truth["groups"]}.items():
            row = rows[(label, owner)]
            if t["unreadable"]:
                assert row["status"] == "error", (label, owner)
            else:
                assert (row["volumes_files"], row["volumes_bytes"]) == (str(t["files"]), str(t["bytes"])), (label, owner)
        assert f"{label}: finance (HTTP 403 PERMISSION_DENIED)" in r.stderr
