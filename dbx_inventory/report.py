"""Human-readable text: the single-user report and the end-of-run summary line."""

from __future__ import annotations

from typing import Sequence

from .summary import UserResult


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return f"{n} B"


def user_report(result: UserResult, size_estimate: int) -> str:
    lines = [f"User: {result.username}"]
    labels = {"dbfs": f"DBFS (dbfs:/Users/{result.username})", "workspace": f"Workspace (/Users/{result.username})"}
    for part in result.parts:
        label = labels.get(part.fs, part.fs)
        if part.error:
            lines.append(f"  {label}: ERROR {part.error}")
        elif not part.found:
            lines.append(f"  {label}: no home folder")
        else:
            t = part.tally
            est = f", {t.estimated} objects estimated at {size_estimate} bytes each" if t.estimated else ""
            lines.append(f"  {label}: {t.files} files, {human_bytes(t.bytes)} ({t.bytes} bytes){est}; {t.folders} folders")
    if result.status == "error":
        lines.append("  Total: unknown, the scan failed (see above)")
    else:
        share = f"; {100 * result.estimated_bytes / result.total_size:.1f}% of the bytes estimated" if result.total_size and result.estimated_bytes else ""
        lines.append(f"  Total: {result.file_count} files, {human_bytes(result.total_size)} ({result.total_size} bytes){share}")
    lines.append(f"  Found in: {result.file_source}    Status: {result.status}    ({result.seconds:.1f}s)")
    return "\n".join(lines)


def run_summary(results: Sequence[UserResult], output: str | None) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("success", "empty", "error")}
    files = sum(r.file_count for r in results if r.status != "error")
    size = sum(r.total_size for r in results if r.status != "error")
    where = f"; inventory: {output}" if output and output != "-" else ""
    return (
        f"Scanned {len(results)} users: {counts['success']} with files, {counts['empty']} empty, "
        f"{counts['error']} failed; {files} files, {human_bytes(size)}{where}"
    )
