"""The walk's lanes, in process: one queue and pool per API family (one for all under --no-parallel), jobs in
user order then newest first, and the rule that admits one more user."""

from __future__ import annotations

from types import SimpleNamespace

from dbx_inventory.core.model import Entry
from dbx_inventory.scan.lanes import EXPORT, Lanes

DBFS = SimpleNamespace(location=SimpleNamespace(fs="dbfs"))
WORKSPACE = SimpleNamespace(location=SimpleNamespace(fs="workspace"))
NOTEBOOK = Entry("/Users/u/nb", False, None, 0, "NOTEBOOK")


def fill(lanes: Lanes, part, n: int, notebook: Entry | None = None) -> None:
    for i in range(n):
        lanes.put(0, None, part, f"/Users/u/{i}", notebook)


def test_one_pool_per_family_or_one_worker_for_all():
    lanes = Lanes(["dbfs", "workspace", EXPORT], 4, sequential=False)
    assert [n for _, n in lanes.pools] == [4, 4, 4] and lanes.workers == 12
    sequential = Lanes(["dbfs", "workspace", EXPORT], 4, sequential=True)
    assert [n for _, n in sequential.pools] == [1] and sequential.workers == 1
    fill(sequential, DBFS, 1)
    fill(sequential, WORKSPACE, 1)
    fill(sequential, WORKSPACE, 1, NOTEBOOK)
    assert sequential.pools[0][0].qsize() == 3  # every family in the one queue: one request at a time
    assert Lanes(["dbfs"], 0, sequential=False).workers == 1  # never a lane without a worker


def test_jobs_come_in_user_order_then_newest_first():
    lanes = Lanes(["dbfs"], 2, sequential=False)
    lanes.put(1, "late", DBFS, "/Users/late")
    lanes.put(0, "early", DBFS, "/Users/early/a")
    lanes.put(0, "early", DBFS, "/Users/early/b")
    q = lanes.pools[0][0]
    assert [q.get().path for _ in range(3)] == ["/Users/early/b", "/Users/early/a", "/Users/late"]


def test_a_notebook_export_goes_to_the_export_lane():
    lanes = Lanes(["dbfs", "workspace", EXPORT], 2, sequential=False)
    fill(lanes, WORKSPACE, 1, NOTEBOOK)
    assert [q.qsize() for q, _ in lanes.pools] == [0, 0, 1]


def test_users_are_admitted_up_to_the_workers_whatever_the_queues():
    lanes = Lanes(["dbfs", "workspace"], 3, sequential=False)  # 6 workers
    fill(lanes, DBFS, 100)
    fill(lanes, WORKSPACE, 100)
    assert all(lanes.admit_more(n) for n in range(6)) and not lanes.admit_more(6)
    one = Lanes(["dbfs"], 1, sequential=True)
    fill(one, DBFS, 100)
    assert one.admit_more(1) and not one.admit_more(2)  # at least two, so the next user is ready


def test_more_users_while_any_lane_is_short_of_work():
    lanes = Lanes(["dbfs", "workspace"], 2, sequential=False)  # short: fewer than 2 jobs per worker queued
    assert lanes.admit_more(10)
    fill(lanes, DBFS, 4)
    fill(lanes, WORKSPACE, 3)
    assert lanes.admit_more(10)  # the Workspace lane would idle
    fill(lanes, WORKSPACE, 1)
    assert not lanes.admit_more(10)


def test_the_export_lane_is_fed_by_listings_not_by_more_users():
    lanes = Lanes(["dbfs", "workspace", EXPORT], 1, sequential=False)
    fill(lanes, DBFS, 2)
    fill(lanes, WORKSPACE, 2)
    assert not lanes.admit_more(5)  # an empty export lane admits no one: listings will refill it
    lanes_short = Lanes(["dbfs", "workspace", EXPORT], 1, sequential=False)
    fill(lanes_short, WORKSPACE, 2)
    assert lanes_short.admit_more(5)  # DBFS is short
    fill(lanes_short, WORKSPACE, 8, NOTEBOOK)
    assert not lanes_short.admit_more(5)  # a backlog of exports: more users would only queue more


def test_users_in_flight_are_bounded():
    lanes = Lanes(["dbfs"], 2, sequential=False, users_in_flight=3)
    assert lanes.admit_more(2) and not lanes.admit_more(3)  # even with every lane empty
    assert Lanes(["dbfs"], 2, sequential=False).admit_more(999) and not Lanes(["dbfs"], 2, False).admit_more(1000)
