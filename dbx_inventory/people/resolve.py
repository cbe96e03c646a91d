"""Names resolved to homes, pure: the identities and the folders listed are given, nothing is fetched here
(people/identities.py fetches them).

Homes are named by the SCIM `userName` (a service principal's by its `applicationId`), and paths are
case-sensitive, so `HANA@EXAMPLE.COM` typed by hand must be scanned as the home it names: the folder spelled
so if there is one, else its identity's. Folders whose names differ only in case are two folders, two rows.
A removed user keeps their homes but leaves SCIM: such a home is found only by listing the roots, and
reported `removed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..api.scim import Principal
from ..core.model import OwnerStatus, ScanTarget
from .users_file import InputUser


def owner_status(p: Principal) -> OwnerStatus:
    if p.kind == "service_principal":
        return "service_principal"
    return "active" if p.active else "inactive"


@dataclass
class Identities:
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


class Homes:
    """The folders listed under the places' roots, by exact spelling. Paths are case-sensitive: folders whose
    names differ only in case are two folders."""

    def __init__(self, listed: dict[str, list[str]]) -> None:
        self.places: dict[str, set[str]] = {}  # exact folder name -> the keys of the places that hold it
        self._folded: dict[str, list[str]] = {}  # case-folded name -> its exact spellings, in listing order
        for key, names in listed.items():
            for name in names:
                if name not in self.places:
                    self._folded.setdefault(name.casefold(), []).append(name)
                self.places.setdefault(name, set()).add(key)

    def __contains__(self, name: object) -> bool:
        return name in self.places

    def like(self, name: str) -> list[str]:
        """The folders spelled as `name` but for case (itself included, if it exists), the Workspace
        home's first."""
        return sorted(self._folded.get(name.casefold(), []), key=lambda s: "home:workspace" not in self.places[s])


def resolve(users: Sequence[InputUser], directory: Identities, homes: Homes | None) -> list[ScanTarget]:
    """The targets of a list of names: each name kept as typed, scanned as the home it names.

    A folder spelled exactly as typed is that name's home, even where an identity's name matches it only
    case-insensitively (SCIM user names ignore case, paths don't). Otherwise the identity's home; and a name
    with neither is looked for case-insensitively, when exactly one folder matches it. `homes` is None when
    the roots were not listed (every name was its identity's exact name)."""
    targets = []
    for user in users:
        p = directory.get(user.name)
        status = owner_status(p) if p else "removed" if directory.complete else user.owner_status
        display = (p.display_name if p else "") or user.display_name
        exact = homes is not None and user.name in homes
        if p is not None and not exact:
            targets.append(ScanTarget(user.name, p.name if p.name != user.name else "", status, display))
            continue
        twins = homes.like(user.name) if homes is not None and not exact else []
        if len(twins) > 1:
            targets.append(ScanTarget(user.name, error=(
                f"no home is named exactly {user.name!r}, and {len(twins)} differ from it only in case "
                f"({', '.join(twins)}): give the one meant as it is spelled")))
            continue
        home = twins[0] if twins else user.name
        # A folder of that name under any listed root (the homes too, when only /Repos is scanned) means the
        # name is a home's, not a typo, even if the places scanned hold nothing of it.
        targets.append(ScanTarget(user.name, home if home != user.name else "", status, display,
                                  identified=p is not None or exact or bool(twins)))
    return targets


def once(targets: Sequence[ScanTarget]) -> list[ScanTarget]:
    """Names that resolve to the same home are scanned once, under the first spelling given: `jane@x.com`
    and `JANE@X.COM` are one user, unless a folder is spelled `JANE@X.COM`: then they are two."""
    seen: set[str] = set()
    out = []
    for t in targets:
        if t.error is None:
            if t.folder in seen:
                continue
            seen.add(t.folder)
        out.append(t)
    return out


def all_homes(directory: Identities, listed: dict[str, list[str]]) -> list[ScanTarget]:
    """Every identity and every home folder, each folder its own row: identities in SCIM order (users, then
    service principals), then the folders no identity took, by name. An identity's row is its folder of the
    exact same name; only when no place holds one does it take a folder spelled as it but for case (the
    Workspace home's first). A folder that differs only in case from an identity's name is that identity's
    too (SCIM names ignore case), but a row of its own, since its path is another folder."""
    homes = Homes(listed)
    left = dict.fromkeys(homes.places)  # the folders not yet in a row, in listing order
    targets = []
    for p in directory.order:
        twins = [] if p.name in homes else [t for t in homes.like(p.name) if t in left]
        name = twins[0] if twins else p.name
        left.pop(name, None)
        targets.append(ScanTarget(name, "", owner_status(p), p.display_name))
    for name in sorted(left, key=lambda s: (s.casefold(), s)):
        owner = directory.get(name)
        targets.append(ScanTarget(name, "", owner_status(owner) if owner else "removed",
                                  owner.display_name if owner else ""))
    return targets
