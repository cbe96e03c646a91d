"""The scan pipeline behind databricks_user_files_simple.py and the notebook entry point: users in, inventory
out, with checkpoints, outputs and the choice of executor (the local walker or Spark tasks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType

from .. import __version__
from ..api.client import connect
from ..api.errors import ConfigError, ExitCode, InputError, InventoryError
from ..api.rest import RestClient
from ..core.locations import HOME_DBFS, HOME_WORKSPACE, Location, nothing_left, places_line, places_not_scanned
from ..core.summary import Entry, ScanTarget, UserResult
from ..outputs.changes import Basis, compare, differences
from ..outputs.columns import record
from ..outputs.files_output import FilesOutput
from ..outputs.html_report import render_html
from ..outputs.inventory_file import read_inventory
from ..outputs.progress import Progress
from ..outputs.text import (
    changes_table,
    human_bytes,
    plain_tables,
    print_summary,
    run_summary,
    summary_tables,
    user_report,
)
from ..outputs.top_files import BigFile, TopFiles
from ..outputs.volumes import check_volume_directory, is_remote_volume, upload
from ..outputs.writers import OutputFormat, check_writable, render_inventory, write_inventory, write_text
from ..state.checkpoint import Header
from ..state.resume import RunCheckpoint
from .head_start import HeadStart
from .identities import find_targets
from .listers import dbfs_disabled
from .options import ScanOptions
from .spark import SparkScanner, SparkStart
from .users_input import collect_users
from .walker import Observer, Walker

log = logging.getLogger("dbx_inventory")


@dataclass
class ScanOutcome:
    results: list[UserResult]  # input order; empty when interrupted
    exit_code: ExitCode
    top_files: list[BigFile] = field(default_factory=list)


def execute(options: ScanOptions) -> ScanOutcome:
    """The whole run after argument parsing: the command line and the notebook entry point share it."""
    inputs = [] if options.all_homes else collect_users(options.users, options.users_file, options.users_column)
    if not options.all_homes and not inputs:
        if options.users_file:
            source = "standard input" if options.users_file == "-" else f"the users file {options.users_file}"
            raise InputError(f"no users to scan: {source} holds no user names (blank lines and # comments are skipped)")
        raise InputError("no users to scan: give user names as arguments, --users-file FILE, or --all-homes")
    single = options.single
    output = options.output_path(single)
    remote_output = is_remote_volume(output)
    _warn_if_misnamed(output, options.format)
    if output and not remote_output:
        check_writable(output)
    if is_remote_volume(options.files_output):
        raise InputError("--files-output to a Volume works on a cluster (where Volumes are mounted): write it locally here")
    files_out = FilesOutput(options.files_output, options.size_estimate) if options.files_output else None
    for extra in (options.files_output, options.html):
        if extra:
            check_writable(extra)
    previous = read_inventory(options.compare) if options.compare else None  # a bad file fails before scanning

    client = connect(options.auth, options.walk_options().workers, options.max_rps, options.retry_deadline,
                     check=False)
    session = RunCheckpoint(options.checkpoint, options.resume) if options.uses_checkpoint else None
    top = TopFiles(options.top) if options.top else None
    observers = [o.observe for o in (files_out, top) if o is not None]
    not_scanned: dict[str, str] = {}
    spark_start: SparkStart | None = None
    try:
        if session:
            session.claim()  # before any request: an unfinished run's checkpoint is never overwritten
        client.access.check()
        options = _without_disabled_dbfs(client, options, not_scanned)
        if previous and options.compare:
            _warn_unlike(Basis.of("this scan", [], {"host": client.host, "options": options.result_options()}),
                         Basis.of(options.compare, previous.records, previous.header))
        spark_start = SparkStart(client, options) if options.spark else None
        homes = tuple(h for h in (HOME_WORKSPACE, HOME_DBFS) if h.fs not in not_scanned)  # DBFS disabled: 403
        targets = find_targets(client, options.walk_options().locations, inputs, options.all_homes,
                               bool(options.users_file), homes)
        names = [t.name for t in targets]
        streams = {"files_output": options.files_output} if options.files_output else {}
        identity = Header(client.host, options.result_options(), None if options.all_homes else tuple(names), streams)
        why = {"file_systems": not_scanned["dbfs"]} if "dbfs" in not_scanned else {}
        done = session.open(identity, why) if session else {}
        if done and top:
            log.warning("--top covers the users scanned since this resume: the largest files of the %d users done "
                        "before it are not known", len(done))
        # Every home of a run that found its users itself, also those found by an earlier part of it.
        names += [n for n in done if n not in set(names)] if options.all_homes else []
        if output and remote_output:
            check_volume_directory(client, output)
        if files_out:
            files_out.open(set(done) if session and options.resume else None)
        try:
            results, interrupted = scan_users(client, options, targets, done, session, observers,
                                              files_out.sync if files_out else None, spark_start)
        except InventoryError as exc:
            if session is None or not session.holds_results:
                raise
            # Stopped mid-scan (credentials gone, host lost, a full disk): say what is kept and how to go on.
            raise type(exc)(f"{exc}; the users done so far are saved in {options.checkpoint}: once that is "
                            "fixed, run the same command with --resume to finish") from None
        if files_out:
            files_out.close(complete=not interrupted)
            files_out = None
        if interrupted:
            where = f" and saved in {options.checkpoint}" if session else ""
            part = f" (the file list so far is in {options.files_output}.part)" if options.files_output else ""
            print(f"interrupted: {len(results)} of {len(names)} users done{where}{part}; run the same command "
                  "with --resume to continue", file=sys.stderr)
            return ScanOutcome([], ExitCode.INTERRUPTED)
        ordered = [results[n] for n in names]  # input order, whatever order users finished in
        records = [record(r) for r in ordered] if options.html or previous else []
        header: dict[str, object] = {"tool_version": __version__, "host": client.host,
                                     "options": options.result_options(), "generated_at": now_iso()}
        if not_scanned:
            header["not_scanned"] = not_scanned
        why_not = {**options.left_out(), **not_scanned}
        header["places"] = {"scanned": [loc.describe() for loc in options.walk_options().locations],
                            "not_scanned": places_not_scanned(options.locations, options.file_systems, why_not)}
        if output and remote_output:
            upload(client, output, render_inventory(ordered, options.format, header).encode("utf-8"))
        elif output:
            try:
                write_inventory(output, ordered, options.format, header)
            except BrokenPipeError:  # `-o - | head`: the reader had enough, and the run itself is complete
                if session:
                    session.finish()
                    session = None
                raise
        if options.html:
            write_text(options.html, render_html(records, header,
                                                 previous.records if previous else None,
                                                 os.path.basename(options.compare or "")))
        if session:
            session.finish()
            session = None
    finally:
        if spark_start:
            spark_start.close()
        if files_out:
            files_out.close(complete=False)
        if session:
            session.abandon()
        client.close()
    host = client.host
    largest = top.largest() if top else []
    report_stream = sys.stderr if output == "-" else sys.stdout
    where = places_line(options.locations, options.file_systems, why_not)
    if single:
        print(user_report(ordered[0], options.size_estimate), file=report_stream)
        if options.locations != ("home",) or len(options.file_systems) < 2:  # not the usual two homes: say so
            print(f"  {where}", file=report_stream)
        if largest:
            print(plain_tables(summary_tables([], largest)[-1:]), file=report_stream)
    elif not options.quiet:
        tables = summary_tables(ordered, largest)
        if previous:
            tables.append(changes_table(compare(records, previous.records), options.compare or ""))
        print_summary(tables, sys.stderr, f"Inventory of {host}, {now_iso()}\n{where}")
    log.info("%s", run_summary(ordered, output, host))
    code = ExitCode.PARTIAL if any(r.status == "error" for r in ordered) else ExitCode.OK
    return ScanOutcome(ordered, code, largest)


def _warn_unlike(new: Basis, old: Basis) -> None:
    """Before the scan: what makes the comparison with an older inventory less than like for like."""
    for difference in differences(new, old):
        log.warning("warning: %s", difference)


def _without_disabled_dbfs(client: RestClient, options: ScanOptions, not_scanned: dict[str, str]) -> ScanOptions:
    """A workspace whose DBFS root is disabled is scanned as with --workspace-only, said once; the DBFS
    columns stay blank, never 0: the files may still exist in the root storage, they just cannot be read."""
    if "dbfs" not in options.file_systems:
        return options
    reason = dbfs_disabled(client)
    if reason is None:
        return options
    if options.file_systems == ("dbfs",):
        raise ConfigError(f"DBFS is disabled on this workspace ({reason}): there is nothing to scan with --dbfs-only")
    remaining = tuple(f for f in options.file_systems if f != "dbfs")
    empty = nothing_left(options.locations, remaining)
    if empty:
        raise ConfigError(f"DBFS is disabled on this workspace ({reason}), and {empty}: there is nothing to scan")
    log.warning("DBFS is disabled on this workspace (%s): scanning the Workspace only", reason)
    not_scanned["dbfs"] = f"DBFS is disabled on this workspace ({reason})"
    return dataclasses.replace(options, file_systems=remaining)


# What an inventory's file name says it holds, by extension.
_FORMAT_OF_EXTENSION = {".csv": OutputFormat.CSV, ".json": OutputFormat.JSON, ".jsonl": OutputFormat.JSONL,
                        ".ndjson": OutputFormat.JSONL}


def _warn_if_misnamed(output: str | None, fmt: OutputFormat) -> None:
    """JSON in a file named .csv is written as asked, with a word: the next reader goes by the name."""
    named = _FORMAT_OF_EXTENSION.get(os.path.splitext(output or "")[1].lower())
    if named is not None and named != fmt:
        log.warning("--format %s writes %s into %s, whose name says %s", fmt.value, fmt.value.upper(), output,
                    named.value.upper())


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_users(client: RestClient, options: ScanOptions, targets: list[ScanTarget], done: dict[str, UserResult],
               session: RunCheckpoint | None, observers: Sequence[Observer] = (),
               sync: Callable[[], None] | None = None,
               spark_start: SparkStart | None = None) -> tuple[dict[str, UserResult], bool]:
    """Scan the targets not already done; record each result as soon as it is complete (after `sync` has
    put everything the observers were given on disk, so a recorded user's files are never lost)."""
    results = dict(done)
    todo = [t for t in targets if t.name not in results]
    if done:
        log.info("resuming: %d of %d users already done, %d to scan", len(targets) - len(todo), len(targets), len(todo))
    progress = Progress(len(targets), len(targets) - len(todo), client, enabled=options.progress)
    watchers = [progress.observe, *observers]

    def observe(target: ScanTarget, location: Location, entries: Sequence[Entry]) -> None:
        for watch in watchers:
            watch(target, location, entries)

    walker = Walker(client, options.walk_options(), observer=observe)
    spark = None
    head_start = None
    if spark_start and todo and options.spark and not (options.fallback_local or options.spark.automatic):
        head_start = HeadStart(walker, spark_start, client)
    elif spark_start and todo:  # Spark may turn out unusable, and the scan then runs here: wait for the verdict
        spark = spark_start.result()
    if head_start:
        source: Iterator[UserResult] = head_start.scan(todo)
    else:
        source = spark.scan(todo) if spark else walker.scan(todo)
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with progress:
            for result in source:
                if sync:
                    sync()
                if session:
                    session.record(result)
                results[result.username] = result
                progress.user_done()
                _log_user(result, len(results), len(targets))
    except KeyboardInterrupt:
        walker.stop()
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    if options.debug:
        for state in client.pacer_states():
            log.debug("pacer %s", state)
    if head_start:
        spark = head_start.scanner  # None if interrupted before Spark opened: execute() closes it once it has
    if spark:
        scanned = {t.name for t in targets}
        # An interrupted run has no result for some targets, and writes no tables.
        every = None if interrupted else [results[t.name] for t in targets] + [
            r for n, r in results.items() if n not in scanned]
        _finish_spark(spark, options, every)
    return results, interrupted


def _finish_spark(spark: SparkScanner, options: ScanOptions, ordered: list[UserResult] | None) -> None:
    """Tables are written only for a complete run (`ordered`), never for an interrupted one."""
    if options.debug:
        log.debug("Spark executors: %s", ", ".join(f"{h} ({n} users)" for h, n in spark.workers_seen.items()))
        log.debug("package importable on the executors without shipping: %s", spark.importable_on_workers)
    if ordered is not None:
        if options.output_table:
            spark.save_table(options.output_table, ordered)
            log.info("Saved the inventory as table %s", options.output_table)
        if options.history_table:
            spark.append_history(options.history_table, ordered, now_iso())
            log.info("Appended this run to table %s", options.history_table)
    spark.stop()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (kill, systemd, a cluster's shutdown) ends the run like Ctrl-C: nothing half-written.
    raise KeyboardInterrupt


def _log_user(result: UserResult, done: int, total: int) -> None:
    if result.status == "error":
        log.error("[%d/%d] %s: error: %s", done, total, result.username, "; ".join(result.errors))
    else:
        t = result.total
        log.debug("[%d/%d] %s: %s, %d files, %s (%s) in %.1fs", done, total, result.username, result.status,
                  t.files, human_bytes(t.bytes), result.file_source, result.seconds)
