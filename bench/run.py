"""Benchmark: the real scanner against the emulator with latency, per-family rate limits and a concurrency cap.

    make bench            # or: .venv/bin/python -m bench.run [--users 200] [--skip-memory]

Prints, for each mode, wall time, requests, 429s and the ratio to the rate-limit bound (the minimum number
of requests per API family divided by that family's allowed rate; families run in parallel, so the bound
is the largest of them). Every run is also checked against the emulator's ground truth. Finally, peak
memory (max RSS) of a 10,000-user scan.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import requests

from emulator import EmulatorServer, Faults, build_workspace
from tests.oracle import mismatches, write_users_file

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "dapi-bench-token"
RATE = 30.0  # requests/s per family: the DBFS figure seen in secondary sources (docs/api-notes.md)


def minimum_requests(truth: dict, users: list[str]) -> dict[str, int]:
    """One listing per directory, the home included (a missing home still costs its 404)."""
    return {
        "dbfs": sum(1 + truth[u]["dbfs_dirs"] for u in users),
        "workspace": sum(1 + truth[u]["ws_folders"] for u in users if truth[u]["denied"] != "workspace")
        + sum(1 for u in users if truth[u]["denied"] == "workspace"),
    }


def check_exact(csv_path: Path, truth: dict, users: list[str]) -> int:
    """How many ways the inventory differs from the ground truth (0: exact), by the tests' own oracle."""
    rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
    return len(mismatches(rows, truth, users))


# Runs the scanner in this interpreter and reports its own peak RSS (the emulator is another process). On
# Linux, ru_maxrss survives exec: a child of this (large) bench process would report the bench's own RSS at the
# fork. The high-water mark of the process's own memory (VmHWM) does not, and is read where it exists.
MEASURE = (
    "import os, resource, runpy, sys; script = sys.argv[1]; sys.argv = sys.argv[1:]\n"
    "sys.path.insert(0, os.path.dirname(os.path.abspath(script)))\n"
    "try:\n    runpy.run_path(script, run_name='__main__')\n"
    "finally:\n    u = resource.getrusage(resource.RUSAGE_SELF); peak = u.ru_maxrss\n"
    "    try:\n        peak = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])\n"
    "    except (OSError, StopIteration, ValueError):\n        pass\n"
    "    print('PEAK_RSS_KB', peak, 'CPU_S', u.ru_utime + u.ru_stime, file=sys.stderr)\n"
)


def scan(srv: EmulatorServer | SeparateEmulator, users: list[str] | None, args: list[str], workdir: Path) -> tuple[float, Path, int, str]:
    """Run the real scanner on `users` (None: --all-homes finds them)."""
    who = ["--all-homes"] if users is None else ["--users-file", str(write_users_file(workdir / "users.txt", users))]
    out = workdir / "inventory.csv"
    env = {**os.environ, "DATABRICKS_HOST": srv.url, "DATABRICKS_TOKEN": TOKEN, "HOME": str(workdir)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT / "databricks_user_files_simple.py"), *who,
         "-o", str(out), "--quiet", "--no-progress", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir,
    )
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, out, proc.returncode, proc.stderr


REMOVED = 25  # homes of removed users in the benchmark's workspace: only --all-homes sees them


def timed_mode(label: str, n_users: int, huge: int, args: list[str], faults: Faults, workdir: Path,
               all_homes: bool = False) -> dict:
    ws = build_workspace(seed=42, users=n_users, huge_user_files=huge, removed=REMOVED)
    truth = ws.ground_truth()
    if all_homes:  # the scanner's order: SCIM users, service principals, then removed homes by name
        users = ([u["userName"] for u in ws.users] + [p.home for p in ws.principals if p.service_principal]
                 + sorted((p.home for p in ws.removed), key=str.casefold))
    else:
        users = [u["userName"] for u in ws.users]
    minimum = minimum_requests(truth, users)
    if all_homes:  # one listing of each root to find the homes
        minimum = {family: n + 1 for family, n in minimum.items()}
    bound = max(n / RATE for n in minimum.values())
    with EmulatorServer(ws, token=TOKEN, faults=faults) as srv:
        elapsed, out, _, _ = scan(srv, None if all_homes else users, args, workdir)
        stats = srv.stats()
    requests = sum(v for k, v in stats["requests"].items() if k in ("dbfs", "workspace"))
    wrong = check_exact(out, truth, users)
    return {
        "mode": label, "users": len(users), "wall_s": elapsed, "requests": requests,
        "min_requests": sum(minimum.values()), "throttled": stats["throttled"], "bound_s": bound,
        "ratio": elapsed / bound, "wrong_rows": wrong,
        "listed_twice": sum(1 for n in stats["list_calls"].values() if n > 1),
    }


