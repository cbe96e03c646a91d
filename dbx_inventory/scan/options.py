"""The scan's options, typed and frozen: built once by the command line (cli/scan.py) or by the notebook entry
point (cli/notebook.py), both through `scan_options()`, which speaks the command line's vocabulary. Everything
below takes this object (or one derived from it), never an argparse Namespace.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..api.config import AuthOptions
from ..core.errors import InputError
from ..core.locations import (
    EVERY_USER_FOLDER,
    FILE_SYSTEM_WORDS,
    LOCATION_NAMES,
    Location,
    nothing_left,
    parse_place,
    places,
)
from ..core.model import DEFAULT_SIZE_ESTIMATE
from ..core.redact import add_secret
from ..outputs.columns import COLUMN_NAMES
from ..outputs.files_output import files_output_kind
from ..outputs.paths import NamedPath, refuse_collisions
from ..outputs.writers import OutputFormat
from .walker import WalkOptions

DEFAULT_OUTPUT = "inventory.{format}"  # named for its format: JSON never lands in inventory.csv
NO_OUTPUT = "none"  # the notebook entry point returns rows instead of writing a file
DEFAULT_CHECKPOINT = ".checkpoint_progress.json"  # the earlier toolkit's name
DEFAULT_WORKERS = 8  # per API family: 16 in flight stays under the ~20-request concurrency cap
DEFAULT_RETRY_DEADLINE = 120.0


@dataclass(frozen=True)
class SparkTarget:
    """Where Spark mode runs. Exactly one of remote, master, cluster_id, serverless, active is set."""

    remote: str | None = None  # Spark Connect URL, or local[N]
    master: str | None = None  # classic pyspark master
    cluster_id: str | None = None  # Databricks Connect
    serverless: bool = False
    active: bool = False  # the session of the Databricks cluster (or notebook) this runs on
    catalog: bool = False  # tables are written: a Spark started here keeps a persistent local metastore
    automatic: bool = False  # chosen because the run is on a cluster, not asked for by the admin

    @property
    def on_this_machine(self) -> bool:
        """A Spark started here (local[N], classic or Connect): its Python workers run this interpreter."""
        return (self.master or self.remote or "").startswith("local")

    def describe(self) -> str:
        if self.active:
            return "this cluster's Spark session"
        if self.remote:
            return f"Spark Connect {self.remote}"
        if self.master:
            return f"Spark master {self.master}"
        return "serverless compute" if self.serverless else f"cluster {self.cluster_id}"


@dataclass(frozen=True)
class WorkspaceChoice:
    """A run over several workspaces: which (exactly one of profiles, file, account), and how many at once."""

    profiles: tuple[str, ...] = ()  # one workspace per profile of the config file
    file: str | None = None  # a list of workspace URLs (with an optional profile each)
    account: bool = False  # every running workspace of the account
    account_profile: str | None = None  # the account's auth; also tells `unassigned` from `removed`
    parallel: int = 4
    by_person: str | None = None  # also a CSV of each person's totals across the workspaces

    def describe(self) -> str:
        if self.profiles:
            return f"--profiles {','.join(self.profiles)}"
        return f"--workspaces {self.file}" if self.file else "--account"


@dataclass(frozen=True)
class ScanOptions:
    # who
    users: tuple[str, ...] = ()
    users_file: str | None = None
    users_column: str | None = None
    all_homes: bool = False  # every identity and every home, instead of a list of names
    # what is counted
    file_systems: tuple[str, ...] = ("dbfs", "workspace")
    locations: tuple[str, ...] = ("home",)
    custom_places: tuple[Location, ...] = ()  # --place NAME=TEMPLATE
    size_estimate: int = DEFAULT_SIZE_ESTIMATE
    exact_notebook_sizes: bool = False
    # where results go
    output: str | None = None  # None: DEFAULT_OUTPUT, or for a one-user look the report (and JSON on stdout)
    format: OutputFormat = OutputFormat.CSV
    files_output: str | None = None
    top: int = 0
    html: str | None = None  # also the HTML report here
    compare: str | None = None  # an older inventory: the summary shows the largest changes since
    # how fast
    workers: int = DEFAULT_WORKERS
    sequential: bool = False
    max_rps: float | None = None
    retry_deadline: float = DEFAULT_RETRY_DEADLINE
    progress: bool = True
    # Spark mode
    spark: SparkTarget | None = None
    chunk_size: int = 100
    fallback_local: bool = False
    output_table: str | None = None
    history_table: str | None = None
    # state
    checkpoint: str = DEFAULT_CHECKPOINT
    resume: bool = False
    # credentials and logging
    auth: AuthOptions = field(default_factory=AuthOptions)
    workspaces: WorkspaceChoice | None = None  # several workspaces in one run
    debug: bool = False
    quiet: bool = False

    def output_path(self, single: bool) -> str | None:
        """Where the inventory goes: -o, else inventory.<format>; a one-user look prints its report and
        writes nothing, unless a machine format was asked for, which then goes to stdout."""
        if self.output == NO_OUTPUT:
            return None
        if self.output:
            return self.output
        if single:
            return None if self.format == OutputFormat.CSV else "-"
        return DEFAULT_OUTPUT.format(format=self.format.value)

    @property
    def single(self) -> bool:
        """A quick look at one user named on the command line: a readable report instead of a table."""
        return len(self.users) == 1 and not self.users_file and not self.all_homes and self.workspaces is None

    @property
    def uses_checkpoint(self) -> bool:
        """A quick look at one user leaves no checkpoint behind unless asked for."""
        return not self.single or self.resume or self.checkpoint != DEFAULT_CHECKPOINT

    def files(self, log_file: str | None = None) -> tuple[list[NamedPath], list[NamedPath]]:
        """(what the run writes, what it reads), each with the option that names it: none may be the same file
        as another (outputs/paths.py)."""
        outputs: list[NamedPath] = [("--output", self.output_path(self.single)), ("--html", self.html),
                                    ("--log-file", log_file)]
        if self.files_output:
            outputs += [("--files-output", self.files_output), ("--files-output", self.files_output + ".part")]
        if self.workspaces and self.workspaces.by_person:
            outputs += [("--by-person", self.workspaces.by_person)]
        if self.uses_checkpoint:
            outputs += [("--checkpoint", self.checkpoint + suffix) for suffix in ("", ".lock", ".lock.pid", ".tmp")]
        return outputs, [("--users-file", self.users_file), ("--compare", self.compare),
                         ("--workspaces", self.workspaces.file if self.workspaces else None)]

    def walk_options(self) -> WalkOptions:
        return WalkOptions(places(self.locations, self.file_systems, self.custom_places), 1 if self.sequential else self.workers,
                           self.sequential, self.size_estimate, exact_notebook_sizes=self.exact_notebook_sizes)

    def left_out(self) -> dict[str, str]:
        """Why each file system not scanned is left out, by the flag that did it."""
        flag = {"dbfs": "--workspace-only", "workspace": "--dbfs-only"}
        return {fs: f"left out by {flag[fs]}" for fs in ("dbfs", "workspace") if fs not in self.file_systems}

    def result_options(self) -> dict[str, object]:
        """The options that change a user's numbers: a checkpoint made with others cannot be merged."""
        out: dict[str, object] = {"file_systems": list(self.file_systems), "locations": list(self.locations),
                                  "size_estimate": self.size_estimate, "exact_notebook_sizes": self.exact_notebook_sizes}
        if self.custom_places:
            out["places"] = {p.name: p.describe("{user}") for p in self.custom_places}
        return out


