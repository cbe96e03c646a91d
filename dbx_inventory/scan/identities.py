"""The workspace's identities (SCIM users and service principals) and the home folders it holds, and the
targets a run scans: the names an admin gave, resolved to their identity, or every home (`--all-homes`).

Homes are named by the SCIM `userName` (a service principal's by its `applicationId`), and paths are
case-sensitive, so `HANA@EXAMPLE.COM` typed by hand must be scanned as the home it names. A removed user
keeps their homes but leaves SCIM: such a home is found only by listing the roots, and reported `removed`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..api.errors import ApiError, AuthError, InventoryError, UnreachableError
from ..api.rest import RestClient
from ..core.locations import Location
from ..core.summary import ScanTarget
from .listers import LISTERS
from .users import Principal, iter_principals
from .users_input import InputUser

log = logging.getLogger("dbx_inventory")

# Up to this many names given on the command line are looked up one filtered query each; more names, or a
# users file, are resolved against one paged listing of every identity.
LOOKUP_LIMIT = 5


def owner_status(p: Principal) -> str:
    if p.kind == "service_principal":
        return "service_principal"
    return "active" if p.active else "inactive"


@dataclass
class Directory:
    """Identities by case-folded name. `complete` is False when some could not be listed: a name it does
    not know may then still belong to someone, and is never called `removed`."""

    by_name: dict[str, Principal] = field(default_factory=dict)
    complete: bool = True
    order: list[Principal] = field(default_factory=list)

    def add(self, p: Principal) -> None:
        key = p.name.casefold()
        if key not in self.by_name:
            self.by_name[key] = p
            self.order.append(p)

    def get(self, name: str) -> Principal | None:
        return self.by_name.get(name.casefold())

    @classmethod
    def fetch(cls, client: RestClient, names: Sequence[str] | None = None, required: bool = False) -> Directory:
        """Every identity (`names` None), or those of a few names through filtered lookups. Users who may not
        list service principals still get the users; `required` makes any failure fatal."""
        directory = cls()
        for service_principals in (False, True):
            try:
                for p in _principals(client, names, service_principals):
                    directory.add(p)
            except ApiError as exc:
                what = "service principals" if service_principals else "users"
                if exc.status == 401:
                    raise AuthError(f"authentication failed while listing the workspace's {what} ({exc.describe()})") from None
                if required:
                    raise InventoryError(f"cannot list the workspace's {what} ({exc.describe()}): --all-homes needs "
                                         "them to tell whose each home is; run it as a workspace admin") from None
                log.warning("cannot list the workspace's %s (%s): names are scanned as given and owner_status "
                            "is left blank where it cannot be known", what, exc.describe())
                directory.complete = False
        return directory


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
    except ApiError as exc:
        if exc.not_found:
            return []
        if not required and exc.status != 401:
            log.warning("cannot list %s (%s): names without an identity are looked for as typed", root, exc.describe())
            return []
        if exc.status == 401:
            raise AuthError(f"authentication failed while listing {root} ({exc.describe()})") from None
        if exc.status is None:
            raise UnreachableError(f"cannot list {root}: {exc.describe()}") from None
        raise InventoryError(f"cannot list the homes under {root} ({exc.describe()}): without that listing the "
                             "homes of removed users would be missed") from None
    return [e.path.rsplit("/", 1)[1] for e in entries if e.is_folder]  # the listers keep direct children only


def resolve(users: Sequence[InputUser], directory: Directory, homes: dict[str, dict[str, str]]) -> list[ScanTarget]:
    """The targets of a list of names: each name kept as typed, scanned as the home it names.

    `homes` maps a place's key to its folders by case-folded name, for the places whose roots were listed
    (only needed for names no identity owns)."""
    targets = []
    for user in users:
        p = directory.get(user.name)
        if p is not None:
            targets.append(ScanTarget(user.name, p.name if p.name != user.name else "", owner_status(p),
                                      p.display_name or user.display_name))
            continue
        folders = {key: found[user.name.casefold()] for key, found in homes.items() if user.name.casefold() in found}
        home = folders.get("home:workspace") or next(iter(folders.values()), user.name)
        status = "removed" if directory.complete else user.owner_status
        # A folder of that name under any listed root (the homes too, when only /Repos is scanned) means the
        # name is a home's, not a typo, even if the places scanned hold nothing of it.
        targets.append(ScanTarget(user.name, home if home != user.name else "", status, user.display_name,
                                  folders={k: v for k, v in folders.items() if v != home}, identified=bool(folders)))
    return targets


def all_homes(directory: Directory, listed: dict[str, list[str]]) -> list[ScanTarget]:
    """Every identity and every home, each once: identities in SCIM order (users, then service principals),
    then the homes no identity owns, by name. A folder belongs to the identity whose name it matches
    case-insensitively; the row is named after the folder (the Workspace home's spelling first)."""
    groups: dict[str, dict[str, str]] = {}  # case-folded name -> place key -> folder spelling
    extra: list[tuple[str, str]] = []  # (place key, spelling) of a second spelling in one root
    for key, names in listed.items():
        for name in names:
            group = groups.setdefault(name.casefold(), {})
            if key in group and group[key] != name:
                extra.append((key, name))
            else:
                group[key] = name
    targets = []

    def target(name: str, status: str, display: str, folders: dict[str, str]) -> ScanTarget:
        return ScanTarget(name, "", status, display, folders={k: v for k, v in folders.items() if v != name})

    for p in directory.order:
        folders = groups.pop(p.name.casefold(), {})
        name = folders.get("home:workspace") or next(iter(folders.values()), p.name)
        targets.append(target(name, owner_status(p), p.display_name, folders))
    for _, folders in sorted(groups.items()):
        name = folders.get("home:workspace") or next(iter(folders.values()))
        targets.append(target(name, "removed", "", folders))
    for key, name in extra:
        owner = directory.get(name)
        targets.append(target(name, owner_status(owner) if owner else "removed", "", {key: name}))
    return targets


def folders_by_name(listed: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    return {key: {n.casefold(): n for n in names} for key, names in listed.items()}


def find_targets(client: RestClient, places: Sequence[Location], users: Sequence[InputUser], all_users: bool,
                 from_file: bool, homes_too: Sequence[Location] = ()) -> list[ScanTarget]:
    """Who this run scans. `all_users` (--all-homes): every identity and every home under the places' roots
    and `homes_too`, found with the SCIM pages and one listing per root. Otherwise the names given, resolved:
    a few typed on the command line through one filtered lookup each, a list through one paged listing of
    every identity; the roots are listed only if some name belongs to no identity. `homes_too`: the home
    roots, listed even when the run scans other places, so that a removed user's home is known as such."""
    places = list(dict.fromkeys([*places, *homes_too]))
    if all_users:
        directory = Directory.fetch(client, required=True)
        return all_homes(directory, {loc.key: list_homes(client, loc) for loc in places})
    names = [u.name for u in users]
    few = not from_file and len(names) <= LOOKUP_LIMIT
    directory = Directory.fetch(client, names if few else None)
    homes: dict[str, dict[str, str]] = {}
    if any(directory.get(n) is None for n in names):
        homes = folders_by_name({loc.key: list_homes(client, loc, required=False) for loc in places})
    return resolve(users, directory, homes)
