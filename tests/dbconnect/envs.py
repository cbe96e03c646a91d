"""The tests' own Python environments, built once and cached between runs, keyed by their Python and their
requirements: the two Python 3.12 environments of the Databricks Connect test, and a Python 3.10 one for the
fast layer (the oldest Python that pyproject.toml admits). `python -m tests.dbconnect.envs [NAME...]` builds
them ahead of time (`make test` does it in the background while the rest of the suite runs)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import filelock

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = Path(os.environ.get("DBX_INVENTORY_ENV_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser()
             / "dbx-inventory" / "envs")
# name: the Python it runs on, the requirements it installs. databricks-connect 19.x needs Python 3.12.
ENVS = {
    "client": ("3.12", HERE / "requirements-client.txt"),
    "server": ("3.12", HERE / "requirements-server.txt"),
    "py310": ("3.10", ROOT / "tests" / "requirements-py310.txt"),
}


class PythonMissing(RuntimeError):
    pass


def find_python(version: str) -> str:
    """That Python version, wherever this machine has it: under pyenv, or on PATH. A pyenv shim on PATH may name
    a version that is not selected, so each candidate must run."""
    candidates = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        versions = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout.split()
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += [str(Path(root) / "versions" / v / "bin" / f"python{version}")
                       for v in sorted((v for v in versions if v.startswith(f"{version}.")), reverse=True)]
    candidates += [c for c in (shutil.which(f"python{version}"),) if c]
    for candidate in candidates:
        try:
            out = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            continue
        if out == version:
            return candidate
    raise PythonMissing(f"Python {version} is not on this machine: install it (pyenv install {version})")


def _key(requirements: Path, python: str) -> str:
    text = requirements.read_bytes()
    for line in text.decode().splitlines():  # follow -r includes, so a changed runtime requirement rebuilds
        if line.startswith("-r "):
            text += (requirements.parent / line[3:].strip()).read_bytes()
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    return hashlib.sha256(text + version.encode()).hexdigest()[:12]


def environment(name: str) -> Path:
    """The virtual environment `name` of ENVS: its python, built if missing."""
    version, requirements = ENVS[name]
    python = find_python(version)
    target = CACHE / f"{name}-{_key(requirements, python)}"
    ready = target / ".ready"
    if ready.exists():
        return target / "bin" / "python"
    CACHE.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(CACHE / f".{name}.lock"):  # one builder at a time, across test workers
        if not ready.exists():
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run([python, "-m", "venv", str(target)], check=True)
            subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "-r", str(requirements)], check=True)
            ready.touch()
    return target / "bin" / "python"


if __name__ == "__main__":
    failed = False
    for env_name in sys.argv[1:] or ENVS:
        try:
            print(env_name, environment(env_name), flush=True)
        except PythonMissing as exc:
            print(env_name, f"not built: {exc}", flush=True)
            failed = True
    sys.exit(1 if failed else 0)
