"""The Unity Catalog volumes of a run, given to their owners (--locations volumes).

A volume's `owner` is a user's userName, a service principal's applicationId, or a group's name. Each target
whose home is named so (without case, as SCIM names are compared) walks the volumes it owns. With --all-homes,
an owner that is no target gets a row of its own, walked only in its volumes: a group (`owner_status=group`,
asked of SCIM Groups), or a name no identity holds any more (`removed`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from ..api.rest import RestClient
from ..api.unity import Volume
from ..core.errors import ApiError
from ..core.model import OwnerStatus, ScanTarget

GROUPS = "/api/2.0/preview/scim/v2/Groups"


class Owners:
    def __init__(self, volumes: Iterable[Volume]) -> None:
        self.by_owner: dict[str, list[str]] = {}  # case-folded owner -> volume paths
        self.spelling: dict[str, str] = {}  # case-folded owner -> the owner as Unity Catalog spells it
        for v in volumes:
            if v.owner:
                key = v.owner.casefold()
                self.by_owner.setdefault(key, []).append(v.path)
                self.spelling.setdefault(key, v.owner)

    def give(self, target: ScanTarget, spelled: Collection[str] = ()) -> ScanTarget:
        """The target with the volumes its home's name owns. `spelled`: the folders of the run's other targets;
        where one is spelled exactly as the owner, that one is the owner's, not its case twin."""
        key = target.folder.casefold()
        paths = self.by_owner.get(key)
        if not paths or target.error or (target.folder != self.spelling[key] and self.spelling[key] in spelled):
            return target
        return dataclasses.replace(target, volumes=tuple(paths))

    def assign(self, targets: list[ScanTarget], spelled: Collection[str] = ()) -> list[ScanTarget]:
        """Each volume to one target: the home spelled as its owner, else the first spelled so but for case.
        Folders that differ only in case are two rows; a volume is one volume. `spelled`: the folders of the
        run's targets not in this list (done before a resume)."""
        folders = {t.folder for t in targets if not t.error} | set(spelled)
        given: set[str] = set()
        out = []
        for t in targets:
            mine = self.give(t, folders)
            if mine.volumes:
                key = t.folder.casefold()
                mine = mine if key not in given else t
                given.add(key)
            out.append(mine)
        return out

    def others(self, client: RestClient, targets: list[ScanTarget]) -> list[ScanTarget]:
        """Rows for the owners no target stands for, by name: groups, then names nobody holds."""
        taken = {t.folder.casefold() for t in targets}
        rows = []
        for key, paths in sorted(self.by_owner.items()):
            if key in taken:
                continue
            name = self.spelling[key]
            status: OwnerStatus = "group" if is_group(client, name) else "removed"
            rows.append(ScanTarget(name, "", status, volumes=tuple(paths), homes=False))
        return sorted(rows, key=lambda t: (t.owner_status != "group", t.name.casefold()))


def is_group(client: RestClient, name: str) -> bool:
    """Whether a workspace group has this name (SCIM Groups, filtered by displayName). Unknown (SCIM refuses):
    not a group, so the row says `removed` only where the name matches nothing we can see."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    try:
        body = client.get("scim", GROUPS, {"filter": f'displayName eq "{quoted}"', "attributes": "displayName"})
    except ApiError:
        return False
    resources = body.get("Resources") if isinstance(body, dict) else None
    return isinstance(resources, list) and any(isinstance(r, dict) and str(r.get("displayName", "")).casefold()
                                               == name.casefold() for r in resources)
