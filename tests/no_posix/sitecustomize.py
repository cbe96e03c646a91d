"""Python as on Windows, for the tests: with this directory on PYTHONPATH, the POSIX-only modules of the
standard library cannot be imported.

Python imports `sitecustomize` at startup, after site-packages are set up; anything imported before it that
pulled one of these modules in is forgotten here, so that a later `import fcntl` asks the finder again."""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder

REFUSED = frozenset({"fcntl", "termios", "pwd", "grp", "resource"})


class RefusePosixModules(MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (refused: not on Windows)", name=fullname)
        return None


sys.meta_path.insert(0, RefusePosixModules())
for _name in REFUSED:
    sys.modules.pop(_name, None)
