"""Shared doubles: the emulator (a real HTTP server), subprocess runs of the real scripts, ground truth."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator import EmulatorServer, Faults, build_workspace

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "dapi-e2e-secret-token-5f3a"
NO_LIMITS = Faults(rate=None)
SCAN = ROOT / "databricks_user_files_simple.py"
USERS = ROOT / "databricks_user_list.py"


@pytest.fixture(scope="session")
def workspace():
    return build_workspace(seed=11, users=60)


@pytest.fixture(scope="session")
def truth(workspace):
    return workspace.ground_truth()


@pytest.fixture(scope="session")
def shared_server(workspace):
    with EmulatorServer(workspace, token=TOKEN, faults=NO_LIMITS) as srv:
        yield srv


@pytest.fixture
def server(shared_server):
    """The session's emulator, reset to no faults and fresh counters for each test."""
    shared_server.set_faults(NO_LIMITS)
    shared_server.reset_stats()
    return shared_server


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "ARM_", "AZURE_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)  # no ~/.databrickscfg unless a test writes one
    env.update(extra)
    return env


def run(script: Path, *args: str, env: dict[str, str], input: str | None = None, timeout: float = 240,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    # Run in the test's own directory: checkpoints and default outputs land there, not in the checkout.
    cwd = cwd or Path(env["HOME"]).parent
    return subprocess.run([sys.executable, str(script), *args], env=env, input=input, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def emulator_env(tmp_path: Path, srv: EmulatorServer, token: str = TOKEN, **extra: str) -> dict[str, str]:
    return clean_env(tmp_path, DATABRICKS_HOST=srv.url, DATABRICKS_TOKEN=token, **extra)


def read_csv(text_or_path) -> list[dict[str, str]]:
    text = Path(text_or_path).read_text(encoding="utf-8") if isinstance(text_or_path, Path) else text_or_path
    return list(csv.DictReader(io.StringIO(text)))


def expected(gt: dict, size_estimate: int = 10_000, systems=("dbfs", "workspace")) -> dict[str, str]:
    """The inventory row the ground truth implies (the columns that describe the data)."""
    dbfs = "dbfs" in systems
    ws = "workspace" in systems
    denied = gt["denied"] is not None and gt["denied"] in systems
    dbfs_files = gt["dbfs_files"] if dbfs else 0
    ws_files = gt["ws_files"] if ws else 0
    dbfs_bytes = gt["dbfs_bytes"] if dbfs else 0
    ws_bytes = gt["ws_known_bytes"] + size_estimate * gt["ws_unsized"] if ws else 0
    if denied:
        return {"status": "error"}
    files = dbfs_files + ws_files
    source = {(True, True): "both", (True, False): "dbfs", (False, True): "workspace"}.get(
        (dbfs_files > 0, ws_files > 0), "none")
    return {
        "file_count": str(files),
        "total_size": str(dbfs_bytes + ws_bytes),
        "total_size_gb": f"{(dbfs_bytes + ws_bytes) / 1024**3:.2f}",
        "status": "success" if files else "empty",
        "file_source": source,
        "estimated_objects": str(gt["ws_unsized"] if ws else 0),
    }


def assert_matches_truth(rows, truth, users, **kw) -> None:
    assert [r["username"] for r in rows] == list(users), "rows must come in input order, one per user"
    for row in rows:
        want = expected(truth[row["username"]], **kw)
        got = {k: row[k] for k in want}
        assert got == want, f"{row['username']}: {got} != {want}"
        if want["status"] == "error":
            assert row["error"] and row["file_count"] == "", row


def scannable_users(workspace) -> list[str]:
    return [u["userName"] for u in workspace.users]
