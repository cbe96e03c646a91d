"""The workspace's identities (SCIM users and service principals) and the home folders it holds, fetched,
and the targets a run scans: the names an admin gave, resolved to their identity, or every home
(`--all-homes`). The resolution itself is pure, in people/resolve.py.

Homes are named by the SCIM `userName` (a service principal's by its `applicationId`), and paths are
case-sensitive, so `HANA@EXAMPLE.COM` typed by hand must be scanned as the home it names: the folder spelled
so if there is one, else its identity's. Folders whose names differ only in case are two folders, two rows.
A removed user keeps their homes but leaves SCIM: such a home is found only by listing the roots, and
reported `removed`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..api.listers import LISTERS
from ..api.rest import RestClient
from ..api.scim import Principal, iter_principals
from ..core.errors import ApiError, AuthError, InventoryError, NoResponse, NotFound, Unauthenticated, UnreachableError
from ..core.locations import Location
from ..core.model import ScanTarget
from .resolve import Homes, Identities, all_homes, once, owner_status, resolve
from .users_file import InputUser

log = logging.getLogger("dbx_inventory")

# Up to this many names given on the command line are looked up one filtered query each; more names, or a
# users file, are resolved against one paged listing of every identity.
LOOKUP_LIMIT = 5


def fetch_identities(client: RestClient, names: Sequence[str] | None = None, required: bool = False,
                     found: Callable[[Principal, Identities], None] | None = None) -> Identities:
    """Every identity (`names` None), or those of a few names through filtered lookups. Users who may not
    list service principals still get the users; `required` makes any failure fatal. `found` sees each
    identity as its page arrives, with the identities so far."""
    identities = Identities()
    for service_principals in (False, True):
        try:
            for p in _principals(client, names, service_principals):
                identities.add(p)
                if found:
                    found(p, identities)
        except ApiError as exc:
            what = "service principals" if service_principals else "users"
            if isinstance(exc, Unauthenticated):
                raise AuthError(f"authentication failed while listing the workspace's {what} ({exc.describe()})") from exc
            if required:
                raise InventoryError(f"cannot list the workspace's {what} ({exc.describe()}): --all-homes needs "
                                     "them to tell whose each home is; run it as a workspace admin") from None
            log.warning("cannot list the workspace's %s (%s): names are scanned as given and owner_status "
                        "is left blank where it cannot be known", what, exc.describe())
            identities.complete = False
    return identities


def _principals(client: RestClient, names: Sequence[str] | None, service_principals: bool) -> Iterable[Principal]:
    if names is None:
        yield from iter_principals(client, kinds=("service_principal",) if service_principals else ("user",))
        return
    field_name = "applicationId" if service_principals else "userName"
    for name in names:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        kind = ("service_principal",) if service_principals else ("user",)
        yield from iter_principals(client, f'{field_name} eq "{quoted}"', kinds=kind)


def list_homes(client: RestClient, location: Location, required: bool = True) -> list[str]:
    """The names of the folders directly under a location's root (`/Users`, `/Repos`...); none if the root
    does not exist. One request. Unless `required`, a root that cannot be listed counts as empty."""
    root = location.describe("").rstrip("/")
    try:
        entries = LISTERS[location.fs](client, location.root)
    except NotFound:
        return []
    except Unauthenticated as exc:
        raise AuthError(f"authentication failed while listing {root} ({exc.describe()})") from exc
    except ApiError as exc:
        if not required:
            log.warning("cannot list %s (%s): names without an identity are looked for as typed", root, exc.describe())
            return []
        if isinstance(exc, NoResponse):
            raise UnreachableError(f"cannot list {root}: {exc.describe()}") from exc
        raise InventoryError(f"cannot list the homes under {root} ({exc.describe()}): without that listing the "
                             "homes of removed users would be missed") from None
    return [e.path.rsplit("/", 1)[1] for e in entries if e.is_folder]  # the listers keep direct children only


def find_targets(client: RestClient, places: Sequence[Location], users: Sequence[InputUser], all_users: bool,
                 from_file: bool, homes_too: Sequence[Location] = ()) -> list[ScanTarget]:
    """Who this run scans. `all_users` (--all-homes): every identity and every home under the places' roots
    and `homes_too`, found with the SCIM pages and one listing per root. Otherwise the names given, resolved:
    a few typed on the command line through one filtered lookup each, a list through one paged listing of
    every identity; the roots are listed only if some name is not exactly an identity's name. `homes_too`:
    the home roots, listed even when the run scans other places, so that a removed user's home is known as
    such."""
    places = [p for p in dict.fromkeys([*places, *homes_too]) if p.listable]
    if all_users:
        directory = fetch_identities(client, required=True)
        return all_homes(directory, {loc.key: list_homes(client, loc) for loc in places})
    names = [u.name for u in users]
    few = not from_file and len(names) <= LOOKUP_LIMIT
    directory = fetch_identities(client, names if few else None)
    homes = None
    if any(p is None or p.name != n for n, p in ((n, directory.get(n)) for n in names)):
        homes = Homes({loc.key: list_homes(client, loc, required=False) for loc in places})
    return once(resolve(users, directory, homes))


_END = object()


class TargetFeed:
    """The targets of a list of names, handed to the scan as soon as each is certain, while the identities
    are still being paged (SCIM allows a few requests a second, so paging a large workspace takes seconds).

    A name typed exactly as an identity's name, and the first of its spellings in the list, is that
    identity's home whatever else is found: it goes at once. Every other name waits for the whole listing
    (and, if needed, the roots): `resolve` then decides as it would have for the whole list, and `once` keeps
    the first spelling of a home. `targets` is the complete list, in input order, once the feed is drained."""

    def __init__(self, client: RestClient, places: Sequence[Location], users: Sequence[InputUser],
                 from_file: bool, homes_too: Sequence[Location] = ()) -> None:
        self._client = client
        self._places = [p for p in dict.fromkeys([*places, *homes_too]) if p.listable]
        self._users = list(users)
        self._few = not from_file and len(self._users) <= LOOKUP_LIMIT
        self._first: dict[str, str] = {}  # case-folded name -> the first spelling in the list
        for u in self._users:
            self._first.setdefault(u.name.casefold(), u.name)
        self._sent: dict[str, ScanTarget] = {}
        self.targets: list[ScanTarget] | None = None

    @property
    def names(self) -> list[str]:
        """The names given, in order (a name spelled twice over is one user, whichever is scanned)."""
        return [u.name for u in self._users]

    def __iter__(self) -> Iterator[ScanTarget]:
        ready: queue.Queue[object] = queue.Queue()
        worker = threading.Thread(target=self._resolve, args=(ready,), name="identities", daemon=True)
        worker.start()
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, ScanTarget)
            yield item

    def _early(self, p: Principal, known: Identities, ready: queue.Queue[object]) -> None:
        name = self._first.get(p.name.casefold())
        if name == p.name and known.get(name) is p and name not in self._sent:
            target = ScanTarget(name, "", owner_status(p), p.display_name)
            self._sent[name] = target
            ready.put(target)

    def _resolve(self, ready: queue.Queue[object]) -> None:
        try:
            names = self.names
            directory = fetch_identities(self._client, names if self._few else None,
                                         found=lambda p, known: self._early(p, known, ready))
            homes = None
            if any(p is None or p.name != n for n, p in ((n, directory.get(n)) for n in names)):
                homes = Homes({loc.key: list_homes(self._client, loc, required=False) for loc in self._places})
            self.targets = once(resolve(self._users, directory, homes))
            for target in self.targets:
                sent = self._sent.get(target.name)
                if sent is None:
                    ready.put(target)
                elif sent.folder != target.folder:  # cannot happen by the rule above; never scan the wrong home
                    raise InventoryError(f"internal error: {target.name} was scanned as {sent.folder}, "
                                         f"but resolves to {target.folder}")
            ready.put(_END)
        except BaseException as exc:  # the scan stops on it, in the thread that iterates
            ready.put(exc)
