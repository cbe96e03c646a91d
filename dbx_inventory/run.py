"""The scan pipeline behind databricks_user_files_simple.py and the notebook entry point: users in, inventory
out, with checkpoints, outputs and the choice of executor (the local walker or Spark tasks)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
from dataclasses import dataclass, field

from . import __version__
from .auth_static import MaskedToken
from .checkpoint import RunIdentity
from .cli_common import EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, connect
from .errors import InputError, InventoryError
from .files_output import FilesOutput
from .progress import Progress
from .report import human_bytes, plain_tables, print_summary, run_summary, summary_tables, user_report
from .resume import RunCheckpoint
from .spark_mode import SparkScanner, SparkTarget, TaskOptions
from .summary import UserResult
from .top_files import BigFile, TopFiles
from .users_input import collect_users
from .volumes import check_volume_directory, is_remote_volume, upload
from .walker import Walker, WalkOptions
from .writers import check_writable, inventory_row, render_inventory, write_inventory

log = logging.getLogger("dbx_inventory")

DEFAULT_OUTPUT = "inventory.csv"
NO_OUTPUT = "none"  # the notebook entry point returns rows instead of writing a file
DEFAULT_CHECKPOINT = ".checkpoint_progress.json"  # the original's name


def spark_target(args: argparse.Namespace) -> SparkTarget | None:
    if args.no_parallel:
        return None  # --no-parallel forces the one-request-at-a-time local scan
    if args.spark_remote or args.spark_master or args.cluster_id or args.serverless or args.spark_active:
        return SparkTarget(args.spark_remote, args.spark_master, None if args.serverless else args.cluster_id,
                           args.serverless, args.spark_active, bool(args.output_table or args.history_table))
    if on_databricks_cluster() and not (args.files_output or args.top):
        return SparkTarget(active=True)  # on a cluster, its own session is the natural executor
    return None


def on_databricks_cluster() -> bool:
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION"))


@dataclass
class ScanOutcome:
    results: list[UserResult]  # input order; empty when interrupted
    exit_code: int
    top_files: list[BigFile] = field(default_factory=list)


def execute(args: argparse.Namespace) -> ScanOutcome:
    """The whole run after argument parsing: the CLI and the notebook entry point share it."""
    users = collect_users(args.users, args.users_file)
    if not users:
        raise InputError("no users to scan: give user names as arguments or --users-file FILE")
    single = len(users) == 1 and not args.users_file
    output = args.output if (args.output or single) else DEFAULT_OUTPUT
    if output == NO_OUTPUT:
        output = None
    remote_output = is_remote_volume(output)
    if output and not remote_output:
        check_writable(output)
    if is_remote_volume(args.files_output):
        raise InputError("--files-output to a Volume works on a cluster (where Volumes are mounted): write it locally here")
    files_out = FilesOutput(args.files_output, args.size_estimate) if args.files_output else None
    if files_out:
        check_writable(args.files_output)

    systems = ("dbfs",) if args.dbfs_only else ("workspace",) if args.workspace_only else ("dbfs", "workspace")
    workers = 1 if args.no_parallel else args.workers
    client = connect(args, workers, args.max_rps, check=False)
    options = result_options(systems, args.size_estimate, args.exact_notebook_sizes)
    # A quick look at one user leaves no checkpoint behind unless asked for.
    use_checkpoint = not single or args.resume or args.checkpoint != DEFAULT_CHECKPOINT
    session = RunCheckpoint(args.checkpoint, RunIdentity(client.host, options), args.resume) if use_checkpoint else None
    top = TopFiles(args.top) if args.top else None
    observers = [o.observe for o in (files_out, top) if o is not None]
    try:
        done = session.open(users) if session else {}
        client.check_access()
        if remote_output:
            check_volume_directory(client, output)
        if files_out:
            files_out.open()
        results, interrupted = scan_users(client, args, systems, workers, users, done, session, observers)
        if files_out:
            files_out.close(complete=not interrupted)
            files_out = None
        if interrupted:
            where = f" and saved in {args.checkpoint}" if session else ""
            print(f"interrupted: {len(results)} of {len(users)} users done{where}; run the same command with "
                  "--resume to continue", file=sys.stderr)
            return ScanOutcome([], EXIT_INTERRUPTED)
        ordered = [results[u.casefold()] for u in users]  # input order (defect 11)
        if output:
            header: dict[str, object] = {"tool_version": __version__, "host": client.host, "options": options,
                      "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            if remote_output:
                upload(client, output, render_inventory(ordered, args.format, header).encode("utf-8"))
            else:
                write_inventory(output, ordered, args.format, header)
        if session:
            session.finish()
            session = None
    finally:
        if files_out:
            files_out.close(complete=False)
        if session:
            session.abandon()
        client.close()
    largest = top.largest() if top else []
    report_stream = sys.stderr if output == "-" else sys.stdout
    if single:
        print(user_report(ordered[0], args.size_estimate), file=report_stream)
        if largest:
            print(plain_tables(summary_tables([], largest)[-1:]), file=report_stream)
    elif not args.quiet:
        print_summary(summary_tables(ordered, largest), sys.stderr)
    log.info("%s", run_summary(ordered, output))
    code = EXIT_PARTIAL if any(r.status == "error" for r in ordered) else EXIT_OK
    return ScanOutcome(ordered, code, largest)


def result_options(systems: tuple[str, ...], size_estimate: int, exact_notebook_sizes: bool = False) -> dict[str, object]:
    """The options that change a user's numbers: a checkpoint made with others cannot be merged."""
    return {"file_systems": list(systems), "size_estimate": size_estimate, "exact_notebook_sizes": exact_notebook_sizes}


