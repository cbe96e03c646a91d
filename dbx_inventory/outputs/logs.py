"""Logging to stderr (never stdout, which may carry the CSV), with every record through the one redaction."""

from __future__ import annotations

import logging
import sys

from ..core.errors import InputError
from ..core.redact import redact

log = logging.getLogger("dbx_inventory")


class RedactingFilter(logging.Filter):
    """Every record through the one redaction; the SDK's probe of /.well-known/databricks-config left out:
    its 404 is expected on most workspaces and reads like a fault (the SDK makes no other request here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.name.startswith("databricks.sdk") and any(w in text for w in ("databricks-config", "host metadata", "Retrying")):
            return False
        record.msg = redact(text)
        record.args = None
        return True


class LogFileHandler(logging.FileHandler):
    """--log-file: a log that can no longer be written (a full disk) is reported once on stderr, and the run
    goes on logging to stderr only, instead of a traceback for every record."""

    def handleError(self, record: logging.LogRecord) -> None:
        if getattr(self, "_failed", False):
            return
        self._failed = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or str(error)
        print(f"warning: cannot write the log file {self.baseFilename} ({reason}): it stops here, and the log "
              "goes on on stderr only", file=sys.stderr)
        log.removeHandler(self)
        try:
            self.close()
        except OSError:
            pass


def setup_logging(debug: bool = False, quiet: bool = False, log_file: str | None = None) -> None:
    """stderr gets INFO (errors only with --quiet, everything with --debug); a --log-file gets INFO or
    DEBUG whatever --quiet says, so cron can keep a full log while mailing only errors."""
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.DEBUG if debug else (logging.ERROR if quiet else logging.INFO))
    handlers: list[logging.Handler] = [stderr]
    if log_file:
        try:
            file_handler = LogFileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot open log file {log_file}: {exc.strerror}") from None
        file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handlers.append(file_handler)
    redactor = RedactingFilter()
    stderr.setFormatter(logging.Formatter("%(message)s" if not debug else "%(asctime)s %(threadName)s %(message)s"))
    for h in handlers:
        h.addFilter(redactor)
    log.handlers[:] = handlers
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    log.propagate = False
    # The SDK's own lines (how it resolved the credentials) only under --debug.
    sdk = logging.getLogger("databricks.sdk")
    sdk.handlers[:] = handlers if debug else []
    sdk.setLevel(logging.DEBUG if debug else logging.CRITICAL)
    sdk.propagate = False
    logging.getLogger("urllib3").setLevel(logging.WARNING)
