"""databricks_user_files_simple.py: scan users' DBFS and Workspace homes into an inventory CSV."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from ..core.errors import InputError
from ..core.model import DEFAULT_SIZE_ESTIMATE
from ..outputs.changes import compare
from ..outputs.logs import setup_logging
from ..outputs.text import changes_table, plain_tables, print_summary, run_summary, summary_tables, user_report
from ..outputs.writers import OutputFormat
from ..scan.options import DEFAULT_CHECKPOINT, DEFAULT_OUTPUT, DEFAULT_WORKERS, scan_options
from ..scan.run import ScanOutcome, execute, now_iso
from ..scan.workspaces import execute_workspaces
from .common import add_auth_arguments, positive_number, print_profiles

log = logging.getLogger("dbx_inventory")

EXAMPLES = """
examples:
  %(prog)s --users-file users.csv --profile PROD --output inventory.csv
  %(prog)s jane.doe@company.com --profile PROD          # one user: a readable report
  %(prog)s --all-homes --locations all --profile PROD -o homes.csv   # every home, removed users' included
  %(prog)s --users-file users.csv --dbfs-only -o - | tail -n +2 | sort -t, -k3 -n   # by size, header dropped
  %(prog)s --users-file users.csv --no-parallel --debug  # one request at a time, every retry logged
  %(prog)s --users-file users.csv --resume               # continue after a crash, a kill or Ctrl-C
  %(prog)s --users-file users.csv --files-output files.parquet --top 20 --format json -o inventory.json
  %(prog)s --all-homes -o homes.json --format json --compare last-week.json --html report.html
  %(prog)s --users-file users.csv --cluster-id 1234-567890-abc123 --output-table main.admin.inventory
  %(prog)s --profiles PROD,STAGING,DEV --all-homes -o all.csv --by-person people.csv
  %(prog)s --account --account-profile ACCOUNT --all-homes -o account.csv --html account.html

