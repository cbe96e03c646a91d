"""The scan pipeline behind databricks_user_files_simple.py and the notebook entry point: users in, inventory
out. `plan_run` decides from the options alone; `execute` runs the plan under one ExitStack that owns every
lifetime (the client, the checkpoint, the files output, Spark, the executor) and returns an outcome that cli/
reports; `publish` writes every output. The executor (scan/executors.py) is chosen once and received as an
object."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from .. import __version__
from ..api.client import connect
from ..api.hosts import workspace_label
from ..api.listers import dbfs_disabled
from ..api.rest import RestClient
from ..core.errors import ConfigError, ExitCode, InputError, InventoryError
from ..core.locations import Location, nothing_left, places_line, places_not_scanned
from ..core.model import Entry, ScanTarget, UserResult
from ..outputs.changes import Basis, differences
from ..outputs.columns import columns_for, record
from ..outputs.files_output import FilesOutput
from ..outputs.html_report import render_html
from ..outputs.inventory_file import Record, SavedInventory, read_inventory
from ..outputs.progress import Progress
from ..outputs.text import human_bytes, largest_volumes
from ..outputs.top_files import BigFile, TopFiles
from ..outputs.volumes import check_volume_directory, is_remote_volume, upload
from ..outputs.writers import OutputFormat, check_writable, render_inventory, write_inventory, write_text
from ..people.users_file import InputUser, collect_users
from ..state.checkpoint import Header
from ..state.resume import RunCheckpoint
from .executors import Executor, choose_executor
from .options import ScanOptions
from .spark.start import SparkStart
from .spark.tables import write_tables
from .targets import find_users
from .walker import Observer

log = logging.getLogger("dbx_inventory")


@dataclass
class ScanOutcome:
    """What a run found, for cli/ to report (the notebook entry point returns the results)."""

    results: list[UserResult]  # input order; empty when interrupted
    exit_code: ExitCode
    top_files: list[BigFile] = field(default_factory=list)
    options: ScanOptions | None = None  # as the run ended up scanning (DBFS left out if disabled)
    host: str = ""
    output: str | None = None  # where the inventory went ("-": stdout)
    where: str = ""  # the places scanned and left out, in words
    records: list[Record] = field(default_factory=list)  # the results as records, with --compare
    previous: SavedInventory | None = None  # the inventory of --compare
    note: str | None = None  # an interrupted run: what is kept, and how to go on


@dataclass(frozen=True)
class RunPlan:
    """What the options alone decide, before any file is read or any request made."""

    single: bool  # one user on the command line: a readable report
    output: str | None  # the inventory: a path, "-" for stdout, or None
    misnamed: str | None  # a warning: the file's name says another format than the one written


def plan_run(options: ScanOptions) -> RunPlan:
    output = options.output_path(options.single)
    named = _FORMAT_OF_EXTENSION.get(os.path.splitext(output or "")[1].lower())
    misnamed = None
    if named is not None and named != options.format:
        # JSON in a file named .csv is written as asked, with a word: the next reader goes by the name.
        misnamed = (f"--format {options.format.value} writes {options.format.value.upper()} into {output}, whose "
                    f"name says {named.value.upper()}")
    return RunPlan(options.single, output, misnamed)


def execute(options: ScanOptions) -> ScanOutcome:
    """The whole run after argument parsing: the command line and the notebook entry point share it."""
    plan = plan_run(options)
    inputs, remote_output, files_out, previous = before_requests(options, plan)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(contextlib.closing(connect(
            options.auth, options.walk_options().workers, options.max_rps, options.retry_deadline, check=False)))
        checkpoint = stack.enter_context(contextlib.closing(ClaimedCheckpoint(options)))
        checkpoint.claim()  # before any request: an unfinished run's checkpoint is never overwritten
        if files_out:
            stack.callback(files_out.close, complete=False)  # does nothing once closed complete
        client.access.check()
        options, not_scanned = without_disabled_dbfs(client, options)
        _warn_unlike(client, options, previous)
        start = stack.enter_context(contextlib.closing(SparkStart(client, options))) if options.spark else None
        top = TopFiles(options.top) if options.top else None
        users = find_users(client, options, inputs, not_scanned, checkpoint.open, top is not None)
        if plan.output and remote_output:
            check_volume_directory(client, plan.output)
        if files_out:
            files_out.open(set(users.done) if checkpoint.file and options.resume else None)
        progress = Progress(users.total, len(users.done), client, enabled=options.progress)
        watchers = [o.observe for o in (progress, files_out, top) if o is not None]
        executor = stack.enter_context(contextlib.closing(
            choose_executor(client, options, start, users.total - len(users.done), _fan_out(watchers))))
        with checkpoint.kept_on_failure():
            results, interrupted = scan_users(executor, users.todo(), users.done, users.total, progress,
                                              _recorder(files_out, checkpoint))
        _log_pacing(client, executor, options.debug)
        if files_out:
            files_out.close(complete=not interrupted)
        if interrupted:
            return ScanOutcome([], ExitCode.INTERRUPTED, note=_interrupted(options, len(results), users.total, checkpoint))
        label = workspace_label(client.host)
        ordered = [dataclasses.replace(results[n], workspace=label) for n in users.names()]  # input order, whatever order users finished in
        why_not = {**options.left_out(), **not_scanned}
        records = publish(client, options, plan, remote_output, executor, checkpoint, ordered, previous,
                          _header(client, options, not_scanned, why_not, users.unreadable))
    return ScanOutcome(ordered, exit_code(ordered, users.unreadable), top.largest() if top else [], options,
                       client.host, plan.output, where(options, why_not, users.unreadable), records, previous)


def exit_code(rows: list[UserResult], unreadable: dict[str, str]) -> ExitCode:
    """3 when a row failed, or a catalog whose volumes could not be listed left its owners' totals short."""
    return ExitCode.PARTIAL if unreadable or any(r.status == "error" for r in rows) else ExitCode.OK


