"""Who a run scans: the names resolved to homes (a feed, so that the scan starts on the first names while the
identities are still being paged), the users an earlier part of the run has done, and with --locations volumes
the Unity Catalog volumes each owns, listed beside the identities' pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from ..api.rest import RestClient
from ..api.unity import VolumeListing, list_volumes
from ..core.locations import HOME_DBFS, HOME_WORKSPACE
from ..core.model import ScanTarget, UserResult
from ..people.identities import TargetFeed, find_targets
from ..people.users_file import InputUser
from ..people.volume_owners import Owners
from ..state.checkpoint import Header
from .options import ScanOptions

log = logging.getLogger("dbx_inventory")

T = TypeVar("T")


class Later(Generic[T]):
    """A call made on a thread of its own, its result (or its exception) taken when needed. The thread is a
    daemon: a run interrupted before it is needed does not wait for it."""

    def __init__(self, call: Callable[..., T], *args: object) -> None:
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call, *args), name="later", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[..., T], *args: object) -> None:
        try:
            self._result = call(*args)
        except BaseException as exc:  # raised where the result is taken
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


class Users:
    """Who the run scans, and who an earlier part of it has done. A list of names is a feed: the scan starts
    on the first names resolved while the identities are still being paged. --all-homes needs every identity
    and root listing first, and Spark's chunks are cut from a list: those are found before the scan."""

    def __init__(self, found: TargetFeed | list[ScanTarget], done: dict[str, UserResult], all_homes: bool,
                 volumes: Later[VolumeListing] | None = None) -> None:
        self.found = found
        self.done = done
        self.all_homes = all_homes
        self.volumes = volumes  # --locations volumes: the listing, made while the identities are paged

    @property
    def owners(self) -> Owners | None:
        return Owners(self.volumes.result().volumes) if self.volumes else None

    @property
    def unreadable(self) -> dict[str, str]:
        """The catalogs (or schemas) whose volumes could not be listed."""
        return self.volumes.result().unreadable if self.volumes else {}

    @property
    def total(self) -> int:
        return len(self.found.names if isinstance(self.found, TargetFeed) else self.found)

    def todo(self) -> Iterable[ScanTarget]:
        if isinstance(self.found, TargetFeed):
            feed = (t for t in self.found if t.name not in self.done)
            return self._owned(feed) if self.volumes else feed
        todo = [t for t in self.found if t.name not in self.done]
        if self.volumes:
            owners = self.owners
            assert owners is not None
            # The owners of volumes first: their walks are the longest, and would otherwise make the tail.
            todo = sorted(owners.assign(todo, {t.folder for t in self.found}), key=lambda t: not t.volumes)
        if self.done:
            log.info("resuming: %d of %d users already done, %d to scan", len(self.found) - len(todo),
                     len(self.found), len(todo))
        return todo

    def _owned(self, targets: Iterable[ScanTarget]) -> Iterator[ScanTarget]:
        owners = None
        typed = set(self.found.names) if isinstance(self.found, TargetFeed) else set()
        for target in targets:
            owners = owners or self.owners  # asked on the first target: the feed's paging has begun by then
            assert owners is not None
            yield owners.give(target, typed)

    def names(self) -> list[str]:
        """Every name of the inventory, in order, once the scan is complete: the targets (a name spelled
        twice over is one), and with --all-homes the homes an earlier part of the run found as well."""
        targets = self.found.targets if isinstance(self.found, TargetFeed) else self.found
        assert targets is not None, "the feed is read to its end before the inventory is written"
        names = [t.name for t in targets]
        return names + [n for n in self.done if n not in set(names)] if self.all_homes else names


def find_users(client: RestClient, options: ScanOptions, inputs: list[InputUser], not_scanned: dict[str, str],
               open_checkpoint: Callable[[Header, dict[str, str]], dict[str, UserResult]], top: bool) -> Users:
    """The targets (names resolved to homes) and the users an earlier part of this run has done."""
    homes = tuple(h for h in (HOME_WORKSPACE, HOME_DBFS) if h.fs not in not_scanned)  # DBFS disabled: 403
    places = options.walk_options().locations
    found: TargetFeed | list[ScanTarget]
    # Unity Catalog's pages and the identities' are different API families: listed side by side.
    volumes = Later(list_volumes, client) if "volumes" in options.locations else None
    if volumes and options.sequential:
        volumes.result()  # one request at a time
    if options.all_homes:
        found = find_targets(client, places, inputs, True, bool(options.users_file), homes)
        found += Owners(volumes.result().volumes).others(client, found) if volumes else []
    else:
        found = TargetFeed(client, places, inputs, bool(options.users_file), homes)
    streams = {"files_output": options.files_output} if options.files_output else {}
    identity = Header(client.host, options.result_options(),
                      None if options.all_homes else tuple(u.name for u in inputs), streams)
    why = {"file_systems": not_scanned["dbfs"]} if "dbfs" in not_scanned else {}
    done = open_checkpoint(identity, why)
    if done and top:
        log.warning("--top covers the users scanned since this resume: the largest files of the %d users done "
                    "before it are not known", len(done))
    if isinstance(found, TargetFeed) and (options.spark or done or options.sequential):
        # Spark cuts chunks from the whole list; a resume says what is left before it starts; --no-parallel
        # sends one request at a time, the identities' pages too.
        list(found)
        assert found.targets is not None
        found = found.targets
    return Users(found, done, options.all_homes, volumes)