exit codes: 0 every user scanned; 1 fatal (auth, config, input, unreachable host, output);
            2 bad command line; 3 finished but some users have status=error; 130 interrupted
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Count the files and bytes each user holds in DBFS (dbfs:/Users/<user>) and the "
        "Workspace (/Users/<user>), and write one CSV row per user.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("users", nargs="*", metavar="USER", help="user names to scan (before --users-file users)")
    p.add_argument("--users-file", metavar="FILE", help="one user per line (# comments, blank lines skipped), or a CSV whose header names a userName/email/login column; - reads stdin")
    p.add_argument("--users-column", metavar="NAME", help="the column of user names in a CSV users file, when it is none of userName (user_name, User Name), email (Email Address), mail, login, user, applicationId")
    p.add_argument("--all-homes", action="store_true", help="scan every user (active and deactivated), every service principal, and every home folder, including those of removed users; no users file needed")
    p.add_argument("--locations", default="home", metavar="LIST", help="exactly where to look, a comma list of home (dbfs:/Users/<user> and /Users/<user>), repos (/Repos/<user>), uploads (dbfs:/FileStore/shared_uploads/<user>) and volumes (the Unity Catalog volumes each identity owns), or all (home, repos and uploads; default home)")
    p.add_argument("--place", action="append", metavar="NAME=TEMPLATE", help="also count a per-user place of your own naming, e.g. scratch=/Volumes/main/scratch/files/{user}, shared=/Shared/{user}, tmp=dbfs:/tmp/{user} (repeatable): columns NAME_files and NAME_bytes, counted in the totals")
    p.add_argument("-o", "--output", metavar="FILE", help=f"the inventory (default {DEFAULT_OUTPUT.format(format='csv')}, or .json/.jsonl for those formats; - for stdout; with one user on the command line, only when given)")
    p.add_argument("--format", choices=[f.value for f in OutputFormat], default="csv",
                   help="csv (the earlier toolkit's columns first), json (a header with format version, tool version, host, options and time, then the users) or jsonl (one user per line); machine formats carry raw numbers")
    p.add_argument("--files-output", metavar="PATH", help="also list every file and object scanned (user, file system, path, type, size, estimated?, modified), streamed as the scan goes: .csv, .jsonl, or .parquet with pyarrow")
    p.add_argument("--html", metavar="PATH", help="also write the report as one self-contained HTML page (charts, a sortable table; with --compare, what changed)")
    p.add_argument("--compare", metavar="OLD", help="an older inventory (csv, json or jsonl) of this workspace: the summary, and the --html report, show the largest changes since")
    p.add_argument("--top", type=int, default=0, metavar="N", help="show the N largest files (by the size the API gives) in the summary or the one-user report")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--dbfs-only", action="store_true", help="skip the Workspace scan")
    scope.add_argument("--workspace-only", action="store_true", help="skip the DBFS scan")
    p.add_argument("--size-estimate", type=int, default=DEFAULT_SIZE_ESTIMATE, metavar="BYTES",
                   help="bytes counted for each Workspace object the API gives no size for, e.g. notebooks (default 10000; 0 adds nothing). Such objects are counted in estimated_objects")
    speed = p.add_argument_group("speed")
    speed.add_argument("--no-parallel", action="store_true", help="one request at a time")
    speed.add_argument("--workers", type=int, default=DEFAULT_WORKERS, metavar="N", help=f"concurrent requests per API family (default {DEFAULT_WORKERS})")
    speed.add_argument("--no-progress", action="store_true", help="no progress display (it only appears when stderr is a terminal)")
    speed.add_argument("--max-rps", type=positive_number, default=None, metavar="N", help="never exceed N requests/s per API family (leave headroom for other tools)")
    p.add_argument("--exact-notebook-sizes", action="store_true", help="measure notebooks by exporting them (one request each, through the export API's own pacer) instead of estimating them; notebooks over the 10 MB export cap stay estimated")
    spark = p.add_argument_group("Spark mode (the same scan as Spark tasks; see README)")
    spark.add_argument("--cluster-id", default=os.environ.get("DATABRICKS_CLUSTER_ID") or None,
                       help="run on this cluster via Databricks Connect (env DATABRICKS_CLUSTER_ID)")
    spark.add_argument("--serverless", action="store_true", help="run on serverless compute via Databricks Connect")
    spark.add_argument("--spark-remote", metavar="URL", help="any Spark Connect server, e.g. sc://host:15002; local[N] starts one here")
    spark.add_argument("--spark-master", metavar="MASTER", help="classic pyspark, e.g. local[4] or spark://host:7077")
    spark.add_argument("--chunk-size", type=int, default=100, metavar="N", help="users per Spark job (default 100); a lost session costs at most one chunk")
    spark.add_argument("--fallback-local", action="store_true", help="if Spark cannot run, scan from this machine instead of stopping")
    spark.add_argument("--spark-active", action="store_true", help="use the Spark session of the Databricks cluster this runs on (the default on a cluster)")
    spark.add_argument("--output-table", metavar="NAME", help="also save the inventory as a table through the Spark session (Delta on Databricks), replaced on each run")
    spark.add_argument("--history-table", metavar="NAME", help="also append this run's rows, with a scan_time column, to a table (growth over time)")
    many = p.add_argument_group("several workspaces in one run (a workspace column; see README)")
    many.add_argument("--profiles", metavar="NAME[,NAME...]", help="one workspace per profile of the config file, each with its own host and credentials")
    many.add_argument("--workspaces", metavar="FILE", help="one workspace URL per line, or a CSV with a workspace_url (or url, host) column and optionally profile; a URL without a profile uses this run's credentials")
    many.add_argument("--account", action="store_true", help="every running workspace of the account (AccountClient, with --account-profile or the environment's account credentials)")
    many.add_argument("--account-profile", metavar="NAME", help="the account's profile (host https://accounts.cloud.databricks.com and account_id); with any of the three, also tells unassigned homes (owner still active in the account) from removed ones")
    many.add_argument("--parallel-workspaces", type=int, default=4, metavar="N", help="workspaces scanned at once (default 4), each at its own rate limit")
    many.add_argument("--by-person", metavar="FILE", help="also a CSV of each person's totals across the workspaces")
    ck = p.add_argument_group("checkpoints")
    ck.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, metavar="PATH",
                    help=f"record every completed user here as it finishes (default {DEFAULT_CHECKPOINT}); deleted when the run completes")
    ck.add_argument("--resume", action="store_true", help="continue the run recorded in the checkpoint: skip users done, rescan users that failed")
    add_auth_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Only the command line's own switches stay here; everything else becomes typed options.
    cli_only = {"list_profiles"}
    try:
        options = scan_options(**{k: v for k, v in vars(args).items() if k not in cli_only})
    except InputError as exc:
        parser.error(str(exc))  # exit code 2, like any bad argument
    setup_logging(options.debug, options.quiet, log_file=args.log_file)
    if args.list_profiles:
        return print_profiles()
    outcome = execute_workspaces(options) if options.workspaces else execute(options)
    report(outcome)
    return outcome.exit_code


def report(outcome: ScanOutcome) -> None:
    """The end of a run on the terminal: what an interrupted run kept, the one-user report, or the summary
    tables (on stderr when the inventory went to stdout), then the closing log line."""
    if outcome.note:
        print(outcome.note, file=sys.stderr)
        return
    options = outcome.options
    assert options is not None, "a finished run's outcome carries its options"
    stream = sys.stderr if outcome.output == "-" else sys.stdout
    if options.single:
        print(user_report(outcome.results[0], options.size_estimate), file=stream)
        if options.locations != ("home",) or len(options.file_systems) < 2:  # not the usual two homes: say so
            print(f"  {outcome.where}", file=stream)
        if outcome.top_files:
            print(plain_tables(summary_tables([], outcome.top_files)[-1:]), file=stream)
    elif not options.quiet:
        tables = summary_tables(outcome.results, outcome.top_files)
        if outcome.previous:
            tables.append(changes_table(compare(outcome.records, outcome.previous.records), options.compare or ""))
        print_summary(tables, sys.stderr, f"Inventory of {outcome.host}, {now_iso()}\n{outcome.where}")
    log.info("%s", run_summary(outcome.results, outcome.output, outcome.host))


def entry() -> None:
    """Console script (pyproject.toml [project.scripts]): the same as running the script from a checkout."""
    from .common import run

    sys.exit(run(main))
