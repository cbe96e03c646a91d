"""What a workspace URL may be, and one spelling per workspace: rules checked before any request is sent."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

import requests

from ..core.errors import ConfigError


def is_loopback(hostname: str | None) -> bool:
    if not hostname:
        return False
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host_is_safe(host: str | None) -> None:
    """Refuse plain http:// except on loopback, before any request: a bearer token must not cross a
    network in clear text."""
    if not host:
        return
    url = urllib.parse.urlparse(host if "://" in host else f"https://{host}")
    if url.scheme == "http" and not is_loopback(url.hostname):
        raise ConfigError(
            f"refusing plain http:// for {url.hostname}: use https:// (http is allowed only for loopback addresses)"
        )
    if url.scheme not in ("http", "https"):
        raise ConfigError(f"the workspace URL must start with https://, not {url.scheme}://")
    if url.username or url.password:
        # A token in the URL ends up in logs, shell history and error messages: refuse it outright.
        raise ConfigError(f"the workspace URL must not carry credentials (user:password@): give the token "
                          f"with DATABRICKS_TOKEN, a profile or --token, and the URL as "
                          f"{url.scheme}://{url.netloc.rpartition('@')[2]}")


def check_host_resolves(host: str | None) -> None:
    """A host name that does not exist (NXDOMAIN) is final: say so at once, instead of letting the SDK's
    probe retry it. Skipped behind a proxy, which resolves names itself."""
    if not host:
        return
    name = urllib.parse.urlparse(host if "://" in host else f"https://{host}").hostname
    if not name or requests.utils.get_environ_proxies(f"https://{name}"):
        return
    try:
        socket.getaddrinfo(name, None)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise ConfigError(f"cannot resolve {name}: no such host") from None


def normalise_host(host: str) -> str:
    """One spelling per workspace: scheme and host lower-cased, localhost as 127.0.0.1, no default port or
    trailing slash. Used to tell whether a checkpoint belongs to this workspace."""
    url = urllib.parse.urlparse(host if "://" in host else f"https://{host}")
    name = (url.hostname or "").lower()
    if name == "localhost":
        name = "127.0.0.1"
    port = url.port
    if port and not ((url.scheme == "https" and port == 443) or (url.scheme == "http" and port == 80)):
        name = f"{name}:{port}"
    return f"{url.scheme.lower()}://{name}"


def workspace_label(host: str) -> str:
    """A workspace as the inventory's `workspace` column names it: host[:port], without the scheme."""
    return normalise_host(host).split("://", 1)[1]
