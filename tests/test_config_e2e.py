"""Configuration and auth failures: one plain sentence, the right exit code, nothing sent where it must not be."""

from __future__ import annotations

import socket
import time

from tests.conftest import SCAN, TOKEN, USERS, clean_env, read_csv, run


def write_cfg(tmp_path, text):
    cfg = tmp_path / "databrickscfg"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def one_line_error(r):
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_profile_from_config_file(tmp_path, server, workspace):
    cfg = write_cfg(tmp_path, f"[DEFAULT]\nhost = https://unused.example.com\n\n[EMU]\nhost = {server.url}\ntoken = {TOKEN}\n")
    env = clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    user = workspace.users[0]["userName"]
    r = run(SCAN, user, "--profile", "EMU", "-o", "-", env=env)
    assert r.returncode == 0, r.stderr  # the first user holds files, in both homes
    assert read_csv(r.stdout)[0]["username"] == user


def test_profile_from_environment_variable(tmp_path, server, workspace):
    cfg = write_cfg(tmp_path, f"[EMU]\nhost = {server.url}\ntoken = {TOKEN}\n")
    env = clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg), DATABRICKS_CONFIG_PROFILE="EMU")
    r = run(USERS, "--max-users", "2", env=env)
    assert r.returncode == 0, r.stderr


def test_workspace_url_and_token_flags_override_the_profile(tmp_path, server, workspace):
    cfg = write_cfg(tmp_path, "[EMU]\nhost = https://elsewhere.example.com\ntoken = dapi-stale\n")
    env = clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg))
    r = run(USERS, "--profile", "EMU", "--workspace-url", server.url, "--token", TOKEN, "--max-users", "2", env=env)
    assert r.returncode == 0, r.stderr


def test_original_workspace_url_variable(tmp_path, server):
    env = clean_env(tmp_path, DATABRICKS_WORKSPACE_URL=server.url, DATABRICKS_TOKEN=TOKEN)
    r = run(USERS, "--max-users", "1", env=env)
    assert r.returncode == 0, r.stderr


def test_list_profiles_shows_each_host_and_auth_type(tmp_path):
    cfg = write_cfg(tmp_path, "[DEFAULT]\nhost = https://a.example.com\ntoken = dapi-x\n\n"
                              "[PROD]\nhost = https://b.example.com\nclient_id = c\nclient_secret = s\n\n"
                              "[AZ]\nhost = https://adb-1.azuredatabricks.net\nauth_type = azure-cli\n")
    r = run(USERS, "--list-profiles", env=clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    assert r.returncode == 0
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows == [["Name", "Host", "Auth", "type"], ["DEFAULT", "(DEFAULT)", "https://a.example.com", "pat"],
                    ["PROD", "https://b.example.com", "oauth-m2m"], ["AZ", "https://adb-1.azuredatabricks.net", "azure-cli"]]
    assert "dapi-x" not in r.stdout


def test_unknown_profile_is_named(tmp_path, server):
    cfg = write_cfg(tmp_path, f"[EMU]\nhost = {server.url}\ntoken = {TOKEN}\n")
    r = run(SCAN, "a@b.com", "--profile", "NOPE", env=clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    line = one_line_error(r)
    assert "'NOPE'" in line and "EMU" in line
    assert sum(server.stats()["requests"].values()) == 0


def test_no_credentials_lists_the_ways(tmp_path):
    r = run(SCAN, "a@b.com", env=clean_env(tmp_path))
    line = one_line_error(r)
    assert "--profile" in line and "DATABRICKS_TOKEN" in line


def test_unreachable_port_fails_fast(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket is closed
    env = clean_env(tmp_path, DATABRICKS_HOST=f"http://127.0.0.1:{port}", DATABRICKS_TOKEN=TOKEN)
    started = time.monotonic()
    r = run(SCAN, "a@b.com", "-o", str(tmp_path / "x.csv"), "--retry-deadline", "3", env=env)
    line = one_line_error(r)
    assert "cannot reach" in line and TOKEN not in r.stderr
    # Wide for a loaded machine, still far below the failure it guards: --retry-deadline ignored, and the
    # default 120 s of retries spent on a port where nothing listens.
    assert time.monotonic() - started < 60
    assert not (tmp_path / "x.csv").exists()


def test_plain_http_refused_for_remote_hosts_before_sending(tmp_path):
    env = clean_env(tmp_path, DATABRICKS_HOST="http://workspace.example.com", DATABRICKS_TOKEN=TOKEN)
    started = time.monotonic()
    r = run(USERS, env=env)
    line = one_line_error(r)
    assert "http://" in line and "workspace.example.com" in line
    # Refused before any connection attempt; the bound is wide for a loaded machine and still below the 30 s of
    # retries an attempt to reach the host would take.
    assert time.monotonic() - started < 25


def test_plain_http_refused_from_a_profile(tmp_path):
    cfg = write_cfg(tmp_path, f"[P]\nhost = http://10.0.0.1:8080\ntoken = {TOKEN}\n")
    r = run(SCAN, "a@b.com", "--profile", "P", env=clean_env(tmp_path, DATABRICKS_CONFIG_FILE=str(cfg)))
    line = one_line_error(r)
    assert "refusing plain http://" in line and TOKEN not in r.stderr


def test_bad_flag_values_are_usage_errors(tmp_path):
    r = run(SCAN, "a@b.com", "--workers", "0", env=clean_env(tmp_path))
    assert r.returncode == 2 and "--workers" in r.stderr
