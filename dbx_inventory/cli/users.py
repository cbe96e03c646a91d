"""databricks_user_list.py: export the workspace's users (SCIM) to a file."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..api.client import connect
from ..api.errors import ApiError, AuthError, ExitCode, InventoryError, UnreachableError
from ..api.rest import RestClient
from ..outputs.logs import setup_logging
from ..outputs.writers import check_writable, render_csv, write_text
from ..scan.users import Principal, iter_principals
from .common import add_auth_arguments, auth_options, print_profiles

log = logging.getLogger("dbx_inventory")

EXAMPLES = """
examples:
  %(prog)s --profile PROD --output users.csv                 # one userName per line, no header
  %(prog)s --profile PROD --inactive-only --output departed.csv
  %(prog)s --profile PROD --filter 'userName sw "a"' --details --output users_details.csv
  %(prog)s --profile PROD                                    # print a numbered list

exit codes: 0 exported; 1 fatal (auth, config, unreachable host, SCIM failure, output); 2 bad command line
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="databricks_user_list.py",
        description="Export the workspace's users (SCIM) as one userName per line, ready for databricks_user_files_simple.py --users-file.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the users here (atomically); without it, print a numbered list")
    p.add_argument("--max-users", type=int, metavar="N", help="stop after N users (testing)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--active-only", action="store_true", help="only active users")
    which.add_argument("--inactive-only", action="store_true", help="only deactivated users (typically people who left)")
    p.add_argument("--filter", metavar="EXPR", help='a SCIM filter passed to the server, e.g. \'userName co "@company.com"\'')
    p.add_argument("--details", action="store_true", help="write a CSV with a header: userName,displayName,active,id")
    p.add_argument("--service-principals", action="store_true", help="also export service principals (their homes are /Users/<applicationId>)")
    add_auth_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_users is not None and args.max_users < 1:
        parser.error("--max-users must be at least 1")
    setup_logging(args.debug, args.quiet, log_file=args.log_file)
    if args.list_profiles:
        return print_profiles()
    if args.output:
        check_writable(args.output)
    client = connect(auth_options(args), workers=1, retry_deadline=args.retry_deadline)
    principals = collect(client, args.filter, args.service_principals, args.active_only, args.inactive_only,
                         args.max_users)
    if args.output:
        write_text(args.output, render(principals, args.details))
        log.info("Exported %d %s to %s", len(principals), "principals" if args.service_principals else "users", args.output)
    else:
        for i, p in enumerate(principals, 1):
            print(f"{i:3d}. {p.name}")
            if p.display_name and p.display_name != p.name:
                print(f"     {p.display_name}")
        log.info("%d users", len(principals))
    client.close()
    return ExitCode.OK


def collect(client: RestClient, scim_filter: str | None, service_principals: bool, active_only: bool,
            inactive_only: bool, max_users: int | None) -> list[Principal]:
    out: list[Principal] = []
    try:
        for p in iter_principals(client, scim_filter, service_principals):
            if active_only and not p.active or inactive_only and p.active:
                continue
            out.append(p)
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


def render(principals: list[Principal], details: bool) -> str:
    if details:
        rows = [{"userName": p.name, "displayName": p.display_name, "active": str(p.active).lower(), "id": p.id}
                for p in principals]
        return render_csv(rows, ["userName", "displayName", "active", "id"])
    return "".join(f"{p.name}\n" for p in principals)


def entry() -> None:
    """Console script (pyproject.toml [project.scripts]): the same as running the script from a checkout."""
    from .common import run

    sys.exit(run(main))