class SeparateEmulator:
    """The emulator in a process of its own (`python -m emulator`): its url, counters and CPU time."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url

    def stats(self) -> dict:
        """The emulator's counters, read over HTTP (/__emulator/stats)."""
        return requests.get(f"{self.url}/__emulator/stats", timeout=60).json()

    def cpu_s(self) -> float:
        """CPU seconds the emulator's process has used (user and system; Linux's /proc, else 0)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def separate_emulator(n_users: int, seed: int, huge: int) -> Iterator[SeparateEmulator]:
    """The emulator in a process of its own, without rate limit or latency. The scanner's peak RSS is then its
    own, and both processes share the machine's cores, as they would any benchmark client's."""
    emu = subprocess.Popen([sys.executable, "-m", "emulator", "--users", str(n_users), "--seed", str(seed),
                            "--huge-user-files", str(huge), "--token", TOKEN, "--rate", "none"],
                           cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        yield SeparateEmulator(emu, emu.stdout.readline().split()[1])  # type: ignore[union-attr]
    finally:
        emu.terminate()
        emu.wait()


def listings(stats: dict) -> int:
    return sum(v for k, v in stats["requests"].items() if k in ("dbfs", "workspace"))


def listing_phase(stats: dict, since_s: float) -> tuple[int, int]:
    """(listings, seconds) of a client's busy phase, from the emulator's requests per second since `since_s`:
    the seconds from the first to the last in which it answered at least a tenth of its busiest second's
    listings. What a client does before and after (start-up, name resolution, writing outputs) is left out."""
    per_second: dict[int, int] = {}
    for family in ("dbfs", "workspace"):
        for second, n in stats["per_second"].get(family, {}).items():
            if int(second) >= since_s:
                per_second[int(second)] = per_second.get(int(second), 0) + n
    busy = [sec for sec, n in per_second.items() if n >= max(per_second.values()) / 10]
    first, last = min(busy), max(busy)
    return sum(per_second.get(sec, 0) for sec in range(first, last + 1)), last - first + 1


def memory_run(n_users: int, huge: int, workdir: Path) -> dict:
    ws = build_workspace(seed=7, users=n_users, huge_user_files=huge)
    truth = ws.ground_truth()
    users = [u["userName"] for u in ws.users]
    files = sum(g["dbfs_files"] + g["ws_files"] for g in truth.values())
    with separate_emulator(n_users, 7, huge) as emu:
        elapsed, out, _, stderr = scan(emu, users, [], workdir)
    peak_mb = int(stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0]) / 1024
    return {"users": n_users, "files": files, "wall_s": elapsed, "peak_rss_mb": peak_mb,
            "wrong_rows": check_exact(out, truth, users)}


def ceiling_walk(url: str, users: list[str], threads: int) -> tuple[int, float]:
    """The emulator's own ceiling: the least a client can do for the listings the scan needs. `threads` threads,
    each with its own keep-alive Session, list every user's DBFS and Workspace home and every folder inside,
    parse each answer and queue its folders; nothing is counted or written. Folders are taken by user, newest
    first, as the scanner's lanes take them, so that both meet the emulator's cache of trees alike.
    -> (listings, seconds)."""
    jobs: queue.PriorityQueue[tuple[int, int, str, str]] = queue.PriorityQueue()
    seq = itertools.count()
    for i, user in enumerate(users):
        jobs.put((i, -next(seq), "dbfs", f"/Users/{user}"))
        jobs.put((i, -next(seq), "workspace", f"/Users/{user}"))
    done = [0] * threads
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def work(t: int) -> None:
        session = requests.Session()
        while True:
            i, _, family, path = jobs.get()
            if i < 0:
                return
            resp = session.get(f"{url}/api/2.0/{family}/list?path={urllib.parse.quote(path, safe='')}",
                               headers=headers, timeout=60)
            done[t] += 1
            if resp.status_code == 200:
                body = resp.json()
                if family == "dbfs":
                    folders = [f["path"] for f in body.get("files", ()) if f["is_dir"]]
                else:
                    folders = [o["path"] for o in body.get("objects", ()) if o.get("object_type") in ("DIRECTORY", "REPO")]
                for folder in folders:
                    jobs.put((i, -next(seq), family, folder))
            jobs.task_done()

    pool = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    jobs.join()  # every listing answered, and every folder it found listed
    elapsed = time.monotonic() - started
    for _ in pool:
        jobs.put((-1, 0, "", ""))
    for t in pool:
        t.join()
    return sum(done), elapsed


def scale_run(n_users: int, client_threads: int, workdir: Path) -> dict:
    """Requests/s of the real scanner against the emulator's own ceiling (ceiling_walk), measured in one run on
    one emulator process without rate limit or latency: what the scanner costs per request, beyond the server.
    CPU time per listing, of the client and of the emulator, says the same without the noise of a shared
    machine's load."""
    ws = build_workspace(seed=11, users=n_users, huge_user_files=0)
    truth = ws.ground_truth()
    users = [u["userName"] for u in ws.users]
    del ws
    with separate_emulator(n_users, 11, 0) as emu:
        before, emu_cpu0, cpu0 = listings(emu.stats()), emu.cpu_s(), time.process_time()
        ceiling_requests, ceiling_s = ceiling_walk(emu.url, users, client_threads)
        cpu1, emu_cpu1, mid = time.process_time(), emu.cpu_s(), emu.stats()
        elapsed, out, _, stderr = scan(emu, users, [], workdir)
        emu_cpu2, end = emu.cpu_s(), emu.stats()
    after, scanned = listings(mid), listings(end) - listings(mid)
    phase_listings, phase_s = listing_phase(end, mid["elapsed_s"] + 1)
    if after - before != ceiling_requests:
        raise SystemExit(f"the emulator counted {after - before} listings, the ceiling client {ceiling_requests}")
    measured = stderr.rsplit("PEAK_RSS_KB", 1)[1].split()
    ceiling_rps, scanner_rps = ceiling_requests / ceiling_s, scanned / elapsed
    return {"users": n_users, "ceiling_requests": ceiling_requests, "ceiling_s": ceiling_s, "ceiling_rps": ceiling_rps,
            "requests": scanned, "wall_s": elapsed, "rps": scanner_rps, "ratio": scanner_rps / ceiling_rps,
            "phase_s": phase_s, "phase_rps": phase_listings / phase_s,
            "peak_rss_mb": int(measured[0]) / 1024, "wrong_rows": check_exact(out, truth, users),
            # CPU ms per listing: the client's, then the emulator's while serving it
            "ceiling_cpu_ms": 1000 * (cpu1 - cpu0) / ceiling_requests,
            "ceiling_emu_cpu_ms": 1000 * (emu_cpu1 - emu_cpu0) / ceiling_requests,
            "cpu_ms": 1000 * float(measured[2]) / scanned, "emu_cpu_ms": 1000 * (emu_cpu2 - emu_cpu1) / scanned}


