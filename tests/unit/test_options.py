"""Option validation, in process: every refusal of scan_options(), worded with the flags' names, before any
request; and what the accepted options become."""

from __future__ import annotations

import os
import re

import pytest

from dbx_inventory.core.errors import InputError
from dbx_inventory.scan.options import DEFAULT_CHECKPOINT, ScanOptions, SparkTarget, parse_locations, scan_options


@pytest.fixture(autouse=True)
def not_on_a_cluster(monkeypatch, tmp_path):
    # On a Databricks cluster a run picks the cluster's Spark by itself; these tests are about the flags alone.
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.chdir(tmp_path)  # relative paths (inventory.csv, the checkpoint) resolve in the test's folder


REFUSALS = [
    (dict(dbfs_only=True, workspace_only=True), "choose one of --dbfs-only and --workspace-only"),
    (dict(users=["a@x.com"], all_homes=True), "--all-homes finds the users itself"),
    (dict(users_file="users.csv", all_homes=True), "--all-homes finds the users itself"),
    (dict(size_estimate=-1), "--size-estimate must be 0 or more"),
    (dict(workers=0), "--workers must be at least 1"),
    (dict(max_rps=0), "--max-rps must be a positive number"),
    (dict(max_rps=-2.5), "--max-rps must be a positive number"),
    (dict(max_rps=float("nan")), "--max-rps must be a positive number"),
    (dict(retry_deadline=0), "--retry-deadline must be a positive number"),
    (dict(retry_deadline=float("nan")), "--retry-deadline must be a positive number"),
    (dict(retry_deadline=float("inf")), "--retry-deadline must be a positive number"),
    (dict(chunk_size=0), "--chunk-size must be at least 1"),
    (dict(top=-1), "--top must be 0 or more"),
    (dict(spark_remote="sc://h", spark_master="local[2]"), "choose one of --cluster-id/--serverless"),
    (dict(cluster_id="1234", spark_active=True), "choose one of --cluster-id/--serverless"),
    (dict(serverless=True, spark_remote="local[2]"), "choose one of --cluster-id/--serverless"),
    (dict(format="xml"), "--format must be one of csv, json, jsonl, not 'xml'"),
    (dict(files_output="files.txt"), "--files-output must end in .csv, .jsonl or .parquet, not .txt"),
    (dict(files_output="files"), "--files-output must end in .csv, .jsonl or .parquet, not nothing"),
    (dict(spark_master="local[2]", files_output="files.csv"), "--files-output and --top need the local modes"),
    (dict(spark_remote="local[2]", top=5), "--files-output and --top need the local modes"),
    (dict(output_table="main.admin.inventory"), "--output-table and --history-table need Spark mode"),
    (dict(history_table="main.admin.history", no_parallel=True, spark_master="local[2]"),
     "--output-table and --history-table need Spark mode"),  # --no-parallel wins over the Spark flags
    (dict(locations="home,attic"), "--locations takes a comma list of home, repos, uploads, volumes, or all; not attic"),
    (dict(locations=""), "--locations takes a comma list"),
    (dict(locations="repos", dbfs_only=True), "nothing to scan: --locations repos lies only in"),
    (dict(locations="uploads", workspace_only=True), "nothing to scan: --locations uploads lies only in"),
    (dict(output="same.csv", html="same.csv"), "--output and --html both write to the same file"),
    (dict(output="-", html="-"), "--output and --html both write to standard output"),
    (dict(output="inv.csv", compare="inv.csv"), "--output would overwrite --compare (inv.csv)"),
    (dict(users_file="users.csv", checkpoint="users.csv"), "--checkpoint would overwrite --users-file"),
    (dict(files_output="inv.csv", output="inv.csv"), "--output and --files-output both write to the same file"),
    (dict(output="out.csv", log_file="out.csv"), "--output and --log-file both write to the same file"),
]


