"""Refuse, before the first request, an output that is the same file as an input or as another output.

An inventory written over its own checkpoint is deleted at the end with it; a log appended to a users file
becomes "users" on the next run; an HTML report written over the inventory it was made from replaces it. The
same file can be spelled many ways (relative, with `..`, through a symlink, a hard link), so files that exist
are compared with `os.path.samefile`, and others by their normalised real path.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Sequence

from ..core.errors import InputError

STDIO = "-"
# (the option's name as the admin typed it, the path). A path that an output also writes beside itself (a
# lock, a file list's `.part`) is given as another entry under the same option name.
NamedPath = tuple[str, "str | None"]


def same_file(a: str, b: str) -> bool:
    if a == STDIO or b == STDIO:
        return a == b or _is_stdout(b if a == STDIO else a)
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return _normalised(a) == _normalised(b)


def _is_stdout(path: str) -> bool:
    """`/dev/stdout`, `/dev/fd/1` and the like: the very file this process writes its standard output to."""
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no such file, or no real stdout (a notebook)
        return False


def _normalised(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.abspath(os.path.expanduser(path))))


def refuse_collisions(outputs: Sequence[NamedPath], inputs: Sequence[NamedPath] = ()) -> None:
    """Raise InputError naming both options if an output is the same file as an input or another output.
    Standard output (`-`) may be used by one output only; reading stdin (`-` as an input) clashes with
    nothing."""
    given_outputs = [(name, path) for name, path in outputs if path]
    given_inputs = [(name, path) for name, path in inputs if path and path != STDIO]
    for (name_a, a), (name_b, b) in itertools.combinations(given_outputs, 2):
        if name_a != name_b and same_file(a, b):
            where = "standard output" if STDIO in (a, b) else f"the same file ({b})"
            raise InputError(f"{name_a} and {name_b} both write to {where}: give each its own path")
    for (out_name, out), (in_name, inp) in itertools.product(given_outputs, given_inputs):
        if out_name != in_name and same_file(out, inp):
            raise InputError(f"{out_name} would overwrite {in_name} ({inp}), which this run reads: give "
                             f"{out_name} another path")
