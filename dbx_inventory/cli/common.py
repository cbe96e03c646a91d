"""What both command-line scripts share: auth flags, and turning outcomes into exit codes."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from .. import __version__
from ..api.config import AuthOptions, list_profiles
from ..core.errors import ExitCode, InventoryError
from ..core.redact import add_secret, redact

log = logging.getLogger("dbx_inventory")


def add_auth_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    group = parser.add_argument_group("authentication (databricks-sdk unified auth)")
    group.add_argument("-p", "--profile", help="profile in ~/.databrickscfg (default: DATABRICKS_CONFIG_PROFILE, then the SDK's usual order)")
    group.add_argument("--workspace-url", "--host", dest="workspace_url", help="workspace URL, e.g. https://adb-123.azuredatabricks.net (overrides the profile; env DATABRICKS_HOST or DATABRICKS_WORKSPACE_URL)")
    group.add_argument("--token", help="personal access token (overrides the profile; prefer env DATABRICKS_TOKEN, which stays out of the process list)")
    group.add_argument("--list-profiles", action="store_true", help="print the profiles in ~/.databrickscfg and exit")
    group.add_argument("--retry-deadline", type=positive_number, default=120.0, metavar="SECONDS",
                       help="how long one request keeps retrying before it counts as failed (default 120; the first check of the host gives up within 30 s)")
    out = parser.add_argument_group("logging")
    out.add_argument("--debug", action="store_true", help="log every request retry with its reason and wait, on stderr")
    out.add_argument("--quiet", action="store_true", help="log errors only (on stderr)")
    out.add_argument("--log-file", metavar="PATH", help="also append the log to PATH (INFO, or DEBUG with --debug, even with --quiet)")


def positive_number(text: str) -> float:
    """An argparse type: a finite number above 0 (float() alone takes nan and inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def print_profiles() -> int:
    profiles = list_profiles()
    if not profiles:
        print("no profiles found (run 'databricks configure' to create one)")
        return ExitCode.OK
    rows = [("Name", "Host", "Auth type")] + [(p.name + (" (DEFAULT)" if p.is_default else ""), p.host or "-",
                                                p.auth_type) for p in profiles]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, host, auth in rows:
        print(f"{name.ljust(widths[0])}  {host.ljust(widths[1])}  {auth}")
    return ExitCode.OK


def auth_options(args: argparse.Namespace) -> AuthOptions:
    add_secret(args.token)  # before anything can fail and print
    return AuthOptions(args.profile, args.workspace_url, args.token)


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Map outcomes to exit codes: one plain sentence on stderr, never a traceback (unless --debug)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return main(argv)
    except InventoryError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return ExitCode.FATAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `... | head -2` closed stdout: a quiet, normal end. Point stdout at nothing, so that the interpreter's
        # last flush does not complain (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # a bug: still one sentence, with the details under --debug
        if debug:
            traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {redact(str(exc))})", file=sys.stderr)
        return ExitCode.FATAL
