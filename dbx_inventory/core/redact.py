"""One redaction for every text that leaves the process: rows, checkpoint records, logs and sentences.

It removes the secrets this run knows (the configured token), any `Bearer ...` or `Basic ...` credential a
server may echo back in an error body, and the userinfo of URLs (`https://token:SECRET@host`).
"""

from __future__ import annotations

import re
import threading
from typing import Any

_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[A-Za-z0-9._~+/=-]{4,}")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
MASK = "***"


class _Secrets:
    """The secrets known to this process. Spark ships this module by value with its tasks: a pickled copy
    arrives empty, so no secret travels that way (the task carries its own token, masked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Secrets, ())

    def add(self, secret: str) -> None:
        with self._lock:
            self._values.add(secret)

    def longest_first(self, extra: set[str]) -> list[str]:
        with self._lock:
            return sorted(self._values | extra, key=len, reverse=True)


_SECRETS = _Secrets()


def add_secret(secret: str | None) -> None:
    """Remember a secret for every later redaction (short strings would mask ordinary words)."""
    if secret and len(secret) >= 4:
        _SECRETS.add(secret)


def redact(text: str, *secrets: str | None) -> str:
    for secret in _SECRETS.longest_first({s for s in secrets if s and len(s) >= 4}):
        text = text.replace(secret, MASK)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
