"""Human-readable text: the single-user report and the end-of-run summary line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.model import PartResult, UserResult, total
from .changes import Comparison
from .columns import record
from .statistics import Statistics

UNITS = ("KiB", "MiB", "GiB", "TiB")


def human_bytes(n: int) -> str:
    """Binary units, labelled as such: 308,608,130 bytes is 294.31 MiB. Every size shown anywhere (the
    summary, the one-user report, the progress line, the HTML report's tooltips and table) is formatted
    here, so one number always reads the same. Two decimals rounded half up on the exact value, in integers:
    80,000 bytes is 78.125 KiB exactly, shown 78.13 KiB (float formatting gives 78.12 there, a browser's
    toFixed 78.13); a value that rounds up to 1024.00 is shown in the next unit."""
    sign, n = ("-" if n < 0 else ""), abs(int(n))
    if n < 1024:
        return f"{sign}{n} B"
    for power, unit in enumerate(UNITS, 1):
        scale = 1024**power
        hundredths = (200 * n + scale) // (2 * scale)
        if hundredths < 1024 * 100 or unit == UNITS[-1]:
            return f"{sign}{hundredths // 100}.{hundredths % 100:02d} {unit}"
    raise AssertionError("unreachable")


PLACE_LABELS = {("home", "dbfs"): "DBFS", ("home", "workspace"): "Workspace", ("repos", "workspace"): "Repos",
                ("uploads", "dbfs"): "Uploads"}
MISSING = {("home", "dbfs"): "no home in DBFS", ("home", "workspace"): "no home in the Workspace",
           ("repos", "workspace"): "no folder in /Repos", ("uploads", "dbfs"): "no uploads folder"}
OWNER_WORDS = {"active": "active user", "inactive": "deactivated user (SCIM active: false)",
               "service_principal": "service principal",
               "removed": "removed: no current user or service principal owns this home; its data can be reclaimed",
               "unassigned": "unassigned: its owner left this workspace but is still an active user of the account; keep it"}


def _where(part: PartResult) -> str:
    label = PLACE_LABELS.get((part.location, part.fs), part.location)
    return f"{label} ({'dbfs:' if part.fs == 'dbfs' else ''}{part.path})" if part.path else label


def user_report(result: UserResult, size_estimate: int) -> str:
    name = result.username + (f" (home {result.home})" if result.home else "")
    lines = [f"User: {name}" + (f", {result.display_name}" if result.display_name and result.display_name != result.username else "")]
    if result.owner_status:
        lines.append(f"  Owner: {OWNER_WORDS.get(result.owner_status, result.owner_status)}")
    if result.error:
        lines.append(f"  ERROR {result.error}")
    for part in result.parts:
        where = _where(part)
        if part.error:
            lines.append(f"  {where}: ERROR {part.error}")
        elif not part.found:
            lines.append(f"  {where}: {MISSING.get((part.location, part.fs), 'no folder there')}")
        else:
            t = part.tally
            est = (f", {plural(t.estimated, 'object')} estimated at {plural(size_estimate, 'byte')} each"
                   if t.estimated else "")
            lines.append(f"  {where}: {plural(t.files, 'file')}, {human_bytes(t.bytes)} ({plural(t.bytes, 'byte')}){est}; "
                         f"{plural(t.folders, 'folder')}")
    if result.status == "error":
        lines.append("  Total: unknown, the scan failed (see above)")
    else:
        t = result.total
        share = f"; {100 * t.estimated_bytes / t.bytes:.1f}% of the bytes estimated" if t.bytes and t.estimated_bytes else ""
        lines.append(f"  Total: {plural(t.files, 'file')}, {human_bytes(t.bytes)} ({plural(t.bytes, 'byte')}){share}")
    lines.append(f"  Found in: {result.file_source}    Status: {result.status}    ({result.seconds:.1f}s)")
    return "\n".join(lines)


def run_summary(results: Sequence[UserResult], output: str | None, host: str = "") -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("success", "empty", "error")}
    grand = total(r.total for r in results if r.status != "error")
    files, size = grand.files, grand.bytes
    where = f"; inventory: {output}" if output and output != "-" else ""
    return (
        f"Scanned {plural(len(results), 'user')}{' of ' + host if host else ''}: {counts['success']} with files, {counts['empty']} empty, "
        f"{counts['error']} failed; {plural(files, 'file')}, {human_bytes(size)}"
        f"{' in the users scanned completely' if counts['error'] else ''}{where}"
    )


def plural(n: int, word: str, many: str | None = None, grouped: bool = False) -> str:
    """A count and its noun, singular for exactly one: '1 file', '2 files', '0 files'. `many`: an irregular
    plural; `grouped`: thousands separated, '12,345 files'."""
    return (f"{n:,}" if grouped else str(n)) + " " + (word if n == 1 else many or word + "s")


def summary_tables(results: Sequence[UserResult], top_files: Sequence[Any] = (), top_users: int = 10) -> list[tuple[str, list[str], list[list[str]]]]:
    """The end-of-run summary as (title, header, rows) tables, rendered by rich or as plain text. It leads
    with what can be reclaimed: the homes by owner status, removed users' first, then the largest of those.
    The figures are statistics.py's, the same as the HTML report's."""
    stats = Statistics.of([record(r) for r in results])
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if stats.by_workspace:
        tables.append(("By workspace (reclaimable: bytes in removed users' homes)",
                       ["workspace", "users", "files", "size", "reclaimable", "failed"],
                       [[w.workspace, str(w.users), str(w.files), human_bytes(w.bytes), human_bytes(w.reclaimable),
                         (f"{w.failed}" + (f" ({w.error})" if w.error else "")) if w.failed else ""]
                        for w in stats.by_workspace]))

    def who(r: dict[str, Any]) -> str:  # in a run over several workspaces, a name is one workspace's
        return f"{r['username']} ({r['workspace']})" if stats.by_workspace and r.get("workspace") else r["username"]

    def users_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
        return [[who(r), str(r["file_count"]), human_bytes(r["total_size"]), r["file_source"]] for r in rows]

    if stats.owners_known:
        tables.append(("Homes by owner (removed users' homes can be reclaimed)",
                       ["owner status", "homes", "files", "size", "failed"],
                       [[o.status, str(o.homes), str(o.files), human_bytes(o.bytes), str(o.failed) if o.failed else ""]
                        for o in stats.by_owner]))
        removed = stats.largest(10, "removed")
        if removed:
            tables.append((f"Largest homes of removed users (top {len(removed)})", ["user", "files", "size", "where"],
                           users_rows(removed)))
    tables.append(("Totals by file system (users scanned completely)", ["", "files", "size", "of which estimated"],
                   [[f.label, str(f.files), human_bytes(f.bytes), human_bytes(f.estimated_bytes)]
                    for f in stats.by_file_system]))
    if stats.by_place:
        tables.append(("Places beyond the homes (users scanned completely; counted in the totals above)",
                       ["place", "files", "size"], [[p.label, str(p.files), human_bytes(p.bytes)] for p in stats.by_place]))
    counts = [[s, str(n)] for s, n in stats.by_status.items()]
    counts.append(["estimated share of bytes", f"{stats.estimated_share:.1f}%" if stats.bytes else "0%"])
    tables.append(("Users by status", ["status", "users"], counts))
    biggest = stats.largest(top_users)
    if biggest:
        tables.append((f"Top {plural(len(biggest), 'user')} by size", ["user", "files", "size", "where"],
                       users_rows(biggest)))
    volumes = largest_volumes(results)
    if volumes:
        tables.append((f"Largest {plural(len(volumes), 'volume')} (Unity Catalog) and their owners",
                       ["volume", "owner", "files", "size"],
                       [[v.path, who({"username": v.owner, "workspace": v.workspace}), str(v.files), human_bytes(v.bytes)]
                        for v in volumes]))
    if stats.errors_by_reason:
        tables.append(("Errors by reason", ["reason", "users"], [[k, str(v)] for k, v in stats.errors_by_reason]))
    if top_files:
        tables.append((f"Top {plural(len(top_files), 'file')} by size", ["size", "user", "where", "path"],
                       [[human_bytes(f.size), f.user, f.file_system, f.path] for f in top_files]))
    return tables


@dataclass(frozen=True)
class OwnedVolume:
    path: str
    owner: str
    files: int
    bytes: int
    workspace: str = ""


def largest_volumes(results: Sequence[UserResult], n: int = 10) -> list[OwnedVolume]:
    """The Unity Catalog volumes walked completely, the largest first, each with its owner's row name."""
    walked = [OwnedVolume(p.path, r.username, p.tally.files, p.tally.bytes, r.workspace) for r in results for p in r.parts
              if p.location == "volumes" and p.path and p.complete]
    return sorted(walked, key=lambda v: (-v.bytes, v.path))[:n]


def changes_table(comparison: Comparison, since: str, n: int = 20) -> tuple[str, list[str], list[list[str]]]:
    """The largest changes per user since an older inventory, with the users new and gone counted."""
    rows = [[c.username, f"{c.files:+,}", ("+" if c.bytes > 0 else "-") + human_bytes(abs(c.bytes)),
             human_bytes(c.bytes_after)] for c in comparison.largest(n)]
    if comparison.new or comparison.gone:
        rows.append([f"({len(comparison.new)} new, {len(comparison.gone)} gone since)", "", "", ""])
    failed = [f"{len(comparison.unknown)} failed in one of the two"] if comparison.unknown else []
    failed += [f"{len(comparison.failed_both)} failed in both"] if comparison.failed_both else []
    if failed:
        rows.append([f"({', '.join(failed)}: no difference to tell)", "", "", ""])
    if comparison.apart:
        rows.append([f"({len(comparison.apart)} in both, with no place counted by both)", "", "", ""])
    title = f"Largest changes since {since} (added {human_bytes(comparison.added_bytes)}, removed " \
            f"{human_bytes(comparison.removed_bytes)})"
    return title, ["user", "files", "size", "now"], rows or [["no change", "", "", ""]]


def plain_tables(tables: list[tuple[str, list[str], list[list[str]]]]) -> str:
    out = []
    for title, header, rows in tables:
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
        out.append(title)
        out.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
        out.extend("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)
        out.append("")
    return "\n".join(out).rstrip()


def print_summary(tables: list[tuple[str, list[str], list[list[str]]]], stream: Any, heading: str = "") -> None:
    """rich tables on a terminal, plain aligned text otherwise (cron mail, log files), under a heading."""
    if heading:
        print(heading, file=stream)
    if stream.isatty():
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        for title, header, rows in tables:
            table = Table(title=title, title_justify="left")
            for h in header:
                table.add_column(h, justify="right" if h in ("files", "size", "users", "of which estimated") else "left")
            for row in rows:
                table.add_row(*row)
            console.print(table)
    else:
        print(plain_tables(tables), file=stream)
