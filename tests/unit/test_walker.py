"""The walker in process, with listers that answer without HTTP: failures stop the run, never hang it."""

from __future__ import annotations

import pytest

from dbx_inventory.core.errors import InventoryError
from dbx_inventory.core.model import Entry, ScanTarget
from dbx_inventory.scan.walker import Walker, WalkOptions
from tests.fakes import WORKSPACE_HOME, NoHttp

TREE = {
    "/Users/u": [Entry("/Users/u/d", True, None, None, "DIRECTORY"), Entry("/Users/u/a", False, 5, 1, "FILE")],
    "/Users/u/d": [Entry("/Users/u/d", True, None, None, "DIRECTORY"),  # a listing that names itself
                   Entry("/Users/u/d/b", False, 7, 2, "FILE")],
}


def lister(client, path):
    return TREE[path]


@pytest.mark.parametrize("sequential", [False, True])
def test_each_folder_once_and_the_files_folded(sequential):
    calls = []

    def counting(client, path):
        calls.append(path)
        return lister(client, path)

    walker = Walker(NoHttp(), WalkOptions(WORKSPACE_HOME, 4, sequential), listers={"workspace": counting})
    (result,) = list(walker.scan([ScanTarget("u")]))
    assert sorted(calls) == ["/Users/u", "/Users/u/d"]
    t = result.part("workspace").tally
    assert (t.files, t.bytes, t.folders, t.newest_mtime_ms) == (2, 12, 1, 2)


def test_a_failing_observer_stops_the_run_instead_of_hanging():
    def broken(user, fs, entries):
        raise InventoryError("could not write --files-output x.csv: No space left on device")

    walker = Walker(NoHttp(), WalkOptions(WORKSPACE_HOME, 2), listers={"workspace": lister}, observer=broken)
    with pytest.raises(InventoryError, match="No space left"):
        list(walker.scan([ScanTarget("u"), ScanTarget("v")]))


def test_a_bug_in_a_lister_fails_that_user_only():
    def flaky(client, path):
        if path.startswith("/Users/bad"):
            raise KeyError("unexpected answer")
        return lister(client, path)

    walker = Walker(NoHttp(), WalkOptions(WORKSPACE_HOME, 2), listers={"workspace": flaky})
    results = {r.username: r for r in walker.scan([ScanTarget("u"), ScanTarget("bad")])}
    assert results["u"].status == "success" and results["bad"].status == "error"
    assert "KeyError" in results["bad"].errors[0]
