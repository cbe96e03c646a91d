"""`make demo`: the real scripts against a bundled emulated workspace of a few dozen users.

Starts the emulator on 127.0.0.1, exports the users, scans them, prints the summary and where the CSV is,
then stops the emulator and prints the commands to do the same by hand. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .server import EmulatorServer
from .settings import Faults
from .workspace import build_workspace

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "dapi-demo-token"
SEED, USERS, REMOVED = 2026, 40, 5
HAND_PORT = 8765


def main() -> int:
    out = ROOT / "demo-output"
    out.mkdir(exist_ok=True)
    ws = build_workspace(seed=SEED, users=USERS, removed=REMOVED)
    ws.write_ground_truth(str(out / "ground_truth.json"))
    # A little latency, per-family rate limits and a few faults, like a real workspace (twice the rates of the
    # benchmark's, so the demo takes seconds, not a minute).
    faults = Faults(latency_ms=15, fault_rate=0.03, rate={"dbfs": 60, "workspace": 60, "scim": 20, "export": 60})
    py = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    with EmulatorServer(ws, token=TOKEN, faults=faults, port=0) as srv:
        env = {**os.environ, "DATABRICKS_HOST": srv.url, "DATABRICKS_TOKEN": TOKEN}
        env.pop("DATABRICKS_CONFIG_PROFILE", None)
        print(f"Emulated workspace at {srv.url}: {USERS} users, {REMOVED} removed users' homes, "
              f"{len(ws.service_principals)} service principals\n")
        steps = [
            ["databricks_user_list.py", "--output", "demo-output/users.csv"],
            ["databricks_user_files_simple.py", "--users-file", "demo-output/users.csv",
             "--output", "demo-output/inventory.csv"],
            ["databricks_user_files_simple.py", "--all-homes", "--output", "demo-output/homes.csv", "--quiet"],
        ]
        codes = []
        for step in steps:
            print("$ " + " ".join([py, *step]))
            code = subprocess.run([sys.executable, *step], env=env, cwd=ROOT).returncode
            codes.append(code)
            print(f"(exit code {code}{': some users could not be scanned, their rows say why' if code == 3 else ''})\n")
        stats = srv.stats()
    print("Inventories: demo-output/inventory.csv (the exported users) and demo-output/homes.csv (every home,")
    print("removed users' included, with owner_status).")
    print("demo-output/ground_truth.json is what the emulated workspace really holds, per user: compare any row")
    print("with it (dbfs_files, ws_files, ... before the estimate for notebooks, which the API gives no size for).")
    print(f"The emulator answered {sum(stats['requests'].values())} requests, throttled {stats['throttled']} and "
          f"injected {stats['faults']} faults, all retried.\n")
    print("To do the same by hand, start the emulator in one terminal:")
    print(f"  {py} -m emulator --users {USERS} --seed {SEED} --removed {REMOVED} --port {HAND_PORT} "
          f"--token {TOKEN}")
    print("and in another:")
    print(f"  export DATABRICKS_HOST=http://127.0.0.1:{HAND_PORT} DATABRICKS_TOKEN={TOKEN}")
    print(f"  {py} databricks_user_list.py -o users.csv")
    print(f"  {py} databricks_user_files_simple.py --users-file users.csv -o inventory.csv")
    print(f"  {py} databricks_user_files_simple.py --all-homes --locations all -o homes.csv")
    print(f"  {py} databricks_user_files_simple.py Mixed.Case@Example.com   # one user: a readable report")
    return 0 if codes[0] == 0 and all(c in (0, 3) for c in codes[1:]) else 1


if __name__ == "__main__":
    sys.exit(main())
