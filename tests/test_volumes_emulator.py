"""The emulator's Files API, Unity Catalog listings, SCIM Groups and per-user folders, through plain requests and
the real databricks-sdk: every page is reached however short, the totals are the ground truth's, and the errors
have the real API's shapes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import NotFound, PermissionDenied

from emulator import Faults, build_workspace
from tests.conftest import TOKEN

FILES = "/api/2.0/fs/directories"
UC = "/api/2.1/unity-catalog/"
BIG_DIR = "/Volumes/sandbox/ml/features/snapshots/part-files"


@pytest.fixture
def http():
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {TOKEN}"
    return s


@pytest.fixture(scope="module")
def vtruth(workspace):
    return workspace.volume_truth()


@pytest.fixture(scope="module")
def ptruth(workspace):
    return workspace.places_truth()


def sdk(server) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=server.url, token=TOKEN, retry_timeout_seconds=10))


def list_dir(http, server, path: str, page_size: int | None = None, pages: list | None = None) -> list[dict]:
    """Every entry of a directory, page after page until no token comes (never stopping on a short page)."""
    out, params = [], {} if page_size is None else {"page_size": page_size}
    while True:
        r = http.get(server.url + FILES + quote(path), params=params)
        assert r.status_code == 200, (path, r.text)
        body = r.json()
        out += body.get("contents", [])
        if pages is not None:
            pages.append((len(body.get("contents", [])), "next_page_token" in body))
        if not body.get("next_page_token"):
            return out
        params["page_token"] = body["next_page_token"]


def walk(http, server, root: str, **kw) -> dict:
    """Files, bytes and directories below root, listing one directory per request."""
    tally, todo = {"files": 0, "bytes": 0, "dirs": 0}, [root]
    while todo:
        d = todo.pop()
        for e in list_dir(http, server, d, **kw):
            assert e["name"] == e["path"].rstrip("/").rsplit("/", 1)[1]
            if e["is_directory"]:
                assert "file_size" not in e and e["path"].endswith("/")
                tally["dirs"] += 1
                todo.append(f"{d}/{e['name']}")
            else:
                tally["files"] += 1
                tally["bytes"] += e["file_size"]
                assert isinstance(e["last_modified"], int)
    return tally


def test_every_readable_volume_walks_to_its_ground_truth_through_short_pages(server, http, vtruth):
    server.set_faults(Faults(rate=None, files_page_cap=97, empty_pages=True))
    owners: dict[str, list[int]] = {}
    for full_name, v in vtruth["volumes"].items():
        if not v["readable"]:
            continue
        got = walk(http, server, v["path"], page_size=500)
        assert got == {k: v[k] for k in ("files", "bytes", "dirs")}, full_name
        o = owners.setdefault(v["owner"], [0, 0])
        o[0], o[1] = o[0] + got["files"], o[1] + got["bytes"]
    for owner, o in {**vtruth["owners"], **vtruth["groups"]}.items():
        assert owners.get(owner, [0, 0]) == [o["files"], o["bytes"]], owner
    kinds = {o["kind"] for o in vtruth["owners"].values()}
    assert kinds == {"user", "service_principal", "removed"} and set(vtruth["groups"]) == {"admins", "data-engineers"}
    assert server.stats()["requests"]["files"] > len(vtruth["volumes"])


def test_short_pages_still_carry_a_token_so_stopping_on_one_loses_entries(server, http, vtruth):
    server.set_faults(Faults(rate=None, files_page_cap=300))
    pages: list = []
    entries = list_dir(http, server, BIG_DIR, page_size=1000, pages=pages)
    assert len(entries) == len({e["name"] for e in entries}) == 2345
    assert pages[0] == (300, True) and pages[-1] == (2345 % 300, False)
    server.set_faults(Faults(rate=None))
    pages = []
    assert len(list_dir(http, server, BIG_DIR, page_size=5000, pages=pages)) == 2345
    assert [n for n, _ in pages] == [1000, 1000, 345]  # above 1000, page_size is coerced to 1000


def test_the_sdk_pages_through_files_and_unity_catalog(server, vtruth):
    server.set_faults(Faults(rate=None, files_page_cap=250, empty_pages=True))
    w = sdk(server)
    names = [e.name for e in w.files.list_directory_contents(BIG_DIR)]
    assert len(names) == len(set(names)) == 2345
    found, denied = {}, []
    for c in w.catalogs.list():
        try:
            schemas = list(w.schemas.list(c.name))
        except PermissionDenied:
            denied.append(c.name)
            continue
        for s in schemas:
            for v in w.volumes.list(c.name, s.name):
                found[v.full_name] = (v.owner, v.volume_type.value, v.storage_location is not None)
    assert denied == vtruth["unreadable_catalogs"] == ["finance"]
    assert {k: o for k, (o, _, _) in found.items()} == {k: v["owner"] for k, v in vtruth["volumes"].items()}
    assert {t for _, t, _ in found.values()} == {"MANAGED", "EXTERNAL"} and all(s for _, _, s in found.values())
    assert server.stats()["requests"]["unity"] > 2 * len(found) // 2


def test_unity_catalog_pages_are_small_and_opaque(server, http):
    r = http.get(server.url + UC + "catalogs", params={"max_results": 0}).json()
    assert len(r["catalogs"]) == 2 and "next_page_token" in r and not r["next_page_token"].isdigit()
    r2 = http.get(server.url + UC + "catalogs", params={"max_results": 0, "page_token": r["next_page_token"]}).json()
    assert {c["name"] for c in r["catalogs"] + r2["catalogs"]} == {"main", "sandbox", "finance", "system"}
    assert "next_page_token" not in r2
    # Without max_results, catalogs come all at once (the legacy form); volumes page all the same.
    assert len(http.get(server.url + UC + "catalogs").json()["catalogs"]) == 4
    v = http.get(server.url + UC + "volumes", params={"catalog_name": "main", "schema_name": "projects"}).json()
    assert len(v["volumes"]) == 2 and v["next_page_token"]
    # A token is bound to its listing, and cannot be made up.
    r = http.get(server.url + UC + "schemas", params={"catalog_name": "sandbox", "max_results": 0,
                                                  "page_token": v["next_page_token"]})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = http.get(server.url + FILES + BIG_DIR, params={"page_token": "MTAwMA"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    server.set_faults(Faults(rate=None, empty_pages=True))
    first = http.get(server.url + UC + "catalogs", params={"max_results": 10}).json()
    assert "catalogs" not in first and first["next_page_token"]


def test_errors_have_the_real_shapes(server, http):
    def get(route, **params):
        r = http.get(server.url + route, params=params)
        return r.status_code, r.json().get("error_code")

    assert get(FILES + "/Volumes/main/home/users/nobody@example.com") == (404, "NOT_FOUND")
    assert get(FILES + "/Volumes/main/nope/vol") == (404, "NOT_FOUND")
    assert get(FILES + "/Volumes/sandbox/scratch/private_data") == (403, "PERMISSION_DENIED")
    assert get(FILES + "/Volumes/finance/reports/ledger") == (403, "PERMISSION_DENIED")
    assert get(FILES + BIG_DIR, page_size=-1) == (400, "INVALID_PARAMETER_VALUE")
    assert get(UC + "schemas", catalog_name="finance") == (403, "PERMISSION_DENIED")
    assert get(UC + "volumes", catalog_name="finance", schema_name="reports") == (403, "PERMISSION_DENIED")
    assert get(UC + "schemas", catalog_name="nope") == (404, "CATALOG_DOES_NOT_EXIST")
    assert get(UC + "volumes", catalog_name="main", schema_name="nope") == (404, "SCHEMA_DOES_NOT_EXIST")
    assert get(UC + "catalogs", max_results=-1) == (400, "INVALID_PARAMETER_VALUE")
    w = sdk(server)
    with pytest.raises(NotFound):
        list(w.files.list_directory_contents("/Volumes/main/home/users/nobody@example.com"))
    with pytest.raises(PermissionDenied):
        list(w.files.list_directory_contents("/Volumes/sandbox/scratch/private_data"))


def test_per_user_folders_match_the_ground_truth_in_each_file_system(server, http, ptruth):
    def dbfs_walk(root):
        tally, todo = {"files": 0, "bytes": 0, "dirs": 0}, [root]
        while todo:
            d = todo.pop()
            for f in http.get(server.url + "/api/2.0/dbfs/list", params={"path": d}).json().get("files", []):
                if f["is_dir"]:
                    tally["dirs"] += 1
                    todo.append(f["path"])
                else:
                    tally["files"] += 1
                    tally["bytes"] += f["file_size"]
        return tally

    def ws_walk(root):
        tally, todo = {"files": 0, "bytes": 0, "folders": 0}, [root]
        while todo:
            for o in http.get(server.url + "/api/2.0/workspace/list", params={"path": todo.pop()}).json().get("objects", []):
                if o.get("object_type") in ("DIRECTORY", "REPO"):
                    tally["folders"] += 1
                    todo.append(o["path"])
                else:
                    tally["files"] += 1
                    tally["bytes"] += o.get("size", 0)
        return tally

    vol, shared, tmp = (ptruth[t] for t in ("/Volumes/main/home/users/{user}", "/Shared/{user}", "dbfs:/tmp/{user}"))
    listed = {e["name"] for e in list_dir(http, server, "/Volumes/main/home/users", page_size=10)}
    assert listed == {n for n, g in vol.items() if g["exists"]}
    assert {n for n, g in vol.items() if g["exists"] and g["identity"] == "removed"}  # removed users' folders
    assert max(g["files"] for g in vol.values()) > 1000  # a folder past one page
    for name, g in vol.items():
        path = f"/Volumes/main/home/users/{name}"
        if g["exists"]:
            assert walk(http, server, path) == {k: g[k] for k in ("files", "bytes", "dirs")}, name
        else:
            assert http.get(server.url + FILES + quote(path)).status_code == 404
    for name, g in tmp.items():
        r = http.get(server.url + "/api/2.0/dbfs/get-status", params={"path": f"dbfs:/tmp/{name}"})
        assert r.status_code == (200 if g["exists"] else 404)
        if g["exists"]:
            assert dbfs_walk(f"/tmp/{name}") == {k: g[k] for k in ("files", "bytes", "dirs")}, name
    assert any(g["identity"] == "removed" and g["exists"] for g in tmp.values())
    for name, g in shared.items():
        r = http.get(server.url + "/api/2.0/workspace/list", params={"path": f"/Shared/{name}"})
        if g["denied"]:
            assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
        elif g["exists"]:
            assert ws_walk(f"/Shared/{name}") == {k: g[k] for k in ("files", "bytes", "folders")}, name
        else:
            assert r.status_code == 404
    assert shared["team-dashboards"]["identity"] == "removed" and any(g["denied"] for g in shared.values())


def test_scim_groups_tell_a_group_owner_from_a_user(server, http, vtruth, workspace):
    r = http.get(server.url + "/api/2.0/preview/scim/v2/Groups", params={"filter": 'displayName eq "data-engineers"'})
    body = r.json()
    assert r.status_code == 200 and body["totalResults"] == 1
    group = body["Resources"][0]
    assert group["displayName"] == "data-engineers" and group["members"]
    assert "data-engineers" in vtruth["groups"] and "data-engineers" not in vtruth["owners"]
    seen, start = [], 1
    while True:  # paging as for Users: one at a time
        page = http.get(server.url + "/api/2.0/preview/scim/v2/Groups", params={"startIndex": start, "count": 1}).json()
        if not page.get("Resources"):
            break
        seen += [g["displayName"] for g in page["Resources"]]
        start += len(page["Resources"])
    assert seen == ["admins", "users", "data-engineers"]
    assert [g.display_name for g in sdk(server).groups.list(filter='displayName eq "admins"')] == ["admins"]
    users = {u["userName"] for u in workspace.users}
    assert all(o in users for o, v in vtruth["owners"].items() if v["kind"] == "user")


def test_uploads_show_in_listings_and_each_family_has_its_limit(server, http):
    server.volume_files["/Volumes/main/admin/inventory/reports/run.json"] = b"{}"
    try:
        entries = list_dir(http, server, "/Volumes/main/admin/inventory")
        assert [(e["name"], e["is_directory"]) for e in entries] == [("reports", True)]
        assert [e["file_size"] for e in list_dir(http, server, "/Volumes/main/admin/inventory/reports")] == [2]
    finally:
        server.volume_files.clear()
    assert http.get(server.url + FILES + "/Volumes/main/admin/inventory").json() == {}  # empty: no "contents"
    assert {"files", "unity"} <= set(Faults().rate or {})
    server.set_faults(Faults(rate={"files": 2, "unity": 2}, burst=1))
    codes = [http.get(server.url + FILES + BIG_DIR).status_code for _ in range(4)]
    codes += [http.get(server.url + UC + "catalogs").status_code for _ in range(4)]
    assert codes.count(429) >= 4 and codes[0] == codes[4] == 200


def test_volumes_leave_the_existing_ground_truth_as_it_was(workspace):
    plain = build_workspace(seed=11, users=60, volumes=False)
    assert plain.ground_truth() == workspace.ground_truth()
    assert plain.volume_truth() is None and plain.places_truth() is None