def _workspace_choice(profiles: str | None, file: str | None, account: bool, account_profile: str | None,
                      parallel: int, by_person: str | None) -> WorkspaceChoice | None:
    names = tuple(dict.fromkeys(n.strip() for n in (profiles or "").split(",") if n.strip()))
    if sum((bool(profiles), bool(file), account)) > 1:
        raise InputError("choose one of --profiles, --workspaces and --account")
    if profiles is not None and not names:
        raise InputError("--profiles takes a comma list of profile names")
    if parallel < 1:
        raise InputError("--parallel-workspaces must be at least 1")
    account = account or bool(account_profile and not (names or file))  # the account's profile alone: --account
    if not (names or file or account):
        if parallel != 4:
            raise InputError("--parallel-workspaces goes with --profiles, --workspaces or --account")
        if by_person:
            raise InputError("--by-person totals each person across workspaces: add --profiles, --workspaces or --account")
        return None
    return WorkspaceChoice(names, file, account, account_profile, parallel, by_person)


def _custom_places(texts: Iterable[str]) -> tuple[Location, ...]:
    out: list[Location] = []
    for text in texts:
        try:
            loc = parse_place(text, frozenset(COLUMN_NAMES))
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if any(p.name == loc.name for p in out):
            raise InputError(f"--place {loc.name} is given twice: give each place its own name")
        twin = next((p for p in out if (p.fs, p.template) == (loc.fs, loc.template)), None)
        if twin:
            raise InputError(f"--place {loc.name} and --place {twin.name} name the same folders: they would be "
                             "counted twice")
        out.append(loc)
    return tuple(out)


