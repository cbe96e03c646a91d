"""Which workspaces a run over several covers: a profile each (--profiles), a file of URLs (--workspaces), or
every running workspace of the account (--account). Each becomes a Workspace: its label (host[:port], the
`workspace` column) and how to reach it, its credentials kept in its own client."""

from __future__ import annotations

import csv
import io
import urllib.parse
from dataclasses import dataclass, replace
from typing import Any

from ..api.account import Account
from ..api.config import AuthOptions, list_profiles
from ..api.hosts import check_host_is_safe, workspace_label
from ..core.errors import ConfigError, InputError
from .options import WorkspaceChoice

URL_COLUMNS = ("workspace_url", "url", "host")


@dataclass(frozen=True)
class Workspace:
    label: str
    auth: AuthOptions | None = None  # a profile, or a URL with the run's own credentials
    config: Any = None  # or an SDK Config the account made (its credentials)
    name: str = ""
    id: str = ""


def choose_workspaces(choice: WorkspaceChoice, run_auth: AuthOptions, account: Account | None) -> list[Workspace]:
    if choice.profiles:
        return from_profiles(choice.profiles)
    if choice.file:
        return from_file(choice.file, run_auth, account)
    assert account is not None, "--account makes the account first"
    return [Workspace(w.label, None, w.config, w.name, w.id) for w in account.workspaces()]


def from_profiles(names: tuple[str, ...]) -> list[Workspace]:
    known = {p.name: p for p in list_profiles()}
    missing = [n for n in names if n not in known]
    if missing:
        raise ConfigError(f"profile{'s' if len(missing) > 1 else ''} {', '.join(missing)} not found in the config "
                          f"file; profiles there: {', '.join(known) or 'none'}")
    out = []
    for name in names:
        if not known[name].host:
            raise ConfigError(f"profile '{name}' names no host")
        out.append(Workspace(workspace_label(known[name].host), AuthOptions(profile=name)))
    return _once(out)


def from_file(path: str, run_auth: AuthOptions, account: Account | None = None) -> list[Workspace]:
    """One URL per line (# comments and blank lines skipped), or a CSV whose header names workspace_url (or
    url, host) and optionally profile. A URL without a profile uses the run's own credentials on that host,
    or with --account-profile the account's."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read the workspaces file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"the workspaces file {path} is not UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"the workspaces file {path} names no workspace")
    header = [c.strip().casefold() for c in next(csv.reader([lines[0]]))]
    url_column = next((c for c in URL_COLUMNS if c in header), None)
    rows: list[tuple[str, str]] = []
    if url_column:
        for row in csv.DictReader(io.StringIO("\n".join(lines)), fieldnames=header):
            if row is not None and [v.strip().casefold() for v in row.values() if isinstance(v, str)] != header:
                rows.append(((row.get(url_column) or "").strip(), (row.get("profile") or "").strip()))
    elif "," in lines[0] or not any(mark in lines[0] for mark in (".", ":", "localhost")):
        raise InputError(f"the workspaces file {path} looks like a CSV without a workspace_url (or url, host) column "
                         f"(its first line is {lines[0][:60]!r})")
    else:
        rows = [(line, "") for line in lines]
    known = {p.name for p in list_profiles()}
    missing = sorted({profile for _, profile in rows if profile and profile not in known})
    if missing:
        raise ConfigError(f"the workspaces file {path} names profiles not in the config file: {', '.join(missing)}")
    out = []
    for number, (url, profile) in enumerate(rows, 1):
        if not url:
            raise InputError(f"the workspaces file {path} has a row without a URL (row {number})")
        # What a browser shows (https://adb-1234.5.azuredatabricks.net/?o=1234, a page's path): its host.
        parsed = urllib.parse.urlsplit(url if "://" in url else f"https://{url}")
        host = f"{parsed.scheme}://{parsed.netloc}"
        check_host_is_safe(host)
        if profile:
            out.append(Workspace(workspace_label(host), AuthOptions(profile=profile, host=host)))
        elif account is not None:
            out.append(Workspace(workspace_label(host), None, account.config_for(host)))
        else:
            out.append(Workspace(workspace_label(host), replace(run_auth, host=host)))
    return _once(out)


def _once(workspaces: list[Workspace]) -> list[Workspace]:
    """A workspace named twice (two profiles of one host) is scanned once, with the first one's credentials."""
    seen: dict[str, Workspace] = {}
    for w in workspaces:
        seen.setdefault(w.label, w)
    return list(seen.values())
