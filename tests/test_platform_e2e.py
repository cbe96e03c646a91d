"""Python as on Windows: tests/no_posix/sitecustomize.py refuses the POSIX-only modules of the standard library
(fcntl, termios, pwd, grp, resource). A scan, a second run on its checkpoint, a kill -9, a resume and the HTML
report must all work without them, as they do on an admin's Windows laptop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from emulator import Faults
from tests.conftest import (
    CKPT,
    ROOT,
    SCAN,
    assert_matches_truth,
    checkpoint_records,
    emulator_env,
    read_csv,
    run,
    scannable_users,
    start_scan,
    wait_for_checkpoint,
)

REFUSED = ("fcntl", "termios", "pwd", "grp", "resource")
# ROOT too: `python -m dbx_inventory.report` runs from the test's directory, not the checkout.
PYTHONPATH = os.pathsep.join([str(ROOT / "tests" / "no_posix"), str(ROOT)])


def no_posix_env(tmp_path, srv):
    return emulator_env(tmp_path, srv, PYTHONPATH=PYTHONPATH)


@pytest.mark.py310
def test_the_posix_modules_cannot_be_imported(tmp_path, server):
    """The block itself: otherwise the test below would prove nothing."""
    probe = "import importlib, sys\nfor name in sys.argv[1:]:\n    try:\n        importlib.import_module(name)\n" \
            "    except ImportError:\n        print('refused', name)\n    else:\n        print('imported', name)"
    r = subprocess.run([sys.executable, "-c", probe, *REFUSED, "os"], env=no_posix_env(tmp_path, server),
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:-1] == [f"refused {m}" for m in REFUSED] + ["imported os"]
    r = subprocess.run([sys.executable, "-c", "import fcntl"], env=no_posix_env(tmp_path, server), capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 1 and "ModuleNotFoundError" in r.stderr


@pytest.mark.py310
def test_scan_kill_resume_and_report_without_posix_modules(tmp_path, server, workspace, truth, users_file):
    env = no_posix_env(tmp_path, server)
    server.set_faults(Faults(rate=None, latency_ms=40))
    proc = start_scan(tmp_path, None, "--users-file", str(users_file), "-o", "inv.csv", "--workers", "2", env=env)
    try:
        wait_for_checkpoint(tmp_path / CKPT, 3, proc=proc)
        second = run(SCAN, "--users-file", str(users_file), "-o", "other.csv", "--resume", env=env)
    finally:
        proc.kill()  # kill -9 on POSIX: the lock's holder dies without releasing anything
        _, first_err = proc.communicate()
    assert second.returncode == 1, second.stderr
    assert f"error: another run (pid {proc.pid}) is using checkpoint {CKPT}" in second.stderr
    assert "Traceback" not in first_err
    saved = {r["user"] for r in checkpoint_records(tmp_path / CKPT)}
    assert 3 <= len(saved) < len(scannable_users(workspace))

    server.set_faults(Faults(rate=None))
    r = run(SCAN, "--users-file", str(users_file), "-o", "inv.csv", "--resume", env=env)
    assert r.returncode == 3, r.stderr  # exit 3: the emulator has users whose homes are denied
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr
    assert "already done" in r.stderr
    assert_matches_truth(read_csv(tmp_path / "inv.csv"), truth, scannable_users(workspace))
    assert not list(tmp_path.glob(CKPT + "*"))  # the finished run removed its checkpoint, lock and pid file

    r = subprocess.run([sys.executable, "-m", "dbx_inventory.report", "inv.csv", "-o", "report.html"], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and scannable_users(workspace)[0] in page
