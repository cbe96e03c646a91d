"""The two Python 3.12 environments of the Databricks Connect test, built once and cached between runs, keyed
by their requirements: `python -m tests.dbconnect.envs` builds them ahead of time (CI does it while nothing else
runs)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = Path(os.environ.get("DBX_INVENTORY_ENV_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser()
             / "dbx-inventory" / "envs")


def python312() -> str:
    """Python 3.12, wherever this machine has it: under pyenv, or on PATH (databricks-connect 19.x needs it).
    A pyenv shim on PATH may name a version that is not selected, so each candidate must run."""
    candidates = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        versions = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout.split()
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += [str(Path(root) / "versions" / v / "bin" / "python3.12")
                       for v in sorted((v for v in versions if v.startswith("3.12")), reverse=True)]
    candidates += [c for c in (shutil.which("python3.12"),) if c]
    for candidate in candidates:
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                                 text=True, timeout=30).stdout.strip()
        except OSError:
            continue
        if out == "(3, 12)":
            return candidate
    raise RuntimeError("Python 3.12 is needed for databricks-connect 19.x: install it (pyenv install 3.12)")


def _key(requirements: Path, python: str) -> str:
    text = requirements.read_bytes()
    for line in text.decode().splitlines():  # follow -r includes, so a changed runtime requirement rebuilds
        if line.startswith("-r "):
            text += (requirements.parent / line[3:].strip()).read_bytes()
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    return hashlib.sha256(text + version.encode()).hexdigest()[:12]


def environment(name: str) -> Path:
    """The virtual environment for requirements-<name>.txt: its python, built if missing."""
    python = python312()
    requirements = HERE / f"requirements-{name}.txt"
    target = CACHE / f"{name}-{_key(requirements, python)}"
    ready = target / ".ready"
    if ready.exists():
        return target / "bin" / "python"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time, across test workers
        if not ready.exists():
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run([python, "-m", "venv", str(target)], check=True)
            subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "-r", str(requirements)], check=True)
            ready.touch()
    return target / "bin" / "python"


if __name__ == "__main__":
    for env_name in sys.argv[1:] or ("client", "server"):
        print(env_name, environment(env_name))
