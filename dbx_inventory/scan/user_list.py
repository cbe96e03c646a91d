"""The exporter's pipeline (databricks_user_list.py): the workspace's identities, or every home, as rows.

Takes a typed, frozen `UserListOptions`, built once by the command line (cli/users.py) or by any other caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..api.account import Account, AccountWorkspace
from ..api.client import connect
from ..api.config import AuthOptions
from ..api.listers import dbfs_disabled
from ..api.rest import RestClient
from ..api.scim import Principal, iter_principals
from ..core.errors import (
    ApiError,
    AuthError,
    InventoryError,
    NoResponse,
    PermissionDenied,
    Unauthenticated,
    UnreachableError,
)
from ..core.locations import HOME_DBFS, HOME_WORKSPACE
from ..outputs.writers import render_csv, write_text
from ..people.identities import fetch_identities, list_homes
from ..people.resolve import all_homes, owner_status
from ..people.users_file import unreadable_names
from .options import DEFAULT_RETRY_DEADLINE

log = logging.getLogger("dbx_inventory")

DETAIL_COLUMNS = ["userName", "displayName", "active", "id", "owner_status"]


@dataclass(frozen=True)
class UserListOptions:
    output: str | None = None  # None: the caller prints the rows
    max_users: int | None = None
    wanted: str | None = None  # "active" or "inactive": only identities of that owner status
    scim_filter: str | None = None
    details: bool = False  # a CSV with DETAIL_COLUMNS instead of one name per line
    service_principals: bool = False
    all_homes: bool = False  # every identity and every home folder, those of removed users included
    retry_deadline: float = DEFAULT_RETRY_DEADLINE
    auth: AuthOptions = field(default_factory=AuthOptions)

    @property
    def what(self) -> str:
        return "homes and identities" if self.all_homes else "principals" if self.service_principals else "users"


def list_identities(options: UserListOptions) -> list[dict[str, str]]:
    """The rows asked for, written to `options.output` when it is set."""
    client = connect(options.auth, workers=1, retry_deadline=options.retry_deadline)
    try:
        if options.all_homes:
            rows = [r for r in every_home(client)
                    if options.wanted is None or r["owner_status"] == options.wanted][:options.max_users]
        else:
            rows = collect(client, options.scim_filter, options.service_principals, options.wanted, options.max_users)
    finally:
        client.close()
    if options.output:
        write_text(options.output, render(rows, options.details))
        log.info("Exported %d %s to %s", len(rows), options.what, options.output)
        lost = unreadable_names((r["userName"] for r in rows), csv_file=options.details)
        if lost:  # a list that, read back with --users-file, would scan other names than these
            log.warning("%d of these names cannot be read back exactly from a users file (%s%s): scan them with "
                        "--all-homes%s", len(lost), ", ".join(repr(n) for n in lost[:3]), ", ..." if len(lost) > 3 else "",
                        "" if options.details else ", or export them with --details")
    return rows


def row_of(p: Principal) -> dict[str, str]:
    return {"userName": p.name, "displayName": p.display_name, "active": str(p.active).lower(), "id": p.id,
            "owner_status": owner_status(p)}


def every_home(client: RestClient) -> list[dict[str, str]]:
    """The scanner's --all-homes list: identities in SCIM order, then the homes no identity owns."""
    places = (HOME_WORKSPACE,) if dbfs_disabled(client) else (HOME_WORKSPACE, HOME_DBFS)
    directory = fetch_identities(client, required=True)
    targets = all_homes(directory, {loc.key: list_homes(client, loc) for loc in places})
    rows = []
    for t in targets:
        p = directory.get(t.name)
        row = row_of(p) if p else {"userName": t.name, "displayName": "", "active": "", "id": "", "owner_status": ""}
        rows.append({**row, "userName": t.name, "owner_status": t.owner_status})
    return rows


def collect(client: RestClient, scim_filter: str | None, service_principals: bool, wanted: str | None,
            max_users: int | None) -> list[dict[str, str]]:
    """Rows of the identities SCIM lists, of one owner status if `wanted`; paging stops at `max_users`."""
    out: list[dict[str, str]] = []
    try:
        kinds = ("user", "service_principal") if service_principals else ("user",)
        for p in iter_principals(client, scim_filter, kinds):
            if wanted and owner_status(p) != wanted:
                continue
            out.append(row_of(p))
            log.debug("user %d: %s", len(out), p.name)
            if max_users and len(out) >= max_users:
                break
    except ApiError as exc:
        # Never a silently partial list: a cleanup run on it would miss the users left out.
        if isinstance(exc, (Unauthenticated, PermissionDenied)):
            raise AuthError(f"authentication failed or not allowed to list users ({exc.describe()})") from exc
        if isinstance(exc, NoResponse):
            raise UnreachableError(f"lost the workspace while listing users ({exc.message})") from exc
        raise InventoryError(f"listing users failed after {len(out)} users, nothing written: {exc.describe()}") from None
    return out


def render(rows: list[dict[str, str]], details: bool) -> str:
    if details:
        return render_csv(rows, DETAIL_COLUMNS)
    return "".join(f"{r['userName']}\n" for r in rows)


def list_workspaces(account_profile: str | None, output: str | None, retry_deadline: float) -> list[AccountWorkspace]:
    """The account's running workspaces, written as a CSV that the scanner's --workspaces reads back."""
    listed = Account(account_profile, int(max(1, min(5, retry_deadline)))).workspaces()
    if output:
        write_text(output, render_csv(({"workspace_url": w.url, "workspace_name": w.name, "workspace_id": w.id,
                                        "deployment_name": w.deployment_name} for w in listed),
                                      ["workspace_url", "workspace_name", "workspace_id", "deployment_name"]))
    return listed