def where(options: ScanOptions, why_not: dict[str, str], unreadable: dict[str, str]) -> str:
    """Where the run looked, where it did not and why, and the catalogs whose volumes it could not list."""
    line = places_line(options.locations, options.file_systems, why_not, options.custom_places)
    if unreadable:
        line += "; volumes not counted in " + ", ".join(f"{c} ({why})" for c, why in unreadable.items())
    return line


def before_requests(options: ScanOptions, plan: RunPlan) -> tuple[list[InputUser], bool, FilesOutput | None,
                                                                     SavedInventory | None]:
    """The users named, and every output checked and input read, before the first request: a bad argument or
    an unwritable path costs nothing."""
    inputs = [] if options.all_homes else collect_users(options.users, options.users_file, options.users_column)
    if not options.all_homes and not inputs and options.workspaces is None:  # several: every user of each
        if options.users_file:
            source = "standard input" if options.users_file == "-" else f"the users file {options.users_file}"
            raise InputError(f"no users to scan: {source} holds no user names (blank lines and # comments are skipped)")
        raise InputError("no users to scan: give user names as arguments, --users-file FILE, or --all-homes")
    remote_output = is_remote_volume(plan.output)
    in_volumes = [p.name for p in options.custom_places if p.fs == "files"]
    if in_volumes and "volumes" in options.locations:
        log.warning("--place %s lies in a Unity Catalog volume, which --locations volumes also counts, under its "
                    "owner: those bytes are in the grand total twice (each column alone is right)", ", ".join(in_volumes))
    if plan.misnamed:
        log.warning("%s", plan.misnamed)
    if plan.output and not remote_output:
        check_writable(plan.output)
    if is_remote_volume(options.files_output):
        raise InputError("--files-output to a Volume works on a cluster (where Volumes are mounted): write it locally here")
    files_out = FilesOutput(options.files_output, options.size_estimate) if options.files_output else None
    for extra in (options.files_output, options.html, options.workspaces and options.workspaces.by_person):
        if extra:
            check_writable(extra)
    previous = read_inventory(options.compare) if options.compare else None  # a bad file fails before scanning
    return inputs, remote_output, files_out, previous


