"""The one ground-truth oracle: the inventory row the emulator's ground truth implies, for tests and bench/."""

from __future__ import annotations

from pathlib import Path

HOME_SYSTEMS = ("dbfs", "workspace")


def expected_row(gt: dict, size_estimate: int = 10_000, systems: tuple[str, ...] = HOME_SYSTEMS,
                 exact_notebooks: bool = False, locations: tuple[str, ...] = ("home",),
                 owner: bool = True) -> dict[str, str]:
    """The columns that describe the data, as the CSV writes them. A user whose home is denied is an error
    row with blank totals. `owner`: the owner_status column too (every run resolves names through SCIM)."""
    status = {"owner_status": gt["owner_status"]} if owner else {}
    if gt["denied"] is not None and gt["denied"] in systems:
        return {"status": "error", "file_count": "", "total_size": "", "total_size_gb": "", **status}
    dbfs, ws = "dbfs" in systems, "workspace" in systems
    repos = ws and "repos" in locations
    uploads = dbfs and "uploads" in locations
    if exact_notebooks:  # notebooks measured by export; those over the cap stay estimated
        estimated = gt["ws_unsized"] - gt["ws_notebooks"] + gt["ws_notebooks_too_big"]
        ws_bytes = gt["ws_known_bytes"] + gt["ws_notebook_bytes"] + size_estimate * estimated
    else:
        estimated = gt["ws_unsized"]
        ws_bytes = gt["ws_known_bytes"] + size_estimate * estimated
    r, u = gt["repos"], gt["uploads"]
    repos_files, repos_bytes = (r["files"], r["known_bytes"] + size_estimate * r["unsized"]) if repos else (0, 0)
    uploads_files, uploads_bytes = (u["files"], u["bytes"]) if uploads else (0, 0)
    dbfs_files = (gt["dbfs_files"] if dbfs else 0) + uploads_files
    dbfs_bytes = (gt["dbfs_bytes"] if dbfs else 0) + uploads_bytes
    ws_files = (gt["ws_files"] if ws else 0) + repos_files
    ws_bytes = (ws_bytes if ws else 0) + repos_bytes
    estimated = (estimated if ws else 0) + (r["unsized"] if repos else 0)
    folders = ((gt["dbfs_dirs"] if dbfs else 0) + (gt["ws_folders"] if ws else 0)
               + (r["folders"] if repos else 0) + (u["dirs"] if uploads else 0))
    files, size = dbfs_files + ws_files, dbfs_bytes + ws_bytes
    source = {(True, True): "both", (True, False): "dbfs", (False, True): "workspace"}.get(
        (dbfs_files > 0, ws_files > 0), "none")

    def cell(value: int, scanned: bool) -> str:
        return str(value) if scanned else ""

    return {
        "file_count": str(files),
        "total_size": str(size),
        "total_size_gb": f"{size / 1024**3:.2f}",
        "status": "success" if files else "empty",
        "file_source": source,
        "error": "",
        **status,
        "dbfs_files": cell(dbfs_files, dbfs),
        "dbfs_bytes": cell(dbfs_bytes, dbfs),
        "workspace_files": cell(ws_files, ws),
        "workspace_bytes": cell(ws_bytes, ws),
        "repos_files": cell(repos_files, repos),
        "repos_bytes": cell(repos_bytes, repos),
        "uploads_files": cell(uploads_files, uploads),
        "uploads_bytes": cell(uploads_bytes, uploads),
        "estimated_objects": str(estimated),
        "estimated_bytes": str(size_estimate * estimated),
        "folders": str(folders),
        "notebooks_too_big": str(gt["ws_notebooks_too_big"] if exact_notebooks and ws else 0),
    }


def mismatches(rows: list[dict[str, str]], truth: dict, users: list[str], **kw) -> list[str]:
    """Every way the rows differ from the truth: order, missing users, and each column of each row."""
    problems = []
    if [r["username"] for r in rows] != list(users):
        problems.append("rows must come in input order, one per user")
    for row in rows:
        want = expected_row(truth[row["username"]], **kw)
        got = {k: row.get(k) for k in want}
        if got != want:
            problems.append(f"{row['username']}: {got} != {want}")
        if want["status"] == "error" and not row.get("error"):
            problems.append(f"{row['username']}: an error row must say why")
    return problems


def write_users_file(path: Path, users: list[str]) -> Path:
    path.write_text("".join(u + "\n" for u in users), encoding="utf-8")
    return path
