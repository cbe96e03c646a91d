"""The one ground-truth oracle: the inventory row the emulator's ground truth implies, for tests and bench/."""

from __future__ import annotations

from pathlib import Path

HOME_SYSTEMS = ("dbfs", "workspace")


def expected_row(gt: dict, size_estimate: int = 10_000, systems: tuple[str, ...] = HOME_SYSTEMS,
                 exact_notebooks: bool = False) -> dict[str, str]:
    """The columns that describe the data, as the CSV writes them. A user whose home is denied is an error
    row with blank totals."""
    if gt["denied"] is not None and gt["denied"] in systems:
        return {"status": "error", "file_count": "", "total_size": "", "total_size_gb": ""}
    dbfs, ws = "dbfs" in systems, "workspace" in systems
    if exact_notebooks:  # notebooks measured by export; those over the cap stay estimated
        estimated = gt["ws_unsized"] - gt["ws_notebooks"] + gt["ws_notebooks_too_big"]
        ws_bytes = gt["ws_known_bytes"] + gt["ws_notebook_bytes"] + size_estimate * estimated
    else:
        estimated = gt["ws_unsized"]
        ws_bytes = gt["ws_known_bytes"] + size_estimate * estimated
    dbfs_files, dbfs_bytes = (gt["dbfs_files"], gt["dbfs_bytes"]) if dbfs else (0, 0)
    ws_files = gt["ws_files"] if ws else 0
    ws_bytes = ws_bytes if ws else 0
    estimated = estimated if ws else 0
    files, size = dbfs_files + ws_files, dbfs_bytes + ws_bytes
    source = {(True, True): "both", (True, False): "dbfs", (False, True): "workspace"}.get(
        (dbfs_files > 0, ws_files > 0), "none")
    return {
        "file_count": str(files),
        "total_size": str(size),
        "total_size_gb": f"{size / 1024**3:.2f}",
        "status": "success" if files else "empty",
        "file_source": source,
        "error": "",
        "dbfs_files": str(dbfs_files) if dbfs else "",
        "dbfs_bytes": str(dbfs_bytes) if dbfs else "",
        "workspace_files": str(ws_files) if ws else "",
        "workspace_bytes": str(ws_bytes) if ws else "",
        "estimated_objects": str(estimated),
        "estimated_bytes": str(size_estimate * estimated),
        "folders": str((gt["dbfs_dirs"] if dbfs else 0) + (gt["ws_folders"] if ws else 0)),
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