def report_run(n_users: int, workdir: Path) -> dict:
    """How long the HTML report of n_users takes to render and to open in headless Chromium (with its table
    drawn), measured the way a reader meets it: the file from disk, no network."""
    import random
    import shutil

    from dbx_inventory.outputs.columns import COLUMNS
    from dbx_inventory.outputs.html_report import render_html

    rng = random.Random(5)
    statuses = ["active"] * 8 + ["inactive", "removed", "service_principal"]
    records = []
    for i in range(n_users):
        dbfs, ws = rng.randrange(10**9), rng.randrange(10**8)
        rec = {c.name: None for c in COLUMNS}
        rec.update(username=f"user{i:05d}@example.com", file_count=rng.randrange(5000), total_size=dbfs + ws,
                   status="success", file_source="both", owner_status=rng.choice(statuses), dbfs_bytes=dbfs,
                   workspace_bytes=ws, estimated_bytes=ws // 10)
        records.append(rec)
    started = time.monotonic()
    html = render_html(records, {"host": "https://bench.example.com"})
    rendered = time.monotonic() - started
    page_path = workdir / "report.html"
    page_path.write_text(html, encoding="utf-8")
    chromium = shutil.which("chromium")
    opened = None
    if chromium:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            started = time.monotonic()
            page.goto(f"file://{page_path}")  # the load event: figures, chart and the table's first rows shown
            opened = time.monotonic() - started
            rows = page.locator("#users tbody tr")
            while rows.count() < n_users:  # the page's policy forbids evaluating scripts in it: poll the DOM
                time.sleep(0.02)
            complete = time.monotonic() - started
            browser.close()
    return {"users": n_users, "mb": len(html.encode()) / 1e6, "render_s": rendered, "open_s": opened,
            "table_s": complete}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--huge-user-files", type=int, default=3000)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--concurrency-cap", type=int, default=20)
    ap.add_argument("--modes", default="sequential,default,all-homes,4x,spark,memory,scale,report",
                    help="which runs, comma-separated: sequential, default, all-homes, 4x, spark, memory, scale, report")
    ap.add_argument("--memory-users", type=int, default=10_000)
    ap.add_argument("--memory-huge-files", type=int, default=500_000, help="one huge user, to reach about a million files")
    ap.add_argument("--scale-users", type=int, default=10_000)
    ap.add_argument("--scale-client-threads", type=int, default=4,
                    help="threads of the minimal client that measures the emulator's ceiling in the scale mode")
    a = ap.parse_args()
    faults = Faults(latency_ms=a.latency_ms, rate={"dbfs": RATE, "workspace": RATE, "scim": 5.0},
                    concurrency_cap=a.concurrency_cap)
    print(f"emulator: {a.latency_ms:.0f} ms latency, {RATE:.0f} requests/s per family, "
          f"concurrency cap {a.concurrency_cap}, one huge user of {a.huge_user_files} files")
    header = f"{'mode':<28}{'users':>6}{'wall s':>9}{'requests':>10}{'min req':>9}{'429s':>7}{'bound s':>9}{'ratio':>7}{'exact':>7}"
    print(header)
    wanted = set(a.modes.split(","))
    catalogue = [
        ("sequential", "--no-parallel", a.users, ["--no-parallel"]),
        ("default", "default (concurrent)", a.users, []),
        ("all-homes", f"--all-homes (+{REMOVED} removed)", a.users, []),
        ("4x", "default, 4x users", a.users * 4, []),
        # Spark pays off on a cluster next to the workspace; here it shows its fixed cost.
        ("spark", "Spark local[2] (classic)", a.users, ["--spark-master", "local[2]"]),
    ]
    modes = [(key, label, n, args) for key, label, n, args in catalogue if key in wanted]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for key, label, n, args in modes:
            r = timed_mode(label, n, a.huge_user_files, args, faults, Path(tmp), all_homes=key == "all-homes")
            rows.append(r)
            exact = "yes" if r["wrong_rows"] == 0 and r["listed_twice"] == 0 else f"NO({r['wrong_rows']})"
            print(f"{r['mode']:<28}{r['users']:>6}{r['wall_s']:>9.1f}{r['requests']:>10}{r['min_requests']:>9}"
                  f"{r['throttled']:>7}{r['bound_s']:>9.1f}{r['ratio']:>7.2f}{exact:>7}", flush=True)
        by_mode = {r["mode"]: r for r in rows}
        if "--no-parallel" in by_mode and "default (concurrent)" in by_mode:
            speedup = by_mode["--no-parallel"]["wall_s"] / by_mode["default (concurrent)"]["wall_s"]
            print(f"speed-up of the default mode over --no-parallel: {speedup:.1f}x")
        if "report" in wanted:
            rep = report_run(10_000, Path(tmp))
            opened = (f"opens in headless Chromium in {rep['open_s']:.2f} s, every row of its table drawn after "
                      f"{rep['table_s']:.2f} s") if rep["open_s"] is not None else "(no chromium)"
            print(f"HTML report: {rep['users']} users, {rep['mb']:.1f} MB, rendered in {rep['render_s']:.2f} s, {opened}")
        if "memory" in wanted:
            m = memory_run(a.memory_users, a.memory_huge_files, Path(tmp))
            print(f"memory: {m['users']} users, {m['files']} files, {m['wall_s']:.1f} s without limits, "
                  f"peak RSS {m['peak_rss_mb']:.0f} MB, exact: {'yes' if m['wrong_rows'] == 0 else 'NO'}")
        if "scale" in wanted:
            load = os.getloadavg()[0]
            s = scale_run(a.scale_users, a.scale_client_threads, Path(tmp))
            print(f"scale: {s['users']} users, no rate limit or latency, load average {load:.2f} before; "
                  f"emulator's ceiling ({a.scale_client_threads} threads of requests) {s['ceiling_requests']} "
                  f"listings in {s['ceiling_s']:.1f} s = {s['ceiling_rps']:.0f}/s; scanner {s['requests']} listings "
                  f"in {s['wall_s']:.1f} s = {s['rps']:.0f}/s, {s['ratio']:.0%} of the ceiling; peak RSS "
                  f"{s['peak_rss_mb']:.0f} MB, exact: {'yes' if s['wrong_rows'] == 0 else 'NO'}; its listing phase "
                  f"alone (start-up and outputs left out) {s['phase_s']} s at {s['phase_rps']:.0f}/s, "
                  f"{s['phase_rps'] / s['ceiling_rps']:.0%} of the ceiling; CPU ms per listing: "
                  f"ceiling client {s['ceiling_cpu_ms']:.2f} (emulator {s['ceiling_emu_cpu_ms']:.2f}), scanner "
                  f"{s['cpu_ms']:.2f} (emulator {s['emu_cpu_ms']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
