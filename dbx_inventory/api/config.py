"""Authentication and configuration through databricks-sdk's unified auth (`Config`).

The SDK resolves explicit arguments, then
the environment (DATABRICKS_HOST, DATABRICKS_TOKEN, DATABRICKS_CONFIG_PROFILE, OAuth, ARM_*...), then the
profile; we only add the DATABRICKS_WORKSPACE_URL alias (docs/history.md) and turn its errors into one
sentence. An unknown profile is an error that names it, never a silent fallback to DEFAULT.
"""

from __future__ import annotations

import configparser
import os
import pathlib
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..core.errors import ConfigError
from ..core.redact import add_secret, redact
from .hosts import check_host_is_safe, check_host_resolves
from .sdk_import import defer_sdk_init

defer_sdk_init()  # before the SDK's first import: Config alone, not every service client (sdk_import.py)
from databricks.sdk.config import Config  # noqa: E402

NO_CREDENTIALS = (
    "no Databricks credentials found: pass --profile NAME (see --list-profiles), or --workspace-url and "
    "--token, or set DATABRICKS_HOST (or DATABRICKS_WORKSPACE_URL) and DATABRICKS_TOKEN, or OAuth "
    "(DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET) or Azure (ARM_*) variables, or run "
    "'databricks configure' to create a DEFAULT profile"
)


@dataclass(frozen=True)
class AuthOptions:
    profile: str | None = None
    host: str | None = None
    token: str | None = None
    # Bounds the SDK's own probe of /.well-known/databricks-config during Config(): against a dead host
    # it otherwise retries for retry_timeout_seconds (300 s by default, docs/api-notes.md).
    probe_seconds: int = 10
    # The compute of Databricks Connect, carried by the same Config as the credentials: databricks-connect
    # refuses a builder that sets the cluster beside sdkConfig() (docs/api-notes.md).
    cluster_id: str | None = None
    serverless: bool = False


def config_file_path() -> pathlib.Path:
    return pathlib.Path(os.environ.get("DATABRICKS_CONFIG_FILE", "~/.databrickscfg")).expanduser()


@dataclass(frozen=True)
class Profile:
    name: str
    is_default: bool
    host: str
    auth_type: str


# The auth type a profile's keys imply, as `databricks auth profiles` names them (first match wins).
_AUTH_KEYS = (("token", "pat"), ("client_secret", "oauth-m2m"), ("azure_client_secret", "azure-client-secret"),
              ("azure_use_msi", "azure-msi"), ("google_service_account", "google-id"),
              ("google_credentials", "google-credentials"), ("cluster_id", "databricks-cli"))


def list_profiles(path: pathlib.Path | None = None) -> list[Profile]:
    """The profiles in the config file: name, whether it is DEFAULT, host and auth type. Only what the file
    says: resolving a profile's credentials is the SDK's job."""
    path = path or config_file_path()
    if not path.exists():
        return []
    parser = configparser.ConfigParser(interpolation=None, default_section="\0none")
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"cannot read {path}: {exc.__class__.__name__}") from None
    profiles = []
    for name in parser.sections():
        if name == "__settings__":
            continue
        keys = parser[name]
        auth = keys.get("auth_type") or next((t for k, t in _AUTH_KEYS if keys.get(k)), "databricks-cli")
        profiles.append(Profile(name, name == "DEFAULT", keys.get("host", ""), auth))
    return sorted(profiles, key=lambda p: not p.is_default)


class _GuardedConfig(Config):
    """Config that checks the host's scheme before the SDK's first request (its host-metadata probe)."""

    def _resolve_host_metadata(self) -> None:
        check_host_is_safe(self.host)
        check_host_resolves(self.host)
        super()._resolve_host_metadata()


# Config discovers its attributes from the class's own __dict__ and caches them on the class: a subclass
# must share the parent's list, or it would see no attributes at all.
_GuardedConfig._attributes = list(Config.attributes())  # type: ignore[attr-defined]


def _check_profile_exists(profile: str) -> None:
    path = config_file_path()
    names = [p.name for p in list_profiles(path)]
    if profile not in names:
        known = ", ".join(names) if names else "none"
        where = str(path) if path.exists() else f"{path} (which does not exist)"
        raise ConfigError(f"profile '{profile}' not found in {where}; profiles there: {known}")


def resolve_config(opts: AuthOptions) -> Config:
    for secret in (opts.token, os.environ.get("DATABRICKS_TOKEN"), os.environ.get("DATABRICKS_CLIENT_SECRET")):
        add_secret(secret)
    host = opts.host or None
    if not host and not os.environ.get("DATABRICKS_HOST") and os.environ.get("DATABRICKS_WORKSPACE_URL"):
        host = os.environ["DATABRICKS_WORKSPACE_URL"]  # the earlier toolkit's name for DATABRICKS_HOST
    check_host_is_safe(host or os.environ.get("DATABRICKS_HOST"))
    profile = opts.profile or os.environ.get("DATABRICKS_CONFIG_PROFILE") or None
    if profile:
        _check_profile_exists(profile)
    kwargs: dict[str, Any] = {
        "retry_timeout_seconds": max(1, int(opts.probe_seconds)),
        "http_timeout_seconds": max(1, int(opts.probe_seconds)),
    }
    if profile:
        kwargs["profile"] = profile
    if host:
        kwargs["host"] = host
    if opts.token:
        kwargs["token"] = opts.token
        kwargs["auth_type"] = "pat"  # an explicit token overrides the profile's own auth method
    if opts.cluster_id:
        kwargs["cluster_id"] = opts.cluster_id
    if opts.serverless:
        kwargs["serverless_compute_id"] = "auto"
    try:
        cfg = _GuardedConfig(product="dbx-workspace-inventory", product_version=__version__, **kwargs)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(_explain(str(exc), opts)) from None
    if not cfg.host:
        raise ConfigError(NO_CREDENTIALS)
    check_host_is_safe(cfg.host)
    for name in ("token", "client_secret", "azure_client_secret", "password"):
        add_secret(getattr(cfg, name, None))  # a profile's secrets, known only now
    if opts.serverless:
        cfg.as_dict().pop("cluster_id", None)  # a profile's cluster beside serverless: databricks-connect refuses both
    elif opts.cluster_id:
        cfg.as_dict().pop("serverless_compute_id", None)
    return cfg


def _explain(message: str, opts: AuthOptions) -> str:
    # The SDK's messages name the auth methods it tried; ours tells an admin what to do instead.
    if "cannot configure default credentials" in message or "host" in message.lower() and "not" in message:
        return NO_CREDENTIALS
    first = message.split(". Config:")[0].split(". Env:")[0].strip()
    return f"invalid Databricks configuration: {redact(first, opts.token)}"
