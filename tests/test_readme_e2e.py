"""The README's examples, run: every fenced shell command that calls one of the two scripts runs against the
emulator, with the README's profile pointing at it, and must succeed; the commands of one block run in order,
in one folder, as a reader would. Only the Databricks Connect commands (--cluster-id, --serverless) and the
account's (--account: tests/test_workspaces_e2e.py runs them against an emulated account) are left out: they
need a cluster's client environment, or an account. The profiles STAGING and DEV name the same workspace as PROD,
and workspaces.csv lists it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.conftest import ROOT, TOKEN, clean_env

SCRIPTS = ("databricks_user_list.py", "databricks_user_files_simple.py", "-m dbx_inventory.report")
NEEDS_A_CLUSTER = ("--cluster-id", "--serverless", "--account")


def readme_blocks() -> list[list[str]]:
    """The runnable commands of each fenced bash block of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        commands = []
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("#") or not any(s in line for s in SCRIPTS) or any(f in line for f in NEEDS_A_CLUSTER):
                continue
            commands.append(line)
        if commands:
            blocks.append(commands)
    return blocks


BLOCKS = readme_blocks()


@pytest.fixture(scope="module")
def emulated():
    # No user with a denied home, so every command must exit 0.
    ws = build_workspace(seed=5, users=2, removed=2, service_principals=2)
    with EmulatorServer(ws, token=TOKEN, faults=Faults(rate=None)) as srv:
        yield ws, srv


def test_the_readme_has_runnable_examples():
    assert sum(len(b) for b in BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[b[0][:60] for b in BLOCKS])
def test_a_readme_block_runs(tmp_path, emulated, block):
    ws, srv = emulated
    cfg = tmp_path / "databrickscfg"
    cfg.write_text("".join(f"[{name}]\nhost = {srv.url}\ntoken = {TOKEN}\n" for name in ("PROD", "STAGING", "DEV")),
                   encoding="utf-8")
    (tmp_path / "workspaces.csv").write_text(f"workspace_url,profile\n{srv.url},PROD\n", encoding="utf-8")
    env = clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg), PYTHONPATH=str(ROOT))
    for script in SCRIPTS[:2]:
        (tmp_path / script).symlink_to(ROOT / script)
    (tmp_path / "users.csv").write_text("".join(u["userName"] + "\n" for u in ws.users), encoding="utf-8")
    first = ws.users[0]["userName"]
    for command in block:
        line = command.replace("jane.doe@company.com", first).replace("john.doe@company.com", first)
        head, pipe, rest = line.partition("|")
        words = shlex.split(head)
        words[0] = sys.executable  # python, .venv/bin/python: the interpreter of the tests
        r = subprocess.run(["bash", "-o", "pipefail", "-c", shlex.join(words) + pipe + rest], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=240)
        # The emulator's Unity Catalog has a catalog and a volume the caller may not read: 3, by design.
        assert r.returncode == 0 or (r.returncode == 3 and "volumes" in line), f"{command}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr and TOKEN not in r.stdout + r.stderr
