"""`make test`'s last step: the tests marked `py310` (the fast layer and a few end-to-end scans) on Python 3.10,
the oldest Python that pyproject.toml admits, in a cached environment of the runtime requirements and pytest
(tests/dbconnect/envs.py). Arguments go to pytest. Without Python 3.10 on the machine the step is skipped with
a note, except under CI, where it fails."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.dbconnect.envs import ROOT, PythonMissing, environment


def main(argv: list[str]) -> int:
    try:
        python = environment("py310")
    except PythonMissing as exc:
        if os.environ.get("CI"):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"skipped the Python 3.10 tests: {exc}", file=sys.stderr)
        return 0
    return subprocess.call([str(python), "-m", "pytest", "-q", "-m", "py310", *argv, "tests"], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
