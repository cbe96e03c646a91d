"""What both command-line scripts share: auth flags, connecting, and turning outcomes into exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from .clock import Clock, RealClock
from .config import AuthOptions, list_profiles, redact, resolve_config
from .errors import InventoryError
from .logs import add_secret
from .pacer import Pacer
from .rest import FAMILIES, RestClient
from .retry import RetryPolicy

log = logging.getLogger("dbx_inventory")

# Exit codes: a contract with cron (README, "Exit codes").
EXIT_OK = 0  # every user scanned (or exported)
EXIT_FATAL = 1  # nothing trustworthy was produced: auth, configuration, input, unreachable host, output
EXIT_USAGE = 2  # bad command line (argparse's own code)
EXIT_PARTIAL = 3  # the run finished, but some users have status=error
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM

_SECRETS: list[str] = []


def add_auth_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("authentication (databricks-sdk unified auth)")
    group.add_argument("-p", "--profile", help="profile in ~/.databrickscfg (default: DATABRICKS_CONFIG_PROFILE, then the SDK's usual order)")
    group.add_argument("--workspace-url", help="workspace URL, e.g. https://adb-123.azuredatabricks.net (overrides the profile; env DATABRICKS_HOST or DATABRICKS_WORKSPACE_URL)")
    group.add_argument("--token", help="personal access token (overrides the profile; prefer env DATABRICKS_TOKEN, which stays out of the process list)")
    group.add_argument("--list-profiles", action="store_true", help="print the profiles in ~/.databrickscfg and exit")
    group.add_argument("--retry-deadline", type=float, default=120.0, metavar="SECONDS",
                       help="how long one request keeps retrying before it counts as failed (default 120; the first check of the host gives up within 30 s)")
    out = parser.add_argument_group("logging")
    out.add_argument("--debug", action="store_true", help="log every request retry with its reason and wait, on stderr")
    out.add_argument("--quiet", action="store_true", help="log errors only (on stderr)")
    out.add_argument("--log-file", metavar="PATH", help="also append the log to PATH (INFO, or DEBUG with --debug, even with --quiet)")


def print_profiles() -> int:
    profiles = list_profiles()
    if not profiles:
        print("no profiles found (run 'databricks configure' to create one)")
    for name, is_default in profiles:
        print(f"{name} (DEFAULT)" if is_default else name)
    return EXIT_OK


def connect(args: argparse.Namespace, workers: int, max_rps: float | None = None, clock: Clock | None = None,
            check: bool = True) -> RestClient:
    """Resolve credentials, build the shared client with one pacer per API family, check access."""
    _SECRETS.extend(s for s in (args.token, os.environ.get("DATABRICKS_TOKEN")) if s)
    for s in _SECRETS:
        add_secret(s)
    clock = clock or RealClock()
    probe = int(max(1, min(5, args.retry_deadline)))  # the SDK's own probe of the host, bounded
    config = resolve_config(AuthOptions(args.profile, args.workspace_url, args.token, probe_seconds=probe))
    token = getattr(config, "token", None)
    if token:
        _SECRETS.append(token)
        add_secret(token)
    pacers = {f: Pacer(f, clock, max_rps=max_rps, max_in_flight=workers) for f in FAMILIES}
    policy = RetryPolicy(deadline=args.retry_deadline)
    client = RestClient(config, policy, clock, pacers, pool_size=2 * workers + 4)
    if check:
        client.check_access()
    return client


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Map outcomes to exit codes: one plain sentence on stderr, never a traceback (unless --debug)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return main(argv)
    except InventoryError as exc:
        print(f"error: {redact(str(exc), *_SECRETS)}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FATAL
    except Exception as exc:  # a bug: still one sentence, with the details under --debug
        if debug:
            traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {redact(str(exc), *_SECRETS)})", file=sys.stderr)
        return EXIT_FATAL
