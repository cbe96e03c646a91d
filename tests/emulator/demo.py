"""`make demo`: the real scripts against a bundled emulated workspace of a few dozen users.

Starts the emulator on 127.0.0.1, exports the users, scans them, prints the summary and where the CSV
is, then stops the emulator. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .server import EmulatorServer, Faults
from .workspace import build_workspace

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dapi-demo-token"


def main() -> int:
    out = ROOT / "demo-output"
    out.mkdir(exist_ok=True)
    ws = build_workspace(seed=2026, users=40)
    ws.write_ground_truth(str(out / "ground_truth.json"))
    # A little latency and the usual per-family rate limits, so the demo looks like a real workspace.
    faults = Faults(latency_ms=15, fault_rate=0.03)
    with EmulatorServer(ws, token=TOKEN, faults=faults, port=0) as srv:
        env = {**os.environ, "DATABRICKS_HOST": srv.url, "DATABRICKS_TOKEN": TOKEN}
        env.pop("DATABRICKS_CONFIG_PROFILE", None)
        print(f"Emulated workspace with {len(ws.users)} users at {srv.url}\n")
        users = out / "users.csv"
        inventory = out / "inventory.csv"
        steps = [
            [sys.executable, str(ROOT / "databricks_user_list.py"), "--output", str(users)],
            [sys.executable, str(ROOT / "databricks_user_files_simple.py"), "--users-file", str(users),
             "--output", str(inventory)],
        ]
        codes = []
        for cmd in steps:
            print("$ " + " ".join(Path(c).name if c.endswith(".py") else c for c in cmd[1:]))
            codes.append(subprocess.run(cmd, env=env, cwd=ROOT).returncode)
            print()
        stats = srv.stats()
    print(f"Inventory: {inventory}")
    print(f"Emulator: {sum(stats['requests'].values())} requests, {stats['throttled']} throttled, {stats['faults']} injected faults")
    print("Exit code 3 above is expected: the demo workspace has one user whose home the token may not read.")
    return 0 if codes[0] == 0 and codes[1] in (0, 3) else 1


if __name__ == "__main__":
    sys.exit(main())
