"""CLI: python -m emulator [options]. Prints `READY <url>` once listening; SIGTERM/SIGINT stop it.
With --workspaces N, an emulated account instead (fleet.py): N workspaces, the account host and the front door;
it prints the URLs, the account's OAuth client and the environment a client needs to reach them."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .fleet import Fleet
from .server import EmulatorServer
from .settings import Faults
from .workspace import build_workspace


def _rate(text: str) -> dict:
    """'dbfs=30,workspace=30' -> {'dbfs': 30.0, ...}; '' or 'none' -> no rate limits."""
    if text.strip().lower() in ("", "none", "off", "0"):
        return {}
    out = {}
    for item in text.split(","):
        fam, _, val = item.partition("=")
        out[fam.strip()] = float(val)
    return out


def _fail_always(items: list[str]) -> dict:
    out = {}
    for item in items:
        path, _, status = item.rpartition("=")
        out[path] = int(status)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--huge-user-files", type=int, default=0)
    ap.add_argument("--deep-levels", type=int, default=14)
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--token", default="dapi-test-token")
    ap.add_argument("--ground-truth", metavar="PATH", help="write the ground-truth JSON here first")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--rate", type=_rate, default=None, help="family=rate,... ('none' disables)")
    ap.add_argument("--burst", type=float, default=None)
    ap.add_argument("--concurrency-cap", type=int, default=None)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--fault-kinds", default="429ra,429,500,502,503,504,drop")
    ap.add_argument("--max-consecutive-faults", type=int, default=2)
    ap.add_argument("--fault-seed", type=int, default=0)
    ap.add_argument("--scim-page-cap", type=int, default=100)
    ap.add_argument("--fail-always", action="append", default=[], metavar="PATH=STATUS")
    ap.add_argument("--deny-user", action="append", default=[], metavar="USERNAME")
    ap.add_argument("--removed", type=int, default=0, help="homes of removed users (SCIM no longer lists them)")
    ap.add_argument("--service-principals", type=int, default=None)
    ap.add_argument("--workspaces", type=int, default=0, metavar="N",
                    help="an emulated account of N workspaces (seeds --seed+1...), the account host and a TLS front door")
    ap.add_argument("--databrickscfg", metavar="PATH", help="with --workspaces: write a profile per workspace and "
                    "an [account] profile here")
    ap.add_argument("--dbfs-disabled", action="store_true", help="every DBFS call answers 403, as with disable_legacy_dbfs")
    ap.add_argument("--no-volumes", action="store_true", help="no Unity Catalog, volumes or per-user folders")
    ap.add_argument("--uc-page-cap", type=int, default=2, help="Unity Catalog's page length")
    ap.add_argument("--files-page-cap", type=int, default=None, help="Files API pages at most this long, token kept")
    ap.add_argument("--empty-pages", action="store_true", help="every Files API and Unity Catalog listing starts "
                    "with an empty page that carries a token")
    args = ap.parse_args(argv)

    if args.workspaces:
        return _account(args)
    ws = build_workspace(seed=args.seed, users=args.users, huge_user_files=args.huge_user_files,
                         deep_levels=args.deep_levels, deny_users=args.deny_user, removed=args.removed,
                         service_principals=args.service_principals, volumes=not args.no_volumes)
    if args.ground_truth:
        ws.write_ground_truth(args.ground_truth)
    faults = _faults(args)
    stop = _stop_event()
    with EmulatorServer(ws, token=args.token, faults=faults, port=args.port) as srv:
        print(f"READY {srv.url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


def _faults(args) -> Faults:
    kw = {} if args.rate is None else {"rate": args.rate}
    return Faults(latency_ms=args.latency_ms, burst=args.burst, concurrency_cap=args.concurrency_cap,
                    fault_rate=args.fault_rate,
                    fault_kinds=tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip()),
                    max_consecutive_faults=args.max_consecutive_faults,
                    fail_always=_fail_always(args.fail_always), seed=args.fault_seed,
                  scim_page_cap=args.scim_page_cap, dbfs_disabled=args.dbfs_disabled, uc_page_cap=args.uc_page_cap,
                  files_page_cap=args.files_page_cap, empty_pages=args.empty_pages, **kw)


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _account(args) -> int:
    stop = _stop_event()
    with Fleet(faults=_faults(args), workspaces=args.workspaces, users=args.users, seed=args.seed) as fleet:
        acct = fleet.account
        sp = acct.principal("inventory-sp")
        print(f"Account {acct.account_id} at {fleet.account_url} (served at {fleet.account_server.url})")
        print(f"  OAuth M2M: client_id={sp.client_id} client_secret={sp.secret}")
        for m in acct.members:
            srv = next((s for s in fleet.servers if s.identity == m.identity), None)
            where = f"{m.identity.url} (served at {srv.url}, token {m.token})" if srv else "(no server)"
            print(f"  workspace {m.identity.workspace_id} {m.identity.workspace_name} {m.status}: {where}")
        if args.databrickscfg:
            fleet.databrickscfg(Path(args.databrickscfg))
            print(f"Profiles written to {args.databrickscfg}")
        print("A client reaches the https URLs with:")
        print("  export " + " ".join(f"{k}={v}" for k, v in fleet.env().items()))
        print(f"READY {fleet.account_url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
