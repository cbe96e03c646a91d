"""databricks_user_list.py: export the workspace's users (SCIM) to a file."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..api.client import connect
from ..api.errors import ApiError, AuthError, ExitCode, InventoryError, UnreachableError
from ..api.rest import RestClient
from ..core.locations import HOME_DBFS, HOME_WORKSPACE
from ..outputs.logs import setup_logging
from ..outputs.writers import check_writable, render_csv, write_text
from ..scan.identities import Directory, all_homes, list_homes, owner_status
from ..scan.listers import dbfs_disabled
from ..scan.users import Principal, iter_principals
from .common import add_auth_arguments, auth_options, print_profiles

log = logging.getLogger("dbx_inventory")

EXAMPLES = """
examples:
  %(prog)s --profile PROD --output users.csv                 # one userName per line, no header
  %(prog)s --profile PROD --inactive-only --output departed.csv
  %(prog)s --profile PROD --all-homes --details -o homes.csv  # removed users' homes too, with owner_status
  %(prog)s --profile PROD --filter 'userName sw "a"' --details --output users_details.csv
  %(prog)s --profile PROD                                    # print a numbered list

exit codes: 0 exported; 1 fatal (auth, config, unreachable host, SCIM failure, output); 2 bad command line
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Export the workspace's users (SCIM) as one userName per line, ready for the scanner's --users-file.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the users here (atomically); without it, print a numbered list")
    p.add_argument("--max-users", type=int, metavar="N", help="stop after N users (testing)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--active-only", action="store_true", help="only active users")
    which.add_argument("--inactive-only", action="store_true", help="only deactivated users (typically people who left)")
    p.add_argument("--filter", metavar="EXPR", help='a SCIM filter passed to the server, e.g. \'userName co "@company.com"\'')
    p.add_argument("--details", action="store_true", help="write a CSV with a header: userName,displayName,active,id,owner_status")
    p.add_argument("--service-principals", action="store_true", help="also export service principals (their homes are /Users/<applicationId>)")
    p.add_argument("--all-homes", action="store_true", help="every user, every service principal and every home folder under /Users (in the Workspace and DBFS), those of removed users included, each once; owner_status says which is which")
    add_auth_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_users is not None and args.max_users < 1:
        parser.error("--max-users must be at least 1")
    if args.all_homes and args.filter:
        parser.error("--all-homes lists every identity and home: it takes no --filter")
    setup_logging(args.debug, args.quiet, log_file=args.log_file)
    if args.list_profiles:
        return print_profiles()
    if args.output:
        check_writable(args.output)
    client = connect(auth_options(args), workers=1, retry_deadline=args.retry_deadline)
    wanted = "active" if args.active_only else "inactive" if args.inactive_only else None
    if args.all_homes:
        rows = [r for r in every_home(client) if wanted is None or r["owner_status"] == wanted][:args.max_users]
    else:
        rows = collect(client, args.filter, args.service_principals, wanted, args.max_users)
    what = "homes and identities" if args.all_homes else "principals" if args.service_principals else "users"
    if args.output:
        write_text(args.output, render(rows, args.details))
        log.info("Exported %d %s to %s", len(rows), what, args.output)
    else:
        for i, r in enumerate(rows, 1):
            status = f"  [{r['owner_status']}]" if args.all_homes and r["owner_status"] != "active" else ""
            print(f"{i:3d}. {r['userName']}{status}")
            if r["displayName"] and r["displayName"] != r["userName"]:
                print(f"     {r['displayName']}")
        log.info("%d %s", len(rows), what)
    client.close()
    return ExitCode.OK


def row_of(p: Principal) -> dict[str, str]:
    return {"userName": p.name, "displayName": p.display_name, "active": str(p.active).lower(), "id": p.id,
            "owner_status": owner_status(p)}


def every_home(client: RestClient) -> list[dict[str, str]]:
    """The scanner's --all-homes list: identities in SCIM order, then the homes no identity owns."""
    places = (HOME_WORKSPACE,) if dbfs_disabled(client) else (HOME_WORKSPACE, HOME_DBFS)
    directory = Directory.fetch(client, required=True)
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
        # Never a silently partial list: the original returned what it had, with exit code 0.
        if exc.status in (401, 403):
            raise AuthError(f"authentication failed or not allowed to list users ({exc.describe()})") from None
        if exc.status is None:
            raise UnreachableError(f"lost the workspace while listing users ({exc.message})") from None
        raise InventoryError(f"listing users failed after {len(out)} users, nothing written: {exc.describe()}") from None
    return out


def render(rows: list[dict[str, str]], details: bool) -> str:
    if details:
        return render_csv(rows, ["userName", "displayName", "active", "id", "owner_status"])
    return "".join(f"{r['userName']}\n" for r in rows)


def entry() -> None:
    """Console script (pyproject.toml [project.scripts]): the same as running the script from a checkout."""
    from .common import run

    sys.exit(run(main))
