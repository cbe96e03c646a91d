"""databricks_user_list.py: export the workspace's users (SCIM) to a file."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..core.errors import ExitCode, InputError
from ..outputs.logs import setup_logging
from ..outputs.paths import refuse_collisions
from ..outputs.writers import check_writable
from ..scan.user_list import UserListOptions, list_identities, list_workspaces
from .common import add_auth_arguments, auth_options, print_profiles

log = logging.getLogger("dbx_inventory")

EXAMPLES = """
examples:
  %(prog)s --profile PROD --output users.csv                 # one userName per line, no header
  %(prog)s --profile PROD --inactive-only --output departed.csv
  %(prog)s --profile PROD --all-homes --details -o homes.csv  # removed users' homes too, with owner_status
  %(prog)s --profile PROD --filter 'userName sw "a"' --details --output users_details.csv
  %(prog)s --profile PROD                                    # print a numbered list
  %(prog)s --account --account-profile ACCOUNT --list-workspaces -o workspaces.csv

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
    p.add_argument("--account", action="store_true", help="with --list-workspaces: the account of --account-profile (or of the environment)")
    p.add_argument("--account-profile", metavar="NAME", help="the account's profile (host https://accounts.cloud.databricks.com and account_id)")
    p.add_argument("--list-workspaces", action="store_true", help="write the account's running workspaces (workspace_url, workspace_name, workspace_id, deployment_name) instead of users: review it, then give it to the scanner's --workspaces")
    p.add_argument("--all-homes", action="store_true", help="every user, every service principal and every home folder under /Users (in the Workspace and DBFS), those of removed users included, each once; owner_status says which is which")
    add_auth_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_users is not None and args.max_users < 1:
        parser.error("--max-users must be at least 1")
    # --all-homes is every identity and every home: a filter or a cap would drop removed users' homes.
    narrowing = [flag for flag, given in (("--filter", args.filter), ("--active-only", args.active_only),
                                          ("--inactive-only", args.inactive_only),
                                          ("--max-users", args.max_users is not None)) if given]
    if args.all_homes and narrowing:
        parser.error(f"--all-homes lists every identity and home: it takes no {' or '.join(narrowing)}")
    try:
        refuse_collisions([("--output", args.output), ("--log-file", args.log_file)])
    except InputError as exc:
        parser.error(str(exc))
    setup_logging(args.debug, args.quiet, log_file=args.log_file)
    if args.list_profiles:
        return print_profiles()
    if args.list_workspaces or args.account:
        if not (args.list_workspaces and (args.account or args.account_profile)):
            parser.error("--account goes with --list-workspaces: the scanner takes the list back with --workspaces")
        if args.output:
            check_writable(args.output)
        listed = list_workspaces(args.account_profile, args.output, args.retry_deadline)
        if not args.output:
            for i, w in enumerate(listed, 1):
                print(f"{i:3d}. {w.url}  {w.name}")
        log.info("%d running workspaces", len(listed))
        return ExitCode.OK
    if args.output:
        check_writable(args.output)
    options = UserListOptions(
        output=args.output, max_users=args.max_users, scim_filter=args.filter, details=args.details,
        wanted="active" if args.active_only else "inactive" if args.inactive_only else None,
        service_principals=args.service_principals, all_homes=args.all_homes, retry_deadline=args.retry_deadline,
        auth=auth_options(args))
    rows = list_identities(options)
    if not options.output:
        for i, r in enumerate(rows, 1):
            status = f"  [{r['owner_status']}]" if options.all_homes and r["owner_status"] != "active" else ""
            print(f"{i:3d}. {r['userName']}{status}")
            if r["displayName"] and r["displayName"] != r["userName"]:
                print(f"     {r['displayName']}")
        log.info("%d %s", len(rows), options.what)
    return ExitCode.OK


def entry() -> None:
    """Console script (pyproject.toml [project.scripts]): the same as running the script from a checkout."""
    from .common import run

    sys.exit(run(main))