@pytest.mark.parametrize("kwargs,message", REFUSALS, ids=[m.split(":")[0][:40] for _, m in REFUSALS])
def test_every_refusal_names_the_flags(kwargs, message):
    with pytest.raises(InputError) as info:
        scan_options(**kwargs)
    assert message in str(info.value)


def test_the_defaults_are_a_local_scan_of_both_homes():
    options = scan_options()
    assert isinstance(options, ScanOptions) and options.spark is None
    assert options.file_systems == ("dbfs", "workspace") and options.locations == ("home",)
    assert options.output_path(single=False) == "inventory.csv" and options.checkpoint == DEFAULT_CHECKPOINT
    assert scan_options(format="jsonl").output_path(single=False) == "inventory.jsonl"


def test_locations_come_in_their_fixed_order_and_all_means_every_one():
    assert parse_locations("uploads, HOME") == ("home", "uploads")
    assert parse_locations(["all"]) == ("home", "repos", "uploads")
    assert scan_options(locations="repos", workspace_only=True).locations == ("repos",)


def test_the_spark_flags_become_one_target():
    assert scan_options(spark_master="local[2]").spark == SparkTarget(master="local[2]")
    serverless = scan_options(serverless=True, cluster_id="1234", output_table="t")
    assert serverless.spark == SparkTarget(serverless=True, catalog=True) and serverless.auth.serverless
    assert scan_options(cluster_id="1234").auth.cluster_id == "1234"
    assert scan_options(spark_master="local[2]", no_parallel=True).spark is None


def test_on_a_cluster_the_clusters_spark_is_chosen_unless_a_local_output_needs_this_machine(monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    assert scan_options().spark == SparkTarget(active=True, automatic=True)
    assert scan_options(top=3).spark is None and scan_options(files_output="f.csv").spark is None


def test_a_one_user_look_writes_no_checkpoint_and_no_csv():
    look = scan_options(["a@x.com"])
    assert look.single and not look.uses_checkpoint and look.output_path(single=True) is None
    assert scan_options(["a@x.com"], format="json").output_path(single=True) == "-"
    assert scan_options(["a@x.com"], resume=True).uses_checkpoint
    assert not os.listdir(".")  # validating options creates no file


@pytest.mark.parametrize("text, why", [
    ("scratch", "--place takes NAME=TEMPLATE"),
    ("Scratch=/Volumes/a/b/c/{user}", "must be a short lower-case identifier"),
    ("dbfs=/Volumes/a/b/c/{user}", "taken by a built-in place or column"),
    ("total=/x/{user}", None),  # total_files is no column; total_size is not NAME_bytes
    ("estimated=/x/{user}", "taken by a built-in place or column"),  # estimated_bytes is a column
    ("scratch=/Volumes/a/b/c", "must contain {user}"),
    ("scratch=/Volumes/a/{team}/{user}", "no other {...}"),
    ("scratch=Volumes/a/b/{user}", "must be an absolute path"),
])
def test_a_place_of_ones_own_naming_is_checked(text, why):
    if why is None:
        assert scan_options(["a@x.com"], place=[text]).custom_places[0].name == text.split("=")[0]
        return
    with pytest.raises(InputError, match=re.escape(why)):
        scan_options(["a@x.com"], place=[text])


def test_a_place_template_says_its_file_system_and_whether_its_parent_lists_every_user():
    places = scan_options(["a@x.com"], place=["scratch=/Volumes/main/home/users/{user}", "tmp=dbfs:/tmp/{user}/",
                                             "nested=/Shared/{user}/notes"]).custom_places
    assert [(p.fs, p.root, p.path("jo")) for p in places] == [
        ("files", "/Volumes/main/home/users", "/Volumes/main/home/users/jo"),
        ("dbfs", "/tmp", "/tmp/jo"),
        ("workspace", "", "/Shared/jo/notes"),  # {user} not last: no parent lists every user's folder
    ]
