"""End-to-end findings of a hostile review of runs over several workspaces (--profiles, --workspaces,
--account) and of Unity Catalog volumes and places of one's own naming (--locations volumes, --place): each test
drives the real scripts against the emulator and states what an admin would expect."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import time

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.account import start_account
from tests.conftest import (
    NO_LIMITS,
    SCAN,
    TOKEN,
    checkpoint_records,
    clean_env,
    emulator_env,
    read_csv,
    run,
    start_scan,
    wait_for_checkpoint,
)

pytestmark = pytest.mark.xdist_group("account")  # the session's emulated account, shared with its other tests


def test_a_workspace_url_copied_with_its_query_or_path_is_scanned_at_its_host(tmp_path, emulated_account):
    # Azure shows a workspace as https://adb-1234.5.azuredatabricks.net/?o=1234; admins paste what the browser
    # shows. The `workspace` column already drops the query, so the same workspace must be reached at its host.
    account = emulated_account
    w = account.workspaces[0]
    (tmp_path / "ws.txt").write_text(f"{w.url}/?o={w.workspace_id}\n", encoding="utf-8")
    r = run(SCAN, "--workspaces", "ws.txt", "--token", w.token, "-o", "inv.csv", env=account.env(tmp_path))
    rows = read_csv(tmp_path / "inv.csv")
    assert [row for row in rows if row["username"] == ""] == [], r.stderr[-2000:]
    assert {row["username"] for row in rows} >= {u["userName"] for u in w.users}



def test_sigterm_stops_a_run_over_workspaces_as_ctrl_c_does(tmp_path, emulated_account):
    # README, "Exit codes": 130, interrupted (Ctrl-C or SIGTERM). cron's timeout, systemd and a cluster's shutdown
    # send SIGTERM; a run over one workspace handles it (scan/run.py), a run over several dies of it.
    sig = signal.SIGTERM
    account = emulated_account
    for w in account.workspaces:
        w.server.set_faults(Faults(rate=None, latency_ms=40))
    cfg = account.write_databrickscfg(tmp_path / "cfg")
    env = account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    args = ["--profiles", ",".join(w.name for w in account.workspaces), "--all-homes", "-o", "inv.csv",
            "--checkpoint", "run.ckpt", "--parallel-workspaces", "2"]
    proc = start_scan(tmp_path, None, *args, env=env)
    wait_for_checkpoint(tmp_path / "run.ckpt", 20, proc=proc)
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"the run did not stop within 30 s of {sig.name}: {err[-2000:]}") from None
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "--resume" in err, err[-3000:]
    for w in account.workspaces:
        w.server.set_faults(Faults(rate=None))
    r = run(SCAN, *args, "--resume", env=env)
    assert r.returncode == 3, r.stderr[-3000:]
    rows = read_csv(tmp_path / "inv.csv")
    keys = [(row["workspace"], row["username"]) for row in rows]
    assert len(keys) == len(set(keys)), "no row twice"
    assert set(keys) == {(w.host, home) for w in account.workspaces for home in w.truth}


def _killed_after_one_workspace_then_resumed(tmp_path, account, *extra: str):
    """A run over the account's workspaces, one at a time, the first fast and the others slow, killed (-9) once
    the first is finished and the second begun; then resumed. Returns (the resumed run, the rows) and the same
    run made whole in one go, for comparison."""
    first, *rest = account.workspaces
    for w in rest:
        w.server.set_faults(Faults(rate=None, latency_ms=60))
    cfg = account.write_databrickscfg(tmp_path / "cfg", hosts="direct")
    env = account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    args = ["--profiles", ",".join(w.name for w in account.workspaces), "--all-homes", "--parallel-workspaces", "1",
            "--checkpoint", "run.ckpt", "--format", "json", *extra]
    proc = start_scan(tmp_path, None, *args, "-o", "resumed.json", env=env)
    ckpt = tmp_path / "run.ckpt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.exists():
            recs = checkpoint_records(ckpt)
            done = [i for i, rec in enumerate(recs) if "workspace_done" in rec]
            if done and len(recs) > done[0] + 3:
                break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any("workspace_done" in rec for rec in checkpoint_records(ckpt)), "killed after the first workspace"
    for w in rest:
        w.server.set_faults(Faults(rate=None))
    resumed = run(SCAN, *args, "-o", "resumed.json", "--resume", env=env)
    whole = run(SCAN, *args, "-o", "whole.json", env=env)
    return resumed, whole


def _rows(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(u["workspace"], u["username"]): {k: v for k, v in u.items() if k != "scan_seconds"} for u in doc["users"]}


def test_a_resume_keeps_the_failed_users_of_a_workspace_finished_before_the_kill(tmp_path, emulated_account):
    # Users recorded as `error` are not "done" (state/resume.py: they are scanned again), but a workspace
    # finished before the kill is not asked anything on resume: its failed users vanish from the inventory.
    resumed, whole = _killed_after_one_workspace_then_resumed(tmp_path, emulated_account)
    assert whole.returncode == resumed.returncode == 3, resumed.stderr[-2000:]
    before, after = _rows(tmp_path / "whole.json"), _rows(tmp_path / "resumed.json")
    assert sorted(set(before) - set(after)) == [], "rows of the whole run missing from the resumed one"
    assert before == after


def test_a_resume_keeps_unassigned_homes_of_people_active_in_a_workspace_finished_before(tmp_path, emulated_account):
    # Without account access, a leftover home is `unassigned` when its owner is active in another workspace of the
    # run. After a resume, the workspaces finished before the kill still count as "another workspace".
    resumed, whole = _killed_after_one_workspace_then_resumed(tmp_path, emulated_account)
    assert resumed.returncode in (0, 3), resumed.stderr[-2000:]
    before, after = _rows(tmp_path / "whole.json"), _rows(tmp_path / "resumed.json")
    changed = {k: (before[k]["owner_status"], after[k]["owner_status"]) for k in set(before) & set(after)
               if before[k]["owner_status"] != after[k]["owner_status"]}
    assert changed == {}, "owner_status (whole run, resumed run)"


def test_a_resume_still_names_the_closed_catalog_of_a_workspace_finished_before(tmp_path, emulated_account):
    # README: a catalog whose contents cannot be listed is named in the summary and in the JSON header
    # (volumes_not_listed), and makes the exit code 3: its volumes' owners are short of them. A workspace finished
    # before the kill is skipped on resume, and with it what it could not list.
    account = emulated_account
    resumed, whole = _killed_after_one_workspace_then_resumed(tmp_path, account, "--locations", "home,volumes")
    assert whole.returncode == resumed.returncode == 3, resumed.stderr[-2000:]
    first = account.workspaces[0].url.split("://")[1]
    assert f"{first}: finance (HTTP 403 PERMISSION_DENIED)" in whole.stderr
    assert f"{first}: finance (HTTP 403 PERMISSION_DENIED)" in resumed.stderr, resumed.stderr[-2000:]
    header = json.loads((tmp_path / "resumed.json").read_text(encoding="utf-8"))
    assert f"{first}: finance" in header.get("volumes_not_listed", {})


def test_a_metastore_shared_by_two_workspaces_counts_each_volume_once(tmp_path):
    # Unity Catalog has one metastore per region, and every workspace of that region is attached to it: the same
    # volumes (same metastore_id, same volume_id) are listed from each. A run over the region's workspaces must
    # not count a volume once per workspace: the totals, the by-person file and the report would multiply.
    a, b = build_workspace(seed=31, users=12), build_workspace(seed=32, users=12)
    b.metastore = a.metastore  # b is attached to a's metastore
    truth = a.volume_truth()
    with EmulatorServer(a, token=TOKEN, faults=NO_LIMITS) as sa, EmulatorServer(b, token=TOKEN, faults=NO_LIMITS) as sb:
        (tmp_path / "ws.txt").write_text(f"{sa.url}\n{sb.url}\n", encoding="utf-8")
        r = run(SCAN, "--workspaces", "ws.txt", "--token", TOKEN, "--all-homes", "--locations", "volumes",
                "-o", "inv.json", "--format", "json", env=clean_env(tmp_path))
    assert r.returncode == 3, r.stderr[-2000:]  # the closed catalog
    users = json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))["users"]
    group = "data-engineers"
    counted = sum(u["volumes_bytes"] or 0 for u in users if u["username"] == group)
    assert counted == truth["groups"][group]["bytes"], \
        f"{group}'s volumes counted {counted / truth['groups'][group]['bytes']:.0f} times"
    assert sum(u["volumes_owned"] or 0 for u in users) == len(truth["volumes"])


def test_a_volume_is_counted_once_when_its_owner_has_a_case_twin_home(tmp_path):
    # /Users/jane@x.com and /Users/JANE@X.COM are two homes and two rows (README, "Names as typed"); a volume
    # jane@x.com owns is one volume. Owners match rows without case, so both rows got it: twice in the totals
    # and twice in "Largest volumes".
    ws = build_workspace(seed=23, users=20, removed=3, service_principals=1, case_twins=2)
    users = {u["userName"] for u in ws.users}
    owner = next(p.home for p in ws.principals if p.home in users and ws.principal(p.home.upper()))
    ms = ws.metastore
    ms.volumes = [dataclasses.replace(v, owner=owner) if v.name == "etl_staging" else v for v in ms.volumes]
    ms._by_path = {v.path: v for v in ms.volumes}
    volume = ws.volume_truth()["volumes"]["main.projects.etl_staging"]
    with EmulatorServer(ws, token=TOKEN, faults=NO_LIMITS) as srv:
        r = run(SCAN, "--all-homes", "--locations", "home,volumes", "-o", "inv.json", "--format", "json",
                env=emulator_env(tmp_path, srv))
    assert r.returncode == 3, r.stderr[-2000:]
    rows = [u for u in json.loads((tmp_path / "inv.json").read_text(encoding="utf-8"))["users"]
            if u["username"].casefold() == owner.casefold()]
    assert len(rows) == 2, "the home and its twin"
    assert sum(u["volumes_bytes"] or 0 for u in rows) == volume["bytes"], [(u["username"], u["volumes_bytes"]) for u in rows]
    assert sum(1 for line in r.stderr.splitlines() if volume["path"] in line) == 1, "listed once among the largest"


@pytest.mark.parametrize("only, template", [("--dbfs-only", "/Shared/{user}"), ("--workspace-only", "dbfs:/tmp/{user}")])
def test_a_place_asked_for_by_name_is_never_dropped_in_silence(tmp_path, server, workspace, only, template):
    # --place names a place the admin wants counted. With --dbfs-only, a Workspace place (or with --workspace-only,
    # a DBFS place) vanished: no column, no word in "not scanned", exit 0. Refuse the combination, or scan it, or
    # at least say it was left out.
    truth = workspace.places_truth()[template]
    user = next(folder for folder, t in truth.items() if t["files"] and not t["denied"] and t["identity"] == "user")
    r = run(SCAN, user, "--place", f"mine={template}", only, "-o", "inv.csv", env=emulator_env(tmp_path, server))
    header = (tmp_path / "inv.csv").read_text(encoding="utf-8").splitlines()[0] if r.returncode != 2 else ""
    said = any(template.split("{")[0] in line and "not scanned" in line for line in r.stderr.splitlines())
    assert r.returncode == 2 or "mine_files" in header or said, r.stderr[-2000:]


def test_the_leftover_home_of_a_service_principal_active_in_another_workspace_is_unassigned(tmp_path):
    # A service principal removed from one workspace leaves /Users/<applicationId> there, as a user does. While
    # it still runs jobs in another workspace of the run, its leftover home is not a departed owner's: README,
    # "unassigned ... don't delete it". Only users were looked for, so the home was told `removed`.
    with start_account(workspaces=2, users=24, seed=300) as account:
        first, second = account.workspaces
        app_id = first.server.ws.service_principals[0]["applicationId"]
        second.server.ws.add_removed_home(app_id)
        cfg = account.write_databrickscfg(tmp_path / "cfg", hosts="direct")
        r = run(SCAN, "--profiles", f"{first.name},{second.name}", "--all-homes", "-o", "inv.csv",
                env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode in (0, 3), r.stderr[-2000:]
    rows = {(row["workspace"], row["username"]): row for row in read_csv(tmp_path / "inv.csv")}
    label = second.url.split("://")[1]
    assert rows[(first.url.split("://")[1], app_id)]["owner_status"] == "service_principal"
    assert rows[(label, app_id)]["owner_status"] == "unassigned"


def test_an_unwritable_by_person_path_is_refused_before_the_first_request(tmp_path, emulated_account):
    # README: every output is "checked writable before the first request", and exit 1 means "No inventory is
    # written". --by-person into a missing folder was found out only after every workspace was scanned, with the
    # inventory already written.
    account = emulated_account
    cfg = account.write_databrickscfg(tmp_path / "cfg", hosts="direct")
    r = run(SCAN, "--profiles", ",".join(w.name for w in account.workspaces), "-o", "inv.csv",
            "--by-person", str(tmp_path / "missing" / "people.csv"), env=account.env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode in (1, 2) and "people.csv" in r.stderr, r.stderr[-2000:]
    asked = {w.name: w.server.stats()["requests"] for w in account.workspaces}
    assert not any(asked.values()), f"requests sent before the output was refused: {asked}"
    assert not (tmp_path / "inv.csv").exists()