def scan_users(client, args, systems, workers, users, done, session, observers=()) -> tuple[dict[str, UserResult], bool]:
    """Scan the users not already done; record each result as soon as it is complete."""
    results = dict(done)
    todo = [u for u in users if u.casefold() not in results]
    if done:
        log.info("resuming: %d of %d users already done, %d to scan", len(users) - len(todo), len(users), len(todo))
    progress = Progress(len(todo), client, enabled=not (args.no_progress or args.quiet))
    watchers = [progress.observe, *observers]

    def observe(username: str, fs: str, entries) -> None:
        for watch in watchers:
            watch(username, fs, entries)

    walker = Walker(client, WalkOptions(systems, workers, args.no_parallel, args.size_estimate,
                                        exact_notebook_sizes=args.exact_notebook_sizes),
                    observer=observe)
    spark = start_spark(client, args, systems, workers) if todo else None
    source = spark.scan(todo) if spark else walker.scan(todo)
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with progress:
            for result in source:
                if session:
                    session.record(result)
                results[result.username.casefold()] = result
                progress.user_done()
                _log_user(result, len(results), len(users))
    except KeyboardInterrupt:
        walker.stop()
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.debug:
        for pacer in client.pacers.values():
            log.debug("pacer %s", pacer.state())
        if spark:
            log.debug("Spark executors: %s", ", ".join(f"{h} ({n} users)" for h, n in spark.workers_seen.items()))
            log.debug("package importable on the executors without shipping: %s", spark.importable_on_workers)
    if spark and (args.output_table or args.history_table) and not interrupted:
        rows = [inventory_row(results[u.casefold()]) for u in users]
        if args.output_table:
            spark.save_table(args.output_table, rows)
            log.info("Saved the inventory as table %s", args.output_table)
        if args.history_table:
            spark.append_history(args.history_table, rows, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            log.info("Appended this run to table %s", args.history_table)
    if spark:
        spark.stop()
    return results, interrupted


def start_spark(client, args, systems, workers) -> SparkScanner | None:
    target = spark_target(args)
    if target is None:
        return None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local Spark's workers: this interpreter
    header = client.config.authenticate().get("Authorization", "")
    token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
    opts = TaskOptions(client.host, systems, args.size_estimate, workers, args.max_rps, args.retry_deadline,
                       MaskedToken(token), args.exact_notebook_sizes)
    scanner = SparkScanner(target, client.config, opts, args.chunk_size, token)
    try:
        log.info("Scanning on %s", target.describe())
        scanner.start()
    except InventoryError as exc:
        scanner.stop()
        asked = any((args.spark_remote, args.spark_master, args.cluster_id, args.serverless, args.spark_active))
        if args.fallback_local:
            log.warning("Spark mode cannot run (%s); --fallback-local: scanning from this machine", exc)
            return None
        if not asked:  # the automatic choice on a cluster, not the admin's request: scan from the driver
            log.info("no usable Spark session on this cluster (%s): scanning from the driver", exc)
            return None
        raise
    return scanner


def _raise_interrupt(signum: int, frame: object) -> None:
    # SIGTERM (kill, systemd, a cluster's shutdown) ends the run like Ctrl-C: nothing half-written.
    raise KeyboardInterrupt


def _log_user(result: UserResult, done: int, total: int) -> None:
    if result.status == "error":
        log.error("[%d/%d] %s: error: %s", done, total, result.username, "; ".join(result.errors))
    else:
        log.debug(
            "[%d/%d] %s: %s, %d files, %s (%s) in %.1fs",
            done, total, result.username, result.status, result.file_count,
            human_bytes(result.total_size), result.file_source, result.seconds,
        )
