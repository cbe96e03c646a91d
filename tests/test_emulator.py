"""Fast tests of the emulator itself: shapes, paging, auth, limits, faults, and ground-truth consistency."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import user_of

TOKEN = "dapi-test-token"
NO_LIMITS = Faults(rate=None)


@pytest.fixture(scope="module")
def ws():
    return build_workspace(seed=3, users=30)


@pytest.fixture(scope="module")
def server(ws):
    with EmulatorServer(ws, token=TOKEN, faults=NO_LIMITS) as srv:
        yield srv


@pytest.fixture
def srv(server):
    server.set_faults(NO_LIMITS)
    server.reset_stats()
    return server


@pytest.fixture
def http():
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {TOKEN}"
    yield s
    s.close()


def get(http, srv, route, **params):
    return http.get(srv.url + route, params=params, timeout=10)


def test_well_known_and_unknown_endpoint(srv, http):
    r = requests.get(srv.url + "/.well-known/databricks-config", timeout=5)
    assert r.status_code == 404 and r.json()["error_code"] == "NOT_FOUND"
    r = get(http, srv, "/api/2.0/nope")
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_auth(srv):
    r = requests.get(srv.url + "/api/2.0/dbfs/list", params={"path": "/Users"}, timeout=5)
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    r = requests.get(srv.url + "/api/2.0/dbfs/list", params={"path": "/Users"},
                     headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert r.status_code == 403 and r.json() == {"error_code": "403", "message": "Invalid access token."}


def test_scim_paging_with_cap(srv, http, ws):
    srv.set_faults(Faults(rate=None, scim_page_cap=7))
    seen, start = [], 1
    while True:
        body = get(http, srv, "/api/2.0/preview/scim/v2/Users", startIndex=start, count=100).json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        assert body["totalResults"] == len(ws.users)
        if "Resources" not in body:
            assert body["itemsPerPage"] == 0
            break
        assert len(body["Resources"]) <= 7
        seen += [u["userName"] for u in body["Resources"]]
        start += len(body["Resources"])
    assert seen == [u["userName"] for u in ws.users]
    sps = get(http, srv, "/api/2.0/preview/scim/v2/ServicePrincipals").json()["Resources"]
    assert len(sps) == 2 and all("applicationId" in sp for sp in sps)


def test_scim_filter_and_attributes(srv, http, ws):
    url = "/api/2.0/preview/scim/v2/Users"
    body = get(http, srv, url, filter='USERNAME Eq "mixed.case@example.com"').json()
    assert [u["userName"] for u in body["Resources"]] == ["Mixed.Case@Example.com"]
    body = get(http, srv, url, filter='userName eq "ann+data@example.com" or userName sw "o\'b"').json()
    assert {u["userName"] for u in body["Resources"]} == {"ann+data@example.com", "o'brien@example.com"}
    inactive = [u for u in ws.users if not u["active"]]
    assert inactive
    body = get(http, srv, url, filter="active eq false and userName co \"@\"").json()
    assert body["totalResults"] == len(inactive)
    body = get(http, srv, url, attributes="userName,active", count=3).json()
    assert all(set(u) <= {"id", "schemas", "userName", "active"} for u in body["Resources"])
    r = get(http, srv, url, filter='userName equals "x"')
    assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter" and r.json()["status"] == "400"


def test_dbfs_shapes(srv, http, ws):
    home = "/Users/" + user_of(ws, "both")
    files = get(http, srv, "/api/2.0/dbfs/list", path="dbfs:" + home).json()["files"]
    assert files and all(f["path"].startswith(home + "/") for f in files)
    assert all(set(f) == {"path", "is_dir", "file_size", "modification_time"} for f in files)
    a_file = next(f for f in files if not f["is_dir"])
    assert get(http, srv, "/api/2.0/dbfs/list", path=a_file["path"]).json()["files"] == [a_file]
    assert get(http, srv, "/api/2.0/dbfs/get-status", path=a_file["path"]).json() == a_file
    empty = "/Users/" + user_of(ws, "empty")
    assert get(http, srv, "/api/2.0/dbfs/list", path=empty).json() == {}
    missing = "/Users/" + user_of(ws, "none")
    r = get(http, srv, "/api/2.0/dbfs/list", path=missing)
    assert r.status_code == 404 and r.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": f"No file or directory exists on path dbfs:{missing}."}


def test_workspace_shapes_denied_and_export(srv, http, ws):
    kinds_home = "/Users/" + user_of(ws, "kinds")
    objs = get(http, srv, "/api/2.0/workspace/list", path=kinds_home + "/kinds").json()["objects"]
    assert {o.get("object_type") for o in objs} >= {"NOTEBOOK", "FILE", "LIBRARY", "DASHBOARD",
                                                     "MLFLOW_EXPERIMENT", None}
    nb = next(o for o in objs if o.get("object_type") == "NOTEBOOK")
    assert "language" in nb and "size" not in nb
    body = get(http, srv, "/api/2.0/workspace/export", path=nb["path"], format="SOURCE").json()
    assert body["file_type"] in ("py", "sql", "scala", "r") and base64.b64decode(body["content"])
    raw = get(http, srv, "/api/2.0/workspace/export", path=nb["path"], format="SOURCE", direct_download="true")
    assert raw.content == base64.b64decode(body["content"])
    r = get(http, srv, "/api/2.0/workspace/export", path=kinds_home, format="SOURCE")
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    big = "/Users/" + user_of(ws, "bignb") + "/huge notebook"
    r = get(http, srv, "/api/2.0/workspace/export", path=big, format="SOURCE")
    assert r.status_code == 400 and r.json()["error_code"] == "MAX_NOTEBOOK_SIZE_EXCEEDED"

    git = get(http, srv, "/api/2.0/workspace/list", path="/Users/" + user_of(ws, "git")).json()["objects"]
    assert any(o.get("object_type") == "REPO" for o in git)
    assert any(o.get("directory_info", {}).get("is_git_folder") for o in git)

    denied = "/Users/" + user_of(ws, "denied")
    for route in ("/api/2.0/workspace/list", "/api/2.0/workspace/get-status"):
        r = get(http, srv, route, path=denied)
        assert r.status_code == 403 and r.json() == {
            "error_code": "PERMISSION_DENIED", "message": f"User does not have READ permission on {denied}"}
    missing = "/Users/" + user_of(ws, "none")
    r = get(http, srv, "/api/2.0/workspace/list", path=missing)
    assert r.status_code == 404 and r.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST",
                                                 "message": f"Path ({missing}) doesn't exist."}
    assert get(http, srv, "/api/2.0/workspace/get-status", path="/Users").json()["object_type"] == "DIRECTORY"


def test_rate_limit_429_with_retry_after(srv, http):
    srv.set_faults(Faults(rate={"dbfs": 1}, burst=2))
    codes = [get(http, srv, "/api/2.0/dbfs/get-status", path="/Users") for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert codes[2].headers["Retry-After"] == "1"
    assert codes[2].json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert get(http, srv, "/api/2.0/workspace/get-status", path="/Users").status_code == 200  # other family
    assert srv.stats()["throttled"] == 1


def test_concurrency_cap_429_without_retry_after(srv):
    srv.set_faults(Faults(rate=None, concurrency_cap=2, latency_ms=300))
    results = []

    def call():
        r = requests.get(srv.url + "/api/2.0/dbfs/get-status", params={"path": "/Users"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        results.append(r)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limited = [r for r in results if r.status_code == 429]
    assert limited and len(results) - len(limited) >= 2
    assert all("Retry-After" not in r.headers for r in limited)
    assert "concurrent limit of 2 requests" in limited[0].json()["message"]
    assert srv.stats()["max_in_flight"] >= 3


def test_faults_let_a_retry_through(srv, http):
    srv.set_faults(Faults(rate=None, fault_rate=1.0, max_consecutive_faults=2, seed=7))
    for path in ("/Users", "/", "/Users/nobody"):
        statuses = []
        for _ in range(3):
            try:
                statuses.append(get(http, srv, "/api/2.0/workspace/get-status", path=path).status_code)
            except requests.ConnectionError:
                statuses.append("drop")
        assert statuses[:2] != [200, 200] and statuses[2] in (200, 404)
    assert srv.stats()["faults"] == 6


def test_fail_always(srv, http, ws):
    home = "/Users/" + user_of(ws, "both")
    srv.set_faults(Faults(rate=None, fail_always={home: 500}))
    for _ in range(3):
        r = get(http, srv, "/api/2.0/dbfs/list", path=home)
        assert r.status_code == 500 and r.json()["error_code"] == "INTERNAL_ERROR"


def _walk(http, srv, ws, home):
    """Naive recursive walk of the served listing, folded like the ground truth."""
    g = {}
    r = get(http, srv, "/api/2.0/dbfs/list", path=home)
    g["dbfs_exists"] = r.status_code == 200
    files = dirs = size = 0
    newest = None
    stack = [r.json().get("files", [])] if r.status_code == 200 else []
    while stack:
        for f in stack.pop():
            if f["is_dir"]:
                dirs += 1
                stack.append(get(http, srv, "/api/2.0/dbfs/list", path=f["path"]).json().get("files", []))
            else:
                files, size = files + 1, size + f["file_size"]
                newest = max(newest or 0, f["modification_time"])
    g.update(dbfs_files=files, dbfs_bytes=size, dbfs_dirs=dirs)
    r = get(http, srv, "/api/2.0/workspace/list", path=home)
    if r.status_code == 403:
        return g, newest, "workspace"
    g["ws_exists"] = r.status_code == 200
    files = known = unsized = folders = 0
    stack = [r.json().get("objects", [])] if r.status_code == 200 else []
    while stack:
        for o in stack.pop():
            if o.get("object_type") in ("DIRECTORY", "REPO"):
                folders += 1
                stack.append(get(http, srv, "/api/2.0/workspace/list", path=o["path"]).json().get("objects", []))
                continue
            files += 1
            if "size" in o:
                known += o["size"]
            else:
                unsized += 1
            if "modified_at" in o:
                newest = max(newest or 0, o["modified_at"])
    g.update(ws_files=files, ws_known_bytes=known, ws_unsized=unsized, ws_folders=folders)
    return g, newest, None


def test_ground_truth_matches_served_tree(srv, http, ws):
    truth = ws.ground_truth()
    homes = {p.home for p in ws.principals}
    assert set(truth) == homes
    listed = {o["path"] for o in get(http, srv, "/api/2.0/workspace/list", path="/Users").json()["objects"]}
    assert listed == {f"/Users/{h}" for h, t in truth.items() if t["ws_exists"]}
    for home, t in truth.items():
        walked, newest, denied = _walk(http, srv, ws, f"/Users/{home}")
        assert denied == t["denied"], home
        assert {k: t[k] for k in walked} == walked, home
        if not denied:
            assert newest == t["newest_mtime_ms"], home
    # every directory was listed exactly once by the walk
    assert max(srv.stats()["list_calls"].values()) == 1


def test_cli_ready_and_sigterm(tmp_path):
    gt = tmp_path / "gt.json"
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "--users", "20", "--ground-truth", str(gt),
                             "--deny-user", "ann+data@example.com"],
                            cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        r = requests.get(url + "/api/2.0/workspace/get-status", params={"path": "/Users/ann+data@example.com"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert r.status_code == 403
        assert gt.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and err == ""


def test_minted_tokens_work_until_deleted_and_creation_can_be_refused(srv, http):
    r = http.post(srv.url + "/api/2.0/token/create", json={"lifetime_seconds": 3600, "comment": "tasks"}, timeout=5)
    assert r.status_code == 200, r.text
    value, token_id = r.json()["token_value"], r.json()["token_info"]["token_id"]
    minted = requests.Session()
    minted.headers["Authorization"] = f"Bearer {value}"
    assert get(minted, srv, "/api/2.0/dbfs/list", path="/Users").status_code == 200
    stats = srv.stats()
    assert stats["list_tokens"]["dbfs:/Users"] == token_id and stats["by_token"][token_id] == {"dbfs": 1}
    assert stats["tokens"][token_id] == {"comment": "tasks", "lifetime_seconds": 3600, "created_with": "user",
                                         "deleted": False}
    assert http.post(srv.url + "/api/2.0/token/delete", json={"token_id": token_id}, timeout=5).status_code == 200
    assert get(minted, srv, "/api/2.0/dbfs/list", path="/Users").status_code == 403
    assert srv.stats()["tokens"][token_id]["deleted"]
    srv.set_faults(Faults(rate=None, refuse_tokens=(403, "PERMISSION_DENIED")))
    r = http.post(srv.url + "/api/2.0/token/create", json={"lifetime_seconds": 60}, timeout=5)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"


def test_a_listing_too_big_to_finish_answers_504_deadline_exceeded(srv, http):
    srv.set_faults(Faults(rate=None, too_slow_above=0))  # every DBFS directory with an entry
    r = get(http, srv, "/api/2.0/dbfs/list", path="/Users")
    assert r.status_code == 504 and r.json()["error_code"] == "DEADLINE_EXCEEDED"
    assert srv.stats()["too_slow"] == {"dbfs:/Users": 1}
    assert get(http, srv, "/api/2.0/workspace/list", path="/Users").status_code == 200  # DBFS only