def _positive(x: float) -> bool:
    return math.isfinite(x) and x > 0  # nan compares false with everything: refused here, not retried forever


def on_databricks_cluster() -> bool:
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION"))


def parse_locations(text: str | Iterable[str]) -> tuple[str, ...]:
    """`home,repos`, `all`, or a list: the places to walk, in their fixed order."""
    names = [n.strip().casefold() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    if "all" in names:
        names = [*EVERY_USER_FOLDER, *names]
    unknown = [n for n in names if n not in LOCATION_NAMES and n != "all"]
    if unknown or not names:
        raise InputError(f"--locations takes a comma list of {', '.join(LOCATION_NAMES)}, or all; not {','.join(unknown) or repr(text)}")
    return tuple(n for n in LOCATION_NAMES if n in names)


def scan_options(
    users: Any = (), *, users_file: str | None = None, users_column: str | None = None, all_homes: bool = False,
    locations: str | Iterable[str] = "home", output: str | None = None, format: str = "csv",
    files_output: str | None = None, top: int = 0, html: str | None = None, compare: str | None = None, dbfs_only: bool = False, workspace_only: bool = False,
    size_estimate: int = DEFAULT_SIZE_ESTIMATE, exact_notebook_sizes: bool = False, no_parallel: bool = False,
    workers: int = DEFAULT_WORKERS, no_progress: bool = False, max_rps: float | None = None,
    retry_deadline: float = DEFAULT_RETRY_DEADLINE, cluster_id: str | None = None, serverless: bool = False,
    spark_remote: str | None = None, spark_master: str | None = None, spark_active: bool = False,
    chunk_size: int = 100, fallback_local: bool = False, output_table: str | None = None,
    history_table: str | None = None, checkpoint: str = DEFAULT_CHECKPOINT, resume: bool = False,
    profile: str | None = None, workspace_url: str | None = None, token: str | None = None,
    debug: bool = False, quiet: bool = False, log_file: str | None = None,
    profiles: str | None = None, workspaces: str | None = None, account: bool = False,
    account_profile: str | None = None, parallel_workspaces: int = 4, by_person: str | None = None,
    place: Iterable[str] | None = None,
) -> ScanOptions:
    """ScanOptions from the command line's long options (underscores for dashes). Raises InputError, worded
    with the flags' names, for values that cannot work together, or for paths that are the same file (the
    log file is checked with the others, and set up by the caller)."""
    if dbfs_only and workspace_only:
        raise InputError("choose one of --dbfs-only and --workspace-only")
    names = (users,) if isinstance(users, str) else tuple(str(u) for u in users)
    if all_homes and (names or users_file):
        raise InputError("--all-homes finds the users itself: give no user names and no --users-file")
    checks = [
        (size_estimate < 0, "--size-estimate must be 0 or more"),
        (workers < 1, "--workers must be at least 1"),
        (max_rps is not None and not _positive(max_rps), "--max-rps must be a positive number"),
        (not _positive(retry_deadline), "--retry-deadline must be a positive number of seconds"),
        (chunk_size < 1, "--chunk-size must be at least 1"),
        (top < 0, "--top must be 0 or more"),
        (sum(bool(x) for x in (spark_remote, spark_master, serverless or cluster_id, spark_active)) > 1,
         "choose one of --cluster-id/--serverless, --spark-remote, --spark-master, --spark-active"),
    ]
    for failed, message in checks:
        if failed:
            raise InputError(message)
    try:
        fmt = OutputFormat(format)
    except ValueError:
        raise InputError(f"--format must be one of csv, json, jsonl, not {format!r}") from None
    if files_output:
        files_output_kind(files_output)  # a bad extension is a bad argument, before anything runs
    tables = bool(output_table or history_table)
    spark: SparkTarget | None = None
    if no_parallel:
        spark = None  # --no-parallel forces the one-request-at-a-time local scan
    elif spark_remote or spark_master or cluster_id or serverless or spark_active:
        spark = SparkTarget(spark_remote, spark_master, None if serverless else cluster_id, serverless,
                            spark_active, tables)
    elif on_databricks_cluster() and not (files_output or top):
        spark = SparkTarget(active=True, catalog=tables, automatic=True)  # the cluster's own session
    if spark and (files_output or top):
        raise InputError("--files-output and --top need the local modes: in Spark mode the files are seen on the executors")
    if tables and not spark:
        raise InputError("--output-table and --history-table need Spark mode (--cluster-id, --serverless, "
                         "--spark-remote, --spark-master or --spark-active)")
    add_secret(token)  # before anything can fail and print it
    choice = _workspace_choice(profiles, workspaces, account, account_profile, parallel_workspaces, by_person)
    if choice and (profile or workspace_url) and not (workspaces or cluster_id or serverless):
        raise InputError(f"{choice.describe()} names the workspaces itself: --profile and --workspace-url apply "
                         "only to the URLs of a --workspaces file, or to the workspace of --cluster-id")
    if choice and (files_output or top or compare):
        flag = "--files-output" if files_output else "--top" if top else "--compare"
        raise InputError(f"{flag} scans one workspace: run it per workspace, without {choice.describe()}")
    systems = ("dbfs",) if dbfs_only else ("workspace",) if workspace_only else ("dbfs", "workspace")
    chosen = parse_locations(locations)
    custom = _custom_places(place or ())
    for p in custom:
        if p.fs != "files" and p.fs not in systems:
            flag = "--dbfs-only" if dbfs_only else "--workspace-only"
            raise InputError(f"--place {p.name} ({p.describe('{user}')}) lies in {FILE_SYSTEM_WORDS[p.fs]}, which "
                             f"{flag} leaves out: drop one of them")
    empty = None if custom or "volumes" in chosen else nothing_left(chosen, systems)
    if empty:  # a run that would report every user "empty" without having looked anywhere
        raise InputError(f"nothing to scan: {empty}, which {'--dbfs-only' if dbfs_only else '--workspace-only'} "
                         "leaves out")
    options = ScanOptions(
        users=names, users_file=users_file, users_column=users_column, all_homes=all_homes,
        locations=chosen, custom_places=custom, file_systems=systems, size_estimate=size_estimate,
        exact_notebook_sizes=exact_notebook_sizes, output=output, format=fmt, files_output=files_output, top=top,
        html=html, compare=compare,
        workers=workers, sequential=no_parallel, max_rps=max_rps, retry_deadline=retry_deadline,
        progress=not (no_progress or quiet), spark=spark, chunk_size=chunk_size, fallback_local=fallback_local,
        output_table=output_table, history_table=history_table, checkpoint=checkpoint, resume=resume,
        auth=AuthOptions(profile, workspace_url, token, cluster_id=spark.cluster_id if spark else None,
                         serverless=bool(spark and spark.serverless)),
        debug=debug, quiet=quiet, workspaces=choice,
    )
    refuse_collisions(*options.files(log_file))
    return options