class ClaimedCheckpoint:
    """The run's checkpoint for the length of the run (none for a quick look at one user): claimed before any
    request, removed once the inventory is written, else kept for --resume (`close`)."""

    def __init__(self, options: ScanOptions) -> None:
        self.path = options.checkpoint
        self.file = RunCheckpoint(options.checkpoint, options.resume) if options.uses_checkpoint else None
        self._closed = False

    def claim(self) -> None:
        if self.file:
            self.file.claim()

    def open(self, identity: Header, why: dict[str, str]) -> dict[str, UserResult]:
        return self.file.open(identity, why) if self.file else {}

    def record(self, result: UserResult) -> None:
        if self.file:
            self.file.record(result)

    def workspace_done(self, workspace: str, notes: dict[str, Any] | None = None) -> None:
        if self.file:
            self.file.workspace_done(workspace, notes)

    def metastore(self, metastore: str, workspace: str) -> None:
        if self.file:
            self.file.metastore(metastore, workspace)

    def finish(self) -> None:
        if self.file and not self._closed:
            self._closed = True
            self.file.finish()

    def close(self) -> None:
        if self.file and not self._closed:
            self._closed = True
            self.file.abandon()

    @contextlib.contextmanager
    def kept_on_failure(self) -> Iterator[None]:
        """Stopped after users were saved (credentials gone, host lost, a full disk): say what is kept and how
        to go on."""
        try:
            yield
        except InventoryError as exc:
            if self.file is None or not self.file.holds_results:
                raise
            raise type(exc)(f"{exc}; the users done so far are saved in {self.path}: once that is "
                            "fixed, run the same command with --resume to finish") from None


def _fan_out(watchers: Sequence[Observer]) -> Observer:
    def observe(target: ScanTarget, location: Location, entries: Sequence[Entry]) -> None:
        for watch in watchers:
            watch(target, location, entries)

    return observe


def _recorder(files_out: FilesOutput | None, checkpoint: ClaimedCheckpoint) -> Callable[[UserResult], None]:
    """Record a result in the checkpoint once everything the observers were given is on disk, so that a
    recorded user's files are never lost."""
    def record_result(result: UserResult) -> None:
        if files_out:
            files_out.sync()
        checkpoint.record(result)

    return record_result


def _interrupted(options: ScanOptions, done: int, total: int, checkpoint: ClaimedCheckpoint) -> str:
    where = f" and saved in {options.checkpoint}" if checkpoint.file else ""
    part = f" (the file list so far is in {options.files_output}.part)" if options.files_output else ""
    return f"interrupted: {done} of {total} users done{where}{part}; run the same command with --resume to continue"


def _header(client: RestClient, options: ScanOptions, not_scanned: dict[str, str],
            why_not: dict[str, str], unreadable: dict[str, str]) -> dict[str, object]:
    header: dict[str, object] = {"tool_version": __version__, "host": client.host,
                                 "options": options.result_options(), "generated_at": now_iso()}
    if not_scanned:
        header["not_scanned"] = not_scanned
    header["places"] = {"scanned": [(f"{loc.name}: " if loc.template else "") + loc.describe()
                                    for loc in options.walk_options().locations],
                        "not_scanned": places_not_scanned(options.locations, options.file_systems, why_not)}
    if unreadable:
        header["volumes_not_listed"] = unreadable
    return header


def publish(client: RestClient, options: ScanOptions, plan: RunPlan, remote_output: bool, executor: Executor,
            checkpoint: ClaimedCheckpoint, ordered: list[UserResult], previous: SavedInventory | None,
            header: dict[str, object]) -> list[Record]:
    """Every output of a complete run: the Spark tables (through the session that scanned), the inventory, the
    HTML report; then the checkpoint goes. The records, for --compare."""
    if executor.scanner is not None:
        with checkpoint.kept_on_failure():
            write_tables(executor.scanner, options.output_table, options.history_table, ordered, now_iso())
    try:
        records = publish_files(options, plan, remote_output, client, ordered, previous, header)
    except BrokenPipeError:  # `-o - | head`: the reader had enough, and the run itself is complete
        checkpoint.finish()
        raise
    checkpoint.finish()
    return records


