"""The HTML report, in a real browser (Debian's Chromium, driven by Playwright) with the network off: its
figures against the inventory's, sorting, no request leaving the page, the original's 7-column CSV, and
what changed since an older inventory."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import ROOT, SCAN, TOKEN, emulator_env, read_csv, run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    # CI installs it (.ci/run); a developer's machine may not have it.
    pytestmark = pytest.mark.skipif(os.environ.get("CI") != "true", reason="no chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is missing: .ci/run installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def open_offline(browser, path):
    """The page from disk, with every request that is not the file itself refused and recorded."""
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page.goto(f"file://{path}")
    return page, requests


def bytes_of(page, selector):
    return int(page.get_attribute(selector, "data-bytes"))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """An --all-homes scan with removed users, written as JSON and as an HTML report."""
    tmp = tmp_path_factory.mktemp("report")
    ws = build_workspace(seed=31, users=30, removed=6, service_principals=3)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        r = run(SCAN, "--all-homes", "-o", "inv.json", "--format", "json", "--html", "report.html",
                env=emulator_env(tmp, srv), cwd=tmp)
    assert r.returncode == 3, r.stderr[-2000:]  # the workspace's one denied home
    return tmp, json.loads((tmp / "inv.json").read_text())


def test_the_page_shows_the_inventorys_figures_offline(browser, scanned):
    tmp, doc = scanned
    users = doc["users"]
    counted = [u for u in users if u["status"] != "error"]
    page, requests = open_offline(browser, tmp / "report.html")
    assert page.text_content("#host") == doc["host"]
    assert page.text_content("#users-count") == f"{len(users):,}"
    assert page.text_content("#files-count") == f"{sum(u['file_count'] for u in counted):,}"
    assert bytes_of(page, "#bytes-total") == sum(u["total_size"] for u in counted)
    assert page.text_content("#error-count") == str(sum(1 for u in users if u["status"] == "error"))
    removed = [u for u in counted if u["owner_status"] == "removed"]
    assert len(removed) == 6 and bytes_of(page, "#reclaimable") == sum(u["total_size"] for u in removed)
    top = max(counted, key=lambda u: u["total_size"])
    assert page.get_attribute("#top-users .bar-row:first-child", "data-user") == top["username"]
    assert bytes_of(page, "#top-users .bar-row:first-child") == top["total_size"]
    assert page.locator("#top-users .bar-row").count() == 20
    assert page.locator("#by-owner tbody tr").first.get_attribute("data-status") == "removed"
    assert page.locator("#users tbody tr").count() == len(users)
    assert requests == [f"file://{tmp / 'report.html'}"]  # nothing left the page


def test_sorting_and_filtering_the_table(browser, scanned):
    tmp, doc = scanned
    counted = [u for u in doc["users"] if u["status"] != "error"]
    page, _ = open_offline(browser, tmp / "report.html")
    page.click("#users th[data-key=username]")
    page.click("#users th[data-key=total_size]")  # a number sorts largest first
    first = page.locator("#users tbody tr").first
    assert first.get_attribute("data-user") == max(counted, key=lambda u: u["total_size"])["username"]
    page.click("#users th[data-key=total_size]")
    assert page.locator("#users tbody tr").first.get_attribute("data-user") == min(
        counted, key=lambda u: (u["total_size"], u["username"]))["username"]
    page.select_option("#filter-status", "error")
    rows = page.locator("#users tbody tr")
    assert rows.count() == 1 and "403" in rows.first.locator("td.error").text_content()
    page.select_option("#filter-status", "owner:removed")
    assert page.locator("#users tbody tr").count() == 6
    page.select_option("#filter-status", "")
    page.fill("#filter-name", ".left")
    assert page.locator("#users tbody tr").count() == 6


def test_a_report_of_the_originals_7_column_csv(browser, tmp_path):
    inventory = tmp_path / "old.csv"
    with open(inventory, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "file_count", "total_size", "total_size_gb", "status", "file_source", "error"])
        w.writerow(["a@x.com", "10", str(5 * 1024**3), "5.00", "success", "both", ""])
        w.writerow(["b@x.com", "0", "0", "0.00", "empty", "unknown", ""])
        w.writerow(["c@x.com", "0", "0", "0", "error", "unknown", "HTTP 403"])
    r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", str(inventory), "-o", str(tmp_path / "r.html")],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page, requests = open_offline(browser, tmp_path / "r.html")
    assert page.text_content("#users-count") == "3" and bytes_of(page, "#bytes-total") == 5 * 1024**3
    assert page.text_content("#bytes-total") == "5.00 GiB"
    assert page.locator("#by-owner tbody tr").first.get_attribute("data-status") == "unknown"
    assert page.locator("#top-users .bar-row").count() == 1  # one bar, its DBFS/Workspace split unknown
    assert requests == [f"file://{tmp_path / 'r.html'}"]


def write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["username", "file_count", "total_size", "total_size_gb", "status",
                                           "file_source", "error"])
        w.writeheader()
        for name, files, size in rows:
            w.writerow({"username": name, "file_count": files, "total_size": size, "total_size_gb": "",
                        "status": "success" if files else "empty", "file_source": "both", "error": ""})


def test_previous_gives_exactly_the_differences(browser, tmp_path):
    write_csv(tmp_path / "old.csv", [("same@x.com", 5, 500), ("grew@x.com", 10, 1000), ("shrank@x.com", 8, 9000),
                                    ("left@x.com", 3, 300)])
    write_csv(tmp_path / "new.csv", [("same@x.com", 5, 500), ("grew@x.com", 12, 5096), ("shrank@x.com", 2, 1000),
                                    ("joined@x.com", 1, 10)])
    r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", str(tmp_path / "new.csv"), "--previous",
                        str(tmp_path / "old.csv"), "-o", str(tmp_path / "r.html")], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    page, _ = open_offline(browser, tmp_path / "r.html")
    rows = page.locator("#largest-changes tbody tr")
    got = [(rows.nth(i).get_attribute("data-user"), int(rows.nth(i).get_attribute("data-bytes")),
            int(rows.nth(i).get_attribute("data-files"))) for i in range(rows.count())]
    assert got == [("shrank@x.com", -8000, -6), ("grew@x.com", 4096, 2)]
    assert bytes_of(page, "#added-bytes") == 4096 and bytes_of(page, "#removed-bytes") == 8000
    assert page.text_content("#new-count") == "1" and page.text_content("#gone-count") == "1"
    assert page.get_attribute("#new-users span", "data-user") == "joined@x.com"
    assert page.get_attribute("#gone-users span", "data-user") == "left@x.com"


def test_the_scanner_compares_with_an_older_inventory(tmp_path, server, workspace, truth):
    users = [p.home for p in workspace.principals if p.case in ("both", "ws_only", "empty")]
    write_csv(tmp_path / "old.csv", [(users[0], 1, 100), (users[1], truth[users[1]]["ws_files"], 0),
                                    ("gone@x.com", 1, 1)])
    r = run(SCAN, *users, "-o", "inv.csv", "--compare", "old.csv", env=emulator_env(tmp_path, server))
    assert r.returncode == 0, r.stderr
    assert "Largest changes since old.csv" in r.stderr and "(1 new, 1 gone since)" in r.stderr
    now = {row["username"]: row for row in read_csv(tmp_path / "inv.csv")}
    first_change = r.stderr.split("Largest changes since")[1].splitlines()[2]
    biggest = max(users[:2], key=lambda u: abs(int(now[u]["total_size"]) - (100 if u == users[0] else 0)))
    assert first_change.split()[0] == biggest


def test_a_bad_compare_file_fails_before_scanning(tmp_path, server, workspace):
    (tmp_path / "old.csv").write_text("not,an,inventory\n1,2,3\n")
    r = run(SCAN, "a@x.com", "b@x.com", "--compare", "old.csv", env=emulator_env(tmp_path, server))
    assert r.returncode == 1 and "not an inventory" in r.stderr
    assert sum(server.stats()["requests"].values()) == 0


HOSTILE_NAME = "</script><script>alert(1)</script><!-- \"quoted\" 'single' \u2028\u2029 \u202eevil\u200f " + "x" * 4000


def test_text_that_could_break_the_page_still_shows_in_the_table(browser, tmp_path):
    # A 403 on a folder named `<!-- old notes -->` puts that text in the error; once, it emptied the table.
    users = [
        {"username": "a@x.com", "status": "success", "file_count": 3, "total_size": 80_000, "dbfs_bytes": 80_000,
         "workspace_bytes": 0, "owner_status": "active"},
        {"username": HOSTILE_NAME, "status": "success", "file_count": 1, "total_size": 10, "owner_status": "removed"},
        {"username": "b@x.com", "status": "error", "owner_status": "active",
         "error": "workspace: HTTP 403 PERMISSION_DENIED on /Users/b@x.com/<!-- old notes -->: denied"},
    ]
    (tmp_path / "inv.json").write_text(json.dumps({"format": "dbx-inventory", "users": users}), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", str(tmp_path / "inv.json"), "-o",
                        str(tmp_path / "r.html")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page, requests = open_offline(browser, tmp_path / "r.html")
    rows = page.locator("#users tbody tr")
    assert rows.count() == 3
    assert HOSTILE_NAME in [rows.nth(i).get_attribute("data-user") for i in range(3)]
    assert "<!-- old notes -->" in page.text_content("#users td.error")
    # The same 80,000 bytes read the same in the table and in the chart's label: one formatting, 78.125 rounded up.
    size_cell = page.locator('#users tr[data-user="a@x.com"] td[data-bytes]').first
    assert size_cell.text_content() == "78.13 KiB" == page.text_content('#top-users .bar-row[data-user="a@x.com"] .bar-size')
    assert requests == [f"file://{tmp_path / 'r.html'}"]
