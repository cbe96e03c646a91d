"""Logging to stderr (never stdout, which may carry the CSV), with secrets masked in every record."""

from __future__ import annotations

import logging
import sys

from .config import redact

log = logging.getLogger("dbx_inventory")


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = redact(record.getMessage(), *self.secrets)
            record.args = None
        return True


def setup_logging(debug: bool = False, quiet: bool = False, secrets: list[str] | None = None,
                  log_file: str | None = None) -> None:
    level = logging.DEBUG if debug else (logging.ERROR if quiet else logging.INFO)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    redactor = RedactingFilter(secrets or [])
    for h in handlers:
        h.setFormatter(logging.Formatter("%(message)s" if not debug else "%(asctime)s %(threadName)s %(message)s"))
        h.addFilter(redactor)
    log.handlers[:] = handlers
    log.setLevel(level)
    log.propagate = False
    # The SDK logs a warning when /.well-known/databricks-config is absent: noise for an admin.
    sdk = logging.getLogger("databricks.sdk")
    sdk.handlers[:] = handlers if debug else []
    sdk.setLevel(logging.DEBUG if debug else logging.CRITICAL)
    sdk.propagate = False
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def add_secret(secret: str | None) -> None:
    for h in log.handlers:
        for f in h.filters:
            if isinstance(f, RedactingFilter) and secret:
                f.secrets.append(secret)
