"""A run over several workspaces (--profiles, --workspaces, --account): each workspace scanned by its own
client, with its own pacers and rate budget, several at once; one checkpoint and one inventory for the run,
with a `workspace` column.

A workspace that cannot be scanned (an unreachable host, refused credentials, a principal that is not its
admin) is one row with that workspace, an empty username, status `error` and the reason: the others are
exact, and the exit code says 3. A resume skips the workspaces finished before and the users done in the
others, and refuses another set of workspaces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator

from .. import __version__
from ..api.account import Account
from ..api.client import build_client, connect
from ..api.config import resolve_config
from ..api.rest import RestClient
from ..api.unity import VolumeListing, list_volumes
from ..core.errors import ExitCode, InventoryError, OutputError
from ..core.locations import HOME_DBFS, HOME_WORKSPACE
from ..core.model import NO_SUCH_NAME, ScanTarget, UserResult
from ..outputs.columns import record
from ..outputs.statistics import people
from ..outputs.text import plural
from ..outputs.writers import render_people, write_text
from ..people.identities import fetch_identities, find_targets
from ..people.resolve import all_homes
from ..people.users_file import InputUser
from ..people.volume_owners import Owners
from ..state.checkpoint import Header
from .options import ScanOptions
from .run import (
    ClaimedCheckpoint,
    ScanOutcome,
    before_requests,
    exit_code,
    now_iso,
    plan_run,
    publish_files,
    raise_interrupt,
    where,
    without_disabled_dbfs,
)
from .spark.shared import SharedSpark
from .spark.tables import write_tables
from .walker import Walker
from .workspace_list import Workspace, choose_workspaces

log = logging.getLogger("dbx_inventory")


def execute_workspaces(options: ScanOptions) -> ScanOutcome:
    choice = options.workspaces
    assert choice is not None
    plan = plan_run(options)
    inputs, remote_output, _, _ = before_requests(options, plan)
    probe = int(max(1, min(5, options.retry_deadline)))
    account = Account(choice.account_profile, probe) if (choice.account or choice.account_profile) else None
    workspaces = choose_workspaces(choice, options.auth, account)
    if not workspaces:
        raise InventoryError("the account has no running workspace to scan")
    labels = tuple(w.label for w in workspaces)
    log.info("scanning %d workspaces, %d at a time: %s", len(workspaces), choice.parallel, ", ".join(labels))
    with contextlib.ExitStack() as stack:
        checkpoint = stack.enter_context(contextlib.closing(ClaimedCheckpoint(options)))
        checkpoint.claim()
        identity = Header("", options.result_options(), None if options.all_homes or not inputs else
                          tuple(u.name for u in inputs), {}, labels)
        done = checkpoint.open(identity, {})
        account_users = _account_people(account, options) if account else None
        spark = stack.enter_context(contextlib.closing(_shared_spark(options))) if options.spark else None
        scan = _Workspaces(options, inputs, checkpoint, done, spark)
        with checkpoint.kept_on_failure():
            rows, interrupted = scan.all(workspaces, choice.parallel)
        if interrupted:
            saved = f" and saved in {options.checkpoint}" if checkpoint.file else ""
            return ScanOutcome([], ExitCode.INTERRUPTED, note=f"interrupted: {scan.finished} of {len(workspaces)} "
                               f"workspaces done{saved}; run the same command with --resume to continue")
        rows = _owners_across(rows, account_users, scan.active)
        rows = _names_across(rows, inputs, len(workspaces))
        header: dict[str, object] = {"tool_version": __version__, "host": None, "workspaces": [_described(w) for w in workspaces],
                  "options": options.result_options(), "generated_at": now_iso(),
                  "places": {"scanned": [loc.describe() for loc in options.walk_options().locations]}}
        if spark is not None and spark.owner is not None:
            with checkpoint.kept_on_failure():
                write_tables(spark.owner, options.output_table, options.history_table, rows, now_iso())
        if scan.unreadable:
            header["volumes_not_listed"] = scan.unreadable
        records = publish_files(options, plan, remote_output, None, rows, None, header)
        if choice.by_person:
            write_text(choice.by_person, render_people(people([record(r) for r in rows])))
        checkpoint.finish()
    return ScanOutcome(rows, exit_code(rows, scan.unreadable), [], options, plural(len(workspaces), "workspace"),
                       plan.output, where(options, options.left_out(), scan.unreadable), records)


# The owners whose home elsewhere is `unassigned`, not `removed`: an active user, or a service principal, of a
# workspace of the run.
STILL_THERE = ("active", "service_principal")


class _Workspaces:
    """The workspaces of one run, scanned several at once; each one's rows, or its error row."""

    def __init__(self, options: ScanOptions, inputs: list[InputUser], checkpoint: ClaimedCheckpoint,
                 done: dict[str, UserResult], spark: SharedSpark | None) -> None:
        self.options = options
        self.inputs = inputs
        self.checkpoint = checkpoint
        self.done = done
        saved = checkpoint.file
        # An earlier part of the run: the workspaces it finished (with what it learned there), the users it
        # recorded as failed (scanned again: a workspace with any is not finished), the metastores it counted.
        self.previously_finished = saved.finished_workspaces if saved else {}
        self.failed = saved.failed if saved else set()
        self.metastores: dict[str, str] = dict(saved.metastores) if saved else {}
        self.spark = spark
        self.finished = 0
        self.active: set[str] = set()  # case-folded names of the identities still there in a workspace scanned
        self.unreadable: dict[str, str] = {}  # "workspace: catalog" -> why its volumes could not be listed
        self.claimed: set[str] = set(self.metastores)  # the metastores whose claim is in the checkpoint
        self.shared: dict[str, str] = {}  # workspace -> the workspace its metastore's volumes are counted under
        self._lock = threading.Lock()
        self._walkers: list[Walker] = []
        self._stopped = threading.Event()

    def all(self, workspaces: list[Workspace], parallel: int) -> tuple[list[UserResult], bool]:
        """Every workspace's rows, `parallel` workspaces at a time; (rows, interrupted). Ctrl-C or SIGTERM
        stops every walk at once. The threads are daemons: a workspace still answering nothing does not hold the
        process after the run has ended."""
        rows: dict[str, list[UserResult]] = {}
        answers: queue.Queue[tuple[Workspace, list[UserResult] | BaseException]] = queue.Queue()
        slots = threading.Semaphore(parallel)

        def scan(w: Workspace) -> None:
            with slots:
                try:
                    answers.put((w, self.one(w)))
                except BaseException as exc:  # the main thread decides what it means
                    answers.put((w, exc))

        previous = signal.signal(signal.SIGTERM, raise_interrupt)
        try:
            for w in workspaces:
                threading.Thread(target=scan, args=(w,), name=f"workspace-{w.label}", daemon=True).start()
            while len(rows) < len(workspaces):
                try:
                    w, answer = answers.get(timeout=0.2)
                except queue.Empty:
                    continue
                rows[w.label] = self._rows(w, answer)
                self.finished += 1
        except KeyboardInterrupt:
            return [], True
        finally:
            self.stop()
            signal.signal(signal.SIGTERM, previous)
        return [r for w in workspaces for r in rows[w.label]], False

    @staticmethod
    def _rows(w: Workspace, answer: list[UserResult] | BaseException) -> list[UserResult]:
        if isinstance(answer, list):
            return answer
        if isinstance(answer, (OutputError, KeyboardInterrupt)) or not isinstance(answer, InventoryError):
            raise answer  # the checkpoint or an output cannot be written, an interrupt, or a bug: the run stops
        log.error("workspace %s: %s", w.label, answer)
        return [UserResult("", (), error=str(answer), workspace=w.label)]

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            for walker in self._walkers:
                walker.stop()

    def one(self, w: Workspace) -> list[UserResult]:
        """The rows of one workspace: its users done by an earlier part of the run, and the rest scanned now."""
        before = {r.username: r for r in self.done.values() if r.workspace == w.label}
        notes = self.previously_finished.get(w.label)
        if notes is not None and not any(key.startswith(f"{w.label}\t") for key in self.failed):
            log.info("workspace %s: finished before this resume (%d users)", w.label, len(before))
            self._learned(w.label, list(before.values()), notes.get("volumes_not_listed") or {})
            return list(before.values())
        if self._stopped.is_set():
            raise KeyboardInterrupt
        with contextlib.closing(self._client(w)) as client:
            client.access.check()
            client.access.check_admin()
            options, not_scanned = without_disabled_dbfs(client, self.options)
            targets, unreadable = self._targets(client, options, not_scanned, w.label)
            results = dict(before)
            with self._executor(client, options) as scan:
                for result in scan([t for t in targets if t.name not in before]):
                    result = dataclasses.replace(result, workspace=w.label)
                    self.checkpoint.record(result)
                    results[result.username] = result
            if self._stopped.is_set():
                raise KeyboardInterrupt
            self.checkpoint.workspace_done(w.label, {"volumes_not_listed": unreadable} if unreadable else {})
        log.info("workspace %s: %d users scanned", w.label, len(results))
        names = [t.name for t in targets]
        return [results[n] for n in names] + [r for n, r in results.items() if n not in set(names)]

    @contextlib.contextmanager
    def _executor(self, client: RestClient, options: ScanOptions) -> Iterator[Callable[[list[ScanTarget]], Iterable[UserResult]]]:
        """What scans one workspace's users: Spark jobs of its own on the shared session, or a walker here."""
        if self.spark is not None:
            scanner = self.spark.scanner(client, options)
            try:
                yield lambda todo: scanner.scan(todo) if todo else ()
            finally:
                self.spark.done_with(scanner)
            return
        walker = Walker(client, options.walk_options())
        with self._lock:
            self._walkers.append(walker)
        yield walker.scan

    def _client(self, w: Workspace) -> RestClient:
        o = self.options
        if w.config is not None:
            return build_client(w.config, o.walk_options().workers, o.max_rps, o.retry_deadline)
        assert w.auth is not None
        probe = int(max(1, min(5, o.retry_deadline)))
        config = resolve_config(dataclasses.replace(w.auth, probe_seconds=probe))
        return build_client(config, o.walk_options().workers, o.max_rps, o.retry_deadline)

    def _learned(self, label: str, rows: list[UserResult], unreadable: dict[str, str]) -> None:
        """What the rest of the run needs from a workspace beside its rows: who is active there (a removed
        home elsewhere is then `unassigned`), and the catalogs whose volumes it could not list."""
        with self._lock:
            self.active.update(r.username.casefold() for r in rows if r.owner_status in STILL_THERE)
            self.unreadable.update({f"{label}: {name}": why for name, why in unreadable.items()})

    def _targets(self, client: RestClient, options: ScanOptions, not_scanned: dict[str, str],
                 label: str) -> tuple[list[ScanTarget], dict[str, str]]:
        """The names given, resolved in this workspace; else every identity (and with --all-homes, every home);
        with --locations volumes, each with the volumes it owns (and with --all-homes, the owners no target
        stands for, groups first)."""
        homes = tuple(h for h in (HOME_WORKSPACE, HOME_DBFS) if h.fs not in not_scanned)
        places = options.walk_options().locations
        if self.inputs:
            targets = find_targets(client, places, self.inputs, False, bool(options.users_file), homes)
        elif options.all_homes:
            targets = find_targets(client, places, [], True, False, homes)
        else:
            directory = fetch_identities(client, required=True)
            targets = all_homes(directory, {})
        unreadable: dict[str, str] = {}
        if "volumes" in options.locations:
            listing = list_volumes(client)
            if listing.metastore and self._counted_elsewhere(listing.metastore, label):
                listing = VolumeListing()
            owners = Owners(listing.volumes)
            targets = owners.assign(targets) + (owners.others(client, targets) if options.all_homes else [])
            unreadable = listing.unreadable
        self._learned(label, [], unreadable)
        with self._lock:
            self.active.update(t.name.casefold() for t in targets if t.owner_status in STILL_THERE)
        return targets, unreadable

    def _counted_elsewhere(self, metastore: str, label: str) -> bool:
        """The workspaces of a region share one Unity Catalog metastore, and each lists the same volumes: they
        are counted once, under the first workspace to list them (kept so by the checkpoint)."""
        with self._lock:
            first = self.metastores.setdefault(metastore, label)
            claimed = first == label and metastore not in self.claimed
            self.claimed.add(metastore)
        if claimed:
            self.checkpoint.metastore(metastore, label)
        if first != label:
            log.info("workspace %s shares Unity Catalog metastore %s with %s: its volumes are counted there, once",
                     label, metastore, first)
            with self._lock:
                self.shared[label] = first
        return first != label