def publish_files(options: ScanOptions, plan: RunPlan, remote_output: bool, client: RestClient | None,
                  ordered: list[UserResult], previous: SavedInventory | None, header: dict[str, object]) -> list[Record]:
    """The inventory (a file, stdout, or a Volume through the client) and the HTML report. The records, for
    --compare and the report."""
    records = [record(r, columns_for(ordered)) for r in ordered] if options.html or previous else []
    if plan.output and remote_output:
        assert client is not None, "an inventory uploaded to a Volume goes through a workspace's client"
        upload(client, plan.output, render_inventory(ordered, options.format, header).encode("utf-8"))
    elif plan.output:
        write_inventory(plan.output, ordered, options.format, header)
    if options.html:
        write_text(options.html, render_html(records, header, previous.records if previous else None,
                                             os.path.basename(options.compare or ""), largest_volumes(ordered)))
    return records


def _warn_unlike(client: RestClient, options: ScanOptions, previous: SavedInventory | None) -> None:
    """Before the scan: what makes the comparison with an older inventory less than like for like."""
    if previous and options.compare:
        new = Basis.of("this scan", [], {"host": client.host, "options": options.result_options()})
        for difference in differences(new, Basis.of(options.compare, previous.records, previous.header)):
            log.warning("warning: %s", difference)


def without_disabled_dbfs(client: RestClient, options: ScanOptions) -> tuple[ScanOptions, dict[str, str]]:
    """A workspace whose DBFS root is disabled is scanned as with --workspace-only, said once; the DBFS
    columns stay blank, never 0: the files may still exist in the root storage, they just cannot be read.
    The options to scan with, and why a file system is not scanned."""
    if "dbfs" not in options.file_systems:
        return options, {}
    reason = dbfs_disabled(client)
    if reason is None:
        return options, {}
    if options.file_systems == ("dbfs",):
        raise ConfigError(f"DBFS is disabled on this workspace ({reason}): there is nothing to scan with --dbfs-only")
    remaining = tuple(f for f in options.file_systems if f != "dbfs")
    empty = nothing_left(options.locations, remaining)
    if empty:
        raise ConfigError(f"DBFS is disabled on this workspace ({reason}), and {empty}: there is nothing to scan")
    log.warning("DBFS is disabled on this workspace (%s): scanning the Workspace only", reason)
    return dataclasses.replace(options, file_systems=remaining), {"dbfs": f"DBFS is disabled on this workspace ({reason})"}


# What an inventory's file name says it holds, by extension.
_FORMAT_OF_EXTENSION = {".csv": OutputFormat.CSV, ".json": OutputFormat.JSON, ".jsonl": OutputFormat.JSONL,
                        ".ndjson": OutputFormat.JSONL}


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_users(executor: Executor, todo: Iterable[ScanTarget], done: dict[str, UserResult], total: int,
               progress: Progress, record_result: Callable[[UserResult], None]) -> tuple[dict[str, UserResult], bool]:
    """Scan the targets not already done, recording each result as soon as it is complete. Ctrl-C or SIGTERM
    stops the executor at once: (every result so far, True)."""
    results = dict(done)
    interrupted = False
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        with progress:
            for result in executor.scan(todo):
                record_result(result)
                results[result.username] = result
                progress.user_done()
                _log_user(result, len(results), total)
    except KeyboardInterrupt:
        executor.close()
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    return results, interrupted


def _log_pacing(client: RestClient, executor: Executor, debug: bool) -> None:
    if debug:
        for state in client.pacer_states():
            log.debug("pacer %s", state)
        if executor.scanner is not None:
            executor.scanner.log_executors()


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (kill, systemd, a cluster's shutdown) ends the run like Ctrl-C: nothing half-written.
    raise KeyboardInterrupt


def _log_user(result: UserResult, done: int, total: int) -> None:
    if result.status == "error":
        log.error("[%d/%d] %s: error: %s", done, total, result.username, "; ".join(result.errors))
    else:
        t = result.total
        log.debug("[%d/%d] %s: %s, %d files, %s (%s) in %.1fs", done, total, result.username, result.status,
                  t.files, human_bytes(t.bytes), result.file_source, result.seconds)
