"""Benchmark: one run over three workspaces against three emulated workspaces, each sized and limited like
the default mode's (bench/run.py), each with its own rate budget.

    .venv/bin/python -m bench.workspaces [--users 200] [--workspaces 3]

Prints the wall time against the slowest workspace's rate-limit bound (the workspaces run in parallel, so
that is the bound of the whole run), the peak RSS of the run against a run over one of the workspaces, and
whether every (workspace, user) row equals the ground truth.
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

from bench.run import MEASURE, RATE, ROOT, minimum_requests
from emulator import EmulatorServer, Faults, build_workspace
from tests.oracle import expected_row


def run_scan(profiles: list[str], cfg: Path, workdir: Path, out: Path) -> tuple[float, float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env.update(DATABRICKS_CONFIG_FILE=str(cfg), HOME=str(workdir))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "databricks_user_files_simple.py"),
                           "--profiles", ",".join(profiles), "-o", str(out), "--quiet", "--no-progress",
                           "--checkpoint", str(workdir / "bench.ckpt")],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    peak_mb = int(proc.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0]) / 1024
    return elapsed, peak_mb, proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--workspaces", type=int, default=3)
    ap.add_argument("--huge-user-files", type=int, default=3000)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--concurrency-cap", type=int, default=20)
    a = ap.parse_args()
    faults = Faults(latency_ms=a.latency_ms, rate={"dbfs": RATE, "workspace": RATE, "scim": 5.0},
                    concurrency_cap=a.concurrency_cap)
    spaces = [build_workspace(seed=42 + i, users=a.users, huge_user_files=a.huge_user_files) for i in range(a.workspaces)]
    servers = [EmulatorServer(ws, token=f"dapi-bench-{i}", faults=faults).start() for i, ws in enumerate(spaces)]
    try:
        bounds, truths = [], {}
        for ws, srv in zip(spaces, servers):
            truth = ws.ground_truth()
            users = [u["userName"] for u in ws.users] + [p.home for p in ws.principals if p.service_principal]
            bounds.append(max(n / RATE for n in minimum_requests(truth, users).values()))
            truths[srv.url.split("://")[1]] = (truth, set(users))
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            cfg = workdir / "databrickscfg"
            cfg.write_text("".join(f"[ws{i}]\nhost = {s.url}\ntoken = dapi-bench-{i}\n\n" for i, s in enumerate(servers)))
            names = [f"ws{i}" for i in range(a.workspaces)]
            one_s, one_mb, _ = run_scan(names[:1], cfg, workdir, workdir / "one.csv")
            for s in servers:
                s.reset_stats()
            all_s, all_mb, _ = run_scan(names, cfg, workdir, workdir / "all.csv")
            rows = list(csv.DictReader(open(workdir / "all.csv", encoding="utf-8")))
        wrong = 0
        for label, (truth, users) in truths.items():
            mine = {r["username"]: r for r in rows if r["workspace"] == label}
            wrong += len(users ^ set(mine))
            for name in users & set(mine):
                want = expected_row(truth[name])
                wrong += {k: mine[name][k] for k in want} != want
        throttled = sum(s.stats()["throttled"] for s in servers)
    finally:
        for s in servers:
            s.stop()
    slowest = max(bounds)
    print(f"{a.workspaces} workspaces of {a.users} users, {a.latency_ms:.0f} ms latency, {RATE:.0f} requests/s per "
          f"family each, concurrency cap {a.concurrency_cap}")
    print(f"one workspace:   {one_s:6.1f} s, bound {bounds[0]:.1f} s, ratio {one_s / bounds[0]:.2f}, peak RSS {one_mb:.0f} MB")
    print(f"{a.workspaces} workspaces:    {all_s:6.1f} s, slowest bound {slowest:.1f} s, ratio {all_s / slowest:.2f}, "
          f"peak RSS {all_mb:.0f} MB ({all_mb / one_mb:.2f}x one), 429s {throttled}, exact: "
          f"{'yes' if wrong == 0 else f'NO ({wrong})'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
