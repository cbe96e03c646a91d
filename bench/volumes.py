"""Benchmark: the Files API walk of Unity Catalog volumes against its rate-limit bound.

    .venv/bin/python -m bench.volumes [--users 300]

The emulated workspace (seed 11) has volumes owned by users, a service principal and groups, and a shared
volume with a folder per user (`--place hv=/Volumes/main/home/users/{user}`). A first run without limits counts
the Files API requests the walk needs (one per page of 1,000 entries of each folder: the minimum, as no folder
is listed twice) and checks the result against the ground truth; the timed run then meets 100 ms of latency,
30 requests/s per family (the Files API's limit is not published: DBFS's figure), and a concurrency cap of 20.
The bound is the Files API requests divided by that rate.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import RATE, ROOT
from emulator import EmulatorServer, Faults, build_workspace

TOKEN = "dapi-bench-token"


def scan(srv: EmulatorServer, workdir: Path) -> tuple[float, Path]:
    out = workdir / "volumes.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env.update(DATABRICKS_HOST=srv.url, DATABRICKS_TOKEN=TOKEN, HOME=str(workdir))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(ROOT / "databricks_user_files_simple.py"), "--all-homes",
                           "--locations", "volumes", "--place", "hv=/Volumes/main/home/users/{user}", "-o", str(out),
                           "--quiet", "--no-progress", "--checkpoint", str(workdir / "bench.ckpt")],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return elapsed, out


def wrong_rows(out: Path, ws) -> int:
    """Owners and per-user folders whose numbers differ from the ground truth."""
    rows = {r["username"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    truth, places = ws.volume_truth(), ws.places_truth()["/Volumes/main/home/users/{user}"]
    wrong = 0
    for owner, t in {**truth["owners"], **truth["groups"]}.items():
        if not t["unreadable"]:
            wrong += (rows[owner]["volumes_files"], rows[owner]["volumes_bytes"]) != (str(t["files"]), str(t["bytes"]))
    for name, t in places.items():
        if t["exists"] and not t["denied"] and name in rows:
            wrong += (rows[name]["hv_files"], rows[name]["hv_bytes"]) != (str(t["files"]), str(t["bytes"]))
    return wrong


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--concurrency-cap", type=int, default=20)
    a = ap.parse_args()
    ws = build_workspace(seed=11, users=a.users)
    limited = Faults(latency_ms=a.latency_ms, concurrency_cap=a.concurrency_cap,
                     rate={"dbfs": RATE, "workspace": RATE, "scim": 5.0, "files": RATE, "unity": RATE})
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        workdir = Path(tmp)
        _, out = scan(srv, workdir)
        minimum = srv.stats()["requests"]["files"]
        exact_unlimited = wrong_rows(out, ws) == 0
        srv.set_faults(limited)
        srv.reset_stats()
        elapsed, out = scan(srv, workdir)
        stats = srv.stats()
        exact = exact_unlimited and wrong_rows(out, ws) == 0
    bound = minimum / RATE
    print(f"volumes: {a.users} users, {a.latency_ms:.0f} ms latency, {RATE:.0f} requests/s per family, "
          f"concurrency cap {a.concurrency_cap}")
    print(f"Files API requests {stats['requests'].get('files', 0)} (minimum {minimum}), Unity Catalog "
          f"{stats['requests'].get('unity', 0)}, 429s {stats['throttled']}; wall {elapsed:.1f} s, bound {bound:.1f} s, "
          f"ratio {elapsed / bound:.2f}, exact: {'yes' if exact else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
