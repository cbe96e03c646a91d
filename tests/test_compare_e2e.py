"""Comparing inventories that were not made alike (--compare, and the report's --previous): a warning names the
difference, and a place one side did not count is unknown, never "removed". The real scripts, the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from emulator import EmulatorServer, Faults
from tests.conftest import ROOT, TOKEN, scan


def report(tmp_path, new: str, old: str) -> tuple[subprocess.CompletedProcess, dict[str, int]]:
    """The report of `new` against `old`, and its figures: bytes added and removed, users new and gone."""
    r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", str(tmp_path / new), "--previous",
                        str(tmp_path / old), "-o", str(tmp_path / "r.html")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "r.html").read_text()
    figures = {name: int(re.search(rf'id="{name}"[^>]*data-bytes="(\d+)"', page).group(1))
               for name in ("added-bytes", "removed-bytes")}
    figures.update({name: int(re.search(rf'id="{name}">(\d+)<', page).group(1)) for name in ("new-count", "gone-count")})
    return r, figures


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.fixture
def users(workspace, truth):
    """Readable users, some of them with files in /Repos and in the uploads (what a home-only scan misses)."""
    readable = [u["userName"] for u in workspace.users if not truth[u["userName"]]["denied"]]
    beyond = [u for u in readable if truth[u]["repos"]["files"] or truth[u]["uploads"]["files"]][:4]
    plain = [u for u in readable if u not in beyond][:3]
    assert len(beyond) == 4 and sum(truth[u]["uploads"]["bytes"] for u in beyond) > 0
    return beyond + plain


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_inventories_of_other_locations(tmp_path, server, users, fmt):
    for name, extra in (("home", ()), ("all", ("--locations", "all"))):
        r = scan(tmp_path, server, *users, "-o", f"{name}.{fmt}", "--format", fmt, *extra)
        assert r.returncode == 0, r.stderr[-2000:]
    for new, old in (("home", "all"), ("all", "home")):
        r, figures = report(tmp_path, f"{new}.{fmt}", f"{old}.{fmt}")
        (line,) = warnings(r.stderr)
        counted = {"home": "dbfs, workspace", "all": "dbfs, repos, uploads, workspace"}
        assert f"{old}.{fmt} counted {counted[old]} and " in line and f"{new}.{fmt} {counted[new]}" in line
        # Same files, counted in more places on one side: nothing was added or removed.
        assert figures == {"added-bytes": 0, "removed-bytes": 0, "new-count": 0, "gone-count": 0}
    # The scanner, home only, against the inventory of every place: the same warning, before the scan.
    r = scan(tmp_path, server, *users, "-o", "again.csv", "--compare", f"all.{fmt}")
    assert r.returncode == 0, r.stderr[-2000:]
    (line,) = warnings(r.stderr)
    assert f"all.{fmt} counted dbfs, repos, uploads, workspace and this scan dbfs, workspace" in line
    assert f"Largest changes since all.{fmt} (added 0 B, removed 0 B)" in r.stderr


def test_inventories_of_other_hosts(tmp_path, server, workspace, users):
    # The same data behind another address: only the workspace's host differs.
    with EmulatorServer(workspace, token=TOKEN, faults=Faults(rate=None)) as other:
        r = scan(tmp_path, other, *users, "-o", "other.json", "--format", "json")
        assert r.returncode == 0, r.stderr[-2000:]
    r = scan(tmp_path, server, *users, "-o", "here.json", "--format", "json")
    assert r.returncode == 0, r.stderr[-2000:]
    r, figures = report(tmp_path, "here.json", "other.json")
    (line,) = warnings(r.stderr)
    assert f"other.json is an inventory of {other.url}" in line and f"here.json of {server.url}" in line
    assert figures == {"added-bytes": 0, "removed-bytes": 0, "new-count": 0, "gone-count": 0}
    r = scan(tmp_path, server, *users, "-o", "again.csv", "--compare", "other.json")
    assert r.returncode == 0, r.stderr[-2000:]
    (line,) = warnings(r.stderr)
    assert f"other.json is an inventory of {other.url} and this scan of {server.url}" in line
    assert "Largest changes since other.json (added 0 B, removed 0 B)" in r.stderr
    # An inventory of this very workspace, however its address is spelled, is no difference.
    doc = json.loads((tmp_path / "here.json").read_text())
    doc["host"] = server.url.replace("127.0.0.1", "localhost") + "/"
    (tmp_path / "spelled.json").write_text(json.dumps(doc))
    r, _ = report(tmp_path, "here.json", "spelled.json")
    assert warnings(r.stderr) == []
