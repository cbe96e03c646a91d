"""The executor choice and its fallback rules, the run's plan, and the rates a client has learned: in-process."""

from __future__ import annotations

import logging

import pytest

from dbx_inventory.api.auth import MaskedToken, StaticAuth
from dbx_inventory.api.client import build_client
from dbx_inventory.core.errors import ConfigError
from dbx_inventory.scan.executors import LocalExecutor, SparkExecutor, choose_executor
from dbx_inventory.scan.options import scan_options
from dbx_inventory.scan.run import plan_run
from dbx_inventory.scan.spark.head_start import HeadStart


class FakeStart:
    """SparkStart's interface: a scanner that started, or the error that kept it from starting."""

    def __init__(self, scanner: object = None, error: Exception | None = None) -> None:
        self.scanner, self.error, self.closed = scanner, error, 0

    def result(self) -> object:
        if self.error:
            raise self.error
        return self.scanner

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def client():
    c = build_client(StaticAuth("http://127.0.0.1:9", MaskedToken("dapi-x")), 2)
    yield c
    c.close()


def options(*users: str, **kw):
    return scan_options(users or ("a@x.com", "b@x.com"), **kw)


def test_without_spark_or_without_users_left_the_walker_scans(client):
    assert isinstance(choose_executor(client, options(), None, 5), LocalExecutor)
    start = FakeStart(error=AssertionError("a resumed run with nothing left never waits for Spark"))
    assert isinstance(choose_executor(client, options(spark_master="local[1]"), start, 0), LocalExecutor)


def test_spark_asked_for_gets_a_head_start_and_never_waits_here(client):
    start = FakeStart(error=AssertionError("the head start waits for Spark in the scan, not here"))
    assert isinstance(choose_executor(client, options(spark_master="local[1]"), start, 5), HeadStart)


def test_fallback_local_waits_for_spark_and_uses_it(client):
    start = FakeStart(scanner="the scanner")
    executor = choose_executor(client, options(spark_master="local[1]", fallback_local=True), start, 5)
    assert isinstance(executor, SparkExecutor) and executor.scanner == "the scanner"
    executor.close()
    assert start.closed == 1  # closing the executor is what stops Spark


def test_fallback_local_scans_here_when_spark_cannot_run_and_stops_it_at_once(client, caplog):
    start = FakeStart(error=ConfigError("no pyspark"))
    with caplog.at_level(logging.WARNING, logger="dbx_inventory"):
        executor = choose_executor(client, options(spark_master="local[1]", fallback_local=True), start, 5)
    assert isinstance(executor, LocalExecutor) and executor.scanner is None
    assert start.closed == 1
    assert "Spark mode cannot run (no pyspark); --fallback-local: scanning from this machine" in caplog.text


def test_the_automatic_choice_on_a_cluster_gives_way_to_the_driver(client, caplog, monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    opts = options()
    assert opts.spark is not None and opts.spark.automatic
    with caplog.at_level(logging.INFO, logger="dbx_inventory"):
        executor = choose_executor(client, opts, FakeStart(error=ConfigError("no session")), 5)
    assert isinstance(executor, LocalExecutor)
    assert "no usable Spark session on this cluster (no session): scanning from the driver" in caplog.text


def test_a_bug_while_starting_spark_is_not_a_reason_to_fall_back(client):
    with pytest.raises(KeyError):
        choose_executor(client, options(spark_master="local[1]", fallback_local=True), FakeStart(error=KeyError("x")), 5)


def test_plan_names_the_output_and_warns_of_a_misnamed_one():
    plan = plan_run(options(format="json", output="inv.csv"))
    assert plan.output == "inv.csv" and not plan.single
    assert plan.misnamed == "--format json writes JSON into inv.csv, whose name says CSV"
    assert plan_run(options(format="jsonl", output="inv.ndjson")).misnamed is None
    one = plan_run(options("jane@x.com"))
    assert one.single and one.output is None  # a one-user look writes nothing unless asked


def test_learned_rates_are_the_rates_found_from_429s_only(client):

    assert client.learned_rates() == {}  # the SCIM starting rate is a guess, not learned
    learned = build_client(StaticAuth("http://127.0.0.1:9", MaskedToken("dapi-x")), 2, rates={"dbfs": 12.0})
    try:
        assert learned.learned_rates() == {"dbfs": 12.0}
    finally:
        learned.close()