def _shared_spark(options: ScanOptions) -> SharedSpark:
    """The session of Spark mode; Databricks Connect dials the cluster (or serverless compute) of the run's own
    workspace (--profile, or the environment)."""
    assert options.spark is not None
    remote = options.spark.cluster_id or options.spark.serverless
    return SharedSpark(options, connect(options.auth, 1, options.max_rps, options.retry_deadline) if remote else None)


def _account_people(account: Account, options: ScanOptions) -> dict[str, bool]:
    with contextlib.closing(build_client(account.config, 1, options.max_rps, options.retry_deadline)) as client:
        return account.users(client)


def _owners_across(rows: list[UserResult], people: dict[str, bool] | None, active: set[str]) -> list[UserResult]:
    """A home no identity of its workspace owns is `unassigned` when its owner is still an active user of the
    account (from the account's users, or active in another workspace scanned): not a departed user's.
    It stays `removed` when the owner is gone from the account or deactivated there."""
    def split(r: UserResult) -> UserResult:
        if r.owner_status != "removed":
            return r
        key = (r.home or r.username).casefold()
        still = people.get(key, False) if people is not None else key in active
        return dataclasses.replace(r, owner_status="unassigned") if still else r

    return [split(r) for r in rows]


def _names_across(rows: list[UserResult], inputs: list[InputUser], workspaces: int) -> list[UserResult]:
    """Names given: a workspace where a name is nobody's is no row of it, as long as some workspace knows the
    name; a name no workspace knows is one error row."""
    if not inputs:
        return rows
    known = {r.username for r in rows if not (r.error or "").startswith(NO_SUCH_NAME)}
    out, said = [], set()
    for r in rows:
        if (r.error or "").startswith(NO_SUCH_NAME) and r.username not in known:
            if r.username not in said:
                said.add(r.username)
                out.append(UserResult(r.username, (), error=f"{NO_SUCH_NAME} {r.username!r} in any of the "
                                      f"{workspaces} workspaces"))
        elif not (r.error or "").startswith(NO_SUCH_NAME):
            out.append(r)
    return out


def _described(w: Workspace) -> dict[str, str]:
    return {"workspace": w.label, **({"name": w.name} if w.name else {}), **({"id": w.id} if w.id else {})}
