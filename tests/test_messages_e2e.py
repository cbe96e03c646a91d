"""Messages that say exactly what happened: each names what the admin gave, not what they might have given."""

from __future__ import annotations

from types import SimpleNamespace

from dbx_inventory.api.pacer import Pacer
from dbx_inventory.outputs.progress import pace
from tests.conftest import SCAN, clean_env, emulator_env, run, scan, scannable_users
from tests.fakes import FakeClock


def test_an_empty_users_file_is_named(tmp_path, server):
    (tmp_path / "users.txt").write_text("# nobody yet\n\n")
    r = scan(tmp_path, server, "--users-file", "users.txt")
    assert r.returncode == 1
    assert r.stderr.strip() == ("error: no users to scan: the users file users.txt holds no user names (blank "
                                "lines and # comments are skipped)")


def test_a_url_with_credentials_suggests_itself_without_them(tmp_path, server):
    url = server.url.replace("http://", "http://admin:hunter2@")
    r = run(SCAN, "someone@example.com", env=clean_env(tmp_path, DATABRICKS_HOST=url, DATABRICKS_TOKEN="x"))
    assert r.returncode == 1 and "hunter2" not in r.stderr
    assert f"the URL as {server.url}" in r.stderr  # the same scheme and port, only the userinfo gone


def test_a_format_that_the_file_name_contradicts_is_warned_about(tmp_path, server, workspace):
    r = scan(tmp_path, server, *scannable_users(workspace)[:2], "--format", "json", "-o", "inv.csv")
    assert r.returncode == 0, r.stderr
    assert "--format json writes JSON into inv.csv, whose name says CSV" in r.stderr
    assert (tmp_path / "inv.csv").read_text().lstrip().startswith("{")
    r = run(SCAN, *scannable_users(workspace)[:2], "--format", "json", "-o", "inv.json",
            env=emulator_env(tmp_path, server))
    assert "whose name says" not in r.stderr


def test_the_pace_names_its_cause():
    clock = FakeClock()
    scim = Pacer("scim", clock, initial_rate=4)
    scim.acquire()
    scim.release()
    assert pace(SimpleNamespace(pacer_states=lambda: [scim.state()])) == "pacing scim at 4 req/s (its starting rate)"
    capped = Pacer("dbfs", clock, max_rps=7)
    capped.acquire()
    capped.release()
    assert pace(SimpleNamespace(pacer_states=lambda: [scim.state(), capped.state()])) == "pacing at 7 req/s (--max-rps)"
