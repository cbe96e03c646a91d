"""Shared doubles: the emulator (a real HTTP server), subprocess runs of the real scripts, ground truth."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulator import EmulatorServer, Faults, build_workspace
from tests.oracle import mismatches, write_users_file

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "dapi-e2e-secret-token-5f3a"
NO_LIMITS = Faults(rate=None)
SCAN = ROOT / "databricks_user_files_simple.py"
USERS = ROOT / "databricks_user_list.py"
CKPT = ".checkpoint_progress.json"  # the scanner's default checkpoint, in the test's directory


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


def fresh(srv: EmulatorServer) -> EmulatorServer:
    """An emulator shared by several tests, as each test finds it: no faults, the test token, fresh counters, and
    no file another test uploaded to a volume."""
    srv.set_faults(NO_LIMITS)
    srv.set_token(TOKEN)
    srv.reset_stats()
    srv.volume_files.clear()
    return srv


@pytest.fixture
def server(shared_server):
    """The session's emulator, reset for each test."""
    return fresh(shared_server)


@pytest.fixture(scope="session")
def shared_account():
    """An emulated account of three workspaces (tests/account.py), started once per session."""
    from tests.account import start_account  # it imports this module's helpers

    with start_account() as account:
        yield account


@pytest.fixture
def emulated_account(shared_account):
    """The session's emulated account, reset for each test: an EmulatedAccount (tests/account.py)."""
    return shared_account.reset()


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


def scan(tmp_path: Path, srv: EmulatorServer, *args: str, token: str = TOKEN, **kw) -> subprocess.CompletedProcess:
    """The real scanner against the emulator, in the test's own directory."""
    return run(SCAN, *args, env=emulator_env(tmp_path, srv, token=token), **kw)


def start_scan(tmp_path: Path, srv: EmulatorServer | None, *args: str, env: dict[str, str] | None = None,
               python: str = sys.executable, **popen) -> subprocess.Popen:
    """The real scanner in the background against the emulator (or with `env`), in the test's own directory.
    Its stdout and stderr are piped as text unless `popen` says otherwise."""
    assert env is not None or srv is not None
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **popen}
    return subprocess.Popen([python, str(SCAN), *args], env=env or emulator_env(tmp_path, srv), cwd=tmp_path,
                            **options)


def checkpoint_records(path: Path) -> list[dict]:
    """The user records of a checkpoint (its header is not one), without a torn last line."""
    *complete, _torn = path.read_bytes().split(b"\n")
    return [json.loads(line) for line in complete[1:] if line.strip()]


def wait_for_checkpoint(path: Path, users: int, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    """Until the checkpoint at `path` holds at least `users` user records. Fails at once if `proc` ends first,
    and after `timeout` s, a bound only a hung scanner reaches."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(checkpoint_records(path)) >= users:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the scanner ended (exit code {proc.returncode}) before {path.name} held "
                                 f"{users} users")
        time.sleep(0.02)
    raise AssertionError(f"{path.name} never held {users} users in {timeout:.0f} s")


def user_of(workspace, case: str) -> str:
    """The home of the emulator's first principal of a kind ("both", "empty", "denied", ...)."""
    return next(p.home for p in workspace.principals if p.case == case)


def read_csv(text_or_path) -> list[dict[str, str]]:
    text = Path(text_or_path).read_text(encoding="utf-8") if isinstance(text_or_path, Path) else text_or_path
    return list(csv.DictReader(io.StringIO(text)))


def assert_matches_truth(rows, truth, users, **kw) -> None:
    problems = mismatches(rows, truth, users, **kw)
    assert not problems, "\n".join(problems[:10])


def scannable_users(workspace) -> list[str]:
    return [u["userName"] for u in workspace.users]


@pytest.fixture
def users_file(tmp_path, workspace) -> Path:
    """Every SCIM user of the session's workspace, one per line, as the exporter writes them."""
    return write_users_file(tmp_path / "users.csv", scannable_users(workspace))


SPARK_MODULES = {"test_spark_e2e.py", "test_runtime_e2e.py", "test_readme_e2e.py"}
# The fast layer, in-process and pure: run on Python 3.10 too (tests/py310.py), with the end-to-end tests marked
# `py310` one by one.
UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, every test that starts a local Spark runs on one worker: a local Spark Connect server
    listens on a fixed port. The Databricks Connect tests (their own server, on a free port) form a group of
    their own and go last, so that their environments (built in the background by `make test`) are ready.
    The fast layer is marked `py310`."""
    for item in items:
        if UNIT in item.path.parents:
            item.add_marker(pytest.mark.py310)
        if item.path.name in SPARK_MODULES or "spark" in item.name:
            item.add_marker(pytest.mark.xdist_group("spark"))
    items.sort(key=lambda item: item.path.name == "test_dbconnect_e2e.py")
