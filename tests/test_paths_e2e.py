"""An output that is the same file as an input or as another output is refused before the first request,
however it is spelled, with one sentence naming both options (exit 2); nothing is touched."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from dbx_inventory.core.errors import InputError
from dbx_inventory.outputs.paths import refuse_collisions, same_file
from tests.conftest import ROOT, USERS, clean_env, run, scan, scannable_users

REPORT = ("-m", "dbx_inventory.report")


@pytest.mark.parametrize("args,first,second", [
    (["-o", "X.csv", "--checkpoint", "X.csv"], "--output", "--checkpoint"),
    (["--files-output", "F.csv", "--checkpoint", "F.csv"], "--files-output", "--checkpoint"),
    (["-o", "X.csv", "--html", "X.csv"], "--output", "--html"),
    (["-o", "X.csv", "--files-output", "X.csv"], "--output", "--files-output"),
    (["-o", "-", "--html", "-"], "--output", "--html"),
    (["-o", "users.txt"], "--output", "--users-file"),
    (["--log-file", "./sub/../users.txt"], "--log-file", "--users-file"),
    (["-o", "old.csv", "--compare", "old.csv"], "--output", "--compare"),
    (["--checkpoint", "link.txt"], "--checkpoint", "--users-file"),  # a symlink to the users file
    (["--log-file", "hard.txt"], "--log-file", "--users-file"),  # a hard link to it
])
def test_the_scanner_refuses_colliding_paths(tmp_path, server, args, first, second):
    users = tmp_path / "users.txt"
    users.write_text("a@example.com\nb@example.com\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "old.csv").write_text("username,file_count\n")
    os.symlink(users, tmp_path / "link.txt")
    os.link(users, tmp_path / "hard.txt")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    proc = scan(tmp_path, server, "--users-file", "users.txt", *args)
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert first in last and second in last and "Traceback" not in proc.stderr
    assert server.stats()["requests"] == {}  # refused before the first request
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # nothing written, nothing replaced


def test_the_report_refuses_to_replace_what_it_reads(tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text("username,file_count,total_size,total_size_gb,status,file_source,error\nu,1,1,0.00,success,dbfs,\n")
    old = inv.read_text()
    env = clean_env(tmp_path, PYTHONPATH=str(ROOT))
    for args in (["inv.csv", "-o", "inv.csv"], ["inv.csv", "--previous", "inv.csv", "-o", "./inv.csv"]):
        proc = _report(tmp_path, env, *args)
        assert proc.returncode == 2, proc.stderr
        assert "-o/--output" in proc.stderr and "Traceback" not in proc.stderr
        assert inv.read_text() == old


def _report(tmp_path, env, *args):
    return subprocess.run([sys.executable, *REPORT, *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)


def test_the_exporter_refuses_a_log_file_over_its_output(tmp_path, server):
    env = clean_env(tmp_path, DATABRICKS_HOST=server.url, DATABRICKS_TOKEN="x")
    proc = run(USERS, "-o", "u.txt", "--log-file", "u.txt", env=env)
    assert proc.returncode == 2 and "--output and --log-file" in proc.stderr
    assert server.stats()["requests"] == {}


@pytest.mark.parametrize("flag", [["--active-only"], ["--inactive-only"], ["--max-users", "5"]])
def test_the_exporter_refuses_to_narrow_all_homes(tmp_path, server, flag):
    env = clean_env(tmp_path, DATABRICKS_HOST=server.url, DATABRICKS_TOKEN="x")
    proc = run(USERS, "--all-homes", *flag, env=env)
    assert proc.returncode == 2 and flag[0] in proc.stderr and "--all-homes" in proc.stderr


def test_same_file_by_any_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "a.txt").write_text("x")
    os.symlink(tmp_path / "d", tmp_path / "dlink")
    assert same_file("a.txt", str(tmp_path / "d" / ".." / "a.txt"))
    assert same_file("dlink/new.csv", "d/new.csv")  # neither exists: real paths agree
    assert not same_file("a.txt", "b.txt") and not same_file("-", "a.txt") and same_file("-", "-")
    refuse_collisions([("--output", "x"), ("--html", None)], [("--users-file", "-")])  # stdin clashes with nothing
    with pytest.raises(InputError, match="--output would overwrite --users-file"):
        refuse_collisions([("--output", "a.txt")], [("--users-file", "./a.txt")])


def test_an_output_through_a_symlink_is_written_to_its_target(tmp_path, server, workspace):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real" / "inv.csv", tmp_path / "link.csv")
    proc = scan(tmp_path, server, *scannable_users(workspace)[:2], "-o", "link.csv", "--html", "link.csv.html")
    assert proc.returncode == 0, proc.stderr
    assert os.path.islink(tmp_path / "link.csv")  # the link is still a link...
    assert (tmp_path / "real" / "inv.csv").read_text().startswith("username,")  # ...and its target was written


def test_an_output_that_is_a_pipe_is_written_into_not_replaced(tmp_path, server, workspace):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    proc = scan(tmp_path, server, *scannable_users(workspace)[:2], "-o", "inv.csv", "--html", str(fifo))
    page, _ = reader.communicate(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert page.startswith("<!DOCTYPE html>") and stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("args,names", [
    (["--checkpoint", "cp", "-o", "cp.lock.pid"], ("--output", "--checkpoint")),
    (["-o", "-", "--html", "/dev/stdout"], ("--output", "--html")),
])
def test_the_files_beside_an_output_and_stdout_by_another_name_collide(tmp_path, server, args, names):
    proc = scan(tmp_path, server, "--all-homes", *args)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert all(n in proc.stderr for n in names)
    assert server.stats()["requests"] == {}
